//! The service under attack: `mpc-mediator` as its own process with its default limits, a
//! legitimate pair exchanging messages (forward, then pickup and acknowledge) from 127.0.0.1, and
//! one attack at a time at full speed from other loopback addresses (four, 127.0.0.2-5; sixteen
//! for the ledger phases; seventy for slow bodies). Prints,
//! per phase, the pair's forward+pickup latency and `/healthz` latency (p50/p99), messages lost,
//! and the mediator's resident memory and open file descriptors at the end of the phase.
//!
//!     cargo bench -p mpc-mediator --bench attack                     # 10 s per phase
//!     MPC_ID_ATTACK_SECONDS=30 cargo bench -p mpc-mediator --bench attack
//!     MPC_ID_ATTACK_ONLY=Enrollments cargo bench -p mpc-mediator --bench attack   # one attack (for a profiler)
//!     MPC_ID_ATTACK_ONLY=SlowBodies,LedgerResends cargo bench -p mpc-mediator --bench attack  # some

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // each bench uses part of the tests' client
#[allow(unused_imports)]
mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{CM3, PICKUP, Party, junk_forward, spawn_mediator, uuid, wait_ready};
use mpc_identity::envelope::encrypted;
use mpc_test_support::rss_kib;
use serde_json::json;
use tokio::io::AsyncWriteExt;

const ATTACKERS: [u8; 4] = [2, 3, 4, 5];
/// Concurrent attack tasks per source address.
const TASKS_PER_SOURCE: usize = 8;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // The attackers run on threads of their own: CPU-bound attack tasks (keys, sealing) must not
    // queue the legitimate pair's requests behind them in one scheduler, which would measure the
    // benchmark instead of the mediator.
    let attackers =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run(attackers.handle().clone()));
}

#[derive(Clone, Copy, Debug)]
enum Attack {
    None,
    JunkForwards,
    IdleConnections,
    SlowlorisHeaders,
    RelayWithoutHandshake,
    Enrollments,
    LedgerNames,
    ShortLinks,
    /// Request bodies trickled a byte a second, from 70 addresses, as many as each may hold.
    SlowBodies,
    /// Witness files with nothing new (`[]`) and the hosted log sent again, from 16 addresses.
    LedgerResends,
    /// The hosted log with a forged entry appended (verified, then refused), from 16 addresses.
    LedgerForged,
    /// Junk forwards from 16 addresses while the pair's receiver uses live delivery (a watching
    /// inbox): the pair's figure is forward until the live inbox hands the message out.
    JunkWhileWatching,
}

impl Attack {
    /// The source addresses (last octets) of the attack.
    fn sources(self) -> Vec<u8> {
        match self {
            Attack::SlowBodies => (10..80).collect(),
            Attack::LedgerResends | Attack::LedgerForged | Attack::JunkWhileWatching => (2..18).collect(),
            _ => ATTACKERS.to_vec(),
        }
    }

    /// Concurrent tasks per source address.
    fn tasks(self) -> usize {
        match self {
            Attack::SlowBodies => 1,
            Attack::LedgerResends | Attack::LedgerForged | Attack::JunkWhileWatching => 2,
            _ => TASKS_PER_SOURCE,
        }
    }
}

