//! Load over time: 1,000 parties live on WebSockets, and a sustained rate of forwarded 1 KiB
//! messages to random ones among them, for five minutes, against `mpc-mediator` as its own
//! process. Checks that every acknowledged forward is delivered live, none twice, and samples
//! the mediator's resident memory every second into `target/soak-<database>.csv` (plotted into
//! `docs/soak-memory.png` by `scripts/plot-soak`).
//!
//!     cargo bench -p mpc-mediator --bench soak                      # SQLite, 300 s, 400 msgs/s
//!     MPC_ID_SOAK_SECONDS=60 MPC_ID_SOAK_RATE=200 cargo bench -p mpc-mediator --bench soak
//!     MPC_ID_TEST_POSTGRES_URL=$(scripts/test-postgres) cargo bench -p mpc-mediator --bench soak

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // each bench uses part of the tests' client
#[allow(unused_imports)]
mod common;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{PICKUP, Party, fresh_postgres_database, spawn_mediator, wait_ready};
use futures_util::{SinkExt, StreamExt};
use mpc_identity::did;
use mpc_identity::envelope::encrypted;
use mpc_test_support::rss_kib;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const PARTIES: usize = 1_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run());
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run() {
    let seconds = setting("MPC_ID_SOAK_SECONDS", 300);
    let rate = setting("MPC_ID_SOAK_RATE", 400);
    let mut backends = vec![("sqlite", None)];
    if std::env::var_os("MPC_ID_TEST_POSTGRES_URL").is_some() {
        backends.push(("postgres", Some(fresh_postgres_database().await)));
    }
    for (name, database_url) in backends {
        let data = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let flags = ["--rate-limit-ip", "0", "--rate-limit-did", "0", "--queue-cap", "1000000"];
        let child = spawn_mediator(port, data.path(), database_url.as_deref(), &flags);
        wait_ready(&base).await;
        let at_rest = rss_kib(child.id());
        soak(name, &base, child.id(), seconds, rate, at_rest).await;
    }
}

/// What the receivers saw: every delivered message's tag, and how often.
#[derive(Default)]
struct Seen {
    delivered: HashMap<String, u32>,
}

