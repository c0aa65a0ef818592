//! The mediator on the open internet, attacked as an anonymous client would: each test runs a
//! real `mpc-mediator` process, attacks it from several loopback source addresses (127.0.0.2 and
//! up) at full speed, and checks what a legitimate party (127.0.0.1) still gets.

use crate::common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use mpc_client::mediator::{self as client, MediatorClient};
use mpc_identity::envelope::encrypted;
use mpc_identity::invitation::{Invitation, SignedInvitation};
use mpc_identity::unix_now;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn source(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// An HTTP client whose connections come from `from`.
fn http_from(from: IpAddr) -> reqwest::Client {
    mpc_test_support::http_from(from, Duration::from_secs(10))
}

/// A mediator process with `extra` options, ready.
struct Spawned {
    base: String,
    port: u16,
    data: tempfile::TempDir,
    process: KillOnDrop,
}

impl Spawned {
    async fn start(database_url: Option<&str>, extra: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let process = spawn_mediator(port, data.path(), database_url, extra);
        wait_ready(&base).await;
        Spawned { base, port, data, process }
    }
}

/// A party of the mediator whose requests come from `from`.
async fn party_from(name: &str, base: &str, from: IpAddr) -> Party {
    let mut party = Party::at(name, base).await;
    party.http = http_from(from);
    party
}

/// Attackers at `sources`, `per_source` tasks each, forwarding junk to `victim` until stopped.
/// Counts what was stored and what was refused with `e.p.req.quota-exceeded`.
struct Flood {
    stop: Arc<AtomicBool>,
    stored: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Flood {
    async fn start(base: &str, victim: &str, sources: &[IpAddr], per_source: usize) -> Self {
        let (stop, stored, refused) = (Arc::default(), Arc::default(), Arc::default());
        let mut tasks = Vec::new();
        for &from in sources {
            let attacker = Arc::new(party_from("attacker", base, from).await);
            for _ in 0..per_source {
                let (stop, stored, refused): (Arc<AtomicBool>, Arc<AtomicUsize>, Arc<AtomicUsize>) =
                    (Arc::clone(&stop), Arc::clone(&stored), Arc::clone(&refused));
                let (attacker, victim, base) = (Arc::clone(&attacker), victim.to_owned(), base.to_owned());
                tasks.push(tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let sent = attacker.http.post(format!("{base}/didcomm")).body(junk_forward(&attacker, &victim));
                        let Ok(response) = sent.send().await else { continue };
                        let status = response.status().as_u16();
                        let text = response.text().await.unwrap_or_default();
                        if status == 202 {
                            stored.fetch_add(1, Ordering::Relaxed);
                        } else if text.contains("e.p.req.quota-exceeded") {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }));
            }
        }
        Flood { stop, stored, refused, tasks }
    }

    async fn stop(self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
        (self.stored.load(Ordering::Relaxed), self.refused.load(Ordering::Relaxed))
    }
}

/// Point 1: anonymous forwards at full speed from four addresses hold at most their share of a
/// party's queue; the party's real peer keeps getting through, and the party reads past the junk
/// (discarding it) to every real message, then purges what is left.
async fn anonymous_floods_never_lock_a_party_out(backend: Backend) {
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres_database().await),
    };
    let mediator =
        Spawned::start(database_url.as_deref(), &["--queue-cap", "400", "--queue-cap-per-source", "60"]).await;
    let bob = Party::at("bob", &mediator.base).await;
    bob.enroll().await;
    let alice = Party::at("alice", &mediator.base).await;

    let attackers: Vec<IpAddr> = (2..=5).map(source).collect();
    let flood = Flood::start(&mediator.base, bob.did(), &attackers, 2).await;
    // Let the junk reach its caps first: the worst case for the party.
    let deadline = Instant::now() + Duration::from_secs(20);
    while flood.refused.load(Ordering::Relaxed) < 40 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut sent = Vec::new();
    for n in 0..30 {
        let (message, inner) = alice.seal_for(&bob, json!({ "n": n }));
        let answer = alice.post(alice.forward(bob.did(), &inner)).await;
        assert_eq!(answer.status, 202, "a real peer's forward during the flood: {answer:?}");
        sent.push(message["id"].as_str().expect("id").to_owned());
    }
    let (stored, refused) = flood.stop().await;
    assert!(refused > 0, "the flood was never refused (stored {stored})");
    assert!(stored <= 4 * 60, "four sources stored {stored} junk messages, more than four shares of 60");

    // Bob reads everything: junk is discarded page by page, Alice's messages all arrive.
    let client = MediatorClient::connect(&mediator.base).await.expect("connect");
    let (mut received, mut discarded) = (Vec::new(), 0);
    loop {
        let page = client.pickup_page(&bob.identity, 100, None).await.expect("pickup");
        discarded += page.discarded;
        let ids: Vec<String> = page.received.iter().map(|r| r.id.clone()).collect();
        received.extend(page.received.into_iter().map(|r| r.message["id"].as_str().unwrap_or("").to_owned()));
        if !ids.is_empty() {
            client.acknowledge(&bob.identity, &ids).await.expect("ack");
        }
        if page.cursor.is_none() {
            break;
        }
    }
    assert_eq!(received, sent, "every real message, in order");
    assert_eq!(discarded, stored, "every junk message was discarded");

    // A fresh flood, then one request empties the queue.
    let flood = Flood::start(&mediator.base, bob.did(), &attackers[..1], 1).await;
    while flood.stored.load(Ordering::Relaxed) < 10 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (stored, _) = flood.stop().await;
    assert_eq!(client.purge(&bob.identity).await.expect("purge"), stored as u64);
    assert_eq!(client.status(&bob.identity).await.expect("status"), 0);
}