async fn run(attackers: tokio::runtime::Handle) {
    let seconds: u64 = std::env::var("MPC_ID_ATTACK_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let data = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let child = spawn_mediator(port, data.path(), None, &[]);
    wait_ready(&base).await;
    let bob = Arc::new(Party::at("bob", &base).await);
    bob.enroll().await;
    let alice = Arc::new(Party::at("alice", &base).await);
    let victim = bob.did().to_owned();
    // A hosted log of 100 entries, for the ledger phases.
    let hosted = Arc::new(hosted_log(&base, port, "hosted", 100).await);

    println!("{seconds} s per phase; attackers: 127.0.0.2-5, {TASKS_PER_SOURCE} tasks each; defaults of mpc-mediator");
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>9} {:>6} {:>9} {:>8} {:>5} {:>6}",
        "phase", "pair p50", "pair p99", "hz p50", "hz p99", "lost", "attempts", "RSS MiB", "fds", "CPU s"
    );
    let only = std::env::var("MPC_ID_ATTACK_ONLY").ok();
    for attack in [
        Attack::None,
        Attack::JunkForwards,
        Attack::IdleConnections,
        Attack::SlowlorisHeaders,
        Attack::RelayWithoutHandshake,
        Attack::Enrollments,
        Attack::LedgerNames,
        Attack::ShortLinks,
        Attack::SlowBodies,
        Attack::LedgerResends,
        Attack::LedgerForged,
        Attack::JunkWhileWatching,
    ] {
        let name = format!("{attack:?}");
        if only.as_ref().is_some_and(|only| !only.split(',').any(|o| o == name)) && !matches!(attack, Attack::None) {
            continue;
        }
        let cpu_before = cpu_seconds(child.id());
        let stop = Arc::new(AtomicBool::new(false));
        let attempts = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        // Every attacker is made before any attacks: one that holds connections would keep the
        // setup of the next from connecting.
        let mut parties = Vec::new();
        for n in attack.sources() {
            let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, n));
            parties.push((from, Arc::new(party_from(&base, from).await)));
        }
        for (from, attacker) in parties {
            for _ in 0..attack.tasks() {
                let (stop, attempts, attacker) = (Arc::clone(&stop), Arc::clone(&attempts), Arc::clone(&attacker));
                let (base, victim, hosted) = (base.clone(), victim.clone(), Arc::clone(&hosted));
                tasks.push(attackers.spawn(async move {
                    let target = Target { base: &base, port, victim: &victim, hosted: &hosted };
                    attack_loop(attack, &target, from, &attacker, &stop, &attempts).await;
                }));
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let how_long = Duration::from_secs(seconds);
        let (pair, lost, healthz) = if matches!(attack, Attack::JunkWhileWatching) {
            measure_live(&base, &alice, &bob, how_long).await
        } else {
            measure(&base, &alice, &bob, how_long).await
        };
        let (rss, fds) = (rss_kib(child.id()) / 1024, open_fds(child.id()));
        let cpu = cpu_seconds(child.id()) - cpu_before;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.abort();
        }
        println!(
            "{:<24} {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>6} {:>9} {:>8} {:>5} {:>6.1}",
            format!("{attack:?}"),
            percentile(&pair, 0.5),
            percentile(&pair, 0.99),
            percentile(&healthz, 0.5),
            percentile(&healthz, 0.99),
            lost,
            attempts.load(Ordering::Relaxed),
            rss,
            fds,
            cpu
        );
        // Let closed connections drain before the next phase.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn party_from(base: &str, from: IpAddr) -> Party {
    let mut party = Party::at("attacker", base).await;
    party.http = http_from(from);
    party
}

fn http_from(from: IpAddr) -> reqwest::Client {
    mpc_test_support::http_from(from, Duration::from_secs(5))
}

/// What the attackers aim at.
struct Target<'a> {
    base: &'a str,
    port: u16,
    victim: &'a str,
    hosted: &'a str,
}