async fn soak(name: &str, base: &str, pid: u32, seconds: u64, rate: u64, at_rest: u64) {
    eprintln!("{name}: enrolling {PARTIES} parties and opening their WebSockets");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut parties = Vec::new();
    for n in 0..PARTIES {
        let party = Arc::new(Party::at(&format!("p{n}"), base).await);
        party.enroll().await;
        listen(base, &party, Arc::clone(&seen)).await;
        parties.push(party);
    }
    let with_sockets = rss_kib(pid);
    eprintln!(
        "{name}: RSS at rest {at_rest} KiB, with {PARTIES} live sockets {with_sockets} KiB; {rate} msgs/s for {seconds} s"
    );

    let acknowledged: Arc<Mutex<HashSet<String>>> = Arc::default();
    let refused = Arc::new(AtomicUsize::new(0));
    let sender = Arc::new(Party::at("sender", base).await);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut senders = Vec::new();
    const SENDERS: u64 = 16;
    for s in 0..SENDERS {
        let (parties, sender, acknowledged, refused) =
            (parties.clone(), Arc::clone(&sender), Arc::clone(&acknowledged), Arc::clone(&refused));
        let endpoint = format!("{base}/didcomm");
        senders.push(tokio::spawn(async move {
            let client = mpc_test_support::http();
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 * SENDERS / rate));
            let mut n = s as usize;
            while Instant::now() < deadline {
                tick.tick().await;
                let recipient = &parties[(n * 7919) % parties.len()];
                n += SENDERS as usize;
                let (_, inner) = sender.seal_for(recipient, json!({ "n": n, "pad": "x".repeat(900) }));
                let forward = sender.forward(recipient.did(), &inner);
                let tag = tag(&serde_json::from_str(&inner).expect("json"));
                match client.post(&endpoint).body(forward).send().await {
                    Ok(response) if response.status() == 202 => {
                        acknowledged.lock().expect("lock").insert(tag);
                    }
                    _ => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }

    let csv_path = format!("{}/../target/soak-{name}.csv", env!("CARGO_MANIFEST_DIR"));
    let mut csv = std::fs::File::create(&csv_path).expect("csv");
    writeln!(csv, "seconds,rss_kib,acknowledged,delivered").expect("csv");
    while Instant::now() < deadline + Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let acked = acknowledged.lock().expect("lock").len();
        let delivered = seen.lock().expect("lock").delivered.len();
        writeln!(csv, "{},{},{acked},{delivered}", started.elapsed().as_secs(), rss_kib(pid)).expect("csv");
    }
    for task in senders {
        task.await.expect("sender");
    }
    // Let the last deliveries arrive.
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let settle = Instant::now() + Duration::from_secs(30);
    while Instant::now() < settle && acknowledged.iter().any(|t| !seen.lock().expect("lock").delivered.contains_key(t))
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seen = seen.lock().expect("lock");
    let lost = acknowledged.iter().filter(|t| !seen.delivered.contains_key(*t)).count();
    let twice = seen.delivered.values().filter(|count| **count > 1).count();
    let samples = std::fs::read_to_string(&csv_path).expect("csv");
    let rss: Vec<u64> =
        samples.lines().skip(1).filter_map(|l| l.split(',').nth(1).and_then(|v| v.parse().ok())).collect();
    let third = rss.len() / 3;
    let mean = |s: &[u64]| s.iter().sum::<u64>() as f64 / s.len().max(1) as f64 / 1024.0;
    println!(
        "{name}: {} s at {rate}/s: {} acknowledged, {} refused, {lost} lost, {twice} delivered twice; \
         RSS at rest {:.1} MiB, with sockets {:.1} MiB, first third {:.1} MiB, last third {:.1} MiB, max {:.1} MiB ({csv_path})",
        seconds,
        acknowledged.len(),
        refused.load(Ordering::Relaxed),
        at_rest as f64 / 1024.0,
        with_sockets as f64 / 1024.0,
        mean(&rss[..third]),
        mean(&rss[rss.len() - third..]),
        rss.iter().max().copied().unwrap_or(0) as f64 / 1024.0,
    );
    assert_eq!(lost, 0, "acknowledged forwards were not delivered");
    assert_eq!(twice, 0, "messages were delivered twice");
}

/// A live WebSocket for `party`: every delivery is recorded and acknowledged at once.
async fn listen(base: &str, party: &Party, seen: Arc<Mutex<Seen>>) {
    let url = format!("{}/ws", base.replace("http://", "ws://"));
    let (mut sink, mut stream) = tokio_tungstenite::connect_async(url).await.expect("websocket").0.split();
    let live = party.message(&format!("{PICKUP}live-delivery-change"), json!({"live_delivery": true}));
    let seal = |message: &Value, party: &Party| {
        encrypted::authcrypt(message, &party.identity.keys, &party.kids[0], &party.mediator_keys).expect("seal")
    };
    sink.send(Message::text(seal(&live, party))).await.expect("send");
    // Live from the mediator's answer on (what was queued before stays for delivery-request).
    stream.next().await.expect("the live-mode status").expect("frame");
    let (identity, kids, mediator_keys) = (party.identity_clone(), party.kids.clone(), party.mediator_keys.clone());
    tokio::spawn(async move {
        while let Some(Ok(frame)) = stream.next().await {
            let Ok(text) = frame.to_text() else { continue };
            let Ok(opened) = encrypted::decrypt(text, &identity.keys, &kids, did::resolve) else { continue };
            let Some(attachments) = opened.message["attachments"].as_array() else { continue };
            let mut ids = Vec::new();
            {
                let mut seen = seen.lock().expect("lock");
                for attachment in attachments {
                    *seen.delivered.entry(tag(&attachment["data"]["json"])).or_default() += 1;
                    ids.push(attachment["id"].clone());
                }
            }
            let ack = json!({
                "id": uuid::Uuid::new_v4().to_string(), "type": format!("{PICKUP}messages-received"),
                "from": identity.record.did, "body": {"message_id_list": ids}
            });
            let sealed = encrypted::authcrypt(&ack, &identity.keys, &kids[0], &mediator_keys).expect("seal");
            if sink.send(Message::text(sealed)).await.is_err() {
                break;
            }
        }
    });
}

/// A message's identity without opening it: the start of its ciphertext.
fn tag(envelope: &Value) -> String {
    envelope["ciphertext"].as_str().unwrap_or_default().chars().take(48).collect()
}
