//! did:webvh 1.0: a DID whose history is a hash-chained, signed log (`did.jsonl`) kept on a web
//! host. The host only stores the log; every reader verifies all of it (SCID, entry hashes,
//! `eddsa-jcs-2022` proofs by authorized update keys, pre-rotation commitments, witnesses), so a
//! host can refuse service but cannot forge or edit a party's keys.
//!
//! The log logic is `didwebvh-rs` (pinned); this module keeps it behind a small API: verify a
//! log, and write the entries a party needs (genesis, update, deactivation). What the library
//! cannot see, a log that is *shorter* than one seen before (rollback) or a different history
//! (fork), is caught by the peer book, which remembers the last entry it verified.
//!
//! The library's functions are `async` but do no I/O when given the log as text, so they are
//! driven to completion here with a single poll; this module stays synchronous.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use didwebvh_rs::log_entry::LogEntryMethods;
use didwebvh_rs::prelude::{DIDWebVHError, DIDWebVHState, Multibase, Parameters, Secret, Witnesses};
use ed25519_dalek::SigningKey;
use futures_util::FutureExt;
use serde_json::{Value, json};

use super::{DidDocument, MediatorEndpoint, document::DID_CONTEXT, document::MULTIKEY_CONTEXT};
use crate::error::{Error, Result};
use crate::keys::PublicKey;

mod witness;
pub use witness::{MAX_WITNESS_BYTES, merge_witness_proofs, witness};

/// What every did:webvh starts with.
pub const PREFIX: &str = "did:webvh:";
/// The log's file name next to the DID's path.
pub const LOG_FILE: &str = "did.jsonl";
/// The witness proofs' file name next to the log.
pub const WITNESS_FILE: &str = "did-witness.json";

/// A log larger than this is refused before parsing (a party's log is a few KiB per entry).
pub const MAX_LOG_BYTES: usize = 4 * 1024 * 1024;

/// A log verified from its first entry to its last, and the document it yields.
#[derive(Clone, Debug)]
pub struct VerifiedLog {
    /// The DID the log is of.
    pub did: String,
    /// The document at the requested version (the latest unless the DID URL asked otherwise).
    pub document: DidDocument,
    /// The document of the log's last entry (what peers pin and use).
    pub latest_document: DidDocument,
    /// The document exactly as the log holds it, for display.
    pub document_json: Value,
    /// The entry's `versionId` (`N-hash`).
    pub version_id: String,
    /// Its number N.
    pub version_number: u32,
    /// Its `versionTime`, as published.
    pub version_time: String,
    /// `versionId` of every entry, oldest first: what rollback and fork checks compare.
    pub version_ids: Vec<String>,
    /// Whether the controller deactivated the DID (true for every version of a deactivated
    /// DID: it is resolution metadata about the DID, not about one version).
    pub deactivated: bool,
    /// Whether the DID URL asked for one version (`versionId`, `versionNumber`, `versionTime`).
    pub version_requested: bool,
    /// Witness DIDs (`did:key:...`) the latest parameters require, with the threshold.
    pub witnesses: Vec<String>,
    /// How many witness proofs each entry needs (0: no witnesses).
    pub witness_threshold: u32,
    /// `versionTime` of the first entry: when, by its controller's word, the DID was created.
    pub created: String,
    /// `versionTime` of the last entry.
    pub updated: String,
    /// The DID's SCID.
    pub scid: String,
    /// Whether the DID may move to another web address.
    pub portable: bool,
}

impl VerifiedLog {
    /// The `versionId` of the last entry.
    pub fn latest_version_id(&self) -> &str {
        self.version_ids.last().map(String::as_str).unwrap_or_default()
    }

