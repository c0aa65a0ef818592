//! Forwards that arrive together (SQLite queues them in batches, PostgreSQL in concurrent
//! transactions): the queue cap holds exactly, only replays are refused, and live sessions get
//! every message once, in queue order.

use crate::common;

use common::load::drain;
use common::ws::{connect, next, send};
use common::*;
use futures_util::future::join_all;
use serde_json::json;

async fn concurrent_forwards_keep_the_cap_and_refuse_only_replays(backend: Backend) {
    let mediator = TestMediator::start_with(backend, |c| c.queue_cap = 20).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    // Thirty envelopes, each posted twice, all at once.
    let forwards: Vec<String> = (0..30)
        .map(|n| {
            let (_, inner) = alice.seal_for(&bob, json!({ "n": n }));
            alice.forward(bob.did(), &inner)
        })
        .collect();
    let posts = forwards.iter().chain(forwards.iter()).map(|forward| alice.post(forward.clone()));
    let answers = join_all(posts).await;

    let (first, second) = answers.split_at(forwards.len());
    let mut accepted = 0;
    for (n, (a, b)) in first.iter().zip(second).enumerate() {
        let mut outcomes = [(a.status, a.problem_code()), (b.status, b.problem_code())];
        outcomes.sort();
        match outcomes {
            // Stored once; its copy is a replay.
            [(202, _), (409, "e.p.msg.replay")] => accepted += 1,
            // Refused for the cap, twice: a refused forward is not remembered as seen.
            [(429, "w.p.xfer.queue-full"), (429, "w.p.xfer.queue-full")] => {}
            other => panic!("envelope {n}: unexpected outcomes {other:?}"),
        }
    }
    assert_eq!(accepted, 20, "exactly the cap is queued");
    let status = bob.ask(&format!("{PICKUP}status-request"), json!({})).await;
    assert_eq!(status.body()["message_count"], 20);

    // Once bob takes some, the refused ones are taken.
    let queued = drain(&bob).await;
    assert_eq!(queued.len(), 20);
    let refused: Vec<_> =
        first.iter().zip(&forwards).filter(|(answer, _)| answer.status == 429).map(|(_, forward)| forward).collect();
    assert_eq!(refused.len(), 10);
    for forward in refused {
        assert_eq!(alice.post(forward.clone()).await.status, 202);
    }
}

async fn live_sessions_get_concurrent_forwards_once_in_queue_order(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let mut socket = connect(&mediator.base).await;
    send(&mut socket, &bob, &format!("{PICKUP}live-delivery-change"), json!({"live_delivery": true})).await;
    assert_eq!(next(&mut socket, &bob).await["type"], format!("{PICKUP}status"));

    let count = 300;
    let forwards: Vec<String> = (0..count)
        .map(|n| {
            let (_, inner) = alice.seal_for(&bob, json!({ "n": n }));
            alice.forward(bob.did(), &inner)
        })
        .collect();
    let answers = join_all(forwards.iter().map(|forward| alice.post(forward.clone()))).await;
    assert!(answers.iter().all(|answer| answer.status == 202), "every forward accepted");

    let mut pushed: Vec<String> = Vec::new();
    let mut contents = std::collections::HashSet::new();
    while pushed.len() < count {
        let delivery = next(&mut socket, &bob).await;
        for attachment in delivery["attachments"].as_array().into_iter().flatten() {
            pushed.push(attachment["id"].as_str().expect("id").to_owned());
            assert!(contents.insert(bob.open_attachment(attachment).0["body"]["n"].clone()), "pushed twice");
        }
    }
    assert_eq!(pushed.len(), count, "nothing pushed twice");

    // The queue, read by pickup, lists them in the order they were pushed.
    let mut queued: Vec<String> = Vec::new();
    while queued.len() < count {
        let delivery = bob.ask(&format!("{PICKUP}delivery-request"), json!({"limit": 100})).await;
        let ids: Vec<serde_json::Value> = delivery.message.as_ref().expect("delivery")["attachments"]
            .as_array()
            .expect("attachments")
            .iter()
            .map(|attachment| attachment["id"].clone())
            .collect();
        queued.extend(ids.iter().map(|id| id.as_str().expect("id").to_owned()));
        bob.ask(&format!("{PICKUP}messages-received"), json!({ "message_id_list": ids })).await;
    }
    assert_eq!(pushed, queued);
}

/// The caps are checked against kept counts, not by counting the queue: they must follow every
/// way a queue shrinks (acknowledgement, purge), per owner and per source address.
async fn the_caps_follow_every_way_a_queue_shrinks(backend: Backend) {
    let mediator = TestMediator::start_with(backend, |c| {
        c.queue_cap = 5;
        c.queue_cap_per_source = 4;
    })
    .await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let post = |n: usize| {
        let (_, inner) = alice.seal_for(&bob, json!({ "n": n }));
        alice.post(alice.forward(bob.did(), &inner))
    };
    // One source holds at most 4 of bob's 5 places.
    for n in 0..4 {
        assert_eq!(post(n).await.status, 202, "forward {n}");
    }
    let refused = post(4).await;
    assert_eq!((refused.status, refused.problem_code()), (429, "e.p.req.quota-exceeded"), "per source");
    // Two acknowledged: two more fit, no third.
    let batch = bob.ask(&format!("{PICKUP}delivery-request"), json!({"limit": 2})).await;
    let ids: Vec<_> = batch
        .message
        .as_ref()
        .and_then(|m| m["attachments"].as_array())
        .expect("two")
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(ids.len(), 2);
    bob.ask(&format!("{PICKUP}messages-received"), json!({"message_id_list": ids})).await;
    for n in 5..7 {
        assert_eq!(post(n).await.status, 202, "forward {n} after two acknowledged");
    }
    assert_eq!(post(7).await.status, 429, "the source's share is full again");
    // Purged: the whole share is free again.
    let purged = bob.ask(mpc_identity::protocols::QUEUE_PURGE, json!({})).await;
    assert_eq!(purged.body()["purged"], 4);
    for n in 8..12 {
        assert_eq!(post(n).await.status, 202, "forward {n} after the purge");
    }
    assert_eq!(post(12).await.status, 429);
    assert_eq!(bob.ask(&format!("{PICKUP}status-request"), json!({})).await.body()["message_count"], 4);
}

/// The mediator's message ids grow as messages are queued (UUID version 7: time, then a counter),
/// so that the id index takes each new entry at its end instead of at a random leaf.
async fn message_ids_grow_in_queue_order(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let count = 40;
    for n in 0..count {
        let (_, inner) = alice.seal_for(&bob, json!({ "n": n }));
        assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    }
    let delivery = bob.ask(&format!("{PICKUP}delivery-request"), json!({"limit": 100})).await;
    let attachments = delivery.message.as_ref().expect("delivery")["attachments"].as_array().expect("attachments");
    // Queue order is the order they were forwarded in.
    let order: Vec<i64> =
        attachments.iter().map(|a| bob.open_attachment(a).0["body"]["n"].as_i64().expect("n")).collect();
    assert_eq!(order, (0..count as i64).collect::<Vec<_>>());
    let ids: Vec<String> = attachments.iter().map(|a| a["id"].as_str().expect("id").to_owned()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ids in queue order are in ascending order");
}

on_both_backends!(
    message_ids_grow_in_queue_order,
    the_caps_follow_every_way_a_queue_shrinks,
    concurrent_forwards_keep_the_cap_and_refuse_only_replays,
    live_sessions_get_concurrent_forwards_once_in_queue_order,
);
