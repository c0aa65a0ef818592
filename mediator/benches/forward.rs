//! Forwarded 1 KiB messages from send to live delivery, against `mpc-mediator` running as its own
//! process: throughput and p50/p99 latency at 1, 16 and 256 concurrent senders, on SQLite and (with
//! MPC_ID_TEST_POSTGRES_URL set, as `scripts/test-postgres` prints it) PostgreSQL; resident memory
//! at rest and with 1,000 open WebSockets.
//!
//!     MPC_ID_TEST_POSTGRES_URL=$(scripts/test-postgres) cargo bench -p mpc-mediator --bench forward

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Party, cpu_micros, fresh_postgres_database, rss_kib, spawn_mediator, wait_ready};
use futures_util::{SinkExt, StreamExt};
use mpc_identity::did;
use mpc_identity::envelope::encrypted;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const PICKUP: &str = "https://didcomm.org/messagepickup/3.0/";

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
    println!("| database | senders | messages | msgs/s | p50 ms | p99 ms | mediator CPU µs/msg | client CPU µs/msg |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut memory = Vec::new();
    for (name, database_url) in backends {
        let data = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let child = spawn_mediator(
            port,
            data.path(),
            database_url.as_deref(),
            &["--rate-limit-ip", "0", "--rate-limit-did", "0", "--queue-cap", "1000000"],
        );
        wait_ready(&base).await;
        let at_rest = rss_kib(child.id());

        for senders in [1, 16, 256] {
            let messages = if senders == 1 { 1_000 } else { 4_000 };
            let cpu_before = cpu_micros(child.id());
            let (rate, p50, p99, client) = measure(&base, senders, messages).await;
            // Includes enrolling the two parties of the run: a few requests among thousands.
            let per_message = (cpu_micros(child.id()) - cpu_before) as f64 / messages as f64;
            println!(
                "| {name} | {senders} | {messages} | {rate:.0} | {p50:.2} | {p99:.2} | {per_message:.0} | {client:.0} |"
            );
        }

        let mut sockets = Vec::new();
        let url = format!("ws://127.0.0.1:{port}/ws");
        for _ in 0..1_000 {
            sockets.push(tokio_tungstenite::connect_async(&url).await.expect("websocket").0);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let with_sockets = rss_kib(child.id());
        drop(sockets);
        memory.push((name, at_rest, with_sockets));
        drop(child);
    }
    println!();
    println!("| database | RSS at rest | RSS with 1,000 WebSockets |");
    println!("| --- | --- | --- |");
    for (name, at_rest, with_sockets) in memory {
        println!("| {name} | {:.1} MiB | {:.1} MiB |", at_rest as f64 / 1024.0, with_sockets as f64 / 1024.0);
    }
}

/// Sends `count` forwards from `senders` concurrent senders to a party listening live; returns
/// messages per second (first send to last delivery), the p50/p99 latency in milliseconds, and
/// this process's CPU time per message meanwhile (in µs: sending, and opening what arrives).
async fn measure(base: &str, senders: usize, count: usize) -> (f64, f64, f64, f64) {
    let bob = Party::at("bob", base).await;
    bob.enroll().await;
    let alice = Party::at("alice", base).await;
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
    let url = format!("{}/ws", base.replace("http://", "ws://"));
    let (mut sink, mut stream) = tokio_tungstenite::connect_async(url).await.expect("websocket").0.split();
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
    let client = mpc_test_support::http();
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
