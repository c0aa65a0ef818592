//! The mediator as a did:webvh ledger host, over real HTTP on loopback: publication rules on
//! SQLite and PostgreSQL, and a compromised host (its database edited behind its back) caught
//! by the client's verification and peer book, each way with its own error.

use crate::common;

use common::*;
use ed25519_dalek::SigningKey;
use mpc_client::resolver::Resolver;
use mpc_identity::Error;
use mpc_identity::did::MediatorEndpoint;
use mpc_identity::did::webvh::{self, Change, PartyDocument};
use mpc_identity::keys::{PartyKeys, PublicKey};
use mpc_identity::peerbook::PeerBook;

fn key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    SigningKey::from_bytes(&seed)
}

fn party_document(mediator: &TestMediator) -> PartyDocument {
    let keys = PartyKeys::generate().expect("keys");
    PartyDocument {
        authentication: PublicKey::Ed25519(keys.verifying_key()),
        key_agreement: PublicKey::X25519(keys.agreement_public()),
        mediator: Some(MediatorEndpoint { uri: format!("{}/didcomm", mediator.base), routing_keys: vec![] }),
        linked_domains: Vec::new(),
    }
}

/// A party's DID on `mediator` under `name`, with the keys to extend it.
struct LedgerParty {
    did: String,
    log: String,
    signer: SigningKey,
    next: SigningKey,
}

impl LedgerParty {
    fn create(mediator: &TestMediator, name: &str) -> Self {
        let address = mediator.state().ledger_address(name).expect("ledger on loopback");
        let (update, next) = (key(), key());
        let back = chrono::Utc::now() - chrono::Duration::minutes(5);
        let (did, log) =
            webvh::create(&address, &party_document(mediator), &update, Some(&next), None, Some(back.fixed_offset()))
                .expect("create");
        LedgerParty { did, log, signer: update, next }
    }

    /// Appends a new document (pre-rotation moves on one key).
    fn update(&mut self, mediator: &TestMediator) -> String {
        let after = key();
        let change = Change::Document(Box::new(party_document(mediator)));
        self.log = webvh::append(&self.did, &self.log, &change, &self.next, Some(&after), None).expect("append");
        self.signer = std::mem::replace(&mut self.next, after);
        self.log.clone()
    }
}

impl TestMediator {
    fn state(&self) -> &mpc_mediator::RunningMediator {
        self.running.as_ref().expect("running")
    }
}

fn resolver(dir: &std::path::Path) -> Resolver {
    Resolver::new(Some(PeerBook::open(dir)))
}

async fn logs_are_published_extended_and_resolved(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let home = tempfile::tempdir().expect("home");
    let resolver = resolver(home.path());
    let mut alice = LedgerParty::create(&mediator, "alice");
    resolver.publish(&alice.did, &alice.log).await.expect("genesis accepted");
    let first = resolver.resolve(&alice.did).await.expect("resolves");
    assert_eq!(first.log.as_ref().map(|l| l.version_number), Some(1));

    for version in 2..=3 {
        let log = alice.update(&mediator);
        resolver.publish(&alice.did, &log).await.expect("update accepted");
        let resolved = resolver.resolve(&alice.did).await.expect("resolves");
        assert_eq!(resolved.log.as_ref().map(|l| l.version_number), Some(version));
    }
    // Publishing the same log again changes nothing; an older version stays resolvable.
    resolver.publish(&alice.did, &alice.log).await.expect("idempotent");
    let v1 = resolver.resolve(&format!("{}?versionNumber=1", alice.did)).await.expect("v1");
    assert_eq!(v1.document.expect("a document").id, alice.did);

    let pinned = resolver.peer_book().expect("book").get(&alice.did).expect("read").expect("pinned");
    assert_eq!(pinned.log_entries, Some(3));
    // did:webvh 1.0: the log is served as `text/jsonl`.
    let served =
        mpc_test_support::http().get(format!("{}/parties/alice/did.jsonl", mediator.base)).send().await.expect("get");
    assert_eq!(served.headers()["content-type"], "text/jsonl");

    // Deactivation: the log still resolves, but its keys are not for use.
    let deactivated = webvh::append(&alice.did, &alice.log, &Change::Deactivate, &alice.next, None, None).expect("end");
    resolver.publish(&alice.did, &deactivated).await.expect("deactivation accepted");
    let ended = resolver.resolve(&alice.did).await.expect("resolves");
    assert!(ended.deactivated && ended.document.is_none(), "no document for a deactivated DID");
    assert!(matches!(
        resolver.resolve_for_use(&alice.did).await,
        Err(mpc_client::Error::Identity(Error::Deactivated { .. }))
    ));
}