    /// did:webvh 1.0's DID document metadata (DID Resolution): `versionId` and `versionTime` of
    /// the version resolved, `created` and `updated` from the first and last entries, the SCID,
    /// `portable`, and `deactivated` (for every version of a deactivated DID).
    pub fn document_metadata(&self) -> Value {
        json!({
            "versionId": self.version_id,
            "versionNumber": self.version_number,
            "versionTime": self.version_time,
            "created": self.created,
            "updated": self.updated,
            "scid": self.scid,
            "portable": self.portable,
            "deactivated": self.deactivated,
        })
    }

    /// The document a resolver returns: none for a deactivated DID (did:webvh 1.0,
    /// "Deactivate": a resolver MUST NOT return it), unless an earlier version was asked for.
    pub fn resolved_document(&self) -> Option<&DidDocument> {
        (!self.deactivated || self.version_requested).then_some(&self.document)
    }
}

/// The public keys and endpoint a party publishes in its document.
#[derive(Clone, Debug)]
pub struct PartyDocument {
    /// The Ed25519 key listed under `authentication`.
    pub authentication: PublicKey,
    /// The X25519 key listed under `keyAgreement`.
    pub key_agreement: PublicKey,
    /// The mediator named as DIDComm service, if any.
    pub mediator: Option<MediatorEndpoint>,
    /// Origins (`https://example.org`) named in a `LinkedDomains` service: domains whose DID
    /// configuration links this DID (DIF Well Known DID Configuration), for peers to check.
    pub linked_domains: Vec<String>,
}

/// What a new log entry changes.
#[derive(Clone, Debug)]
pub enum Change {
    /// Publish a new document (new keys, new endpoint, or both).
    Document(Box<PartyDocument>),
    /// End the DID: no key can update it again, and resolvers report it deactivated.
    Deactivate,
}

/// The HTTP(S) location of a did:webvh DID's log or witness file. `localhost` is fetched over
/// plain HTTP (as the method's implementations agree, for development); every other host over
/// HTTPS.
pub fn file_url(did: &str, file: &str) -> Result<url::Url> {
    let parsed = didwebvh_rs::url::WebVHURL::parse_did_url(did).map_err(|e| Error::invalid_did(did, e.to_string()))?;
    parsed.get_http_url(Some(file)).map_err(|e| Error::invalid_did(did, e.to_string()))
}

/// Where a did:webvh DID lives, as people read it: its web host (`mpc.example.org`,
/// `localhost:8080`) and whether its log is fetched over HTTPS.
pub fn host_of(did: &str) -> Option<(String, bool)> {
    let url = file_url(did.split(['?', '#']).next().unwrap_or(did), LOG_FILE).ok()?;
    let host = url.host_str()?;
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    Some((host, url.scheme() == "https"))
}

/// How a DID is known, for showing beside it: a did:webvh by its host
/// (`mpc.example.org (did:webvh, resolved over HTTPS)`); nothing for DIDs that carry their keys.
pub fn provenance(did: &str) -> Option<String> {
    let (host, https) = host_of(did)?;
    Some(format!("{host} (did:webvh, resolved over {})", if https { "HTTPS" } else { "HTTP" }))
}

/// The SCID of a did:webvh DID (its first method-specific segment).
pub fn scid_of(did: &str) -> Result<&str> {
    let rest = did.strip_prefix(PREFIX).ok_or_else(|| Error::invalid_did(did, "not a did:webvh DID"))?;
    let scid = rest.split([':', '?', '#']).next().unwrap_or_default();
    if scid.is_empty() {
        return Err(Error::invalid_did(did, "no SCID"));
    }
    Ok(scid)
}

/// The DID a host address and path turn into, with `{SCID}` where the SCID will go:
/// `http://localhost:8080/parties/alice` -> `did:webvh:{SCID}:localhost%3A8080:parties:alice`.
pub fn address_of(base: &url::Url, path_segments: &[&str]) -> Result<String> {
    let host = base
        .host_str()
        .ok_or_else(|| Error::InvalidMediatorUrl { url: base.to_string(), reason: "no host".to_owned() })?;
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return Err(Error::InvalidMediatorUrl {
            url: base.to_string(),
            reason: "did:webvh needs a host name, not an IP address (use `localhost` on this machine)".to_owned(),
        });
    }
    let mut did = format!("{PREFIX}{{SCID}}:{host}");
    if let Some(port) = base.port() {
        did.push_str(&format!("%3A{port}"));
    }
    for segment in
        base.path_segments().into_iter().flatten().filter(|s| !s.is_empty()).chain(path_segments.iter().copied())
    {
        did.push(':');
        did.push_str(segment);
    }
    Ok(did)
}

