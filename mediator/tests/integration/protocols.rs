//! Every protocol message, request and reply, against a mediator on loopback with SQLite.

use crate::common;

use common::*;
use mpc_identity::envelope::encrypted;
use serde_json::json;

async fn publishes_its_dids_health_and_metrics(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let http = mpc_test_support::http();
    let web = mpc_test_support::get_json(&format!("{}/.well-known/did.json", mediator.base)).await;
    let port = mediator.running.as_ref().expect("running").address.port();
    assert_eq!(web["id"], format!("did:web:127.0.0.1%3A{port}"));
    assert_eq!(web["alsoKnownAs"][0], mediator.did().as_str());
    assert_eq!(web["service"][0]["serviceEndpoint"]["uri"], format!("{}/didcomm", mediator.base));
    // The WebSocket endpoint is listed too, second, in both documents.
    let socket = format!("ws://127.0.0.1:{port}/ws");
    assert_eq!(web["service"][1]["serviceEndpoint"]["uri"], socket.as_str());
    let peer = mpc_identity::did::resolve(mediator.did().as_str()).expect("its did:peer:2 resolves");
    assert_eq!(peer.service.len(), 2);
    assert_eq!(peer.service[1].service_endpoint["uri"], socket.as_str());
    let health = http.get(format!("{}/healthz", mediator.base)).send().await.expect("get");
    assert_eq!(health.status(), 200);
    assert_eq!(http.get(format!("{}/readyz", mediator.base)).send().await.expect("get").status(), 200);
    let party = Party::new("alice", &mediator).await;
    party.ask(PING, json!({"response_requested": true})).await;
    let metrics = mpc_test_support::get_text(&format!("{}/metrics", mediator.base)).await;
    assert!(metrics.contains("mpc_mediator_requests_total 1"), "{metrics}");
}

async fn trust_ping_and_discover_features(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let ping = alice.message(PING, json!({"response_requested": true}));
    let answer = alice.send(&ping).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.kind(), "https://didcomm.org/trust-ping/2.0/ping-response");
    let reply = answer.message.as_ref().expect("reply");
    assert_eq!(reply["thid"], ping["id"]);
    assert_eq!(reply["from"], mediator.did().as_str());
    assert_eq!(alice.ask(PING, json!({"response_requested": false})).await.status, 202);

    let disclose = alice
        .ask(
            "https://didcomm.org/discover-features/2.0/queries",
            json!({"queries": [{"feature-type": "protocol", "match": "*pickup*"}]}),
        )
        .await;
    assert_eq!(
        disclose.body()["disclosures"],
        json!([{"feature-type": "protocol", "id": "https://didcomm.org/messagepickup/3.0"}])
    );
    let all = alice
        .ask(
            "https://didcomm.org/discover-features/2.0/queries",
            json!({"queries": [{"feature-type": "protocol", "match": "https://didcomm.org/*"}]}),
        )
        .await;
    assert_eq!(all.body()["disclosures"].as_array().expect("list").len(), 7);
}