on_both_backends!(anonymous_floods_never_lock_a_party_out);

/// Point 8: a message older than the replay window by its `created_time` is refused, whether or
/// not its id was ever seen; so is one from well in the future.
#[tokio::test]
async fn messages_older_than_the_replay_window_are_refused() {
    let mediator = Spawned::start(None, &["--message-ttl", "1h", "--replay-window", "2h"]).await;
    let bob = Party::at("bob", &mediator.base).await;
    bob.enroll().await;
    let with_time = |created: u64| {
        let mut ping = bob.message(PING, json!({}));
        ping["created_time"] = json!(created);
        ping
    };
    let old = bob.send(&with_time(unix_now() - 3 * 3600)).await;
    assert_eq!(old.problem_code(), "e.p.msg.replay", "{old:?}");
    let future = bob.send(&with_time(unix_now() + 3600)).await;
    assert_eq!(future.problem_code(), "e.p.msg.malformed", "{future:?}");
    let fresh = bob.send(&with_time(unix_now() - 60)).await;
    assert_eq!(fresh.kind(), "https://didcomm.org/trust-ping/2.0/ping-response", "{fresh:?}");

    // An anonymous forward captured long ago: its digest record is gone, its time is not.
    let (_, inner) = bob.seal_for(&bob, json!({}));
    let inner: Value = serde_json::from_str(&inner).expect("json");
    let forward = json!({
        "id": uuid(), "type": FORWARD, "created_time": unix_now() - 3 * 3600, "body": { "next": bob.did() },
        "attachments": [{ "data": { "json": inner } }]
    });
    let replayed = bob.post(encrypted::anoncrypt(&forward, &bob.mediator_keys).expect("seal")).await;
    assert_eq!(replayed.problem_code(), "e.p.msg.replay", "{replayed:?}");
    assert_eq!(replayed.status, 409);
}

