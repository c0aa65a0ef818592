//! A mediator is trusted by its self-certifying DID, not by its URL: a server that serves a DID
//! document other than what its DID resolves to (a key swapped in) is refused before anything
//! is sent to it.

use mpc_client::mediator::MediatorClient;
use mpc_identity::did;
use mpc_identity::keys::{PartyKeys, PublicKey};

/// Serves `document` as `/.well-known/did-peer.json` on loopback; returns the base URL.
async fn serve(document: serde_json::Value) -> String {
    let app = axum::Router::new()
        .route("/.well-known/did-peer.json", axum::routing::get(move || async move { document.to_string() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn mediator_did(keys: &PartyKeys) -> String {
    let endpoint = did::MediatorEndpoint::from_url("http://127.0.0.1:1/didcomm").expect("url");
    did::peer2::for_party(
        PublicKey::Ed25519(keys.verifying_key()),
        PublicKey::X25519(keys.agreement_public()),
        Some(&endpoint),
    )
    .expect("did")
}

#[tokio::test]
async fn a_server_that_swaps_the_mediators_keys_is_refused() {
    let genuine = PartyKeys::generate().expect("keys");
    let did = mediator_did(&genuine);
    let document = serde_json::to_value(did::resolve(&did).expect("resolves")).expect("json");

    // The genuine document is accepted.
    MediatorClient::connect(&serve(document.clone()).await).await.expect("the DID's own document");

    // The same id, with the attacker's key-agreement key in place of the mediator's.
    let attacker = PartyKeys::generate().expect("keys");
    let swapped = document.to_string().replace(
        &PublicKey::X25519(genuine.agreement_public()).to_multikey(),
        &PublicKey::X25519(attacker.agreement_public()).to_multikey(),
    );
    assert_ne!(swapped, document.to_string(), "a key was swapped");
    let served = serve(serde_json::from_str(&swapped).expect("json")).await;
    let err = MediatorClient::connect(&served).await.expect_err("swapped keys").to_string();
    assert!(err.contains("is not what") && err.contains("resolves to"), "{err}");
}
