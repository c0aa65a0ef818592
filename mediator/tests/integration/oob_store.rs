//! Short `_oobid` links: only verified invitations of served parties are stored, byte for byte,
//! and a client detects a host that serves anything else.

use crate::common;

use std::time::Duration;

use common::*;
use mpc_client::mediator as client;
use mpc_identity::invitation::{Invitation, SignedInvitation};
use mpc_identity::unix_now;

fn invitation(party: &Party, ttl: u64, created: u64) -> SignedInvitation {
    Invitation::new(&party.identity.record, None, Some("join"), Duration::from_secs(ttl), created)
        .sign(&party.identity.keys, &party.identity.record.signing_kid())
        .expect("sign")
}

async fn post_raw(mediator: &TestMediator, body: String) -> (u16, String) {
    let response =
        mpc_test_support::http().post(format!("{}/oob", mediator.base)).body(body).send().await.expect("post");
    (response.status().as_u16(), response.text().await.expect("text"))
}

async fn published_invitations_come_back_byte_for_byte(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    alice.enroll().await;
    let signed = invitation(&alice, 600, unix_now());
    let short = client::publish_invitation(&mediator.base, &signed).await.expect("publish");
    assert!(short.starts_with(&format!("{}/oob?_oobid=", mediator.base)), "{short}");
    assert!(short.len() < 100, "short enough for a small QR code: {short}");
    let fetched = client::fetch_invitation(&short).await.expect("fetch");
    assert_eq!(fetched.to_json(), signed.to_json());
    assert_eq!(fetched.verify(unix_now()).expect("verifies").from, alice.did());
    // Publishing again is harmless and names the same bytes.
    assert_eq!(client::publish_invitation(&mediator.base, &signed).await.expect("again"), short);
}

async fn the_store_takes_only_valid_invitations_of_its_parties(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let stranger = Party::new("stranger", &mediator).await;
    alice.enroll().await;

    let refused = client::publish_invitation(&mediator.base, &invitation(&stranger, 600, unix_now())).await;
    assert!(
        matches!(refused, Err(mpc_client::Error::Problem { ref code, .. }) if code == "e.p.req.not-authorized"),
        "{refused:?}"
    );

    let expired = invitation(&alice, 60, unix_now() - 3600);
    let (status, body) = post_raw(&mediator, expired.to_json()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("expired"), "{body}");

    let mut tampered: serde_json::Value =
        serde_json::from_str(&invitation(&alice, 600, unix_now()).to_json()).expect("json");
    tampered["signatures"][0]["signature"] = serde_json::json!("A".repeat(86));
    let (status, body) = post_raw(&mediator, tampered.to_string()).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = post_raw(&mediator, "x".repeat(70_000)).await;
    assert_eq!(status, 400);

    let missing = client::fetch_invitation(&format!("{}/oob?_oobid=AAAA", mediator.base)).await;
    assert!(
        matches!(missing, Err(mpc_client::Error::Transport { ref reason, .. }) if reason.contains("404")),
        "{missing:?}"
    );
}

on_both_backends!(published_invitations_come_back_byte_for_byte, the_store_takes_only_valid_invitations_of_its_parties);

/// A host that answers a short link with another (validly signed) invitation is caught.
#[tokio::test]
async fn a_host_that_swaps_the_invitation_is_caught() {
    let mediator = TestMediator::start(Backend::Sqlite).await;
    let alice = Party::new("alice", &mediator).await;
    alice.enroll().await;
    let genuine = invitation(&alice, 600, unix_now());
    let short = client::publish_invitation(&mediator.base, &genuine).await.expect("publish");
    let id = client::oobid_of(&short).expect("id");

    // The dishonest host serves a different invitation under the genuine id.
    let other = invitation(&alice, 900, unix_now()).to_json();
    let app = axum::Router::new().route("/oob", axum::routing::get(move || async move { other.clone() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let err = client::fetch_invitation(&format!("http://{address}/oob?_oobid={id}")).await.expect_err("swapped");
    assert!(err.to_string().contains("do not hash to its `_oobid`"), "{err}");
}