async fn coordinate_mediation_3_and_2(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;

    let early = alice.ask(&format!("{CM3}recipient-query"), json!({})).await;
    assert_eq!((early.status, early.problem_code()), (403, "e.p.req.not-authorized"));

    let grant = alice.ask(&format!("{CM3}mediate-request"), json!({})).await;
    assert_eq!(grant.kind(), format!("{CM3}mediate-grant"));
    assert_eq!(grant.body()["routing_did"], json!([mediator.did()]));

    let own_key = format!("{}#key-1", alice.did());
    let update = alice
        .ask(
            &format!("{CM3}recipient-update"),
            json!({"updates": [
                {"recipient_did": alice.did(), "action": "add"},
                {"recipient_did": own_key, "action": "add"},
                {"recipient_did": bob.did(), "action": "add"},
                {"recipient_did": alice.did(), "action": "add"},
            ]}),
        )
        .await;
    assert_eq!(update.kind(), format!("{CM3}recipient-update-response"));
    let results: Vec<&str> =
        update.body()["updated"].as_array().expect("list").iter().map(|u| u["result"].as_str().expect("r")).collect();
    // Someone else's DID cannot be claimed: that would let anyone swallow another's messages.
    assert_eq!(results, ["success", "success", "client_error", "no_change"]);

    let query = alice.ask(&format!("{CM3}recipient-query"), json!({})).await;
    assert_eq!(query.kind(), format!("{CM3}recipient"));
    let mut listed: Vec<String> = query.body()["dids"]
        .as_array()
        .expect("dids")
        .iter()
        .map(|d| d["recipient_did"].as_str().expect("s").to_owned())
        .collect();
    listed.sort();
    let mut expected = vec![alice.did().to_owned(), own_key.clone()];
    expected.sort();
    assert_eq!(listed, expected);

    // Coordinate Mediation 3.0's `paginate`: a page, where it starts and how many follow.
    let first = alice.ask(&format!("{CM3}recipient-query"), json!({"paginate": {"limit": 1, "offset": 0}})).await;
    assert_eq!(first.body()["dids"].as_array().expect("dids").len(), 1);
    assert_eq!(first.body()["pagination"], json!({"count": 1, "offset": 0, "remaining": 1}));
    let second = alice.ask(&format!("{CM3}recipient-query"), json!({"paginate": {"limit": 1, "offset": 1}})).await;
    assert_eq!(second.body()["pagination"], json!({"count": 1, "offset": 1, "remaining": 0}));
    let mut paged = vec![
        first.body()["dids"][0]["recipient_did"].as_str().expect("s").to_owned(),
        second.body()["dids"][0]["recipient_did"].as_str().expect("s").to_owned(),
    ];
    paged.sort();
    assert_eq!(paged, expected, "the pages together are the whole list");
    assert!(query.body().get("pagination").is_none(), "no pagination where none was asked for");
    let bad = alice.ask(&format!("{CM3}recipient-query"), json!({"paginate": {"limit": -1}})).await;
    assert_eq!(bad.problem_code(), "e.p.msg.malformed");

    let removed = alice
        .ask(&format!("{CM3}recipient-update"), json!({"updates": [{"recipient_did": own_key, "action": "remove"}]}))
        .await;
    assert_eq!(removed.body()["updated"][0]["result"], "success");

    // The 2.0 names, with 2.0 reply names and a string routing_did.
    let grant = bob.ask(&format!("{CM2}mediate-request"), json!({})).await;
    assert_eq!(grant.kind(), format!("{CM2}mediate-grant"));
    assert_eq!(grant.body()["routing_did"], mediator.did().as_str());
    let update = bob
        .ask(&format!("{CM2}keylist-update"), json!({"updates": [{"recipient_did": bob.did(), "action": "add"}]}))
        .await;
    assert_eq!(update.kind(), format!("{CM2}keylist-update-response"));
    assert_eq!(update.body()["updated"][0]["result"], "success");
    let keys = bob.ask(&format!("{CM2}keylist-query"), json!({})).await;
    assert_eq!(keys.kind(), format!("{CM2}keylist"));
    assert_eq!(keys.body()["keys"], json!([{"recipient_did": bob.did()}]));
}

async fn forward_then_pickup_delivers_once_and_deletes_only_on_receipt(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;

    let (sent, inner) = alice.seal_for(&bob, json!({"share": 42}));
    let forward = alice.forward(bob.did(), &inner);
    assert_eq!(alice.post(forward.clone()).await.status, 202);
    // The same envelope again is a replay.
    let replay = alice.post(forward).await;
    assert_eq!((replay.status, replay.problem_code()), (409, "e.p.msg.replay"));
    // `next` as a DID URL of a registered DID is matched by its DID.
    let (_, second) = alice.seal_for(&bob, json!({"share": 43}));
    assert_eq!(alice.post(alice.forward(&format!("{}#key-1", bob.did()), &second)).await.status, 202);

    let status = bob.ask(&format!("{PICKUP}status-request"), json!({})).await;
    assert_eq!(status.kind(), format!("{PICKUP}status"));
    assert_eq!(status.body()["message_count"], 2);

    let delivery = bob.ask(&format!("{PICKUP}delivery-request"), json!({"limit": 1})).await;
    assert_eq!(delivery.kind(), format!("{PICKUP}delivery"));
    let attachments = delivery.message.as_ref().expect("delivery")["attachments"].as_array().expect("list").clone();
    assert_eq!(attachments.len(), 1);
    let (opened, sender_kid) = bob.open_attachment(&attachments[0]);
    assert_eq!(opened, sent);
    assert_eq!(sender_kid.as_deref(), Some(alice.kids[0].as_str()));

    // Delivery does not delete: asking again returns the same message.
    let again = bob.ask(&format!("{PICKUP}delivery-request"), json!({"limit": 1})).await;
    assert_eq!(again.message.as_ref().expect("d")["attachments"][0]["id"], attachments[0]["id"]);

    let received =
        bob.ask(&format!("{PICKUP}messages-received"), json!({"message_id_list": [attachments[0]["id"]]})).await;
    assert_eq!(received.kind(), format!("{PICKUP}status"));
    assert_eq!(received.body()["message_count"], 1);
}