/// Verifies a whole log for `did` (which may carry `?versionId=` / `?versionNumber=` /
/// `?versionTime=`), with the witness proofs if the log requires witnesses.
pub fn verify(did: &str, jsonl: &str, witness: Option<&str>) -> Result<VerifiedLog> {
    if jsonl.len() > MAX_LOG_BYTES {
        return Err(ledger(did, format!("the log is {} bytes, more than the {MAX_LOG_BYTES} accepted", jsonl.len())));
    }
    let base_did = did.split(['?', '#']).next().unwrap_or(did);
    let requested_scid = scid_of(base_did)?;
    // Which DID the log is for, before any proof is checked, so that a host serving the wrong
    // log gets an error that says so rather than a signature failure.
    let first: Value = jsonl
        .lines()
        .next()
        .filter(|line| !line.trim().is_empty())
        .ok_or_else(|| ledger(did, "the log is empty"))
        .and_then(|line| serde_json::from_str(line).map_err(|e| ledger(did, format!("entry 1 is not JSON: {e}"))))?;
    let served_scid = first.pointer("/parameters/scid").and_then(Value::as_str).unwrap_or_default();
    if served_scid != requested_scid {
        let served_did = first.pointer("/state/id").and_then(Value::as_str).unwrap_or("(no id)");
        return Err(Error::LedgerWrongDid { requested: base_did.to_owned(), served: served_did.to_owned() });
    }

    let mut state = DIDWebVHState::default();
    let (entry, meta) = poll_once(state.resolve_log(did, jsonl, witness)).map_err(|e| ledger(did, describe(&e)))?;
    let document_json = entry.get_state().clone();
    let entry_version_id = entry.get_version_id().to_owned();
    let as_document = |json: &Value, version_id: &str| {
        serde_json::from_value::<DidDocument>(json.clone())
            .map_err(|e| ledger(did, format!("the document at {version_id} is not a DID document: {e}")))
    };
    let document = as_document(&document_json, &entry_version_id)?;
    let version_ids: Vec<String> = state.log_entries().iter().map(|e| e.get_version_id().to_owned()).collect();
    // did:webvh 1.0, DID Verification step 6: the DID resolved must be exactly the `id` of at
    // least one entry's document ("didIdMatchCount > 0"); the same SCID is not enough (another
    // spelling of the host, a different path).
    if !state.log_entries().iter().any(|e| e.get_state().get("id").and_then(Value::as_str) == Some(base_did)) {
        let served = state.log_entries().last().and_then(|e| e.get_state().get("id")).and_then(Value::as_str);
        return Err(Error::LedgerWrongDid {
            requested: base_did.to_owned(),
            served: served.unwrap_or("(no id)").to_owned(),
        });
    }
    // The whole log was verified whatever version was asked for; the latest document too.
    let latest_document = match state.log_entries().last() {
        Some(last) if last.get_version_id() != entry_version_id => {
            as_document(last.get_state(), last.get_version_id())?
        }
        _ => document.clone(),
    };
    let (witnesses, witness_threshold) = match meta.witness.as_ref() {
        Some(w) => (w.witnesses().unwrap_or_default().iter().map(|w| w.as_did()).collect(), w.threshold().unwrap_or(0)),
        None => (Vec::new(), 0),
    };
    Ok(VerifiedLog {
        did: base_did.to_owned(),
        document,
        latest_document,
        document_json,
        version_id: meta.version_id,
        version_number: meta.version_number,
        version_time: meta.version_time,
        version_ids,
        deactivated: meta.deactivated,
        version_requested: did.contains('?'),
        witnesses,
        witness_threshold,
        // As published (the library's `updated` is a display form of the time, not RFC 3339).
        created: state.log_entries().first().map(|e| e.log_entry.get_version_time_string()).unwrap_or_default(),
        updated: state.log_entries().last().map(|e| e.log_entry.get_version_time_string()).unwrap_or_default(),
        scid: meta.scid,
        portable: meta.portable,
    })
}

