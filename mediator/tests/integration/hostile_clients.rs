//! Hostile clients, round 2: each test runs a real `mpc-mediator` process (its defaults, except
//! where a test shortens a deadline to keep its own run short), attacks it at full speed from
//! several loopback source addresses (127.0.0.2 and up), and checks what a legitimate client
//! still gets. What each test proves is named in docs/SECURITY.md.

use crate::common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use mpc_identity::did;
use mpc_identity::envelope::encrypted;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn source(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

fn http_from(from: IpAddr) -> reqwest::Client {
    mpc_test_support::http_from(from, Duration::from_secs(10))
}

/// A mediator process with `extra` options, ready.
struct Spawned {
    base: String,
    port: u16,
    data: tempfile::TempDir,
    _process: KillOnDrop,
}

impl Spawned {
    async fn start(extra: &[&str]) -> Self {
        Self::start_on(None, extra).await
    }

    async fn start_on(database_url: Option<&str>, extra: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let process = spawn_mediator(port, data.path(), database_url, extra);
        wait_ready(&base).await;
        Spawned { base, port, data, _process: process }
    }

    async fn metric(&self, name: &str) -> u64 {
        let text = mpc_test_support::http()
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no metric {name}"))
    }
}

async fn connect_from(from: IpAddr, port: u16) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::new(from, 0))?;
    socket.connect(std::net::SocketAddr::from(([127, 0, 0, 1], port))).await
}

/// Lets this test process hold a few thousand sockets.
fn raise_own_fd_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    let _ = setrlimit(Resource::Nofile, limit);
}

/// Point 3: a request body trickled a byte a second is cut off (408) once the body timeout is
/// spent; and while 70 addresses hold every connection they may with such bodies, `/healthz`
/// from another address answers every time (the last quarter of the slots is kept for sources
/// that hold almost none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_are_cut_off_and_cannot_hold_every_connection() {
    raise_own_fd_limit();
    let mediator =
        Spawned::start(&["--body-timeout", "2s", "--max-connections", "1024", "--max-connections-per-source", "16"])
            .await;

    // One slow body alone: answered 408 and closed after about the body timeout.
    let mut slow = connect_from(source(2), mediator.port).await.expect("connect");
    slow.write_all(b"POST /didcomm HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{").await.expect("write");
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut trickle = tokio::time::interval(Duration::from_millis(500));
    let closed = loop {
        let mut buffer = [0u8; 4096];
        tokio::select! {
            read = slow.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break true,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            },
            _ = trickle.tick() => {
                if slow.write_all(b" ").await.is_err() || started.elapsed() > Duration::from_secs(8) {
                    break false;
                }
            }
        }
    };
    let answer = String::from_utf8_lossy(&answer);
    assert!(closed && answer.starts_with("HTTP/1.1 408"), "a trickled body was not cut off: {answer:?}");
    assert!(started.elapsed() < Duration::from_secs(6), "cut off only after {:?}", started.elapsed());
    assert!(answer.contains("e.p.req.timeout"), "the refusal names why: {answer}");

    // 70 addresses, 16 slow bodies each: more than the 1,024 slots.
    let stop = Arc::new(AtomicBool::new(false));
    let held = Arc::new(AtomicUsize::new(0));
    let mut attackers = Vec::new();
    for n in 10..80u8 {
        for _ in 0..16 {
            let (stop, held, port) = (Arc::clone(&stop), Arc::clone(&held), mediator.port);
            attackers.push(tokio::spawn(async move {
                // Each connection, when cut off, is opened again at once: the attack keeps up.
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut tcp) = connect_from(source(n), port).await else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    let head = b"POST /didcomm HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
                    if tcp.write_all(head).await.is_err() {
                        continue;
                    }
                    held.fetch_add(1, Ordering::Relaxed);
                    while !stop.load(Ordering::Relaxed) && tcp.write_all(b" ").await.is_ok() {
                        tokio::time::sleep(Duration::from_millis(1000)).await;
                    }
                    held.fetch_sub(1, Ordering::Relaxed);
                }
            }));
        }
    }
    // Wait until the attack holds what it can, then ask for /healthz from a fresh address,
    // again and again while the attack goes on.
    let deadline = Instant::now() + Duration::from_secs(20);
    while held.load(Ordering::Relaxed) < 700 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let attacking = held.load(Ordering::Relaxed);
    assert!(attacking >= 700, "the attack held only {attacking} connections");
    let health = http_from(source(200));
    let (mut answered, mut asked) = (0, 0);
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        asked += 1;
        let fresh = reqwest::Client::builder()
            .local_address(source(201))
            .timeout(Duration::from_secs(2))
            .build()
            .expect("client");
        for client in [&health, &fresh] {
            if client
                .get(format!("{}/healthz", mediator.base))
                .send()
                .await
                .is_ok_and(|response| response.status() == 200)
            {
                answered += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        attacker.abort();
    }
    assert_eq!(answered, 2 * asked, "/healthz went unanswered during a slow-body attack from 70 addresses");
    assert!(mediator.metric("mpc_mediator_bodies_too_slow_total").await >= 1);
}

