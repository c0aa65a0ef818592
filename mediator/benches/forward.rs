//! Forwarded 1 KiB messages from send to live delivery, against `mpc-mediator` running as its own
//! process: throughput and p50/p99 latency at 1, 16 and 256 concurrent senders, on SQLite and (with
//! MPC_ID_TEST_POSTGRES_URL set, as `scripts/test-postgres` prints it) PostgreSQL, over plain HTTP
//! and (SQLite) over the mediator's own HTTPS; resident memory at rest and with 1,000 open
//! WebSockets; TLS handshakes per mediator CPU second, and resident memory per 1,000 idle TLS
//! connections.
//!
//!     MPC_ID_TEST_POSTGRES_URL=$(scripts/test-postgres) cargo bench -p mpc-mediator --bench forward

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // each bench uses part of the tests' client
#[allow(unused_imports)]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Party, fresh_postgres_database, spawn_mediator, wait_ready_with};
use futures_util::{SinkExt, StreamExt};
use mpc_identity::did;
use mpc_identity::envelope::encrypted;
use mpc_test_support::pki::PrivateCa;
use mpc_test_support::{cpu_micros, rss_kib};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const PICKUP: &str = "https://didcomm.org/messagepickup/3.0/";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run());
}

/// How the bench reaches a mediator: its base URL, and the clients that trust its certificate.
#[derive(Clone)]
struct Target {
    base: String,
    http: reqwest::Client,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Target {
    fn ws_url(&self) -> String {
        format!("{}/ws", self.base.replacen("http", "ws", 1))
    }

    async fn websocket(
        &self,
    ) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
        let connector = self.tls.clone().map(tokio_tungstenite::Connector::Rustls);
        tokio_tungstenite::connect_async_tls_with_config(self.ws_url(), None, false, connector)
            .await
            .expect("websocket")
            .0
    }
}