async fn the_host_refuses_what_would_rewrite_history(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let home = tempfile::tempdir().expect("home");
    let resolver = resolver(home.path());
    let mut alice = LedgerParty::create(&mediator, "alice");
    resolver.publish(&alice.did, &alice.log).await.expect("genesis");
    let genesis = alice.log.clone();
    let two = alice.update(&mediator);
    resolver.publish(&alice.did, &two).await.expect("v2");

    // First come, first served: another DID cannot take the name.
    let mallory = LedgerParty::create(&mediator, "alice");
    let err = resolver.publish(&mallory.did, &mallory.log).await.expect_err("name taken");
    assert!(err.to_string().contains("taken"), "{err}");

    // A shorter log (dropping entry 2) is refused, and so is a different entry 2.
    let err = resolver.publish(&alice.did, &genesis).await.expect_err("rollback");
    assert!(err.to_string().contains("fewer entries"), "{err}");
    let forked = webvh::append(
        &alice.did,
        &genesis,
        &Change::Document(Box::new(party_document(&mediator))),
        &alice.signer,
        Some(&key()),
        None,
    )
    .expect("fork entry");
    let err = resolver.publish(&alice.did, &forked).await.expect_err("fork");
    assert!(err.to_string().contains("differs"), "{err}");

    // A log that does not verify, or that names another path, is refused.
    let tampered = two.replacen("\"versionTime\":\"", "\"versionTime\":\"1", 1);
    let err = resolver.publish(&alice.did, &tampered).await.expect_err("tampered");
    assert!(matches!(err, mpc_client::Error::PublishRefused { .. }), "{err}");
    let bob = LedgerParty::create(&mediator, "bob");
    let response = mpc_test_support::http()
        .put(format!("{}/parties/carol/did.jsonl", mediator.base))
        .body(bob.log.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(response.status().as_u16(), 403);
    let response = mpc_test_support::http()
        .put(format!("{}/parties/carol/did.jsonl", mediator.base))
        .body("{not json")
        .send()
        .await
        .expect("put");
    assert_eq!(response.status().as_u16(), 400);

    // What was stored survived all of it.
    let resolved = resolver.resolve(&alice.did).await.expect("resolves");
    assert_eq!(resolved.log.expect("log").version_ids.len(), 2);
}

on_both_backends!(
    logs_are_published_extended_and_resolved,
    the_host_refuses_what_would_rewrite_history,
    the_mediator_witnesses_logs_that_ask_it_to,
    proofs_of_other_witnesses_are_uploaded_checked_and_pruned,
    hosted_webvh_parties_talk_didcomm_with_their_current_keys,
    parties_on_their_own_site_talk_didcomm_through_a_copy_of_their_log
);

/// Edits the hosted log of `name` directly in the mediator's SQLite database: a compromised host.
async fn tamper(mediator: &TestMediator, name: &str, log: &str) {
    let url = mpc_mediator::default_sqlite_url(&mediator.dir.path().join("data"));
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open the mediator's database");
    sqlx::query("UPDATE ledger_logs SET log = $1 WHERE name = $2")
        .bind(log)
        .bind(name)
        .execute(&pool)
        .await
        .expect("tamper");
    pool.close().await;
}

#[tokio::test]
async fn a_compromised_host_is_caught_each_way() {
    let mediator = TestMediator::start(Backend::Sqlite).await;
    let home = tempfile::tempdir().expect("home");
    let resolver = resolver(home.path());
    let mut alice = LedgerParty::create(&mediator, "alice");
    resolver.publish(&alice.did, &alice.log).await.expect("genesis");
    let genesis = alice.log.clone();
    let two = alice.update(&mediator);
    resolver.publish(&alice.did, &two).await.expect("v2");
    let bob = LedgerParty::create(&mediator, "bob");
    resolver.publish(&bob.did, &bob.log).await.expect("bob");
    resolver.resolve(&alice.did).await.expect("pins version 2");

    // An edited past entry: the host swaps alice's first key for its own.
    let original_key = serde_json::from_str::<serde_json::Value>(genesis.lines().next().expect("line")).expect("json")
        ["state"]["verificationMethod"][0]["publicKeyMultibase"]
        .as_str()
        .expect("key")
        .to_owned();
    let evil = PublicKey::Ed25519(key().verifying_key()).to_multikey();
    tamper(&mediator, "alice", &two.replacen(&original_key, &evil, 1)).await;
    let err = resolver.resolve(&alice.did).await.expect_err("edited");
    assert!(matches!(err, mpc_client::Error::Identity(Error::LedgerInvalid { .. })), "{err}");

    // The last entry dropped: valid on its own, but older than what was verified.
    tamper(&mediator, "alice", &genesis).await;
    let err = resolver.resolve(&alice.did).await.expect_err("rollback");
    assert!(matches!(err, mpc_client::Error::Identity(Error::LedgerRollback { pinned: 2, served: 1, .. })), "{err}");

    // A fork: a different, validly signed entry 2 (the host holds a leaked update key).
    let forked = webvh::append(
        &alice.did,
        &genesis,
        &Change::Document(Box::new(party_document(&mediator))),
        &alice.signer,
        Some(&key()),
        None,
    )
    .expect("fork");
    tamper(&mediator, "alice", &forked).await;
    let err = resolver.resolve(&alice.did).await.expect_err("fork");
    assert!(matches!(err, mpc_client::Error::Identity(Error::LedgerFork { version: 2, .. })), "{err}");

    // Another DID's log at alice's address.
    tamper(&mediator, "alice", &bob.log).await;
    let err = resolver.resolve(&alice.did).await.expect_err("other DID");
    assert!(matches!(err, mpc_client::Error::Identity(Error::LedgerWrongDid { .. })), "{err}");

    // The honest log again: the pin was never moved by any of the above.
    tamper(&mediator, "alice", &two).await;
    assert_eq!(resolver.resolve(&alice.did).await.expect("honest").log.expect("log").version_number, 2);
}

/// A DID that names the mediator as its witness: the mediator co-signs every new entry, resolvers
/// require it, and a host that drops the proofs is caught.
async fn the_mediator_witnesses_logs_that_ask_it_to(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let home = tempfile::tempdir().expect("home");
    let resolver = resolver(home.path());
    let witness = resolver.ledger_witness(&mediator.base).await.expect("ledger info");
    assert_eq!(witness, mediator.state().witness_did());

    let address = mediator.state().ledger_address("wanda").expect("ledger");
    let (update, next, after) = (key(), key(), key());
    let back = chrono::Utc::now() - chrono::Duration::minutes(5);
    let (did, genesis) = webvh::create(
        &address,
        &party_document(&mediator),
        &update,
        Some(&next),
        Some(&witness),
        Some(back.fixed_offset()),
    )
    .expect("create");
    // Unwitnessed, the log does not verify anywhere...
    assert!(matches!(webvh::verify(&did, &genesis, None), Err(Error::LedgerInvalid { .. })));
    // ...published here, it does: the mediator added its proof.
    resolver.publish(&did, &genesis).await.expect("witnessed genesis");
    let resolved = resolver.resolve(&did).await.expect("resolves with the witness proof");
    let log = resolved.log.expect("log");
    assert_eq!(log.witnesses, vec![witness.clone()]);
    assert_eq!(log.witness_threshold, 1);

    let two = webvh::append(
        &did,
        &genesis,
        &Change::Document(Box::new(party_document(&mediator))),
        &next,
        Some(&after),
        None,
    )
    .expect("update");
    resolver.publish(&did, &two).await.expect("witnessed update");
    assert_eq!(resolver.resolve(&did).await.expect("v2").log.expect("log").version_number, 2);
    let proofs: serde_json::Value =
        mpc_test_support::get_json(&format!("{}/parties/wanda/did-witness.json", mediator.base)).await;
    let witnessed: Vec<&str> =
        proofs.as_array().expect("array").iter().filter_map(|p| p["versionId"].as_str()).collect();
    assert!(witnessed.contains(&log_version_id(&two, 2).as_str()), "{proofs}");

    // A log naming a witness this mediator is not cannot be completed here.
    let (_, other_genesis) = webvh::create(
        &mediator.state().ledger_address("otto").expect("ledger"),
        &party_document(&mediator),
        &key(),
        Some(&key()),
        Some(&webvh::did_key_of(&key())),
        Some(back.fixed_offset()),
    )
    .expect("create");
    let other_did = serde_json::from_str::<serde_json::Value>(other_genesis.lines().next().expect("line"))
        .expect("json")["state"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let err = resolver.publish(&other_did, &other_genesis).await.expect_err("unwitnessed");
    assert!(err.to_string().to_lowercase().contains("witness"), "{err}");
}

/// A DID whose witness is not the mediator: its controller brings the witness's proofs, with
/// the log or before the entry they witness; each is checked, and the file keeps only the proofs
/// still needed (did:webvh 1.0, "DID Witnesses").
async fn proofs_of_other_witnesses_are_uploaded_checked_and_pruned(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let home = tempfile::tempdir().expect("home");
    let resolver = resolver(home.path());
    let address = mediator.state().ledger_address("otto").expect("ledger");
    let (update, next, after, witness_key) = (key(), key(), key(), key());
    let back = chrono::Utc::now() - chrono::Duration::minutes(5);
    let (did, genesis) = webvh::create(
        &address,
        &party_document(&mediator),
        &update,
        Some(&next),
        Some(&webvh::did_key_of(&witness_key)),
        Some(back.fixed_offset()),
    )
    .expect("create");
    let err = resolver.publish(&did, &genesis).await.expect_err("unwitnessed");
    assert!(err.to_string().to_lowercase().contains("witness"), "{err}");

    // The witness signs (out of band); the controller publishes the log with its proof.
    let first_proofs = webvh::witness(&did, &genesis, None, &witness_key).expect("sign").expect("a witness");
    resolver.publish_with_witness_proofs(&did, &genesis, &first_proofs, None).await.expect("witnessed genesis");
    assert_eq!(resolver.resolve(&did).await.expect("resolves").log.expect("log").version_number, 1);

    // Proofs that do not hold are refused, each with its reason, and change nothing.
    let mut forged: serde_json::Value = serde_json::from_str(&first_proofs).expect("json");
    forged[0]["proof"][0]["proofValue"] =
        serde_json::json!("z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk6RCTaXLjTF1iNn8jBvUdAcANUSwEL6Wp8zJNRHqXMUkEv");
    let err = resolver.add_witness_proofs(&did, &forged.to_string()).await.expect_err("forged");
    assert!(err.to_string().contains("does not verify"), "{err}");
    let mut far: serde_json::Value = serde_json::from_str(&first_proofs).expect("json");
    far[0]["versionId"] = serde_json::json!("9-QmNotThere");
    let err = resolver.add_witness_proofs(&did, &far.to_string()).await.expect_err("far future");
    assert!(err.to_string().contains("the next one only"), "{err}");
    let err = resolver.add_witness_proofs(&did, "{}").await.expect_err("not a list");
    assert!(err.to_string().contains("must be a list"), "{err}");

    // An update: the proof is uploaded first (for the entry not yet published), then the log.
    let two = webvh::append(
        &did,
        &genesis,
        &Change::Document(Box::new(party_document(&mediator))),
        &next,
        Some(&after),
        None,
    )
    .expect("update");
    let second_proofs = webvh::witness(&did, &two, None, &witness_key).expect("sign").expect("a witness");
    resolver.add_witness_proofs(&did, &second_proofs).await.expect("a proof for the next entry");
    resolver.publish(&did, &two).await.expect("witnessed update");
    assert_eq!(resolver.resolve(&did).await.expect("v2").log.expect("log").version_number, 2);

    // Pruned: the proof on entry 2 approves entry 1, so it is all the file keeps.
    let served: serde_json::Value =
        mpc_test_support::get_json(&format!("{}/parties/otto/did-witness.json", mediator.base)).await;
    let records = served.as_array().expect("array");
    assert_eq!(records.len(), 1, "{served}");
    assert_eq!(records[0]["versionId"], log_version_id(&two, 2).as_str());
    assert_eq!(records[0]["proof"].as_array().map(Vec::len), Some(1));
    // And the earlier version still resolves with it.
    let v1 = resolver.resolve(&format!("{did}?versionNumber=1")).await.expect("v1 with the later proof");
    assert_eq!(v1.log.expect("log").version_number, 1);
}

fn log_version_id(log: &str, version: usize) -> String {
    let line = log.lines().nth(version - 1).expect("entry");
    serde_json::from_str::<serde_json::Value>(line).expect("json")["versionId"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn dropped_witness_proofs_are_caught() {
    let mediator = TestMediator::start(Backend::Sqlite).await;
    let home = tempfile::tempdir().expect("home");
    let resolver = resolver(home.path());
    let witness = mediator.state().witness_did();
    let address = mediator.state().ledger_address("wendy").expect("ledger");
    let (did, genesis) =
        webvh::create(&address, &party_document(&mediator), &key(), Some(&key()), Some(&witness), None)
            .expect("create");
    resolver.publish(&did, &genesis).await.expect("witnessed");
    resolver.resolve(&did).await.expect("resolves");
    let url = mpc_mediator::default_sqlite_url(&mediator.dir.path().join("data"));
    let pool = sqlx::SqlitePool::connect(&url).await.expect("db");
    sqlx::query("UPDATE ledger_logs SET witness = NULL WHERE name = 'wendy'").execute(&pool).await.expect("drop");
    pool.close().await;
    let err = resolver.resolve(&did).await.expect_err("unwitnessed");
    assert!(matches!(err, mpc_client::Error::Identity(Error::LedgerInvalid { .. })), "{err}");
}

/// did:webvh parties speak DIDComm with the mediator that hosts their log, always with the keys
/// of the log's current version; parties whose logs are not hosted here are refused.
async fn hosted_webvh_parties_talk_didcomm_with_their_current_keys(backend: Backend) {
    use mpc_client::mediator::MediatorClient;
    use mpc_identity::keystore::{Keystore, LedgerUpdate};

    let mediator = TestMediator::start(backend).await;
    let home = tempfile::tempdir().expect("home");
    let keystore = Keystore::open(home.path()).expect("keystore");
    let client = MediatorClient::connect(&mediator.base).await.expect("connect");
    let resolver = resolver(home.path());
    let address = mediator.state().ledger_address("vera").expect("ledger");

    // Not published yet: the mediator does not know the DID.
    let (vera, log) =
        keystore.create_webvh("vera", &address, Some(client.routing_endpoint()), None, "pw").expect("create");
    let err = client.enroll(&vera).await.expect_err("unknown DID");
    assert!(err.to_string().contains("hosts"), "{err}");

    resolver.publish(&vera.record.did, &log).await.expect("publish");
    client.enroll(&vera).await.expect("enrolled");
    client.ping(&vera).await.expect("ping");

    // Rotated but not yet published: the mediator still knows only the old keys.
    let change = LedgerUpdate { rotate_keys: true, ..Default::default() };
    let (rotated, log) = keystore.advance_webvh(&vera, &change, "pw").expect("rotate");
    assert!(client.ping(&rotated).await.is_err(), "the new keys must not work before they are published");
    resolver.publish(&rotated.record.did, &log).await.expect("publish rotation");
    client.ping(&rotated).await.expect("new keys work once published");
    assert!(client.ping(&vera).await.is_err(), "the old keys no longer work");
}

/// A did:webvh on its controller's own site (`https://org.example/vera`): the mediator cannot
/// fetch it, so the party leaves a copy of its log, which the mediator verifies like a hosted
/// one and keeps only as long as it is extended; a hosted DID's "copy" is its log at its path,
/// and a copy is not served as the DID's log.
async fn parties_on_their_own_site_talk_didcomm_through_a_copy_of_their_log(backend: Backend) {
    use mpc_client::mediator::MediatorClient;
    use mpc_identity::keystore::{Keystore, LedgerUpdate};

    let mediator = TestMediator::start(backend).await;
    let home = tempfile::tempdir().expect("home");
    let keystore = Keystore::open(home.path()).expect("keystore");
    let client = MediatorClient::connect(&mediator.base).await.expect("connect");
    let resolver = resolver(home.path());
    let site = url::Url::parse("https://org.example/vera").expect("url");
    let address = webvh::address_of(&site, &[]).expect("address");

    let (vera, log) =
        keystore.create_webvh("vera", &address, Some(client.routing_endpoint()), None, "pw").expect("create");
    assert!(vera.record.did.ends_with(":org.example:vera"), "{}", vera.record.did);
    let err = client.enroll(&vera).await.expect_err("no copy yet");
    assert!(err.to_string().contains("hosts"), "{err}");

    resolver.keep_copy_at(&mediator.base, &log, None, None).await.expect("copy kept");
    client.enroll(&vera).await.expect("enrolled through the copy");
    client.ping(&vera).await.expect("ping");

    // A rotation is known to the mediator once its copy is extended, and then only the new keys.
    let change = LedgerUpdate { rotate_keys: true, ..Default::default() };
    let (rotated, rotated_log) = keystore.advance_webvh(&vera, &change, "pw").expect("rotate");
    assert!(client.ping(&rotated).await.is_err(), "new keys before the copy has them");
    resolver.keep_copy_at(&mediator.base, &rotated_log, None, None).await.expect("copy extended");
    client.ping(&rotated).await.expect("new keys once the copy has them");
    assert!(client.ping(&vera).await.is_err(), "the old keys no longer work");

    // The copy only grows: the shorter log (a rollback) is refused.
    let err = resolver.keep_copy_at(&mediator.base, &log, None, None).await.expect_err("rollback");
    assert!(err.to_string().contains("fewer entries"), "{err}");

    // The log of a DID hosted here goes to its path, under the same rules.
    let alice = LedgerParty::create(&mediator, "alice");
    resolver.keep_copy_at(&mediator.base, &alice.log, None, None).await.expect("published at its path");
    let served =
        mpc_test_support::http().get(format!("{}/parties/alice/did.jsonl", mediator.base)).send().await.expect("get");
    assert_eq!(served.text().await.expect("text").trim(), alice.log.trim());

    // Nothing of the copy is served under a name: the DID's host is its own site.
    for name in ["vera", "_"] {
        let served = mpc_test_support::http()
            .get(format!("{}/parties/{name}/did.jsonl", mediator.base))
            .send()
            .await
            .expect("get");
        assert_eq!(served.status(), 404, "{name}");
    }
}
