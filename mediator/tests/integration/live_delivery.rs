//! Live delivery over a real WebSocket: stored first, pushed at once, deleted only on receipt;
//! what was queued before live mode is left to `delivery-request` (Message Pickup 3.0).

use crate::common;

use std::time::Duration;

use common::ws::{Socket, next, send};
use common::*;
use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

async fn connect(mediator: &TestMediator) -> Socket {
    ws::connect(&mediator.base).await
}

async fn messages_are_pushed_live_and_deleted_only_when_acknowledged(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;

    // One message waits before bob goes live. Message Pickup 3.0: queued messages are not
    // affected by live mode; they are still asked for with delivery-request.
    let (early, inner) = alice.seal_for(&bob, json!({"n": 1}));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);

    let mut socket = connect(&mediator).await;
    send(&mut socket, &bob, &format!("{PICKUP}live-delivery-change"), json!({"live_delivery": true})).await;
    let status = next(&mut socket, &bob).await;
    assert_eq!(status["type"], format!("{PICKUP}status"));
    assert_eq!((&status["body"]["message_count"], &status["body"]["live_delivery"]), (&json!(1), &json!(true)));
    let pushed = tokio::time::timeout(Duration::from_millis(500), socket.next()).await;
    assert!(pushed.is_err(), "a message queued before live mode was pushed");
    send(&mut socket, &bob, &format!("{PICKUP}delivery-request"), json!({"limit": 10})).await;
    let delivery = next(&mut socket, &bob).await;
    assert_eq!(delivery["type"], format!("{PICKUP}delivery"));
    let mut ids = Vec::new();
    let mut seen = Vec::new();
    for attachment in delivery["attachments"].as_array().expect("attachments") {
        ids.push(attachment["id"].clone());
        seen.push(bob.open_attachment(attachment).0);
    }
    assert_eq!(seen, vec![early]);

    // A forward while live arrives at once.
    let (live, inner) = alice.seal_for(&bob, json!({"n": 2}));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    let delivery = next(&mut socket, &bob).await;
    assert_eq!(delivery["type"], format!("{PICKUP}delivery"));
    let attachment = &delivery["attachments"][0];
    assert_eq!(bob.open_attachment(attachment).0, live);
    ids.push(attachment["id"].clone());

    // Pushed is not acknowledged: both still queued until messages-received. A status on the
    // live socket says it is live; one over HTTP says it is not.
    send(&mut socket, &bob, &format!("{PICKUP}status-request"), json!({})).await;
    let status = next(&mut socket, &bob).await;
    assert_eq!(status["type"], format!("{PICKUP}status"));
    assert_eq!((&status["body"]["message_count"], &status["body"]["live_delivery"]), (&json!(2), &json!(true)));
    let over_http = bob.ask(&format!("{PICKUP}status-request"), json!({})).await;
    assert_eq!((&over_http.body()["message_count"], &over_http.body()["live_delivery"]), (&json!(2), &json!(false)));
    send(&mut socket, &bob, &format!("{PICKUP}messages-received"), json!({"message_id_list": ids})).await;
    let status = next(&mut socket, &bob).await;
    assert_eq!(status["type"], format!("{PICKUP}status"));
    assert_eq!(status["body"]["message_count"], 0);
}

async fn a_socket_belongs_to_one_did(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    alice.enroll().await;
    bob.enroll().await;
    let mut socket = connect(&mediator).await;
    send(&mut socket, &bob, PING, json!({})).await;
    assert_eq!(next(&mut socket, &bob).await["type"], "https://didcomm.org/trust-ping/2.0/ping-response");
    send(&mut socket, &alice, &format!("{PICKUP}status-request"), json!({})).await;
    let refused = next(&mut socket, &alice).await;
    assert_eq!(refused["body"]["code"], "e.p.req.not-authorized");
}

async fn a_backlog_is_left_to_delivery_request_and_only_arrivals_are_pushed(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    for n in 0..250 {
        let (_, inner) = alice.seal_for(&bob, json!({"n": n}));
        assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    }
    let mut socket = connect(&mediator).await;
    send(&mut socket, &bob, &format!("{PICKUP}live-delivery-change"), json!({"live_delivery": true})).await;
    assert_eq!(next(&mut socket, &bob).await["body"]["message_count"], 250);
    // The backlog is not pushed (a client that asks for it would get it twice)...
    let extra = tokio::time::timeout(Duration::from_millis(500), socket.next()).await;
    assert!(extra.is_err(), "the backlog was pushed");
    // ...but each new arrival is, once, and alone.
    let (late, inner) = alice.seal_for(&bob, json!({"n": "late"}));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    let delivery = next(&mut socket, &bob).await;
    let attachments = delivery["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 1, "{delivery}");
    assert_eq!(bob.open_attachment(&attachments[0]).0, late);
    let extra = tokio::time::timeout(Duration::from_millis(500), socket.next()).await;
    assert!(extra.is_err(), "a message was pushed twice or unasked");
    // The backlog is all there for delivery-request, in batches.
    send(&mut socket, &bob, &format!("{PICKUP}delivery-request"), json!({"limit": 100})).await;
    let delivery = next(&mut socket, &bob).await;
    assert_eq!(delivery["attachments"].as_array().map(Vec::len), Some(100));
}

/// Whether the mediator closes `socket` within 5 s.
async fn closed_within_5_s(socket: &mut Socket) -> bool {
    let closed = async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), closed).await.is_ok()
}