/// The genesis entry of a new DID at `address` (from [`address_of`]).
///
/// `update_key` signs it and may sign the next entry only if pre-rotation is off; with
/// `next_update_key` given, the log commits to that key's hash and only it can sign the next
/// entry (pre-rotation). `witness` names a `did:key` witness (threshold 1) whose proof every
/// entry then needs: the host that holds that key adds it when the log is published.
pub fn create(
    address: &str,
    party: &PartyDocument,
    update_key: &SigningKey,
    next_update_key: Option<&SigningKey>,
    witness: Option<&str>,
    at: Option<DateTime<FixedOffset>>,
) -> Result<(String, String)> {
    if !address.starts_with(PREFIX) || !address.contains("{SCID}") {
        return Err(ledger(address, "the address must be a did:webvh DID with a `{SCID}` placeholder"));
    }
    let mut parameters = Parameters {
        update_keys: Some(Arc::new(vec![Multibase::new(multikey(update_key))])),
        portable: Some(false),
        ..Default::default()
    };
    if let Some(next) = next_update_key {
        parameters.next_key_hashes = Some(Arc::new(vec![Multibase::new(next_key_hash(next)?)]));
    }
    if let Some(witness_did) = witness {
        parameters.witness = Some(Arc::new(witnesses(witness_did)?));
    }
    let document = replace_placeholder(document_template(party), address);
    let mut state = DIDWebVHState::default();
    // The library's own `create_did` would also sign witness proofs, which needs the
    // witness's secret; a party has only its own keys, so the entry is written directly.
    let entry = poll_once(state.create_log_entry(at, &document, &parameters, &secret_of(update_key)))
        .map_err(|e| ledger(address, describe(&e)))?;
    let did = entry.get_state().get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    let line = serde_json::to_string(&entry.log_entry).map_err(|e| ledger(address, e.to_string()))?;
    Ok((did, format!("{line}\n")))
}

/// Appends one change to a log, signed by `signer`: the current update key, or (with
/// pre-rotation) the committed next key. Returns the whole new log.
///
/// With `next_update_key`, the new entry makes `signer` the update key and commits to the next
/// one (pre-rotation continues); without, the new entry keeps the current update keys.
pub fn append(
    did: &str,
    jsonl: &str,
    change: &Change,
    signer: &SigningKey,
    next_update_key: Option<&SigningKey>,
    at: Option<DateTime<FixedOffset>>,
) -> Result<String> {
    let base_did = did.split(['?', '#']).next().unwrap_or(did);
    let mut state = entries_verified(base_did, jsonl)?;
    let last = state.log_entries().last().ok_or_else(|| ledger(did, "the log is empty"))?;
    if last.validated_parameters.deactivated == Some(true) {
        return Err(Error::Deactivated { did: base_did.to_owned() });
    }
    let last_time = last.log_entry.get_version_time();
    let mut parameters = last.validated_parameters.clone();
    let document = match change {
        Change::Document(party) => {
            if let Some(next) = next_update_key {
                parameters.update_keys = Some(Arc::new(vec![Multibase::new(multikey(signer))]));
                parameters.next_key_hashes = Some(Arc::new(vec![Multibase::new(next_key_hash(next)?)]));
            }
            replace_placeholder(document_template(party), base_did)
        }
        Change::Deactivate => {
            let document = last.get_state().clone();
            if parameters.pre_rotation_active {
                // Pre-rotation must end before the DID can: an entry revealing the committed
                // key as the update key and committing to nothing more.
                let mut teardown = parameters.clone();
                teardown.update_keys = Some(Arc::new(vec![Multibase::new(multikey(signer))]));
                teardown.next_key_hashes = Some(Arc::new(Vec::new()));
                let time = at.unwrap_or_else(|| next_version_time(Some(last_time)));
                poll_once(state.create_log_entry(Some(time), &document, &teardown, &secret_of(signer)))
                    .map_err(|e| ledger(did, describe(&e)))?;
                parameters = state.log_entries().last().map(|e| e.validated_parameters.clone()).unwrap_or(teardown);
            }
            parameters.deactivated = Some(true);
            parameters.update_keys = Some(Arc::new(Vec::new()));
            document
        }
    };
    let previous = state.log_entries().last().map(|e| e.log_entry.get_version_time());
    let time = match (at, change) {
        (Some(at), Change::Document(_)) => at,
        _ => next_version_time(previous),
    };
    poll_once(state.create_log_entry(Some(time), &document, &parameters, &secret_of(signer)))
        .map_err(|e| ledger(did, describe(&e)))?;
    let mut out = String::with_capacity(jsonl.len() + 2048);
    for entry in state.log_entries() {
        out.push_str(&serde_json::to_string(&entry.log_entry).map_err(|e| ledger(did, e.to_string()))?);
        out.push('\n');
    }
    Ok(out)
}