async fn run() {
    let ca = PrivateCa::new("bench CA");
    let certs = tempfile::tempdir().expect("tempdir");
    let (cert, key) = ca.issue(&["localhost", "127.0.0.1"], certs.path(), "mediator");
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let mut backends = vec![("SQLite", None, false), ("SQLite", None, true)];
    if std::env::var_os("MPC_ID_TEST_POSTGRES_URL").is_some() {
        backends.push(("PostgreSQL", Some(fresh_postgres_database().await), false));
    } else {
        eprintln!("MPC_ID_TEST_POSTGRES_URL not set: PostgreSQL skipped");
    }
    println!(
        "| database | transport | senders | messages | msgs/s | p50 ms | p99 ms | mediator CPU µs/msg | client CPU µs/msg |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut memory = Vec::new();
    let mut handshakes = None;
    for (name, database_url, https) in backends {
        let data = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        // The measurement is of the service, not of its per-sender shares (one client sends all).
        let mut extra = vec!["--rate-limit-ip", "0", "--rate-limit-did", "0", "--queue-cap", "1000000"];
        extra.extend(["--queue-cap-per-source", "1000000", "--queue-bytes-per-source", "1099511627776"]);
        extra.extend(["--max-connections-per-source", "4096"]);
        if https {
            // Idle TLS connections stay for the memory figure.
            extra.extend(["--tls-cert", &cert, "--tls-key", &key, "--header-timeout", "300s"]);
        }
        let child = spawn_mediator(port, data.path(), database_url.as_deref(), &extra);
        let target = if https {
            let tls = Arc::new(ca.client_config(&[b"http/1.1"]));
            let http = reqwest::Client::builder()
                .tls_backend_preconfigured(ca.client_config(&[b"h2", b"http/1.1"]))
                .build()
                .expect("client");
            Target { base: format!("https://127.0.0.1:{port}"), http, tls: Some(tls) }
        } else {
            Target { base: format!("http://127.0.0.1:{port}"), http: mpc_test_support::http(), tls: None }
        };
        let transport = if https { "HTTPS" } else { "HTTP" };
        wait_ready_with(&target.base, &target.http).await;
        let at_rest = rss_kib(child.id());

        for senders in [1, 16, 256] {
            let messages = if senders == 1 { 1_000 } else { 4_000 };
            let cpu_before = cpu_micros(child.id());
            let (rate, p50, p99, client) = measure(&target, senders, messages).await;
            // Includes enrolling the two parties of the run: a few requests among thousands.
            let per_message = (cpu_micros(child.id()) - cpu_before) as f64 / messages as f64;
            println!(
                "| {name} | {transport} | {senders} | {messages} | {rate:.0} | {p50:.2} | {p99:.2} | {per_message:.0} | {client:.0} |"
            );
        }

        let mut sockets = Vec::new();
        for _ in 0..1_000 {
            sockets.push(target.websocket().await);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let with_sockets = rss_kib(child.id());
        drop(sockets);
        memory.push((name, transport, at_rest, with_sockets));
        if let Some(tls) = &target.tls {
            handshakes = Some(tls_costs(port, tls, child.id()).await);
        }
        drop(child);
    }
    println!();
    println!("| database | transport | RSS at rest | RSS with 1,000 WebSockets |");
    println!("| --- | --- | --- | --- |");
    for (name, transport, at_rest, with_sockets) in memory {
        println!(
            "| {name} | {transport} | {:.1} MiB | {:.1} MiB |",
            at_rest as f64 / 1024.0,
            with_sockets as f64 / 1024.0
        );
    }
    if let Some((per_cpu_second, idle_kib)) = handshakes {
        println!();
        println!("TLS handshakes per mediator CPU second (one core): {per_cpu_second:.0}");
        println!("RSS per 1,000 idle TLS connections: {:.1} MiB", idle_kib as f64 / 1024.0);
    }
}

/// Full TLS handshakes (4 clients at once, 2,000 in all): how many one core of the mediator
/// completes per CPU second; then the resident memory 1,000 idle TLS connections add.
async fn tls_costs(port: u16, tls: &Arc<rustls::ClientConfig>, pid: u32) -> (f64, u64) {
    let connector = tokio_rustls::TlsConnector::from(Arc::clone(tls));
    let handshake = move |connector: tokio_rustls::TlsConnector| async move {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        connector.connect(name, tcp).await.expect("handshake")
    };
    let cpu_before = cpu_micros(pid);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let connector = connector.clone();
            tokio::spawn(async move {
                for _ in 0..500 {
                    drop(handshake(connector.clone()).await);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("handshakes");
    }
    let per_cpu_second = 2_000.0 / ((cpu_micros(pid) - cpu_before) as f64 / 1e6);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);
    let mut idle = Vec::new();
    for _ in 0..1_000 {
        idle.push(handshake(connector.clone()).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let with_idle = rss_kib(pid);
    drop(idle);
    (per_cpu_second, with_idle.saturating_sub(before))
}

/// Sends `count` forwards from `senders` concurrent senders to a party listening live; returns
/// messages per second (first send to last delivery), the p50/p99 latency in milliseconds, and
/// this process's CPU time per message meanwhile (in µs: sending, and opening what arrives).
async fn measure(target: &Target, senders: usize, count: usize) -> (f64, f64, f64, f64) {
    let base = target.base.as_str();
    let bob = Party::at_with("bob", base, target.http.clone()).await;
    bob.enroll().await;
    let alice = Party::at_with("alice", base, target.http.clone()).await;
    // Build every envelope first, so the senders measure the mediator, not the sealing.
    let padding = "x".repeat(900);
    let forwards: Vec<(String, String)> = (0..count)
        .map(|n| {
            let (_, inner) = alice.seal_for(&bob, json!({ "n": n, "pad": padding }));
            (tag(&serde_json::from_str(&inner).expect("json")), alice.forward(bob.did(), &inner))
        })
        .collect();
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let arrived_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));

    // The receiver: live delivery on one WebSocket, acknowledging each batch.
    let (mut sink, mut stream) = target.websocket().await.split();
    let live = bob.message(&format!("{PICKUP}live-delivery-change"), json!({"live_delivery": true}));
    sink.send(Message::text(seal(&bob, &live))).await.expect("send");
    // Live from the mediator's answer on (what was queued before stays for delivery-request).
    stream.next().await.expect("the live-mode status").expect("frame");
    let receiver = {
        let (arrived_at, bob_keys, bob_kids) = (Arc::clone(&arrived_at), bob.identity_clone(), bob.kids.clone());
        let mediator_keys = bob.mediator_keys.clone();
        tokio::spawn(async move {
            // Acknowledge in batches, at most every 20 ms, as a client under load should: each
            // acknowledgement costs the mediator an authcrypt open and a sealed status reply.
            let mut unacknowledged: Vec<Value> = Vec::new();
            let mut last_ack = Instant::now();
            while arrived_at.lock().expect("lock").len() < count {
                let Some(Ok(frame)) = stream.next().await else { break };
                let Ok(text) = frame.to_text() else { continue };
                let Ok(opened) = encrypted::decrypt(text, &bob_keys.keys, &bob_kids, did::resolve) else { continue };
                let Some(attachments) = opened.message["attachments"].as_array() else { continue };
                let now = Instant::now();
                {
                    let mut arrived = arrived_at.lock().expect("lock");
                    for attachment in attachments {
                        arrived.entry(tag(&attachment["data"]["json"])).or_insert(now);
                        unacknowledged.push(attachment["id"].clone());
                    }
                }
                if last_ack.elapsed() < Duration::from_millis(20) && arrived_at.lock().expect("lock").len() < count {
                    continue;
                }
                last_ack = Instant::now();
                let ids = std::mem::take(&mut unacknowledged);
                let ack = json!({
                    "id": uuid::Uuid::new_v4().to_string(), "type": format!("{PICKUP}messages-received"),
                    "from": bob_keys.record.did, "body": {"message_id_list": ids}
                });
                let kid = bob_kids[0].clone();
                let sealed = encrypted::authcrypt(&ack, &bob_keys.keys, &kid, &mediator_keys).expect("seal");
                if sink.send(Message::text(sealed)).await.is_err() {
                    break;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    let queue = Arc::new(Mutex::new(forwards));
    let client = target.http.clone();
    let started = Instant::now();
    let client_before = cpu_micros(std::process::id());
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (queue, sent_at, client, endpoint) =
            (Arc::clone(&queue), Arc::clone(&sent_at), client.clone(), format!("{base}/didcomm"));
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((tag, forward)) = queue.lock().expect("lock").pop() else { return };
                sent_at.lock().expect("lock").insert(tag, Instant::now());
                let status = client.post(&endpoint).body(forward).send().await.expect("post").status();
                assert_eq!(status, 202, "forward refused");
            }
        }));
    }
    for task in tasks {
        task.await.expect("sender");
    }
    let _ = tokio::time::timeout(Duration::from_secs(120), receiver).await;
    let client = (cpu_micros(std::process::id()) - client_before) as f64 / count as f64;
    let (sent, arrived) = (sent_at.lock().expect("lock"), arrived_at.lock().expect("lock"));
    assert_eq!(arrived.len(), count, "every message delivered live");
    let last = arrived.values().max().copied().unwrap_or(started);
    let mut latencies: Vec<f64> =
        arrived.iter().map(|(tag, at)| at.duration_since(sent[tag]).as_secs_f64() * 1000.0).collect();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    (count as f64 / last.duration_since(started).as_secs_f64(), percentile(0.50), percentile(0.99), client)
}

/// A message's identity without opening it: the start of its ciphertext.
fn tag(envelope: &Value) -> String {
    envelope["ciphertext"].as_str().unwrap_or_default().chars().take(48).collect()
}

fn seal(party: &Party, message: &Value) -> String {
    encrypted::authcrypt(message, &party.identity.keys, &party.kids[0], &party.mediator_keys).expect("seal")
}