/// Point 6: behind a trusted proxy each client has its own rate limit; anyone else's
/// `X-Forwarded-For` is ignored.
#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_nobody_else_can() {
    let mediator = Spawned::start(None, &["--rate-limit-ip", "5", "--trusted-proxy", "127.0.0.9/32"]).await;
    let proxy = http_from(source(9));
    let ledger = |client: &reqwest::Client, forwarded: &str| {
        client.get(format!("{}/ledger", mediator.base)).header("x-forwarded-for", forwarded.to_owned()).send()
    };
    // Thirty clients behind the proxy, one request each: none is limited.
    for n in 0..30 {
        let response = ledger(&proxy, &format!("198.51.100.{n}")).await.expect("request");
        assert_eq!(response.status(), 200, "client {n} behind the proxy");
    }
    // One client behind it, many requests: that client is limited, the next one is not.
    let mut limited = 0;
    for _ in 0..20 {
        limited += usize::from(ledger(&proxy, "203.0.113.7").await.expect("request").status() == 429);
    }
    assert!(limited > 0, "one client behind the proxy was never limited");
    assert_eq!(ledger(&proxy, "203.0.113.8").await.expect("request").status(), 200);
    // A client that is not the proxy cannot pick a fresh address for each request.
    let direct = http_from(source(3));
    let mut limited = 0;
    for n in 0..20 {
        limited += usize::from(ledger(&direct, &format!("192.0.2.{n}")).await.expect("request").status() == 429);
    }
    assert!(limited > 0, "a forged X-Forwarded-For escaped the limit");
}

/// Reads until the server closes the connection; how long that took, or `None` after `limit`.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
            Err(_) => return None,
        }
    }
}

async fn connect_from(from: IpAddr, port: u16) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(std::net::SocketAddr::new(from, 0)).expect("bind");
    socket.connect(std::net::SocketAddr::from(([127, 0, 0, 1], port))).await.expect("connect")
}

/// Point 3: slowloris and idle connections are closed after the header timeout; one source holds
/// at most its cap of connections while others are still served; `/relay` is rate-limited and
/// drops a socket that never completes its handshake; the process raised its open-file limit.
#[tokio::test]
async fn connections_are_capped_and_slow_or_idle_ones_closed() {
    let mediator =
        Spawned::start(None, &["--header-timeout", "1s", "--max-connections-per-source", "8", "--rate-limit-ip", "20"])
            .await;
    // Slowloris: half a request line, then nothing.
    let mut slow = connect_from(source(2), mediator.port).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    let took = closed_within(&mut slow, Duration::from_secs(5)).await;
    assert!(took.is_some(), "a connection that never finished its headers stayed open");

    // Idle keep-alive: one request answered, then closed for silence.
    let mut idle = connect_from(source(2), mediator.port).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await.is_some(), "an idle connection stayed open");

    // One source fills its cap with silent connections; the next is closed at once, while
    // another address is still served.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from(source(3), mediator.port).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = connect_from(source(3), mediator.port).await;
    let refused = closed_within(&mut over, Duration::from_millis(900)).await;
    assert!(refused.is_some(), "a ninth connection from one source was held");
    let healthz = http_from(source(4)).get(format!("{}/healthz", mediator.base)).send().await.expect("healthz");
    assert_eq!(healthz.status(), 200);
    drop(held);

    // WebSockets count too, for as long as they are open (the upgrade outlives the HTTP
    // connection that carried it).
    let mut sockets = Vec::new();
    for _ in 0..8 {
        let tcp = connect_from(source(7), mediator.port).await;
        let url = format!("ws://127.0.0.1:{}/ws", mediator.port);
        sockets.push(tokio_tungstenite::client_async(url, tcp).await.expect("websocket").0);
    }
    let mut over = connect_from(source(7), mediator.port).await;
    assert!(
        closed_within(&mut over, Duration::from_millis(900)).await.is_some(),
        "a ninth connection was admitted beside eight open WebSockets"
    );
    drop(sockets);

    // The relay: behind the same rate limit, and a socket that never handshakes is dropped.
    let relay = http_from(source(5));
    let mut limited = 0;
    for _ in 0..60 {
        let response = relay.get(format!("{}/relay", mediator.base)).send().await.expect("relay");
        limited += usize::from(response.status() == 429);
    }
    assert!(limited > 0, "/relay is outside the rate limit");
    let mut upgrade = connect_from(source(6), mediator.port).await;
    upgrade
        .write_all(
            b"GET /relay HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
              Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
              Sec-WebSocket-Protocol: iroh-relay-v2\r\n\r\n",
        )
        .await
        .expect("write");
    assert!(
        closed_within(&mut upgrade, Duration::from_secs(5)).await.is_some(),
        "a relay socket that never handshakes stayed open"
    );

    let limits = std::fs::read_to_string(format!("/proc/{}/limits", mediator.process.id())).expect("limits");
    let files = limits.lines().find(|l| l.starts_with("Max open files")).expect("open files line");
    let numbers: Vec<&str> = files.split_whitespace().filter(|w| w.chars().all(|c| c.is_ascii_digit())).collect();
    assert_eq!(numbers.first(), numbers.get(1), "the soft open-file limit is raised to the hard one: {files}");
    let unit = include_str!("../../../docs/mpc-mediator.service");
    assert!(unit.lines().any(|l| l.starts_with("LimitNOFILE=")), "the systemd unit sets LimitNOFILE");
}

