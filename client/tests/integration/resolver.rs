//! The resolver facade for the methods ssi implements: did:jwk (self-certifying) and did:web
//! against documents served by a real HTTP server on loopback.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mpc_client::resolver::Resolver;
use mpc_identity::Error;
use mpc_identity::keys::{PartyKeys, PublicKey};
use serde_json::json;

fn okp_jwk(keys: &PartyKeys) -> serde_json::Value {
    json!({ "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(keys.verifying_key().to_bytes()) })
}

#[tokio::test]
async fn did_jwk_resolves_to_its_key() {
    let keys = PartyKeys::generate().expect("keys");
    let did = format!("did:jwk:{}", URL_SAFE_NO_PAD.encode(okp_jwk(&keys).to_string()));
    let resolution = Resolver::new(None).resolve(&did).await.expect("resolves");
    let document = resolution.document.expect("a document");
    assert_eq!(document.id, did);
    let key = document.authentication_key(&format!("{did}#0")).expect("authentication key");
    assert_eq!(key.to_multikey(), PublicKey::Ed25519(keys.verifying_key()).to_multikey());

    let garbage = "did:jwk:bm90IGEgandr";
    assert!(Resolver::new(None).resolve(garbage).await.is_err());
}

fn served(document: String) -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/did+json")], document)
}

#[tokio::test]
async fn did_web_resolves_documents_served_on_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let host = format!("did:web:localhost%3A{port}");
    let keys = PartyKeys::generate().expect("keys");
    let multikey = PublicKey::Ed25519(keys.verifying_key()).to_multikey();
    let alice = format!("{host}:users:alice");
    let alice_document = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": alice,
        "verificationMethod": [{ "id": format!("{alice}#key-1"), "type": "Multikey", "controller": alice,
                                 "publicKeyMultibase": multikey }],
        "authentication": [format!("{alice}#key-1")],
    })
    .to_string();
    // A host serving a document that claims another DID.
    let liar_document = alice_document.replace(":users:alice", ":users:mallory");
    let routes = Router::new()
        .route("/users/alice/did.json", get(move || async move { served(alice_document.clone()) }))
        .route("/users/liar/did.json", get(move || async move { served(liar_document.clone()) }))
        .route("/users/broken/did.json", get(|| async { served("{ not json".to_owned()) }))
        .fallback(|| async { StatusCode::NOT_FOUND });
    tokio::spawn(async move { axum::serve(listener, routes).await });

    let resolver = Resolver::new(None);
    let resolution = resolver.resolve(&alice).await.expect("resolves");
    let document = resolution.document.expect("a document");
    assert_eq!(document.id, alice);
    let key = document.authentication_key(&format!("{alice}#key-1")).expect("key");
    assert_eq!(key.to_multikey(), multikey);

    let err = resolver.resolve(&format!("{host}:users:liar")).await.expect_err("liar");
    assert!(err.to_string().contains(":users:mallory"), "{err}");
    assert!(matches!(
        resolver.resolve(&format!("{host}:users:broken")).await,
        Err(mpc_client::Error::Identity(Error::ResolutionFailed { .. }))
    ));
    assert!(matches!(
        resolver.resolve(&format!("{host}:users:nobody")).await,
        Err(mpc_client::Error::Identity(Error::ResolutionFailed { .. }))
    ));
}
