//! A live inbox against a real mediator on loopback: what was queued before live mode is asked
//! for (Message Pickup 3.0 leaves it to `delivery-request`), what arrives after is pushed, and
//! every message is handed out exactly once.

use std::collections::HashMap;
use std::time::Duration;

use mpc_client::MediatorClient;
use mpc_client::mediator::{self, send};
use mpc_identity::keystore::{DidMethod, Keystore};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_inbox_takes_the_backlog_then_new_arrivals_each_once() {
    let data = tempfile::tempdir().expect("data");
    let running = mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path())).await.expect("mediator");
    let base = format!("http://{}", running.address);
    let home = tempfile::tempdir().expect("home");
    let keystore = Keystore::open(home.path()).expect("keystore");
    let mediator = MediatorClient::connect(&base).await.expect("connect");
    let bob = keystore.create("bob", DidMethod::Peer, Some(mediator.routing_endpoint()), "pw").expect("bob");
    mediator.enroll(&bob).await.expect("bob enrolls");
    let alice = keystore.create("alice", DidMethod::Key, None, "pw").expect("alice");
    let message = |n: usize| {
        mediator::new_message("https://didcomm.org/basicmessage/2.0/message", &alice.record.did, json!({ "n": n }))
    };

    // More than one batch waits before bob goes live.
    const BACKLOG: usize = 130;
    for n in 0..BACKLOG {
        send(&alice, &bob.record.did, &message(n)).await.expect("queued");
    }
    let mut live = mediator.live(&bob).await.expect("live");
    let mut seen: HashMap<u64, usize> = HashMap::new();
    while seen.len() < BACKLOG {
        let received = tokio::time::timeout(Duration::from_secs(10), live.next(&bob))
            .await
            .unwrap_or_else(|_| panic!("the backlog stopped after {} of {BACKLOG}", seen.len()))
            .expect("next");
        for m in &received {
            *seen.entry(m.message["body"]["n"].as_u64().expect("n")).or_default() += 1;
        }
        let ids: Vec<String> = received.iter().map(|m| m.id.clone()).collect();
        live.acknowledge(&bob, &ids).await.expect("ack");
    }
    assert!(seen.values().all(|&count| count == 1), "handed out twice: {seen:?}");

    // Then what arrives is pushed.
    send(&alice, &bob.record.did, &message(BACKLOG)).await.expect("sent while live");
    let received =
        tokio::time::timeout(Duration::from_secs(10), live.next(&bob)).await.expect("pushed in time").expect("next");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].message["body"]["n"], BACKLOG);
    live.acknowledge(&bob, &[received[0].id.clone()]).await.expect("ack");
    let quiet = tokio::time::timeout(Duration::from_millis(500), live.next(&bob)).await;
    assert!(quiet.is_err(), "a message was handed out twice");
    // An acknowledgement over the socket has no reply (Message Pickup 3.0): the mediator deletes
    // what it names when it has read it, which a busy machine may take a moment to do.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !mediator.pickup(&bob, 10).await.expect("pickup").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "acknowledged messages were still queued after 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.stop().await.expect("stop");
}

/// A party over its own rate limit (others' junk can keep it that busy) waits and is served,
/// instead of failing: ten requests in a row against a limit of two a second all succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_over_its_rate_limit_waits_and_is_served() {
    let data = tempfile::tempdir().expect("data");
    let mut config = mpc_mediator::MediatorConfig::local(data.path());
    config.rate_limit_did = 2;
    let running = mpc_mediator::start(config).await.expect("mediator");
    let base = format!("http://{}", running.address);
    let home = tempfile::tempdir().expect("home");
    let keystore = Keystore::open(home.path()).expect("keystore");
    let mediator = MediatorClient::connect(&base).await.expect("connect");
    let bob = keystore.create("bob", DidMethod::Peer, Some(mediator.routing_endpoint()), "pw").expect("bob");
    mediator.enroll(&bob).await.expect("bob enrolls");
    for n in 0..10 {
        mediator.status(&bob).await.unwrap_or_else(|e| panic!("request {n}: {e}"));
    }
}