fn invitation(party: &Party, ttl: Duration, goal: &str) -> SignedInvitation {
    Invitation::new(&party.identity.record, None, Some(goal), ttl, unix_now())
        .sign(&party.identity.keys, &party.identity.record.signing_kid())
        .expect("sign")
}

/// Point 4: one invitation is one short link whatever its spacing; a party holds at most its
/// quota of links; a link dies at the maximum lifetime even if its invitation lives for years.
#[tokio::test]
async fn short_links_are_canonical_bounded_and_short_lived() {
    let mediator = TestMediator::start_with(Backend::Sqlite, |c| {
        c.oob_per_identity = 3;
        c.oob_max_lifetime = Duration::from_secs(2);
    })
    .await;
    let alice = Party::at("alice", &mediator.base).await;
    alice.enroll().await;
    let signed = invitation(&alice, Duration::from_secs(10 * 365 * 24 * 3600), "join");
    let compact = signed.to_json();
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(&compact).expect("json")).expect("pretty");
    let spaced = compact.replace(',', " ,\n ");
    let mut ids = Vec::new();
    for body in [compact.clone(), pretty, spaced] {
        let response =
            mpc_test_support::http().post(format!("{}/oob", mediator.base)).body(body).send().await.expect("post");
        assert_eq!(response.status(), 201);
        ids.push(response.json::<Value>().await.expect("json")["_oobid"].clone());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one invitation, one link: {ids:?}");
    let short = client::publish_invitation(&mediator.base, &signed).await.expect("the client's own check agrees");
    assert!(client::fetch_invitation(&short).await.is_ok());

    for goal in ["two", "three"] {
        client::publish_invitation(&mediator.base, &invitation(&alice, Duration::from_secs(600), goal))
            .await
            .expect("within the quota");
    }
    let over = client::publish_invitation(&mediator.base, &invitation(&alice, Duration::from_secs(600), "four")).await;
    assert!(over.as_ref().is_err_and(|e| e.to_string().contains("quota")), "{over:?}");

    mediator.advance_clock(Duration::from_secs(4));
    assert!(client::fetch_invitation(&short).await.is_err(), "a link outlived the maximum lifetime");
}