/// The latest document of a log as its controller wrote it, every entry verified but witness
/// proofs not required (the host holds those): how a party checks its own stored log. Returns the
/// document and whether the DID is deactivated.
pub fn verify_own(did: &str, jsonl: &str) -> Result<(DidDocument, bool)> {
    let state = entries_verified(did, jsonl)?;
    let latest = state.log_entries().last().ok_or_else(|| ledger(did, "the log is empty"))?;
    let document: DidDocument = serde_json::from_value(latest.get_state().clone())
        .map_err(|e| ledger(did, format!("the latest document is not a DID document: {e}")))?;
    Ok((document, latest.validated_parameters.deactivated == Some(true)))
}

/// The log's entries, each verified against the one before (hashes, signatures by authorized
/// keys, parameter transitions) but without witness proofs: for a party's own log, and for a
/// host about to add its witness proof.
pub(super) fn entries_verified(did: &str, jsonl: &str) -> Result<DIDWebVHState> {
    if jsonl.len() > MAX_LOG_BYTES {
        return Err(ledger(did, format!("the log is more than the {MAX_LOG_BYTES} bytes accepted")));
    }
    let entries = DIDWebVHState::parse_log_entries(jsonl).map_err(|e| ledger(did, describe(&e)))?;
    let mut state = DIDWebVHState::default();
    for mut entry in entries {
        entry.verify_log_entry(state.log_entries().last()).map_err(|e| ledger(did, describe(&e)))?;
        state.log_entries_mut().push(entry);
    }
    let first_id = state.log_entries().first().and_then(|e| e.get_state().get("id")).and_then(Value::as_str);
    if first_id != Some(did) {
        return Err(Error::LedgerWrongDid {
            requested: did.to_owned(),
            served: first_id.unwrap_or("(none)").to_owned(),
        });
    }
    Ok(state)
}

/// The `nextKeyHashes` entry committing to `key` (base58btc multihash of its multikey).
pub fn next_key_hash(key: &SigningKey) -> Result<String> {
    secret_of(key).get_public_keymultibase_hash().map_err(|e| Error::invalid_key(&multikey(key), e.to_string()))
}

/// The `did:key` DID of an Ed25519 key: how update keys and witnesses are named in proofs.
pub fn did_key_of(key: &SigningKey) -> String {
    format!("did:key:{}", multikey(key))
}

