//! The DID ledger host: did:webvh logs of parties, at the paths their DIDs name
//! (`did:webvh:{SCID}:{host}:parties:{name}` is served at `/parties/{name}/did.jsonl`).
//!
//! Hosting is not trusting: every reader verifies the whole log itself. The host's own checks
//! keep its store clean and its names honest. A log is accepted only if it verifies from its
//! first entry, names this host and path, and is either the first log for that name (first come,
//! first served) or extends the log already held, entry for entry. The signatures on the new
//! entries are the proof that the requester controls the DID's update key; nothing else about
//! the requester matters. The host never drops or rewrites an entry.
//!
//! A DID may name this mediator's `did:key` as its witness; the mediator then adds its proof for
//! each new latest entry to the DID's `did-witness.json`, and resolvers require it.

use mpc_identity::did::webvh;
use mpc_identity::keystore::validate_name;

use crate::Mediator;
use crate::error::{Error, Result};
use crate::store::HostedLog;

/// What a publication did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub did: String,
    pub entries: u32,
    /// `false` when the log was already stored exactly as sent.
    pub changed: bool,
}

impl Mediator {
    /// The DID a name here would have, with `{SCID}` for its SCID; `None` if this mediator's
    /// public address has no host name (did:webvh cannot name an IP address).
    pub fn ledger_address(&self, name: &str) -> Option<String> {
        let base = self.ledger_base.as_ref()?;
        webvh::address_of(base, &["parties", name]).ok()
    }

    /// The `did:key` with which this mediator witnesses the logs that ask it to.
    pub fn witness_did(&self) -> String {
        webvh::did_key_of(self.identity.keys.signing_key())
    }

    /// Stores a log published for `name`; see the module documentation for what is accepted.
    pub async fn publish_log(&self, name: &str, jsonl: &str) -> Result<Published> {
        validate_name(name).map_err(|e| Error::Malformed { kind: "DID log", reason: e.to_string() })?;
        let address = self.ledger_address(name).ok_or_else(|| {
            Error::NotAuthorized(
                "this mediator has no host name in its public URL, so it cannot host did:webvh logs \
                 (start it with --public-url http(s)://NAME:PORT/)"
                    .to_owned(),
            )
        })?;
        let did = claimed_did(jsonl)?;
        let expected_tail = address.split_once("{SCID}").map(|(_, tail)| tail).unwrap_or_default();
        if !did.starts_with(webvh::PREFIX) || !did.ends_with(expected_tail) || webvh::scid_of(&did)?.contains(':') {
            return Err(Error::NotAuthorized(format!("the log is for `{did}`, but this path hosts only `{address}`")));
        }
        let existing = self.store.ledger_log(name).await?;
        // Where the log names this mediator as its witness, it co-signs the latest entry; the
        // log must then verify with the witness proofs, ours included.
        let held_witness = existing.as_ref().and_then(|held| held.witness.clone());
        let witness =
            webvh::witness(&did, jsonl, held_witness.as_deref(), self.identity.keys.signing_key())?.or(held_witness);
        let verified = webvh::verify(&did, jsonl, witness.as_deref())?;
        let entries = verified.version_ids.len() as u32;
        let extends = match &existing {
            None => None,
            Some(held) if held.did != did => {
                return Err(Error::Conflict(format!("the name `{name}` is taken by `{}`", held.did)));
            }
            Some(held) => {
                check_extends(&held.log, jsonl, held.entries)?;
                if held.entries == entries {
                    return Ok(Published { did, entries, changed: false });
                }
                Some(held.entries)
            }
        };
        let log = HostedLog { did: did.clone(), log: jsonl.to_owned(), witness, entries };
        if !self.store.put_ledger_log(name, &log, extends, crate::now()).await? {
            return Err(Error::Conflict(format!(
                "the log of `{name}` changed while this update was checked; fetch it and retry"
            )));
        }
        tracing::info!(name, did = %did, entries, "hosted DID log updated");
        Ok(Published { did, entries, changed: true })
    }

    /// The current document of a did:webvh DID hosted here, verified; `None` if not hosted here
    /// or deactivated.
    pub async fn hosted_document(&self, did: &str) -> Result<Option<mpc_identity::did::DidDocument>> {
        let Some(name) = did.rsplit(':').next() else { return Ok(None) };
        let Some(hosted) = self.hosted_log(name).await? else { return Ok(None) };
        if hosted.did != did {
            return Ok(None);
        }
        let verified = webvh::verify(did, &hosted.log, hosted.witness.as_deref())?;
        Ok((!verified.deactivated).then_some(verified.document))
    }

    /// Before an envelope is opened: if its sender is a did:webvh party hosted here, (re)load and
    /// verify its current document, so that `resolve` can give it to the decryption and to the
    /// sealing of replies. Reloaded every time, so a rotation published through another instance
    /// is seen at once.
    pub async fn learn_sender(&self, envelope: &str) {
        let Ok(Some(sender)) = mpc_identity::envelope::encrypted::sender_did(envelope) else { return };
        if !sender.starts_with(webvh::PREFIX) {
            return;
        }
        let document = match self.hosted_document(&sender).await {
            Ok(document) => document,
            Err(e) => {
                tracing::warn!(did = %sender, error = %e, "could not load a hosted DID's document");
                None
            }
        };
        let mut documents = self.ledger_documents.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match document {
            Some(document) => documents.insert(sender, document),
            None => documents.remove(&sender),
        };
    }

    /// A DID document for DIDComm: self-certifying methods computed, did:webvh parties hosted here
    /// from their verified logs; anything else is refused.
    pub fn resolve(&self, did: &str) -> mpc_identity::Result<mpc_identity::did::DidDocument> {
        if did.starts_with(webvh::PREFIX) {
            let documents = self.ledger_documents.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            return documents.get(did).cloned().ok_or_else(|| mpc_identity::Error::ResolutionFailed {
                did: did.to_owned(),
                reason: "this mediator talks DIDComm only with did:webvh parties whose (active) logs it hosts"
                    .to_owned(),
            });
        }
        mpc_identity::did::resolve(did)
    }

    /// A hosted log, as stored.
    pub async fn hosted_log(&self, name: &str) -> Result<Option<HostedLog>> {
        if validate_name(name).is_err() {
            return Ok(None);
        }
        self.store.ledger_log(name).await
    }
}

/// The DID the log's first entry names (before anything is verified, to route the checks).
fn claimed_did(jsonl: &str) -> Result<String> {
    let first = jsonl.lines().next().unwrap_or_default();
    let entry: serde_json::Value = serde_json::from_str(first)
        .map_err(|e| Error::Malformed { kind: "DID log", reason: format!("the first entry is not JSON: {e}") })?;
    entry
        .pointer("/state/id")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Malformed { kind: "DID log", reason: "the first entry has no `state.id`".to_owned() })
}

/// A new log must hold every entry of the stored one, unchanged and in order.
fn check_extends(held: &str, new: &str, held_entries: u32) -> Result<()> {
    let mut new_lines = new.lines();
    for (i, held_line) in held.lines().enumerate() {
        match new_lines.next() {
            Some(line) if line == held_line => {}
            Some(_) => {
                return Err(Error::Conflict(format!(
                    "entry {} differs from the one hosted here: a log can only be extended, never rewritten",
                    i + 1
                )));
            }
            None => {
                return Err(Error::Conflict(format!(
                    "the log has fewer entries than the {held_entries} hosted here: entries can't be removed"
                )));
            }
        }
    }
    Ok(())
}
