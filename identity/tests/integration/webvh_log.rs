//! did:webvh logs written and verified offline: the life of a DID (create, two updates,
//! deactivation) with resolution at each version, and a hostile host's edits, each caught with
//! its own error.

use chrono::{Duration, FixedOffset, Utc};
use ed25519_dalek::SigningKey;
use mpc_identity::Error;
use mpc_identity::did::MediatorEndpoint;
use mpc_identity::did::webvh::{self, Change, PartyDocument};
use mpc_identity::keys::{PartyKeys, PublicKey};

const ADDRESS: &str = "did:webvh:{SCID}:localhost%3A8080:parties:alice";

fn key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    SigningKey::from_bytes(&seed)
}

fn party(mediator: &str) -> (PartyKeys, PartyDocument) {
    let keys = PartyKeys::generate().expect("keys");
    let document = PartyDocument {
        authentication: PublicKey::Ed25519(keys.verifying_key()),
        key_agreement: PublicKey::X25519(keys.agreement_public()),
        mediator: Some(MediatorEndpoint { uri: mediator.to_owned(), routing_keys: vec![] }),
        linked_domains: Vec::new(),
    };
    (keys, document)
}

fn minutes_ago(minutes: i64) -> Option<chrono::DateTime<FixedOffset>> {
    let now = Utc::now() - Duration::minutes(minutes);
    Some(now.fixed_offset().with_timezone(&FixedOffset::east_opt(0).expect("utc")))
}

/// A DID with pre-rotation: genesis, key rotation, endpoint change. Returns the DID, the log,
/// and the update key that may sign next.
struct Lifecycle {
    did: String,
    logs: Vec<String>,
    next: SigningKey,
    documents: Vec<PartyDocument>,
}

fn lifecycle() -> Lifecycle {
    let (update, next1, next2, next3) = (key(), key(), key(), key());
    let (_, doc1) = party("http://localhost:8080/didcomm");
    let (did, log1) = webvh::create(ADDRESS, &doc1, &update, Some(&next1), None, minutes_ago(10)).expect("create");
    let (_, doc2) = party("http://localhost:8080/didcomm");
    let log2 =
        webvh::append(&did, &log1, &Change::Document(Box::new(doc2.clone())), &next1, Some(&next2), minutes_ago(9))
            .expect("rotate keys");
    let mut doc3 = doc2.clone();
    doc3.mediator = Some(MediatorEndpoint { uri: "http://localhost:9090/didcomm".into(), routing_keys: vec![] });
    let log3 =
        webvh::append(&did, &log2, &Change::Document(Box::new(doc3.clone())), &next2, Some(&next3), minutes_ago(8))
            .expect("change endpoint");
    Lifecycle { did, logs: vec![log1, log2, log3], next: next3, documents: vec![doc1, doc2, doc3] }
}

fn lines(log: &str) -> Vec<String> {
    log.lines().map(str::to_owned).collect()
}

#[test]
fn create_update_twice_deactivate_and_resolve_every_version() {
    let life = lifecycle();
    assert!(
        life.did.starts_with("did:webvh:") && life.did.ends_with(":localhost%3A8080:parties:alice"),
        "{}",
        life.did
    );
    let log3 = &life.logs[2];
    for (i, doc) in life.documents.iter().enumerate() {
        let version = i as u32 + 1;
        let at = webvh::verify(&format!("{}?versionNumber={version}", life.did), log3, None).expect("version");
        assert_eq!(at.version_number, version);
        assert_eq!(at.version_ids.len(), 3);
        let (_, key) =
            at.document.authentication_method(&format!("{}#key-1", life.did)).map(|m| ((), m)).expect("auth");
        assert_eq!(key.public_key_multibase, doc.authentication.to_multikey(), "version {version}");
        assert_eq!(at.document.didcomm_endpoint(), doc.mediator, "version {version}");
    }
    let latest = webvh::verify(&life.did, log3, None).expect("latest");
    assert_eq!(latest.version_number, 3);
    assert!(!latest.deactivated);

    // The genesis key may no longer sign: pre-rotation committed to another key.
    let (_, doc) = party("http://localhost:8080/didcomm");
    let stale = key();
    let err = webvh::append(&life.did, log3, &Change::Document(Box::new(doc)), &stale, Some(&key()), None)
        .expect_err("stale");
    assert!(matches!(err, Error::LedgerInvalid { .. }), "{err}");

    let log4 = webvh::append(&life.did, log3, &Change::Deactivate, &life.next, None, None).expect("deactivate");
    let ended = webvh::verify(&life.did, &log4, None).expect("deactivated log verifies");
    assert!(ended.deactivated);
    assert!(ended.version_number >= 4);
    // Nothing can follow a deactivation.
    let (_, doc) = party("http://localhost:8080/didcomm");
    assert!(webvh::append(&life.did, &log4, &Change::Document(Box::new(doc)), &life.next, Some(&key()), None).is_err());
}

#[test]
fn an_edited_past_entry_is_detected() {
    let life = lifecycle();
    let mut entries = lines(&life.logs[2]);
    // Swap Alice's key in version 2 for one the host controls.
    let (_, evil) = party("http://localhost:8080/didcomm");
    let original = serde_json::from_str::<serde_json::Value>(&entries[1]).expect("json");
    let old_key = original["state"]["verificationMethod"][0]["publicKeyMultibase"].as_str().expect("key").to_owned();
    entries[1] = entries[1].replace(&old_key, &evil.authentication.to_multikey());
    let edited = entries.join("\n") + "\n";
    let err = webvh::verify(&life.did, &edited, None).expect_err("edited");
    assert!(matches!(&err, Error::LedgerInvalid { .. }), "{err}");
}

#[test]
fn another_dids_log_is_detected() {
    let alice = lifecycle();
    let bob = lifecycle();
    let err = webvh::verify(&alice.did, &bob.logs[2], None).expect_err("wrong DID");
    assert!(
        matches!(&err, Error::LedgerWrongDid { requested, served } if *requested == alice.did && *served == bob.did),
        "{err}"
    );
}

#[test]
fn truncated_reordered_and_garbage_logs_are_refused() {
    let life = lifecycle();
    let entries = lines(&life.logs[2]);
    let reordered = format!("{}\n{}\n{}\n", entries[0], entries[2], entries[1]);
    assert!(matches!(webvh::verify(&life.did, &reordered, None), Err(Error::LedgerInvalid { .. })));
    let without_genesis = format!("{}\n{}\n", entries[1], entries[2]);
    assert!(webvh::verify(&life.did, &without_genesis, None).is_err());
    for garbage in ["", "\n", "not json\n", "{}\n", "[1,2]\n"] {
        assert!(webvh::verify(&life.did, garbage, None).is_err(), "{garbage:?}");
    }
    let cut = &life.logs[2][..life.logs[2].len() - 40];
    assert!(webvh::verify(&life.did, cut, None).is_err());
}

#[test]
fn addresses_come_from_host_names_only() {
    let base = url::Url::parse("http://localhost:8080/").expect("url");
    assert_eq!(
        webvh::address_of(&base, &["parties", "bob"]).expect("address"),
        "did:webvh:{SCID}:localhost%3A8080:parties:bob"
    );
    let ip = url::Url::parse("http://127.0.0.1:8080/").expect("url");
    assert!(webvh::address_of(&ip, &["parties", "bob"]).is_err());
    let life = lifecycle();
    assert_eq!(
        webvh::file_url(&life.did, "did.jsonl").expect("url").as_str(),
        "http://localhost:8080/parties/alice/did.jsonl"
    );
}
