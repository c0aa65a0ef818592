//! did:webvh logs built by hand from the did:webvh 1.0 text (SCID, entry hashes and
//! `eddsa-jcs-2022` proofs computed here, independently of the library that verifies them), each
//! with the outcome the specification gives it: what it allows is accepted exactly as written,
//! what it says to refuse is refused with its own reason.

use ed25519_dalek::{Signer, SigningKey};
use mpc_identity::Error;
use mpc_identity::did::webvh;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ADDRESS: &str = "did:webvh:{SCID}:localhost%3A8080:parties:alice";

fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// `z` + base58btc of the Ed25519 multicodec key.
fn multikey(key: &SigningKey) -> String {
    let mut bytes = vec![0xed, 0x01];
    bytes.extend_from_slice(key.verifying_key().as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

fn jcs(value: &Value) -> String {
    serde_json_canonicalizer::to_string(value).expect("jcs")
}

/// base58btc of the SHA-256 multihash of the JCS form (SCIDs and entry hashes).
fn multihash(value: &Value) -> String {
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&Sha256::digest(jcs(value).as_bytes()));
    bs58::encode(bytes).into_string()
}

/// The `eddsa-jcs-2022` proof of `document` by `key` (Data Integrity EdDSA, section 3.3).
fn prove(document: &Value, key: &SigningKey, created: &str) -> Value {
    let mk = multikey(key);
    let mut proof = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": format!("did:key:{mk}#{mk}"),
        "proofPurpose": "assertionMethod",
        "created": created,
    });
    let mut hash_data = Sha256::digest(jcs(&proof).as_bytes()).to_vec();
    hash_data.extend_from_slice(&Sha256::digest(jcs(document).as_bytes()));
    let signature = key.sign(&hash_data);
    proof["proofValue"] = json!(format!("z{}", bs58::encode(signature.to_bytes()).into_string()));
    proof
}

/// One entry to write: its `versionTime` text, extra parameters, and whether it deactivates.
struct Entry {
    time: &'static str,
    parameters: Value,
}

impl Entry {
    fn at(time: &'static str) -> Self {
        Entry { time, parameters: json!({}) }
    }
}

fn document(did: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
    })
}

/// A log whose first entry has `genesis` parameters (merged over the usual ones) and whose
/// later entries change only what they name; all signed by one update key. Returns the DID and
/// the log.
fn craft(genesis_parameters: Value, entries: &[Entry]) -> (String, String) {
    let key = signing_key(7);
    let mut parameters = json!({
        "method": "did:webvh:1.0",
        "scid": "{SCID}",
        "updateKeys": [multikey(&key)],
        "portable": false,
    });
    for (name, value) in genesis_parameters.as_object().expect("object") {
        parameters[name] = value.clone();
    }
    let first = &entries[0];
    let mut genesis = json!({
        "versionId": "{SCID}",
        "versionTime": first.time,
        "parameters": parameters,
        "state": document(ADDRESS),
    });
    let scid = multihash(&genesis);
    genesis = serde_json::from_str(&jcs(&genesis).replace("{SCID}", &scid)).expect("json");
    let did = genesis["state"]["id"].as_str().expect("id").to_owned();

    let mut lines = Vec::new();
    let mut previous_version_id = scid.clone();
    for (n, entry) in entries.iter().enumerate() {
        let mut unsigned = if n == 0 {
            genesis.clone()
        } else {
            json!({
                "versionId": previous_version_id,
                "versionTime": entry.time,
                "parameters": entry.parameters,
                "state": document(&did),
            })
        };
        unsigned["versionId"] = json!(previous_version_id);
        let version_id = format!("{}-{}", n + 1, multihash(&unsigned));
        unsigned["versionId"] = json!(version_id);
        let proof = prove(&unsigned, &key, entry.time);
        unsigned["proof"] = json!([proof]);
        lines.push(serde_json::to_string(&unsigned).expect("line"));
        previous_version_id = version_id;
    }
    (did, lines.join("\n") + "\n")
}

