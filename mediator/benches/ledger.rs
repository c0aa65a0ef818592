//! did:webvh publication on the mediator, running as its own process: parties publish their
//! genesis entry and then nine updates, each time the whole log (which the mediator verifies from
//! its first entry), 64 parties at once. Logs are written before the clock starts; what is timed
//! is the HTTP request, the mediator's verification and the database write. SQLite, and
//! PostgreSQL when MPC_ID_TEST_POSTGRES_URL is set.
//!
//!     MPC_ID_TEST_POSTGRES_URL=$(scripts/test-postgres) cargo bench -p mpc-mediator --bench ledger

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // each bench uses part of the tests' client
#[allow(unused_imports)]
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{fresh_postgres_database, spawn_mediator, wait_ready};
use ed25519_dalek::SigningKey;
use mpc_client::resolver::Resolver;
use mpc_identity::did::webvh::{self, Change, PartyDocument};
use mpc_identity::keys::{PartyKeys, PublicKey};

const PARTIES: usize = 64;
const ENTRIES: usize = 10;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let mut backends = vec![("SQLite", None)];
    if std::env::var_os("MPC_ID_TEST_POSTGRES_URL").is_some() {
        backends.push(("PostgreSQL", Some(fresh_postgres_database().await)));
    } else {
        eprintln!("MPC_ID_TEST_POSTGRES_URL not set: PostgreSQL skipped");
    }
    println!("| database | parties | publications | publications/s | p50 ms | p99 ms | log entries at the end |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, database_url) in backends {
        let data = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let _child = spawn_mediator(
            port,
            data.path(),
            database_url.as_deref(),
            &["--rate-limit-ip", "0", "--rate-limit-did", "0"],
        );
        wait_ready(&format!("http://127.0.0.1:{port}")).await;
        let logs: Vec<(String, Vec<String>)> = (0..PARTIES).map(|i| party_logs(port, i)).collect();

        let started = Instant::now();
        let tasks: Vec<_> = logs
            .into_iter()
            .map(|(did, versions)| {
                tokio::spawn(async move {
                    let resolver = Resolver::new(None);
                    let mut latencies = Vec::with_capacity(versions.len());
                    for log in versions {
                        let begun = Instant::now();
                        resolver.publish(&did, &log).await.expect("published");
                        latencies.push(begun.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.expect("task"));
        }
        let elapsed = started.elapsed();
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        println!(
            "| {name} | {PARTIES} | {} | {:.0} | {:.2} | {:.2} | {ENTRIES} |",
            latencies.len(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            ms(at(0.5)),
            ms(at(0.99)),
        );
    }
}

/// One party's log at each of its `ENTRIES` versions, oldest first.
fn party_logs(port: u16, index: usize) -> (String, Vec<String>) {
    let address = format!("did:webvh:{{SCID}}:localhost%3A{port}:parties:bench{index}");
    let start = Utc::now() - chrono::Duration::seconds(ENTRIES as i64 + 10);
    let mut next = key();
    let (did, mut log) =
        webvh::create(&address, &party(), &key(), Some(&next), None, Some(start.fixed_offset())).expect("create");
    let mut versions = vec![log.clone()];
    for i in 1..ENTRIES {
        let after = key();
        let at = (start + chrono::Duration::seconds(i as i64)).fixed_offset();
        log = webvh::append(&did, &log, &Change::Document(Box::new(party())), &next, Some(&after), Some(at))
            .expect("append");
        next = after;
        versions.push(log.clone());
    }
    (did, versions)
}

fn key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    SigningKey::from_bytes(&seed)
}

fn party() -> PartyDocument {
    let keys = PartyKeys::generate().expect("keys");
    PartyDocument {
        authentication: PublicKey::Ed25519(keys.verifying_key()),
        key_agreement: PublicKey::X25519(keys.agreement_public()),
        mediator: None,
        linked_domains: Vec::new(),
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