async fn nobody_reads_or_manages_anothers_queue(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    let carol = Party::new("carol", &mediator).await;
    bob.enroll().await;
    let (_, inner) = alice.seal_for(&bob, json!({"secret": true}));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);

    // Not mediated: no queue.
    let denied = carol.ask(&format!("{PICKUP}delivery-request"), json!({"limit": 10})).await;
    assert_eq!((denied.status, denied.problem_code()), (403, "e.p.req.not-authorized"));
    // Mediated, but asking for bob's messages by recipient.
    carol.enroll().await;
    let denied = carol.ask(&format!("{PICKUP}delivery-request"), json!({"recipient_did": bob.did()})).await;
    assert_eq!((denied.status, denied.problem_code()), (403, "e.p.req.not-authorized"));
    // Carol's own queue is empty; bob's message is untouched.
    let own = carol.ask(&format!("{PICKUP}delivery-request"), json!({})).await;
    assert_eq!(own.body()["message_count"], 0);
    let delivered = carol.ask(&format!("{PICKUP}messages-received"), json!({"message_id_list": ["x"]})).await;
    assert_eq!(delivered.body()["message_count"], 0);
    assert_eq!(bob.ask(&format!("{PICKUP}status-request"), json!({})).await.body()["message_count"], 1);

    // Anonymous requests other than forward are refused in clear.
    let status_request = alice.message(&format!("{PICKUP}status-request"), json!({}));
    let anonymous = encrypted::anoncrypt(&status_request, &alice.mediator_keys).expect("anoncrypt");
    let answer = alice.post(anonymous).await;
    assert_eq!((answer.status, answer.problem_code()), (403, "e.p.req.not-authorized"));
}

async fn bad_input_gets_the_right_refusal_and_the_service_goes_on(backend: Backend) {
    let mediator = TestMediator::start_with(backend, |c| c.max_message_bytes = 16 * 1024).await;
    let alice = Party::new("alice", &mediator).await;
    alice.enroll().await;

    let cases = [
        ("{not json".to_owned(), 400, "e.p.msg.unreadable"),
        ("{}".to_owned(), 400, "e.p.msg.unreadable"),
        ("x".repeat(20_000), 413, "e.p.msg.malformed"),
    ];
    for (body, status, code) in cases {
        let answer = alice.post(body).await;
        assert_eq!((answer.status, answer.problem_code()), (status, code));
    }
    let unknown = alice.post(alice.forward("did:peer:2.Vz6MkunknownNobody", "{}")).await;
    assert_eq!((unknown.status, unknown.problem_code()), (404, "e.p.xfer.unknown-recipient"));
    let no_attachment = json!({"id": uuid(), "type": FORWARD, "body": {"next": alice.did()}});
    let answer = alice.post(encrypted::anoncrypt(&no_attachment, &alice.mediator_keys).expect("seal")).await;
    assert_eq!((answer.status, answer.problem_code()), (400, "e.p.msg.malformed"));

    let mut long_id = alice.message(PING, json!({}));
    long_id["id"] = json!("i".repeat(300));
    let refused = alice.send(&long_id).await;
    assert_eq!((refused.status, refused.problem_code()), (400, "e.p.msg.malformed"));
    let ping = alice.message(PING, json!({}));
    assert_eq!(alice.send(&ping).await.status, 200);
    let replayed = alice.send(&ping).await;
    assert_eq!((replayed.status, replayed.problem_code()), (409, "e.p.msg.replay"));
    let live = alice.ask(&format!("{PICKUP}live-delivery-change"), json!({"live_delivery": true})).await;
    assert_eq!((live.status, live.problem_code()), (426, "e.m.live-mode-not-supported"));
    let unsupported = alice.ask("https://didcomm.org/basicmessage/2.0/message", json!({"content": "hi"})).await;
    assert_eq!((unsupported.status, unsupported.problem_code()), (400, "e.p.msg.unsupported"));

    // A JWE for someone else.
    let bob = Party::new("bob", &mediator).await;
    let (_, not_for_mediator) = alice.seal_for(&bob, json!({}));
    assert_eq!(alice.post(not_for_mediator).await.status, 400);

    assert_eq!(alice.ask(PING, json!({})).await.status, 200, "still serving");
}