fn refusal(did: &str, log: &str) -> String {
    match webvh::verify(did, log, None) {
        Ok(verified) => panic!("accepted: version {}", verified.version_id),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_log_written_here_by_the_spec_verifies() {
    let (did, log) = craft(json!({}), &[Entry::at("2026-01-01T10:00:00Z"), Entry::at("2026-01-01T11:00:00Z")]);
    let verified = webvh::verify(&did, &log, None).expect("a hand-built log verifies");
    assert_eq!(verified.version_number, 2);
}

#[test]
fn version_times_are_verified_as_published() {
    // UTC as `+00:00`, and with fractional seconds: both valid, both hashed as written.
    let (did, log) = craft(json!({}), &[Entry::at("2026-01-01T10:00:00+00:00"), Entry::at("2026-01-01T10:00:00.250Z")]);
    let verified = webvh::verify(&did, &log, None).expect("UTC written either way verifies");
    assert_eq!(verified.version_time, "2026-01-01T10:00:00.250Z", "reported as published");
    let first = webvh::verify(&format!("{did}?versionNumber=1"), &log, None).expect("version 1");
    assert_eq!(first.version_time, "2026-01-01T10:00:00+00:00");
}

#[test]
fn a_version_time_not_in_utc_is_refused() {
    let (did, log) = craft(json!({}), &[Entry::at("2026-01-01T12:00:00+02:00")]);
    let reason = refusal(&did, &log);
    assert!(reason.contains("not UTC"), "{reason}");
}

#[test]
fn an_unknown_method_version_is_refused() {
    for method in ["did:webvh:99.0", "did:webvh:1.0-rc1", "didwebvh:1.0"] {
        let (did, log) = craft(json!({ "method": method }), &[Entry::at("2026-01-01T10:00:00Z")]);
        let reason = refusal(&did, &log);
        assert!(reason.contains(method) && reason.contains("not a did:webvh version"), "{method}: {reason}");
    }
}

#[test]
fn an_unknown_parameter_is_refused_by_name() {
    let (did, log) = craft(json!({ "frobnicate": true }), &[Entry::at("2026-01-01T10:00:00Z")]);
    let reason = refusal(&did, &log);
    assert!(reason.contains("unknown field `frobnicate`"), "{reason}");
    // Also in a later entry.
    let mut later = Entry::at("2026-01-01T11:00:00Z");
    later.parameters = json!({ "colour": "blue" });
    let (did, log) = craft(json!({}), &[Entry::at("2026-01-01T10:00:00Z"), later]);
    let reason = refusal(&did, &log);
    assert!(reason.contains("unknown field `colour`"), "{reason}");
}

#[test]
fn the_did_resolved_must_be_exactly_the_logs_id() {
    let (did, log) = craft(json!({}), &[Entry::at("2026-01-01T10:00:00Z")]);
    assert!(did.contains("%3A8080"), "{did}");
    // The same host and port, percent-encoded in lower case: another DID string, not this log's.
    let other_spelling = did.replace("%3A8080", "%3a8080");
    match webvh::verify(&other_spelling, &log, None) {
        Err(Error::LedgerWrongDid { requested, served }) => {
            assert_eq!((requested.as_str(), served.as_str()), (other_spelling.as_str(), did.as_str()));
        }
        other => panic!("expected a wrong-DID refusal, got {other:?}"),
    }
}

#[test]
fn a_deactivated_did_resolves_to_no_document_but_its_versions_do() {
    let mut end = Entry::at("2026-01-01T11:00:00Z");
    end.parameters = json!({ "deactivated": true, "updateKeys": [] });
    let (did, log) = craft(json!({}), &[Entry::at("2026-01-01T10:00:00Z"), end]);
    let verified = webvh::verify(&did, &log, None).expect("verifies");
    assert!(verified.deactivated);
    assert!(verified.resolved_document().is_none(), "a resolver MUST NOT return the document of a deactivated DID");
    let first = webvh::verify(&format!("{did}?versionNumber=1"), &log, None).expect("version 1");
    assert!(first.deactivated, "the metadata says deactivated for earlier versions too");
    assert_eq!(first.resolved_document().map(|d| d.id.as_str()), Some(did.as_str()));
}
