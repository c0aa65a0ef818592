//! The iroh relay embedded in the mediator: enrolled parties reach each other through it by
//! endpoint id alone; a party the mediator does not know is refused.

use crate::common;

use std::time::Duration;

use common::*;
use mpc_connect::tunnel::{Forwarder, Server, TunnelOptions};
use mpc_connect::{Allowlist, EndpointAddr, PeerEndpoint, PeerEndpointConfig, RelayUrl, endpoint_id_of};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn endpoint_of(party: &Party, peer: &Party, relay: &RelayUrl) -> PeerEndpoint {
    let allow = Allowlist::new([endpoint_id_of(&peer.identity.keys.verifying_key())]);
    let config = PeerEndpointConfig {
        relay: Some(relay.clone()),
        bind: Some("127.0.0.1:0".parse().expect("addr")),
        allow,
        discovery: None,
        relay_only: false,
        locate: None,
        verifier: None,
    };
    PeerEndpoint::bind(party.identity.keys.signing_key(), config).await.expect("bind")
}

/// A target (behind Bob) that answers each connection with the SHA-256 of what it got.
async fn hashing_target() -> std::net::SocketAddr {
    let target = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = target.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = target.accept().await {
            let mut data = Vec::new();
            let _ = tcp.read_to_end(&mut data).await;
            let _ = tcp.write_all(&Sha256::digest(&data)).await;
        }
    });
    addr
}

/// Sends `payload` through the forwarder at `local`; returns the answer (within 20 s).
async fn hash_through(local: std::net::SocketAddr, payload: &[u8]) -> Vec<u8> {
    hash_through_within(local, payload, Duration::from_secs(20)).await
}

async fn hash_through_within(local: std::net::SocketAddr, payload: &[u8], patience: Duration) -> Vec<u8> {
    let mut tcp = tokio::net::TcpStream::connect(local).await.expect("connect");
    tcp.write_all(payload).await.expect("write");
    tcp.shutdown().await.expect("shutdown");
    let mut answer = Vec::new();
    tokio::time::timeout(patience, tcp.read_to_end(&mut answer)).await.expect("in time").expect("read");
    answer
}