async fn a_full_queue_refuses_more(backend: Backend) {
    let mediator = TestMediator::start_with(backend, |c| c.queue_cap = 2).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    for expected in [202, 202, 429] {
        let (_, inner) = alice.seal_for(&bob, json!({"n": expected}));
        let answer = alice.post(alice.forward(bob.did(), &inner)).await;
        assert_eq!(answer.status, expected);
        if expected == 429 {
            assert_eq!(answer.problem_code(), "w.p.xfer.queue-full");
        }
    }
}

async fn keys_and_queued_messages_survive_a_restart(backend: Backend) {
    let mut mediator = TestMediator::start(backend).await;
    let did_before = mediator.did();
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let (sent, inner) = alice.seal_for(&bob, json!({"durable": true}));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);

    mediator.restart().await;
    assert_eq!(mediator.did(), did_before, "same keys after restart");
    let delivery = bob.ask(&format!("{PICKUP}delivery-request"), json!({})).await;
    assert_eq!(bob.open_attachment(&delivery.message.as_ref().expect("delivery")["attachments"][0]).0, sent);
}

async fn rate_limits_per_did_and_per_address_refuse_then_recover(backend: Backend) {
    let mediator = TestMediator::start_with(backend, |c| {
        c.rate_limit_did = 5;
        c.rate_limit_ip = 40;
    })
    .await;
    let alice = Party::new("alice", &mediator).await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let answer = alice.ask(PING, json!({})).await;
        if answer.status == 429 {
            assert_eq!(answer.problem_code(), "w.p.req.rate-limited");
        }
        statuses.push(answer.status);
    }
    assert_eq!(&statuses[..5], &[200; 5], "a burst of one second's worth passes");
    assert!(statuses.contains(&429), "{statuses:?}");
    // A second later (on the mediator's clock) the bucket has refilled.
    mediator.advance_clock(std::time::Duration::from_millis(1100));
    assert_eq!(alice.ask(PING, json!({})).await.status, 200, "the bucket refills");
    // Another DID is not held back by alice's limit.
    let bob = Party::new("bob", &mediator).await;
    assert_eq!(bob.ask(PING, json!({})).await.status, 200);

    // The address limit applies before anything is decrypted.
    let mut limited = false;
    for _ in 0..60 {
        let answer = alice.post("{}".to_owned()).await;
        if answer.status == 429 {
            assert_eq!(answer.problem_code(), "w.p.req.rate-limited");
            limited = true;
            break;
        }
    }
    assert!(limited, "the per-address limit never applied");
}

async fn unpicked_messages_expire(backend: Backend) {
    let mediator = TestMediator::start_with(backend, |c| c.message_ttl = std::time::Duration::from_secs(1)).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let (_, inner) = alice.seal_for(&bob, json!({"short-lived": true}));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    let running = mediator.running.as_ref().expect("running");
    assert_eq!(running.sweep_now().await.expect("sweep").0, 0, "not expired yet");
    mediator.advance_clock(std::time::Duration::from_secs(2));
    assert_eq!(running.sweep_now().await.expect("sweep").0, 1);
    assert_eq!(bob.ask(&format!("{PICKUP}status-request"), json!({})).await.body()["message_count"], 0);
}

async fn a_removed_recipient_receives_no_more_forwards(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let (_, inner) = alice.seal_for(&bob, json!({"n": 1}));
    assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
    let removed = bob
        .ask(&format!("{CM3}recipient-update"), json!({"updates": [{"recipient_did": bob.did(), "action": "remove"}]}))
        .await;
    assert_eq!(removed.body()["updated"][0]["result"], "success");
    let (_, inner) = alice.seal_for(&bob, json!({"n": 2}));
    let refused = alice.post(alice.forward(bob.did(), &inner)).await;
    assert_eq!((refused.status, refused.problem_code()), (404, "e.p.xfer.unknown-recipient"));
}

on_both_backends!(
    a_removed_recipient_receives_no_more_forwards,
    unpicked_messages_expire,
    rate_limits_per_did_and_per_address_refuse_then_recover,
    publishes_its_dids_health_and_metrics,
    trust_ping_and_discover_features,
    coordinate_mediation_3_and_2,
    forward_then_pickup_delivers_once_and_deletes_only_on_receipt,
    nobody_reads_or_manages_anothers_queue,
    bad_input_gets_the_right_refusal_and_the_service_goes_on,
    a_full_queue_refuses_more,
    keys_and_queued_messages_survive_a_restart,
);