async fn attack_loop(
    attack: Attack,
    target: &Target<'_>,
    from: IpAddr,
    attacker: &Party,
    stop: &AtomicBool,
    attempts: &AtomicU64,
) {
    let Target { base, port, victim, hosted } = *target;
    if matches!(attack, Attack::None) {
        return;
    }
    let mut held = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        attempts.fetch_add(1, Ordering::Relaxed);
        match attack {
            Attack::None => return,
            Attack::JunkForwards => {
                let _ = attacker.http.post(format!("{base}/didcomm")).body(junk_forward(attacker, victim)).send().await;
            }
            Attack::IdleConnections | Attack::SlowlorisHeaders => {
                let Ok(mut stream) = connect_from(from, port).await else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                if matches!(attack, Attack::SlowlorisHeaders) {
                    let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
                }
                held.push(stream);
                if held.len() > 200 {
                    held.remove(0);
                }
            }
            Attack::RelayWithoutHandshake => {
                let Ok(mut stream) = connect_from(from, port).await else { continue };
                let _ = stream
                    .write_all(
                        b"GET /relay HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                          Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                          Sec-WebSocket-Protocol: iroh-relay-v2\r\n\r\n",
                    )
                    .await;
                held.push(stream);
                if held.len() > 200 {
                    held.remove(0);
                }
            }
            Attack::Enrollments => {
                let fresh = Party::at("fresh", base).await;
                let message = fresh.message(&format!("{CM3}mediate-request"), json!({}));
                let envelope =
                    encrypted::authcrypt(&message, &fresh.identity.keys, &fresh.kids[0], &fresh.mediator_keys)
                        .expect("seal");
                let _ = attacker.http.post(format!("{base}/didcomm")).body(envelope).send().await;
            }
            Attack::LedgerNames => {
                let log = format!("{{\"state\":{{\"id\":\"did:webvh:x:localhost%3A{port}:parties:{}\"}}}}\n", uuid());
                let _ = attacker.http.put(format!("{base}/parties/n{}/did.jsonl", &uuid()[..8])).body(log).send().await;
            }
            Attack::SlowBodies => {
                // As many trickled bodies as the address may hold, each fed a byte a second.
                while held.len() < 64 {
                    let Ok(mut stream) = connect_from(from, port).await else { break };
                    let head = b"POST /didcomm HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
                    if stream.write_all(head).await.is_ok() {
                        held.push(stream);
                    }
                }
                let mut alive = Vec::new();
                for mut stream in held.drain(..) {
                    if stream.write_all(b" ").await.is_ok() {
                        alive.push(stream);
                    }
                }
                held = alive;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Attack::LedgerResends => {
                let url = format!("{base}/parties/hosted/");
                let _ = attacker.http.put(format!("{url}did-witness.json")).body("[]").send().await;
                let _ = attacker.http.put(format!("{url}did.jsonl")).body(hosted.to_owned()).send().await;
            }
            Attack::LedgerForged => {
                let last = hosted.lines().last().unwrap_or_default().replace("\"100-", "\"101-");
                let forged = format!("{hosted}{last}\n");
                let _ = attacker.http.put(format!("{base}/parties/hosted/did.jsonl")).body(forged).send().await;
            }
            Attack::JunkWhileWatching => {
                let _ = attacker.http.post(format!("{base}/didcomm")).body(junk_forward(attacker, victim)).send().await;
            }
            Attack::ShortLinks => {
                let _ = attacker
                    .http
                    .post(format!("{base}/oob"))
                    .body(format!("{{\"payload\":\"{}\"}}", uuid()))
                    .send()
                    .await;
            }
        }
    }
}

async fn connect_from(from: IpAddr, port: u16) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(SocketAddr::from(([127, 0, 0, 1], port))).await
}