/// Point 5: enrollments are limited per source; recipients per party are capped; a closed
/// mediator enrolls only token holders, each token as often as it allows.
#[tokio::test]
async fn enrollment_is_bounded_and_a_closed_mediator_needs_a_token() {
    let mediator = Spawned::start(None, &["--enrollments-per-hour", "3", "--max-recipients", "2"]).await;
    for n in 0..3 {
        party_from(&format!("p{n}"), &mediator.base, source(2)).await.enroll().await;
    }
    let fourth = party_from("p3", &mediator.base, source(2)).await;
    let refused = fourth.ask(&format!("{CM3}mediate-request"), json!({})).await;
    assert_eq!(refused.problem_code(), "w.p.req.rate-limited", "{refused:?}");
    party_from("other", &mediator.base, source(3)).await.enroll().await;

    let bob = party_from("bob", &mediator.base, source(4)).await;
    bob.enroll().await;
    let add = |recipient: String| json!({ "updates": [{ "recipient_did": recipient, "action": "add" }] });
    let second = bob.ask(&format!("{CM3}recipient-update"), add(format!("{}#key-2", bob.did()))).await;
    assert_eq!(second.body()["updated"][0]["result"], "success", "{second:?}");
    let third = bob.ask(&format!("{CM3}recipient-update"), add(format!("{}#key-3", bob.did()))).await;
    assert_eq!(third.problem_code(), "e.p.req.quota-exceeded", "{third:?}");

    let closed = Spawned::start(None, &["--require-token"]).await;
    let stranger = Party::at("stranger", &closed.base).await;
    let refused = stranger.ask(&format!("{CM3}mediate-request"), json!({})).await;
    assert_eq!(refused.problem_code(), "e.p.req.not-authorized", "{refused:?}");
    assert!(refused.body()["comment"].as_str().unwrap_or("").contains("--token"), "{refused:?}");
    let mut config = mpc_mediator::MediatorConfig::local(closed.data.path());
    config.data_dir = Some(closed.data.path().to_owned());
    let token = mpc_mediator::tokens::create(&config, "carol", 1, Duration::from_secs(600)).await.expect("token");
    let carol = Party::at("carol", &closed.base).await;
    let client = MediatorClient::connect(&closed.base).await.expect("connect");
    client.enroll_with(&carol.identity, Some(&token.token)).await.expect("a token holder enrolls");
    let dave = Party::at("dave", &closed.base).await;
    let again = client.enroll_with(&dave.identity, Some(&token.token)).await;
    assert!(again.as_ref().is_err_and(|e| e.to_string().contains("used up")), "{again:?}");

    // Hosting a new did:webvh DID is its enrollment: it takes a token too, and the DID then
    // enrolls without another.
    let home = tempfile::tempdir().expect("home");
    let keystore = mpc_identity::keystore::Keystore::open(home.path()).expect("keystore");
    let resolver = mpc_client::resolver::Resolver::new(None);
    let ledger = url::Url::parse(&format!("http://localhost:{}/", closed.port)).expect("url");
    let address = mpc_identity::did::webvh::address_of(&ledger, &["parties", "erin"]).expect("address");
    let (erin, log) =
        keystore.create_webvh("erin", &address, Some(client.routing_endpoint()), None, "pw").expect("create");
    let refused = resolver.publish(&erin.record.did, &log).await;
    assert!(refused.as_ref().is_err_and(|e| e.to_string().contains("enrollment token")), "{refused:?}");
    let token = mpc_mediator::tokens::create(&config, "erin", 1, Duration::from_secs(600)).await.expect("token");
    resolver.publish_with_token(&erin.record.did, &log, Some(&token.token)).await.expect("hosted with a token");
    client.enroll(&erin).await.expect("a DID hosted here enrolls without another token");
}

/// Point 5: an enrollment nobody uses expires with its queue and recipients.
#[tokio::test]
async fn idle_enrollments_expire_with_their_queues() {
    let mediator = TestMediator::start_with(Backend::Sqlite, |c| c.enrollment_idle = Duration::from_secs(1)).await;
    let (idle, active) = (Party::new("idle", &mediator).await, Party::new("active", &mediator).await);
    idle.enroll().await;
    active.enroll().await;
    let (_, inner) = active.seal_for(&idle, json!({}));
    assert_eq!(active.post(active.forward(idle.did(), &inner)).await.status, 202);
    mediator.advance_clock(Duration::from_secs(2));
    // Activity is written at most hourly; a fresh grant counts as activity.
    let grant = active.ask(&format!("{CM3}mediate-request"), json!({})).await;
    assert_eq!(grant.kind(), format!("{CM3}mediate-grant"));
    let (_, idle_enrollments) = mediator.running.as_ref().expect("running").sweep_now().await.expect("sweep");
    assert_eq!(idle_enrollments, 1);
    let status = idle.ask(&format!("{PICKUP}status-request"), json!({})).await;
    assert_eq!(status.problem_code(), "e.p.req.not-authorized", "the idle party's queue is gone: {status:?}");
    let (_, inner) = active.seal_for(&idle, json!({}));
    assert_eq!(active.post(active.forward(idle.did(), &inner)).await.status, 404, "its recipients are gone");
    let status = active.ask(&format!("{PICKUP}status-request"), json!({})).await;
    assert_eq!(status.kind(), format!("{PICKUP}status"), "the active party stays: {status:?}");
}