/// `message` anoncrypted to `keys` with ECDH-ES+A256KW and A256GCM, the content encryption the
/// spec requires beside A256CBC-HS512 (and the default of several DIDComm libraries), built from
/// the JOSE primitives rather than our own sealing (which uses A256CBC-HS512).
fn anoncrypt_a256gcm(message: &serde_json::Value, keys: &[encrypted::RecipientKey]) -> String {
    use affinidi_crypto::jose::key_agreement::{Curve, EphemeralKeyPair, PublicKeyAgreement};
    use affinidi_crypto::jose::{aes_kw, ecdh, gcm};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let ephemeral = EphemeralKeyPair::generate(Curve::X25519);
    let apv = b"recipients".to_vec();
    let protected = json!({
        "epk": ephemeral.public.to_jwk(), "apv": B64.encode(&apv),
        "typ": "application/didcomm-encrypted+json", "enc": "A256GCM", "alg": "ECDH-ES+A256KW",
    });
    let protected = B64.encode(protected.to_string());
    let cek = [5u8; 32];
    let iv = [6u8; 12];
    let (ciphertext, tag) =
        gcm::encrypt_a256(message.to_string().as_bytes(), &cek, &iv, protected.as_bytes()).expect("A256GCM");
    let recipients: Vec<serde_json::Value> = keys
        .iter()
        .map(|key| {
            let kek = ecdh::derive_sender_key(&ephemeral, &PublicKeyAgreement::X25519(key.key.to_bytes()), &[], &apv)
                .expect("kek");
            json!({"header": {"kid": key.kid}, "encrypted_key": B64.encode(aes_kw::wrap(&kek, &cek).expect("wrap"))})
        })
        .collect();
    json!({
        "protected": protected, "recipients": recipients, "iv": B64.encode(iv),
        "ciphertext": B64.encode(ciphertext), "tag": B64.encode(tag),
    })
    .to_string()
}

/// A DIDComm stack with its defaults (A256GCM here) forwards through the mediator, which opens
/// the outer layer whatever content encryption the spec allows.
#[tokio::test]
async fn a_forward_sealed_with_a256gcm_is_delivered() {
    let mediator = TestMediator::start(Backend::Sqlite).await;
    let alice = Party::new("alice", &mediator).await;
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let (sent, inner) = alice.seal_for(&bob, json!({"share": 7}));
    let forward = json!({
        "id": uuid(), "type": "https://didcomm.org/routing/2.0/forward", "body": {"next": bob.did()},
        "attachments": [{"data": {"json": serde_json::from_str::<serde_json::Value>(&inner).expect("json")}}]
    });
    let answer = alice.post(anoncrypt_a256gcm(&forward, &alice.mediator_keys)).await;
    assert_eq!(answer.status, 202, "{answer:?}");
    let delivery = bob.ask(&format!("{PICKUP}delivery-request"), json!({})).await;
    let attachments = delivery.message.as_ref().expect("delivery")["attachments"].as_array().expect("list").clone();
    assert_eq!(bob.open_attachment(&attachments[0]).0, sent);
}

/// DIDComm lets a sender encrypt to any key-agreement key of any of the recipient's DIDs: a
/// message sealed to the key of the mediator's did:web document is answered like one sealed to
/// its did:peer:2.
#[tokio::test]
async fn a_message_to_the_did_web_documents_key_is_answered() {
    let mediator = TestMediator::start(Backend::Sqlite).await;
    let web = mpc_test_support::get_json(&format!("{}/.well-known/did.json", mediator.base)).await;
    let document = mpc_identity::did::DidDocument::from_foreign_json(&web).expect("a usable document");
    let keys = encrypted::recipient_keys(&document).expect("key-agreement keys");
    assert!(keys.iter().all(|key| key.kid.starts_with("did:web:")), "{keys:?}");
    let alice = Party::new("alice", &mediator).await;
    let ping = alice.message(PING, json!({"response_requested": true}));
    let sealed = encrypted::authcrypt(&ping, &alice.identity.keys, &alice.kids[0], &keys).expect("seal");
    let answer = alice.post(sealed).await;
    assert_eq!(answer.kind(), "https://didcomm.org/trust-ping/2.0/ping-response", "{answer:?}");
}