/// The pair's forward-then-pickup round trips and `/healthz` round trips for `how_long`, and how
/// many of the pair's messages did not arrive.
async fn measure(base: &str, alice: &Party, bob: &Party, how_long: Duration) -> (Vec<f64>, usize, Vec<f64>) {
    let (mut pair, mut healthz, mut lost) = (Vec::new(), Vec::new(), 0);
    let plain = mpc_test_support::http();
    let end = Instant::now() + how_long;
    while Instant::now() < end {
        let started = Instant::now();
        let _ = plain.get(format!("{base}/healthz")).send().await;
        healthz.push(started.elapsed().as_secs_f64() * 1000.0);

        let (message, inner) = alice.seal_for(bob, json!({ "t": uuid() }));
        let started = Instant::now();
        let sent = alice.post(alice.forward(bob.did(), &inner)).await;
        // As a client does: read page after page, acknowledging (discarding) what it read,
        // until the message is there or the queue is empty.
        let mut found = false;
        for _ in 0..100 {
            let delivery = bob.ask(&format!("{PICKUP}delivery-request"), json!({ "limit": 100 })).await;
            let mut ids = Vec::new();
            for attachment in delivery.message.as_ref().and_then(|m| m["attachments"].as_array()).into_iter().flatten()
            {
                ids.push(attachment["id"].clone());
                let envelope = attachment["data"]["json"].to_string();
                let opened = encrypted::decrypt(&envelope, &bob.identity.keys, &bob.kids, mpc_identity::did::resolve);
                found |= opened.is_ok_and(|opened| opened.message["id"] == message["id"]);
            }
            if ids.is_empty() {
                break;
            }
            bob.ask(&format!("{PICKUP}messages-received"), json!({ "message_id_list": ids })).await;
            if found {
                break;
            }
        }
        pair.push(started.elapsed().as_secs_f64() * 1000.0);
        if sent.status != 202 || !found {
            lost += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (pair, lost, healthz)
}

/// [`measure`] with the receiver on live delivery, as `mpc-id inbox --watch` is: each figure is
/// from the forward until the live inbox hands the message out.
async fn measure_live(base: &str, alice: &Party, bob: &Party, how_long: Duration) -> (Vec<f64>, usize, Vec<f64>) {
    let (mut pair, mut healthz, mut lost) = (Vec::new(), Vec::new(), 0);
    let plain = mpc_test_support::http();
    let client = mpc_client::mediator::MediatorClient::connect(base).await.expect("connect");
    let mut live = client.live(&bob.identity).await.expect("live");
    let end = Instant::now() + how_long;
    while Instant::now() < end {
        let started = Instant::now();
        let _ = plain.get(format!("{base}/healthz")).send().await;
        healthz.push(started.elapsed().as_secs_f64() * 1000.0);
        let (message, inner) = alice.seal_for(bob, json!({ "t": uuid() }));
        let started = Instant::now();
        let sent = alice.post(alice.forward(bob.did(), &inner)).await;
        let mut found = false;
        while !found && started.elapsed() < Duration::from_secs(10) {
            let Ok(Ok(received)) = tokio::time::timeout(Duration::from_secs(10), live.next(&bob.identity)).await else {
                break;
            };
            found = received.iter().any(|r| r.message["id"] == message["id"]);
            let ids: Vec<String> = received.iter().map(|r| r.id.clone()).collect();
            let _ = live.acknowledge(&bob.identity, &ids).await;
        }
        pair.push(started.elapsed().as_secs_f64() * 1000.0);
        if sent.status != 202 || !found {
            lost += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (pair, lost, healthz)
}

/// A did:webvh log of `entries` entries hosted under `name`.
async fn hosted_log(base: &str, port: u16, name: &str, entries: usize) -> String {
    use mpc_identity::did::MediatorEndpoint;
    use mpc_identity::did::webvh::{self, Change, PartyDocument};
    use mpc_identity::keys::{PartyKeys, PublicKey};
    let document = || {
        let keys = PartyKeys::generate().expect("keys");
        PartyDocument {
            authentication: PublicKey::Ed25519(keys.verifying_key()),
            key_agreement: PublicKey::X25519(keys.agreement_public()),
            mediator: Some(MediatorEndpoint { uri: format!("{base}/didcomm"), routing_keys: vec![] }),
            linked_domains: Vec::new(),
        }
    };
    let address = format!("did:webvh:{{SCID}}:localhost%3A{port}:parties:{name}");
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    let update = ed25519_dalek::SigningKey::from_bytes(&seed);
    let start = chrono::Utc::now() - chrono::Duration::hours(2);
    let (did, mut log) =
        webvh::create(&address, &document(), &update, None, None, Some(start.fixed_offset())).expect("create");
    for n in 1..entries {
        let at = start + chrono::Duration::seconds(n as i64);
        log =
            webvh::append(&did, &log, &Change::Document(Box::new(document())), &update, None, Some(at.fixed_offset()))
                .expect("append");
    }
    let put = mpc_test_support::http().put(format!("{base}/parties/{name}/did.jsonl")).body(log.clone()).send().await;
    assert!(put.expect("publish").status().is_success(), "the hosted log was refused");
    log
}

fn percentile(samples: &[f64], q: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN)
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|entries| entries.count()).unwrap_or(0)
}

/// User and system CPU seconds a process has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at ") ".
    let fields: Vec<&str> = stat.rsplit_once(") ").map(|(_, rest)| rest.split(' ').collect()).unwrap_or_default();
    let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i).and_then(|v| v.parse::<f64>().ok())).sum();
    ticks / 100.0
}