/// Point 2: a client address creates a bounded number of names, a log a bounded number of
/// entries, and a sender's hosted log is verified once, not for every envelope it sends.
#[tokio::test]
async fn hosting_did_logs_is_bounded() {
    use mpc_identity::did::webvh;
    use mpc_identity::keystore::{Keystore, LedgerUpdate};

    let mediator = Spawned::start(None, &["--ledger-names-per-day", "2", "--ledger-max-entries", "2"]).await;
    let ledger = url::Url::parse(&format!("http://localhost:{}/", mediator.port)).expect("url");
    let home = tempfile::tempdir().expect("home");
    let keystore = Keystore::open(home.path()).expect("keystore");
    let client = MediatorClient::connect(&mediator.base).await.expect("connect");
    let put = |from: u8, name: &str, log: String| {
        http_from(source(from)).put(format!("{}/parties/{name}/did.jsonl", mediator.base)).body(log).send()
    };
    let mut created = Vec::new();
    for (from, name) in [(2, "a"), (2, "b"), (2, "c"), (3, "d")] {
        let address = webvh::address_of(&ledger, &["parties", name]).expect("address");
        let (identity, log) =
            keystore.create_webvh(name, &address, Some(client.routing_endpoint()), None, "pw").expect("create");
        let status = put(from, name, log.clone()).await.expect("put").status().as_u16();
        created.push((name, status, identity, log));
    }
    let statuses: Vec<u16> = created.iter().map(|(_, status, ..)| *status).collect();
    assert_eq!(statuses, [201, 201, 429, 201], "two names a day from 127.0.0.2; another address is not held back");

    let (_, _, vera, _) = created.pop().expect("d");
    let (_, log) = keystore.advance_webvh(&vera, &LedgerUpdate::default(), "pw").expect("second entry");
    assert_eq!(put(3, "d", log).await.expect("put").status(), 201, "two entries are within the cap");
    let vera = keystore.unlock("d", "pw").expect("unlock");
    let (_, log) = keystore.advance_webvh(&vera, &LedgerUpdate::default(), "pw").expect("third entry");
    let refused = put(3, "d", log.clone()).await.expect("put");
    assert_eq!(refused.status(), 429);
    assert!(refused.text().await.expect("text").contains("at most 2"), "the refusal names the cap");
    let padded = format!("{log}{}", "\n".repeat(1024 * 1024));
    let refused = put(3, "d", padded).await.expect("put");
    assert_eq!(refused.status(), 429);
    assert!(refused.text().await.expect("text").contains("bytes"), "the refusal names the byte cap");

    // Twenty envelopes from a hosted party: its log is verified once.
    client.enroll(&vera).await.expect("enroll");
    for _ in 0..20 {
        client.ping(&vera).await.expect("ping");
    }
    let metrics = mpc_test_support::get_text(&format!("{}/metrics", mediator.base)).await;
    let verified: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("mpc_mediator_sender_log_verifications_total "))
        .and_then(|n| n.parse().ok())
        .expect("the verification counter");
    assert_eq!(verified, 1, "a sender's log is verified when it grows, not per envelope");
}

