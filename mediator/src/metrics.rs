//! Counters for `/metrics`, in the Prometheus text format. A handful of atomics: a metrics
//! library would add more than it gives here.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) fn inc(&self) {
        self.add(1);
    }

    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub requests: Counter,
    pub problems: Counter,
    pub forwards_stored: Counter,
    pub messages_delivered: Counter,
    pub messages_acknowledged: Counter,
    pub websockets_open: Counter,
    pub websockets_closed: Counter,
    pub connections_refused: Counter,
    pub sender_log_verifications: Counter,
    pub forwarded_for_malformed: Counter,
    pub bodies_too_slow: Counter,
    pub ledger_verifications: Counter,
    pub tls_handshakes_failed: Counter,
}

impl Metrics {
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let counters = [
            ("mpc_mediator_requests_total", "DIDComm requests received", &self.requests),
            ("mpc_mediator_problem_reports_total", "requests answered with a problem report", &self.problems),
            ("mpc_mediator_forwards_stored_total", "forwarded messages stored", &self.forwards_stored),
            ("mpc_mediator_messages_delivered_total", "messages handed to their owner", &self.messages_delivered),
            (
                "mpc_mediator_messages_acknowledged_total",
                "messages deleted after messages-received",
                &self.messages_acknowledged,
            ),
            (
                "mpc_mediator_connections_refused_total",
                "connections closed at once: over the cap in total or per source",
                &self.connections_refused,
            ),
            (
                "mpc_mediator_forwarded_for_malformed_total",
                "requests from a trusted proxy whose X-Forwarded-For held no address (counted against the proxy)",
                &self.forwarded_for_malformed,
            ),
            (
                "mpc_mediator_ledger_verifications_total",
                "did:webvh logs or witness files verified for a publication or an upload",
                &self.ledger_verifications,
            ),
            (
                "mpc_mediator_bodies_too_slow_total",
                "request bodies cut off for arriving slower than --min-body-rate after --body-timeout",
                &self.bodies_too_slow,
            ),
            (
                "mpc_mediator_tls_handshakes_failed_total",
                "TLS handshakes that failed or did not finish within --header-timeout",
                &self.tls_handshakes_failed,
            ),
            (
                "mpc_mediator_sender_log_verifications_total",
                "hosted did:webvh logs verified to open a sender's envelope (only when a log grew)",
                &self.sender_log_verifications,
            ),
        ];
        for (name, help, counter) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", counter.get());
        }
        let open = self.websockets_open.get().saturating_sub(self.websockets_closed.get());
        let _ = writeln!(
            out,
            "# HELP mpc_mediator_websockets WebSocket sessions open\n# TYPE mpc_mediator_websockets gauge\nmpc_mediator_websockets {open}"
        );
        out
    }
}