/// Point 5: clients behind a trusted proxy count per IPv6 /64 and per IPv4 address, whatever
/// port or brackets the proxy writes; a hop that is no address counts against the proxy, and the
/// metric says so.
#[tokio::test]
async fn ipv6_clients_count_per_network_and_proxy_hops_are_read_as_proxies_write_them() {
    let mediator = Spawned::start(&["--trusted-proxy", "127.0.0.1/32", "--rate-limit-ip", "10"]).await;
    let proxy = mpc_test_support::http();
    let ask = |xff: String| {
        let request = proxy.get(format!("{}/ledger", mediator.base)).header("x-forwarded-for", xff);
        async move { request.send().await.expect("request").status().as_u16() }
    };
    // 60 addresses of one /64, one request each: one client, limited.
    let mut limited = 0;
    for n in 0..60 {
        limited += usize::from(ask(format!("[2001:db8:1:2::{n:x}]:4711")).await == 429);
    }
    assert!(limited >= 40, "a /64 was not limited as one client: {limited} of 60 refused");
    // Another /64 is another client.
    assert_eq!(ask("2001:db8:1:3::1".to_owned()).await, 200);
    // IPv4 per address, with a port: two addresses are two clients.
    for _ in 0..30 {
        ask("198.51.100.7:4711".to_owned()).await;
    }
    assert_eq!(ask("198.51.100.7:4711".to_owned()).await, 429);
    assert_eq!(ask("198.51.100.8:4711".to_owned()).await, 200, "another address shared a bucket");
    // A hop that is no address: counted against the proxy, and counted.
    ask("unknown".to_owned()).await;
    assert!(mediator.metric("mpc_mediator_forwarded_for_malformed_total").await >= 1);
}

/// Point 6: a party holds at most --live-sockets-per-did live WebSockets; the next is refused
/// with a quota problem, and the ones it holds keep working.
#[tokio::test]
async fn live_sockets_per_did_are_capped() {
    let mediator = Spawned::start(&["--live-sockets-per-did", "2", "--rate-limit-did", "0"]).await;
    let bob = Party::at("bob", &mediator.base).await;
    bob.enroll().await;
    let client = mpc_client::mediator::MediatorClient::connect(&mediator.base).await.expect("connect");
    let mut sockets = Vec::new();
    for _ in 0..2 {
        let mut live = client.live(&bob.identity).await.expect("live");
        // The backlog answer (nothing queued) arrives without error: the socket is live.
        let quiet = tokio::time::timeout(Duration::from_millis(500), live.next(&bob.identity)).await;
        assert!(quiet.is_err(), "a live socket within the cap was refused: {quiet:?}");
        sockets.push(live);
    }
    let mut third = client.live(&bob.identity).await.expect("connects");
    let refused = tokio::time::timeout(Duration::from_secs(5), third.next(&bob.identity)).await.expect("an answer");
    let error = refused.expect_err("a third live socket").to_string();
    assert!(error.contains("live-sockets-per-did") || error.contains("quota"), "{error}");
}