async fn wait_for_relay(endpoint: &PeerEndpoint, what: impl Fn(&mpc_connect::RelayReport) -> bool) -> bool {
    for _ in 0..100 {
        if endpoint.relay_report().iter().any(&what) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolled_parties_connect_through_the_relay_and_strangers_are_refused() {
    let mediator = TestMediator::start(Backend::Sqlite).await;
    let relay: RelayUrl = mediator.base.parse().expect("relay url");
    let (alice, bob, mallory) = (
        Party::new("alice", &mediator).await,
        Party::new("bob", &mediator).await,
        Party::new("mallory", &mediator).await,
    );
    alice.enroll().await;
    bob.enroll().await;

    let alice_endpoint = endpoint_of(&alice, &bob, &relay).await;
    let bob_endpoint = endpoint_of(&bob, &alice, &relay).await;
    assert!(wait_for_relay(&bob_endpoint, |r| r.connected).await, "{:?}", bob_endpoint.relay_report());

    // A target behind Bob that answers with the hash of what it got.
    let options = TunnelOptions { connect_timeout: Duration::from_secs(10), retry_every: Duration::from_millis(100) };
    let _server = Server::start(bob_endpoint.clone(), hashing_target().await, options);
    // Alice knows Bob only by his key and his mediator: no address of his at all.
    let bob_by_id = EndpointAddr::new(bob_endpoint.id()).with_relay_url(relay.clone());
    let forwarder = Forwarder::start(alice_endpoint, bob_by_id, "127.0.0.1:0".parse().expect("addr"), options)
        .await
        .expect("forwarder");
    let payload = vec![7u8; 1 << 20];
    let answer = hash_through(forwarder.local_addr(), &payload).await;
    assert_eq!(answer, Sha256::digest(&payload).to_vec());

    // Mallory never enrolled: the relay refuses her, with a reason her endpoint can show.
    let mallory_endpoint = endpoint_of(&mallory, &bob, &relay).await;
    assert!(
        wait_for_relay(&mallory_endpoint, |r| r.refused.as_deref().is_some_and(|why| why.contains("enroll"))).await,
        "{:?}",
        mallory_endpoint.relay_report()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parties_that_cannot_send_directly_stay_relayed_and_work() {
    let mediator = TestMediator::start(Backend::Sqlite).await;
    let relay: RelayUrl = mediator.base.parse().expect("relay url");
    let (alice, bob) = (Party::new("alice", &mediator).await, Party::new("bob", &mediator).await);
    alice.enroll().await;
    bob.enroll().await;
    let relay_only = |party: &Party, peer: &Party| {
        let allow = Allowlist::new([endpoint_id_of(&peer.identity.keys.verifying_key())]);
        (
            party.identity.keys.signing_key().clone(),
            PeerEndpointConfig {
                relay: Some(relay.clone()),
                bind: None,
                allow,
                discovery: None,
                relay_only: true,
                locate: None,
                verifier: None,
            },
        )
    };
    let (key, config) = relay_only(&alice, &bob);
    let alice_endpoint = PeerEndpoint::bind(&key, config).await.expect("alice");
    let (key, config) = relay_only(&bob, &alice);
    let bob_endpoint = PeerEndpoint::bind(&key, config).await.expect("bob");

    let options = TunnelOptions { connect_timeout: Duration::from_secs(10), retry_every: Duration::from_millis(100) };
    let _server = Server::start(bob_endpoint.clone(), hashing_target().await, options);
    let bob_by_id = EndpointAddr::new(bob_endpoint.id()).with_relay_url(relay.clone());
    let forwarder = Forwarder::start(alice_endpoint, bob_by_id, "127.0.0.1:0".parse().expect("addr"), options)
        .await
        .expect("forwarder");
    for round in 0..3 {
        let payload = vec![round as u8; 256 * 1024];
        let answer = hash_through(forwarder.local_addr(), &payload).await;
        assert_eq!(answer, Sha256::digest(&payload).to_vec());
        let path = forwarder.path().await.expect("connected");
        assert!(!path.direct, "round {round}: the data must go through the relay: {path:?}");
    }
}

/// Two parties bound to the relay only, Alice allowed to reach Bob; returns their endpoints.
async fn relay_only_pair(alice: &Party, bob: &Party, relay: &RelayUrl) -> (PeerEndpoint, PeerEndpoint) {
    let bind = |party: &Party, peer: &Party| {
        let allow = Allowlist::new([endpoint_id_of(&peer.identity.keys.verifying_key())]);
        let config = PeerEndpointConfig {
            relay: Some(relay.clone()),
            bind: None,
            allow,
            discovery: None,
            relay_only: true,
            locate: None,
            verifier: None,
        };
        (party.identity.keys.signing_key().clone(), config)
    };
    let (key, config) = bind(alice, bob);
    let alice_endpoint = PeerEndpoint::bind(&key, config).await.expect("bind");
    let (key, config) = bind(bob, alice);
    let bob_endpoint = PeerEndpoint::bind(&key, config).await.expect("bind");
    (alice_endpoint, bob_endpoint)
}

/// A party's relay budget holds whatever it sends, and another pair's traffic is not held up by
/// it: Alice pushes 10 MB at 2 MB/s (at least 4 s past the first second's burst) while Carol's
/// 1 MB to Dave passes within its own budget and arrives first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_party_sends_through_the_relay_within_its_own_budget() {
    let mediator = TestMediator::start_with(Backend::Sqlite, |c| c.relay_bytes_per_second = 2_000_000).await;
    let relay: RelayUrl = mediator.base.parse().expect("relay url");
    let mut parties = Vec::new();
    for name in ["alice", "bob", "carol", "dave"] {
        let party = Party::new(name, &mediator).await;
        party.enroll().await;
        parties.push(party);
    }
    let options = TunnelOptions { connect_timeout: Duration::from_secs(10), retry_every: Duration::from_millis(100) };
    let mut forwarders = Vec::new();
    let mut servers = Vec::new();
    for pair in parties.chunks(2) {
        let (from, to) = relay_only_pair(&pair[0], &pair[1], &relay).await;
        servers.push(Server::start(to.clone(), hashing_target().await, options));
        let address = EndpointAddr::new(to.id()).with_relay_url(relay.clone());
        let forwarder =
            Forwarder::start(from, address, "127.0.0.1:0".parse().expect("addr"), options).await.expect("forwarder");
        // Connected (a small exchange) before anything is timed.
        assert_eq!(hash_through(forwarder.local_addr(), b"hello").await, Sha256::digest(b"hello").to_vec());
        forwarders.push(forwarder);
    }

    let started = std::time::Instant::now();
    let (alice_local, carol_local) = (forwarders[0].local_addr(), forwarders[1].local_addr());
    let alice = tokio::spawn(async move {
        let payload = vec![1u8; 10_000_000];
        let answer = hash_through_within(alice_local, &payload, Duration::from_secs(60)).await;
        assert_eq!(answer, Sha256::digest(&payload).to_vec(), "Alice's 10 MB arrive whole");
        started.elapsed()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let payload = vec![2u8; 1_000_000];
    let answer = hash_through(carol_local, &payload).await;
    assert_eq!(answer, Sha256::digest(&payload).to_vec());
    let carol = started.elapsed();
    let alice = alice.await.expect("alice's transfer");
    eprintln!("Alice's 10 MB took {alice:?}; Carol's 1 MB was through after {carol:?}");
    assert!(alice >= Duration::from_secs(3), "10 MB at 2 MB/s (burst 2 MB) cannot pass in {alice:?}");
    assert!(carol < alice, "Carol's 1 MB waited for Alice's budget: {carol:?} vs {alice:?}");
    drop(servers);
}

async fn relay_info(url: &str) -> serde_json::Value {
    let response = mpc_test_support::http().get(url).send().await.expect("relay-info");
    response.json().await.expect("json")
}

/// A load balancer in front of two instances: relay upgrades (`GET /relay`) go to each in turn,
/// starting with `a`; every other request to `a`.
async fn balancer(a: std::net::SocketAddr, b: std::net::SocketAddr) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut relays = 0usize;
        while let Ok((mut client, _)) = listener.accept().await {
            let mut head = vec![0u8; 8192];
            let Ok(read) = client.read(&mut head).await else { continue };
            head.truncate(read);
            let is_relay = head.starts_with(b"GET /relay ") || head.starts_with(b"GET /relay?");
            let backend = if is_relay {
                relays += 1;
                if relays % 2 == 1 { a } else { b }
            } else {
                a
            };
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(backend).await else { return };
                if server.write_all(&head).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    address
}

/// Two instances on one PostgreSQL database behind one public URL, each with a relay URL of its
/// own: Bob's relay connection lands on A, Alice's on B, and Alice reaches Bob all the same
/// (Bob's mediator tells her where his connection is, and she dials him there); once Bob's
/// endpoint closes, nothing says he is on A any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_on_one_instance_is_reached_through_another() {
    if mpc_test_support::postgres_url("a_party_on_one_instance_is_reached_through_another").is_none() {
        return;
    }
    let database = fresh_postgres_database().await;
    let (port_a, port_b) = (mpc_test_support::free_port(), mpc_test_support::free_port());
    let (addr_a, addr_b): (std::net::SocketAddr, std::net::SocketAddr) =
        (format!("127.0.0.1:{port_a}").parse().expect("addr"), format!("127.0.0.1:{port_b}").parse().expect("addr"));
    let public = balancer(addr_a, addr_b).await;
    let public_url = url::Url::parse(&format!("http://{public}/")).expect("url");
    let own_url = |addr: std::net::SocketAddr| url::Url::parse(&format!("http://{addr}/")).expect("url");
    let a = TestMediator::start_on(Some(database.clone()), |c| {
        c.listen = addr_a;
        c.public_url = Some(public_url.clone());
        c.relay_url = Some(own_url(addr_a));
    })
    .await;
    let shared_data = a.dir.path().join("data");
    let _b = TestMediator::start_on(Some(database), |c| {
        c.listen = addr_b;
        c.public_url = Some(public_url.clone());
        c.relay_url = Some(own_url(addr_b));
        c.data_dir = Some(shared_data.clone());
    })
    .await;
    let (alice, bob) = (Party::new("alice", &a).await, Party::new("bob", &a).await);
    alice.enroll().await;
    bob.enroll().await;
    let relay: RelayUrl = public_url.as_str().parse().expect("relay url");

    // Bob's relay connection is the balancer's first: instance A.
    let bind = |party: &Party, peer: &Party, locate: Option<mpc_connect::Locate>| {
        let allow = Allowlist::new([endpoint_id_of(&peer.identity.keys.verifying_key())]);
        let config = PeerEndpointConfig {
            relay: Some(relay.clone()),
            bind: None,
            allow,
            discovery: None,
            relay_only: true,
            locate,
            verifier: None,
        };
        (party.identity.keys.signing_key().clone(), config)
    };
    let (key, config) = bind(&bob, &alice, None);
    let bob_endpoint = PeerEndpoint::bind(&key, config).await.expect("bob");
    assert!(wait_for_relay(&bob_endpoint, |r| r.connected).await, "{:?}", bob_endpoint.relay_report());
    let bob_key = bob_endpoint.id().to_string();
    let info = format!("http://{public}/relay-info?endpoint={bob_key}");
    let home = relay_info(&info).await;
    assert_eq!(home["relayUrl"], own_url(addr_a).as_str(), "Bob's connection is recorded on A: {home}");

    // Alice's is the second: instance B, which has no connection of Bob's.
    let mediator = public_url.to_string();
    let locate = mpc_connect::Locate::new(move |id| {
        let mediator = mediator.clone();
        Box::pin(async move {
            let key: String = id.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
            mpc_client::relay::relay_home(&mediator, &key).await.ok().flatten().and_then(|url| url.parse().ok())
        })
    });
    let (key, config) = bind(&alice, &bob, Some(locate));
    let alice_endpoint = PeerEndpoint::bind(&key, config).await.expect("alice");
    assert!(wait_for_relay(&alice_endpoint, |r| r.connected).await, "{:?}", alice_endpoint.relay_report());

    let options = TunnelOptions { connect_timeout: Duration::from_secs(10), retry_every: Duration::from_millis(100) };
    let _server = Server::start(bob_endpoint.clone(), hashing_target().await, options);
    let bob_by_did = EndpointAddr::new(bob_endpoint.id()).with_relay_url(relay.clone());
    let forwarder = Forwarder::start(alice_endpoint, bob_by_did, "127.0.0.1:0".parse().expect("addr"), options)
        .await
        .expect("forwarder");
    let payload = vec![9u8; 256 * 1024];
    let answer = hash_through(forwarder.local_addr(), &payload).await;
    assert_eq!(answer, Sha256::digest(&payload).to_vec(), "Alice on B reaches Bob on A");

    // Bob gone: his record is cleared, so no one is sent to a connection that is not there.
    bob_endpoint.close().await;
    let mut cleared = false;
    for _ in 0..50 {
        let now = relay_info(&info).await;
        if now["relayUrl"].is_null() {
            cleared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(cleared, "Bob's relay record outlived his connection");
    // A malformed key is refused, saying what is expected.
    let bad = mpc_test_support::http()
        .get(format!("http://{public}/relay-info?endpoint=xyz"))
        .send()
        .await
        .expect("relay-info");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.expect("text").contains("64 hex digits"));
}
