//! The iroh relay embedded in the mediator: enrolled parties reach each other through it by
//! endpoint id alone; a party the mediator does not know is refused.

mod common;

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
    let mut tcp = tokio::net::TcpStream::connect(local).await.expect("connect");
    tcp.write_all(payload).await.expect("write");
    tcp.shutdown().await.expect("shutdown");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut answer)).await.expect("in time").expect("read");
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
            PeerEndpointConfig { relay: Some(relay.clone()), bind: None, allow, discovery: None, relay_only: true },
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