/// The endpoints added for the lobby and the ledger (invitation pages, program bundles, witness
/// uploads) flooded anonymously from four addresses at full speed: each address is held to its
/// rate, nothing is stored, and meanwhile a party shares its program, fetches it, and opens its
/// invitation's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flooding_pages_bundles_and_witness_uploads_locks_no_party_out() {
    use mpc_identity::bundle::SharedBundle;
    // A rate well below what one attacking address reaches even on a slow machine, so that the
    // flood is over it however fast this machine is; the party's 13 requests fit in its burst.
    const RATE: usize = 40;
    let mediator = Spawned::start(None, &["--rate-limit-ip", &RATE.to_string()]).await;
    let flood_started = Instant::now();
    let host = Party::at("host", &mediator.base).await;
    host.enroll().await;

    let stop = Arc::new(AtomicBool::new(false));
    let (answered, limited) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut attackers = Vec::new();
    for n in 2..=5 {
        for worker in 0..4u32 {
            let (http, base) = (http_from(source(n)), mediator.base.clone());
            let (stop, answered, limited) = (Arc::clone(&stop), Arc::clone(&answered), Arc::clone(&limited));
            attackers.push(tokio::spawn(async move {
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let junk = format!("{:064x}", u64::from(i) << 8 | u64::from(worker));
                    let request = match i % 3 {
                        0 => http.get(format!("{base}/bundles/{junk}")),
                        1 => http.put(format!("{base}/parties/host/did-witness.json")).body("[]".repeat(64)),
                        _ => http.get(format!("{base}/oob?_oobid={junk}")).header("accept", "text/html"),
                    };
                    match request.send().await {
                        Ok(response) if response.status() == 429 => limited.fetch_add(1, Ordering::Relaxed),
                        Ok(_) => answered.fetch_add(1, Ordering::Relaxed),
                        Err(_) => 0,
                    };
                }
            }));
        }
    }
    // The flood is on (every address already held to its rate) before the party acts.
    let deadline = Instant::now() + Duration::from_secs(20);
    while limited.load(Ordering::Relaxed) < 100 {
        assert!(Instant::now() < deadline, "the flood did not reach the rate limit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The party, meanwhile: shares a program, fetches it back, and its invitation page opens.
    let client = MediatorClient::connect(&mediator.base).await.expect("connect");
    let bundle = SharedBundle::new(vec![("__main__.py".into(), b"print('hi')\n".to_vec())]);
    let digest = bundle.check().expect("bundle").digest;
    let started = Instant::now();
    let url = client.share_bundle(&host.identity, &bundle, unix_now() + 600).await.expect("shared during the flood");
    for _ in 0..10 {
        client::fetch_bundle(&url, &digest).await.expect("fetched during the flood");
    }
    let invitation = Invitation::new(&host.identity.record, None, Some("join"), Duration::from_secs(600), unix_now())
        .sign(&host.identity.keys, &host.identity.record.signing_kid())
        .expect("sign");
    let link = client::publish_invitation(&mediator.base, &invitation).await.expect("published during the flood");
    let page = mpc_test_support::http().get(&link).header("accept", "text/html").send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("text").contains("Signature not checked here"));
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        let _ = attacker.await;
    }
    let flood_lasted = flood_started.elapsed();
    assert!(took < Duration::from_secs(10), "the party's 13 requests took {took:?} under the flood");
    let (answered, limited) = (answered.load(Ordering::Relaxed), limited.load(Ordering::Relaxed));
    assert!(limited > 0, "no address was held to its rate: {answered} answered in {flood_lasted:?}");
    // Each of the 4 addresses gets its burst and then its rate, never more.
    let allowed = 4 * (RATE + (RATE as f64 * flood_lasted.as_secs_f64()).ceil() as usize);
    assert!(answered <= allowed, "{answered} answered in {flood_lasted:?}, over the 4 addresses' {allowed}");
    // Nothing the flood sent was stored: no bundle, no witness file for a name never hosted.
    let stray = mpc_test_support::http().get(format!("{}/parties/host/did-witness.json", mediator.base)).send().await;
    assert_eq!(stray.expect("get").status(), 404);
    eprintln!("flood: {answered} answered, {limited} rate-limited; the party's requests took {took:?}");
}