/// A did:webvh log of `entries` entries under `name` at `mediator`, not yet published: its DID
/// and the log.
fn long_log(mediator: &Spawned, name: &str, entries: usize) -> (String, String) {
    use mpc_identity::did::MediatorEndpoint;
    use mpc_identity::did::webvh::{self, Change, PartyDocument};
    use mpc_identity::keys::{PartyKeys, PublicKey};
    let document = || {
        let keys = PartyKeys::generate().expect("keys");
        PartyDocument {
            authentication: PublicKey::Ed25519(keys.verifying_key()),
            key_agreement: PublicKey::X25519(keys.agreement_public()),
            mediator: Some(MediatorEndpoint { uri: format!("{}/didcomm", mediator.base), routing_keys: vec![] }),
            linked_domains: Vec::new(),
        }
    };
    let address = format!("did:webvh:{{SCID}}:localhost%3A{}:parties:{name}", mediator.port);
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    let update = ed25519_dalek::SigningKey::from_bytes(&seed);
    let start = chrono::Utc::now() - chrono::Duration::hours(2);
    let (did, mut log) =
        webvh::create(&address, &document(), &update, None, None, Some(start.fixed_offset())).expect("create");
    for n in 1..entries {
        let at = start + chrono::Duration::seconds(n as i64);
        let change = Change::Document(Box::new(document()));
        log = webvh::append(&did, &log, &change, &update, None, Some(at.fixed_offset())).expect("append");
    }
    (did, log)
}