/// The document a party publishes; `{DID}` is replaced by the DID once the SCID is known.
fn document_template(party: &PartyDocument) -> Value {
    let mut document = json!({
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": "{DID}",
        "verificationMethod": [
            { "id": "{DID}#key-1", "type": "Multikey", "controller": "{DID}",
              "publicKeyMultibase": party.authentication.to_multikey() },
            { "id": "{DID}#key-2", "type": "Multikey", "controller": "{DID}",
              "publicKeyMultibase": party.key_agreement.to_multikey() },
        ],
        "authentication": ["{DID}#key-1"],
        "assertionMethod": ["{DID}#key-1"],
        "keyAgreement": ["{DID}#key-2"],
    });
    let mut services = Vec::new();
    if let Some(mediator) = &party.mediator {
        services.push(json!({
            "id": "{DID}#didcomm",
            "type": "DIDCommMessaging",
            "serviceEndpoint": { "uri": mediator.uri, "accept": ["didcomm/v2"], "routingKeys": mediator.routing_keys },
        }));
    }
    if !party.linked_domains.is_empty() {
        services.push(json!({
            "id": "{DID}#linked-domains",
            "type": "LinkedDomains",
            "serviceEndpoint": { "origins": party.linked_domains },
        }));
    }
    if !services.is_empty() {
        document["service"] = Value::Array(services);
    }
    document
}

fn replace_placeholder(value: Value, did: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace("{DID}", did)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| replace_placeholder(v, did)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, replace_placeholder(v, did))).collect()),
        other => other,
    }
}

fn witnesses(witness_did: &str) -> Result<Witnesses> {
    let key = witness_did
        .strip_prefix("did:key:")
        .ok_or_else(|| Error::invalid_did(witness_did, "a did:webvh witness must be a did:key"))?;
    PublicKey::from_multikey(key)?.as_ed25519()?;
    Witnesses::builder()
        .threshold(1)
        .witness(Multibase::new(key.to_owned()))
        .build()
        .map_err(|e| Error::invalid_did(witness_did, describe(&e)))
}

/// A time for the next entry: now (whole seconds), but never at or before the previous entry.
/// Sleeps up to a second when two entries are written within one.
fn next_version_time(previous: Option<DateTime<FixedOffset>>) -> DateTime<FixedOffset> {
    loop {
        let now = Utc::now();
        let now = now.with_nanosecond(0).unwrap_or(now).fixed_offset();
        match previous {
            Some(previous) if now <= previous => {
                std::thread::sleep(Duration::from_millis(1000 - u64::from(Utc::now().timestamp_subsec_millis())));
            }
            _ => return now,
        }
    }
}

/// Our Ed25519 key in the form the did:webvh library signs with.
pub(crate) fn secret_of(key: &SigningKey) -> Secret {
    let multikey = multikey(key);
    Secret::generate_ed25519(Some(&format!("did:key:{multikey}#{multikey}")), Some(&key.to_bytes()))
}

/// A signer for Data Integrity proofs whose `verificationMethod` is `kid`.
pub(crate) fn secret_with_id(key: &SigningKey, kid: &str) -> Secret {
    Secret::generate_ed25519(Some(kid), Some(&key.to_bytes()))
}

fn multikey(key: &SigningKey) -> String {
    PublicKey::Ed25519(key.verifying_key()).to_multikey()
}

fn poll_once<T>(future: impl std::future::Future<Output = Result<T, DIDWebVHError>>) -> Result<T, DIDWebVHError> {
    future.now_or_never().unwrap_or_else(|| {
        Err(DIDWebVHError::ServerError("the did:webvh library waited on I/O where none was expected".to_owned()))
    })
}

pub(super) fn ledger(did: &str, reason: impl Into<String>) -> Error {
    Error::LedgerInvalid { did: did.to_owned(), reason: reason.into() }
}

/// The library's messages start with its variant name (`ValidationError: ...`); keep the rest.
fn describe(error: &DIDWebVHError) -> String {
    let text = error.to_string();
    match text.split_once(": ") {
        Some((head, rest)) if !head.contains(' ') => rest.to_owned(),
        _ => text,
    }
}
