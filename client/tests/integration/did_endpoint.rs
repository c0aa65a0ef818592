//! "DID as an endpoint" (DIDComm v2.1): a party whose DIDComm service names its mediator by DID,
//! not by URL, is reached through that mediator, against a real one on loopback.

use mpc_client::MediatorClient;
use mpc_client::mediator::{self, send};
use mpc_identity::did::MediatorEndpoint;
use mpc_identity::keystore::{DidMethod, Keystore};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_whose_service_is_its_mediators_did_is_reached() {
    let data = tempfile::tempdir().expect("data");
    let running = mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path())).await.expect("mediator");
    let base = format!("http://{}", running.address);
    let home = tempfile::tempdir().expect("home");
    let keystore = Keystore::open(home.path()).expect("keystore");

    // Bob's service names the mediator by its did:peer:2, with no routing keys.
    let by_did = MediatorEndpoint { uri: running.did().to_owned(), routing_keys: Vec::new() };
    let bob = keystore.create("bob", DidMethod::Peer, Some(by_did), "pw").expect("bob");
    let mediator = MediatorClient::connect(&base).await.expect("connect");
    mediator.enroll(&bob).await.expect("bob enrolls");

    let alice = keystore.create("alice", DidMethod::Key, None, "pw").expect("alice");
    let message = mediator::new_message(
        "https://didcomm.org/basicmessage/2.0/message",
        &alice.record.did,
        json!({"content": "hi"}),
    );
    send(&alice, &bob.record.did, &message).await.expect("sent through the mediator named by DID");

    let received = mediator.pickup(&bob, 10).await.expect("pickup");
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].message["body"]["content"], "hi");
    assert_eq!(received[0].message["from"], alice.record.did.as_str());

    // A DID whose own service names another DID is refused, saying which.
    let carol_service = MediatorEndpoint { uri: bob.record.did.clone(), routing_keys: Vec::new() };
    let carol = keystore.create("carol", DidMethod::Peer, Some(carol_service), "pw").expect("carol");
    let error = send(&alice, &carol.record.did, &message).await.expect_err("two DID hops").to_string();
    assert!(error.contains("names another DID"), "{error}");
    running.stop().await.expect("stop");
}