/// Points 4 and 7: a log sent again as hosted and witness uploads that add nothing are answered
/// without verifying anything, however fast they come from 16 addresses; an upload that must be
/// verified is paid from its address's CPU budget and refused (429) once that is spent, while
/// other addresses and a legitimate pair are served. A log is accepted as `application/jsonl`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_uploads_that_change_nothing_cost_no_verification_and_the_rest_is_budgeted() {
    let mediator = Spawned::start(&["--rate-limit-ip", "0", "--ledger-cpu-ms-per-second", "20"]).await;
    let (_, log) = long_log(&mediator, "long", 60);
    let log_url = format!("{}/parties/long/did.jsonl", mediator.base);
    let witness_url = format!("{}/parties/long/did-witness.json", mediator.base);
    let published = mpc_test_support::http()
        .put(&log_url)
        .header("content-type", "application/jsonl")
        .body(log.clone())
        .send()
        .await
        .expect("publish");
    assert_eq!(published.status(), 201, "a log as application/jsonl: {}", published.text().await.unwrap_or_default());

    let bob = Party::at("bob", &mediator.base).await;
    bob.enroll().await;
    let alice = Party::at("alice", &mediator.base).await;
    let verified_before = mediator.metric("mpc_mediator_ledger_verifications_total").await;

    // 16 addresses, full speed, for 3 s: witness files with nothing new, the log sent again.
    // The attackers have a runtime of their own: the pair's requests must not queue behind them
    // in this process, which would measure the test instead of the mediator.
    let attackers = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut flood = Vec::new();
    for n in 2..18u8 {
        let (stop, answered, log, log_url, witness_url) =
            (Arc::clone(&stop), Arc::clone(&answered), log.clone(), log_url.clone(), witness_url.clone());
        flood.push(attackers.spawn(async move {
            let http = http_from(source(n));
            while !stop.load(Ordering::Relaxed) {
                let request = if n % 2 == 0 {
                    http.put(&witness_url).body("[]")
                } else {
                    http.put(&log_url).header("content-type", "text/jsonl").body(log.clone())
                };
                if request.send().await.is_ok_and(|r| r.status().is_success()) {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Meanwhile a legitimate pair exchanges messages.
    let mut delivered = 0;
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        let (_, inner) = alice.seal_for(&bob, json!({ "n": delivered }));
        assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
        let delivery = bob.ask(&format!("{PICKUP}delivery-request"), json!({ "limit": 10 })).await;
        let ids: Vec<Value> =
            delivery.message.as_ref().and_then(|m| m["attachments"].as_array().cloned()).unwrap_or_default();
        delivered += ids.len();
        let ids: Vec<Value> = ids.iter().map(|a| a["id"].clone()).collect();
        bob.ask(&format!("{PICKUP}messages-received"), json!({ "message_id_list": ids })).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in flood {
        let _ = task.await;
    }
    attackers.shutdown_background();
    assert!(answered.load(Ordering::Relaxed) >= 16, "the flood was not served");
    assert!(delivered >= 5, "the legitimate pair got {delivered} messages through");
    assert_eq!(
        mediator.metric("mpc_mediator_ledger_verifications_total").await,
        verified_before,
        "uploads that change nothing were verified"
    );

    // Extensions that must be verified (and fail), each another forgery: paid for, then refused
    // before verifying.
    let last = log.lines().last().expect("an entry").to_owned();
    let forged = |n: usize| format!("{log}{}\n", last.replace("\"60-", &format!("\"{}-", 61 + n)));
    let attacker = http_from(source(30));
    let mut codes = Vec::new();
    for n in 0..40 {
        let response =
            attacker.put(&log_url).header("content-type", "text/jsonl").body(forged(n)).send().await.expect("put");
        codes.push(response.status().as_u16());
    }
    let verified = mediator.metric("mpc_mediator_ledger_verifications_total").await - verified_before;
    assert!(codes.contains(&429), "the CPU budget never refused: {codes:?}");
    assert!(verified < 40, "every forged upload was verified ({verified})");
    // The same forgery again, from anywhere: refused for its hash, not verified again.
    let again = http_from(source(32)).put(&log_url).header("content-type", "text/jsonl").body(forged(0)).send().await;
    let again = again.expect("put");
    assert_eq!(again.status(), 400);
    assert!(again.text().await.expect("text").contains("refused before"));
    assert_eq!(mediator.metric("mpc_mediator_ledger_verifications_total").await - verified_before, verified);
    // Another address is not affected.
    let other = http_from(source(31)).put(&log_url).header("content-type", "text/jsonl").body(forged(99)).send().await;
    assert_ne!(other.expect("put").status(), 429, "another address paid for the first one's uploads");
}

/// Point 6: what anyone may read is paid for in bytes per address: a small request for a large
/// log, repeated, is refused once the egress budget is spent; another address still reads it.
#[tokio::test]
async fn reading_large_logs_over_and_over_is_bounded_per_address() {
    let mediator = Spawned::start(&["--rate-limit-ip", "0", "--egress-bytes-per-second", "50000"]).await;
    let (_, log) = long_log(&mediator, "big", 40);
    let url = format!("{}/parties/big/did.jsonl", mediator.base);
    let put = mpc_test_support::http().put(&url).header("content-type", "text/jsonl").body(log.clone()).send();
    assert_eq!(put.await.expect("publish").status(), 201);
    let reader = http_from(source(2));
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(reader.get(&url).send().await.expect("get").status().as_u16());
    }
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert!(statuses.contains(&429), "{} bytes read 30 times were never refused", log.len());
    assert!(served * log.len() <= 500_000 + 2 * log.len(), "{served} reads of {} bytes went out", log.len());
    let other = http_from(source(3)).get(&url).send().await.expect("get");
    assert_eq!(other.status(), 200);
    assert_eq!(other.text().await.expect("log"), log);
}

/// Point 2: junk forwarded at full speed from 16 addresses neither ends nor starves a party's
/// live inbox: `mpc-id inbox --watch` (the real CLI, against the mediator's default limits) stays
/// up, and what a real peer sends meanwhile is shown within 2 s (p99).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_from_16_addresses_neither_ends_nor_starves_a_watching_inbox() {
    use std::collections::HashMap;
    use std::process::Stdio;
    let mediator = Spawned::start(&[]).await;
    let home = tempfile::tempdir().expect("home");
    let mpc_id = || mpc_test_support::mpc_id(mpc_test_support::binary("mpc-id"), home.path());
    let created = mpc_id().args(["new", "-n", "bob", "--json", "--mediator", &mediator.base]).output().expect("new");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let bob: Value = serde_json::from_slice(&created.stdout).expect("json");
    let bob = bob["did"].as_str().expect("did").to_owned();
    let mut watch = mpc_id()
        .args(["inbox", "-n", "bob", "--watch", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watch");
    let shown: Arc<std::sync::Mutex<HashMap<u64, Instant>>> = Arc::default();
    let stdout = watch.stdout.take().expect("stdout");
    let reader = {
        let shown = Arc::clone(&shown);
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
                let Ok(value) = serde_json::from_str::<Value>(&line) else { continue };
                if let Some(n) = value["message"]["body"]["n"].as_u64() {
                    shown.lock().expect("lock").insert(n, Instant::now());
                }
            }
        })
    };
    // What it says on stderr, read as it comes: once it says it is watching, the flood starts.
    let said: Arc<std::sync::Mutex<String>> = Arc::default();
    let stderr = watch.stderr.take().expect("stderr");
    {
        let said = Arc::clone(&said);
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
                said.lock().expect("lock").push_str(&(line + "\n"));
            }
        });
    }
    let watch = KillOnDrop(watch);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !said.lock().expect("lock").contains("watching the inbox") {
        assert!(Instant::now() < deadline, "the inbox never said it was watching: {}", said.lock().expect("lock"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let junk = Arc::new(AtomicUsize::new(0));
    let mut flood = Vec::new();
    for n in 2..18u8 {
        let mut attacker = Party::at("attacker", &mediator.base).await;
        attacker.http = http_from(source(n));
        let attacker = Arc::new(attacker);
        for _ in 0..2 {
            let (stop, junk, attacker, bob, base) =
                (Arc::clone(&stop), Arc::clone(&junk), Arc::clone(&attacker), bob.clone(), mediator.base.clone());
            flood.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let sent = attacker.http.post(format!("{base}/didcomm")).body(junk_forward(&attacker, &bob));
                    if sent.send().await.is_ok_and(|r| r.status() == 202) {
                        junk.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
    }
    // The junk is flowing (stored by the hundred) before Alice sends.
    let deadline = Instant::now() + Duration::from_secs(20);
    while junk.load(Ordering::Relaxed) < 200 {
        assert!(Instant::now() < deadline, "the flood did not get going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Alice, a real peer, sends 30 messages while the junk flows.
    let alice = Party::at("alice", &mediator.base).await;
    let keys = encrypted::recipient_keys(&did::resolve(&bob).expect("bob's DID")).expect("keys");
    let mut sent = HashMap::new();
    for n in 0..30u64 {
        let message = json!({
            "id": uuid(), "type": "https://didcomm.org/basicmessage/2.0/message",
            "from": alice.did(), "to": [bob.clone()], "body": { "content": format!("real {n}"), "n": n }
        });
        let inner = encrypted::authcrypt(&message, &alice.identity.keys, &alice.kids[0], &keys).expect("seal");
        let answer = alice.post(alice.forward(&bob, &inner)).await;
        assert_eq!(answer.status, 202, "a real peer's forward during the flood: {answer:?}");
        sent.insert(n, Instant::now());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while shown.lock().expect("lock").len() < sent.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in flood {
        let _ = task.await;
    }
    let junk = junk.load(Ordering::Relaxed);
    let mut watch = watch;
    let still_running = watch.0.try_wait().expect("wait").is_none();
    drop(watch);
    let _ = reader.join();
    assert!(still_running, "the watching inbox ended during the flood: {}", said.lock().expect("lock"));
    assert!(junk > 1000, "the flood stored only {junk} junk messages");
    let shown = shown.lock().expect("lock");
    let mut delays: Vec<Duration> = sent
        .iter()
        .map(|(n, at)| shown.get(n).map_or(Duration::MAX, |seen| seen.saturating_duration_since(*at)))
        .collect();
    delays.sort();
    let p99 = delays[(delays.len() * 99).div_ceil(100) - 1];
    assert!(p99 <= Duration::from_secs(2), "p99 {p99:?} of a real peer's messages under {junk} junk: {delays:?}");
}

/// Point 6: on a closed mediator, attempts without a valid token do not use up an address's
/// enrollment allowance: a token holder behind the same address still enrolls.
#[tokio::test]
async fn strangers_without_a_token_cannot_lock_a_token_holder_out() {
    let mediator = Spawned::start(&["--require-token", "--enrollments-per-hour", "3"]).await;
    for n in 0..10 {
        let stranger = Party::at(&format!("stranger{n}"), &mediator.base).await;
        let mut stranger = stranger;
        stranger.http = http_from(source(2));
        let refused = stranger.ask(&format!("{CM3}mediate-request"), json!({ "token": "mpcid_guess" })).await;
        assert_eq!(refused.problem_code(), "e.p.req.not-authorized", "{refused:?}");
    }
    let mut config = mpc_mediator::MediatorConfig::local(mediator.data.path());
    config.data_dir = Some(mediator.data.path().to_owned());
    let token = mpc_mediator::tokens::create(&config, "carol", 1, Duration::from_secs(600)).await.expect("token");
    let mut carol = Party::at("carol", &mediator.base).await;
    carol.http = http_from(source(2));
    let granted = carol.ask(&format!("{CM3}mediate-request"), json!({ "token": token.token })).await;
    assert_eq!(granted.kind(), format!("{CM3}mediate-grant"), "the token holder was locked out: {granted:?}");
}

/// Point 6: one address's share of a party's queue is bounded in bytes as well as messages:
/// large junk from one address is refused once it fills its bytes, on SQLite and PostgreSQL,
/// while another address's forwards are still stored and the owner reads them all.
async fn a_sources_share_of_a_queue_is_bounded_in_bytes(backend: Backend) {
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres_database().await),
    };
    let mediator = Spawned::start_on(database_url.as_deref(), &["--queue-bytes-per-source", "200000"]).await;
    let bob = Party::at("bob", &mediator.base).await;
    bob.enroll().await;
    let mut attacker = Party::at("attacker", &mediator.base).await;
    attacker.http = http_from(source(2));
    let padding = "A".repeat(30_000);
    let (mut stored, mut refused) = (0, 0);
    for _ in 0..20 {
        let junk = json!({ "protected": uuid(), "iv": "AAAA", "ciphertext": padding, "tag": "AAAA", "recipients": [] });
        let forward = json!({
            "id": uuid(), "type": FORWARD, "body": { "next": bob.did() },
            "attachments": [{ "data": { "json": junk } }]
        });
        let answer = attacker.post(encrypted::anoncrypt(&forward, &attacker.mediator_keys).expect("seal")).await;
        match answer.status {
            202 => stored += 1,
            _ if answer.problem_code() == "e.p.req.quota-exceeded" => refused += 1,
            other => panic!("unexpected answer {other}: {answer:?}"),
        }
    }
    assert!(stored <= 7 && refused >= 13, "30 KB messages from one address: {stored} stored, {refused} refused");
    // Another address is not affected; the owner gets its messages.
    let mut alice = Party::at("alice", &mediator.base).await;
    alice.http = http_from(source(3));
    let (_, inner) = alice.seal_for(&bob, json!({ "real": true }));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    let delivery = bob.ask(&format!("{PICKUP}delivery-request"), json!({ "limit": 100 })).await;
    let count = delivery.message.as_ref().and_then(|m| m["attachments"].as_array().map(Vec::len)).unwrap_or(0);
    assert_eq!(count, stored + 1);
    // Once picked up, the bytes are free again.
    let ids: Vec<Value> =
        delivery.message.as_ref().and_then(|m| m["attachments"].as_array().cloned()).unwrap_or_default();
    let ids: Vec<Value> = ids.iter().map(|a| a["id"].clone()).collect();
    bob.ask(&format!("{PICKUP}messages-received"), json!({ "message_id_list": ids })).await;
    let junk = json!({ "protected": uuid(), "iv": "AAAA", "ciphertext": padding, "tag": "AAAA", "recipients": [] });
    let forward = json!({ "id": uuid(), "type": FORWARD, "body": { "next": bob.did() },
        "attachments": [{ "data": { "json": junk } }] });
    assert_eq!(attacker.post(encrypted::anoncrypt(&forward, &attacker.mediator_keys).expect("seal")).await.status, 202);
}

/// Point 6: the daily quota of new ledger names holds under concurrency: 30 new names published
/// at once from one address against a limit of 10 create exactly 10, on SQLite and PostgreSQL.
async fn the_ledger_name_quota_holds_against_concurrent_requests(backend: Backend) {
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres_database().await),
    };
    let mediator =
        Spawned::start_on(database_url.as_deref(), &["--ledger-names-per-day", "10", "--rate-limit-ip", "0"]).await;
    let http = http_from(source(2));
    let requests = (0..30).map(|n| {
        let name = format!("concurrent{n}");
        let (_, log) = long_log(&mediator, &name, 1);
        let request = http
            .put(format!("{}/parties/{name}/did.jsonl", mediator.base))
            .header("content-type", "text/jsonl")
            .body(log);
        async move { request.send().await.expect("put").status().as_u16() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    let created = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(created, 10, "new names from one address against a limit of 10: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 429), "{statuses:?}");
}

on_both_backends!(
    a_sources_share_of_a_queue_is_bounded_in_bytes,
    the_ledger_name_quota_holds_against_concurrent_requests
);

/// Point 3: a WebSocket is pinged; one that stops answering (here, an authenticated party's
/// socket that is never read again) is closed after three silent intervals, while a socket whose
/// client keeps reading (and so answers the pings) stays open.
#[tokio::test]
async fn websockets_that_stop_answering_pings_are_closed() {
    use futures_util::StreamExt;
    let mediator = Spawned::start(&["--ws-ping-interval", "300ms", "--rate-limit-did", "0"]).await;
    let bob = Party::at("bob", &mediator.base).await;
    bob.enroll().await;
    let mut silent = common::ws::connect(&mediator.base).await;
    let mut reading = common::ws::connect(&mediator.base).await;
    for socket in [&mut silent, &mut reading] {
        common::ws::send(socket, &bob, PING, json!({ "response_requested": true })).await;
        common::ws::next(socket, &bob).await;
    }
    // The reading client polls its socket (answering pings) for 2 s; the silent one does not.
    let until = Instant::now() + Duration::from_secs(2);
    let mut pings = 0;
    while Instant::now() < until {
        match tokio::time::timeout(Duration::from_millis(100), reading.next()).await {
            Err(_) => {}
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Ping(_)))) => pings += 1,
            Ok(other) => panic!("a socket that answers pings ended: {other:?}"),
        }
    }
    assert!(pings >= 3, "the mediator sent {pings} pings in 2 s at a 300 ms interval");
    // By now the silent socket has been closed: reading it finds the close (after the pings
    // queued before it), within moments.
    let closed = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match silent.next().await {
                None | Some(Err(_)) | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "a socket that never answered pings stayed open");
}

/// Point 3: a client that stops reading does not hold its connection: live deliveries pile up
/// on a WebSocket whose client never reads, the write stalls, and after --write-timeout the
/// mediator closes the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_after_the_write_timeout() {
    let mediator = Spawned::start(&["--write-timeout", "1s", "--rate-limit-did", "0", "--rate-limit-ip", "0"]).await;
    let bob = Party::at("bob", &mediator.base).await;
    bob.enroll().await;
    let alice = Party::at("alice", &mediator.base).await;
    // A small receive window, so the mediator's writes stall soon.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let tcp = socket.connect(std::net::SocketAddr::from(([127, 0, 0, 1], mediator.port))).await.expect("connect");
    let url = format!("ws://127.0.0.1:{}/ws", mediator.port);
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let (mut live, _) = tokio_tungstenite::client_async(url, tcp).await.expect("websocket");
    common::ws::send(&mut live, &bob, &format!("{PICKUP}live-delivery-change"), json!({ "live_delivery": true })).await;
    common::ws::next(&mut live, &bob).await;
    // 6 MB of messages pushed at a client that reads nothing from now on.
    let padding = "A".repeat(100_000);
    for n in 0..60 {
        let (_, inner) = alice.seal_for(&bob, json!({ "n": n, "padding": padding }));
        assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    }
    // Without reading, until the mediator gives up on the stalled write and closes the session
    // (its gauge of open WebSocket sessions falls back to 0), which must be soon after the
    // 1 s write timeout.
    let stalled_at = Instant::now();
    while mediator.metric("mpc_mediator_websockets").await != 0 {
        assert!(stalled_at.elapsed() < Duration::from_secs(10), "the stalled session was held past its write timeout");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Read what reached the socket before the mediator gave up: the stream then ends.
    let mut tcp = live.into_inner();
    let mut buffer = vec![0u8; 1 << 20];
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match tcp.read(&mut buffer).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "a connection whose client stopped reading was held past the write timeout");
}

/// TLS handshakes trickled from 70 addresses, 16 connections each (more than the 1,024 slots),
/// each reopened the moment it is closed: every one is cut at the header deadline, and a party
/// opening a fresh HTTPS connection from another address is served every time meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_tls_handshakes_from_many_addresses_cannot_hold_every_connection() {
    use mpc_test_support::pki::PrivateCa;
    raise_own_fd_limit();
    let ca = PrivateCa::new("mpc-id test CA");
    let data = tempfile::tempdir().expect("tempdir");
    let (cert, key) = ca.issue(&["localhost"], data.path(), "server");
    let port = free_port();
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let extra = ["--tls-cert", &cert, "--tls-key", &key, "--header-timeout", "2s"];
    let limits = ["--max-connections", "1024", "--max-connections-per-source", "16"];
    let _process = spawn_mediator(port, &data.path().join("data"), None, &[&extra[..], &limits[..]].concat());
    let party = |from: IpAddr| {
        reqwest::Client::builder()
            .tls_backend_preconfigured(ca.client_config(&[b"http/1.1"]))
            .resolve("localhost", ([127, 0, 0, 1], port).into())
            .local_address(from)
            .timeout(Duration::from_secs(2))
            .pool_max_idle_per_host(0)
            .build()
            .expect("client")
    };
    let base = format!("https://localhost:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !party(source(200)).get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
        assert!(Instant::now() < deadline, "the mediator did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let (held, overstayed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut attackers = Vec::new();
    for n in 10..80u8 {
        for _ in 0..16 {
            let (stop, held, overstayed) = (Arc::clone(&stop), Arc::clone(&held), Arc::clone(&overstayed));
            attackers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut tcp) = connect_from(source(n), port).await else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    // A TLS record header announcing a ClientHello of 512 bytes, then a byte a second.
                    if tcp.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).await.is_err() {
                        continue;
                    }
                    held.fetch_add(1, Ordering::Relaxed);
                    let opened = Instant::now();
                    while !stop.load(Ordering::Relaxed) && tcp.write_all(&[0]).await.is_ok() {
                        // Twice the 2 s deadline, and still open: the deadline did not hold.
                        if opened.elapsed() > Duration::from_secs(4) {
                            overstayed.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(1000)).await;
                    }
                    held.fetch_sub(1, Ordering::Relaxed);
                }
            }));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while held.load(Ordering::Relaxed) < 700 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let attacking = held.load(Ordering::Relaxed);
    assert!(attacking >= 700, "the attack held only {attacking} connections");
    let (mut answered, mut asked) = (0, 0);
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        asked += 1;
        // A new client each time: a new TCP connection and a full TLS handshake.
        if party(source(201)).get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            answered += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        attacker.abort();
    }
    assert_eq!(answered, asked, "HTTPS went unanswered during a slow-handshake attack from 70 addresses");
    let overstayed = overstayed.load(Ordering::Relaxed);
    assert_eq!(overstayed, 0, "{overstayed} unfinished handshakes outlived the 2 s header deadline by 2 s");
    let metrics = party(source(202)).get(format!("{base}/metrics")).send().await.expect("metrics");
    let metrics = metrics.text().await.expect("text");
    let failed: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("mpc_mediator_tls_handshakes_failed_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the failed-handshake counter");
    assert!(failed >= 70, "handshakes cut at the deadline are counted: {failed}");
}