async fn a_socket_that_never_authenticates_is_closed(backend: Backend) {
    let mediator = TestMediator::start_with(backend, |c| c.ws_auth_timeout = Duration::from_millis(300)).await;
    let mut idle = connect(&mediator).await;
    assert!(closed_within_5_s(&mut idle).await, "an unauthenticated socket stayed open");

    // A fresh key costs nothing: a ping from one that is not enrolled here is answered, but
    // does not keep the socket open.
    let stranger = Party::new("stranger", &mediator).await;
    let mut socket = connect(&mediator).await;
    send(&mut socket, &stranger, PING, json!({})).await;
    assert_eq!(next(&mut socket, &stranger).await["type"], "https://didcomm.org/trust-ping/2.0/ping-response");
    assert!(closed_within_5_s(&mut socket).await, "a ping from an unenrolled key kept the socket open");

    // One that an enrolled party authenticates in time stays open past the deadline.
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let mut socket = connect(&mediator).await;
    send(&mut socket, &bob, PING, json!({})).await;
    assert_eq!(next(&mut socket, &bob).await["type"], "https://didcomm.org/trust-ping/2.0/ping-response");
    tokio::time::sleep(Duration::from_millis(600)).await;
    send(&mut socket, &bob, PING, json!({})).await;
    assert_eq!(next(&mut socket, &bob).await["type"], "https://didcomm.org/trust-ping/2.0/ping-response");
}

on_both_backends!(
    a_socket_that_never_authenticates_is_closed,
    a_backlog_is_left_to_delivery_request_and_only_arrivals_are_pushed,
    messages_are_pushed_live_and_deleted_only_when_acknowledged,
    a_socket_belongs_to_one_did,
);

/// Two instances behind one public URL on one PostgreSQL database act as one mediator.
#[tokio::test]
async fn instances_sharing_postgres_deliver_across_each_other() {
    if mpc_test_support::postgres_url("instances_sharing_postgres_deliver_across_each_other").is_none() {
        return;
    }
    let database = fresh_postgres_database().await;
    let a = TestMediator::start_on(Some(database.clone()), |_| {}).await;
    let public = url::Url::parse(&format!("{}/", a.base)).expect("url");
    let shared_data = a.dir.path().join("data");
    let b = TestMediator::start_on(Some(database), |c| {
        c.public_url = Some(public.clone());
        c.data_dir = Some(shared_data.clone());
    })
    .await;
    assert_eq!(a.did(), b.did(), "one mediator identity");

    let alice = Party::new("alice", &a).await;
    let bob = Party::new("bob", &b).await;
    bob.enroll().await;
    let mut socket = connect(&b).await;
    send(&mut socket, &bob, &format!("{PICKUP}live-delivery-change"), json!({"live_delivery": true})).await;
    assert_eq!(next(&mut socket, &bob).await["type"], format!("{PICKUP}status"));

    // Through A, to a socket on B.
    let (sent, inner) = alice.seal_for(&bob, json!({"via": "instance A"}));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    let delivery = next(&mut socket, &bob).await;
    assert_eq!(delivery["type"], format!("{PICKUP}delivery"));
    let attachment = &delivery["attachments"][0];
    assert_eq!(bob.open_attachment(attachment).0, sent);

    // Pickup through either instance sees the same queue.
    let mut bob_on_a = Party::new("bob-on-a", &a).await;
    bob_on_a.identity = bob.identity_clone();
    bob_on_a.kids.clone_from(&bob.kids);
    assert_eq!(bob_on_a.ask(&format!("{PICKUP}status-request"), json!({})).await.body()["message_count"], 1);
    let ack = bob_on_a.ask(&format!("{PICKUP}messages-received"), json!({"message_id_list": [attachment["id"]]})).await;
    assert_eq!(ack.body()["message_count"], 0);
    assert_eq!(bob.ask(&format!("{PICKUP}status-request"), json!({})).await.body()["message_count"], 0);
}
