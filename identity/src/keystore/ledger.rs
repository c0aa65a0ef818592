//! did:webvh identities in the keystore: the party keys, plus the log's update key and the
//! pre-rotation key committed to in the last entry, sealed together; the log itself is kept in
//! clear in the same file, so keys and log always change in one atomic rename.
//!
//! Every change is saved here *before* it is published: if publication fails or the process
//! dies, the keystore is ahead of the host and `mpc-id publish` sends the log again. The other
//! order could publish a commitment to a key that was never saved, locking the DID for good.

use std::fs;

use ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

use super::{DidMethod, FORMAT, IdentityRecord, Keystore, KeystoreFile, UnlockedIdentity, aad, validate_name};
use crate::did::MediatorEndpoint;
use crate::did::webvh::{self, Change, PartyDocument};
use crate::error::{Error, Result};
use crate::keys::{PartyKeys, PublicKey};

/// The keys that may extend a did:webvh log: `update` signed the last entry, `next` is the one
/// whose hash it committed to and the only key that can sign the next entry.
pub struct LedgerKeys {
    /// The key that signed the last entry.
    pub update: SigningKey,
    /// The key the last entry committed to (pre-rotation): the only one that can sign the next.
    pub next: SigningKey,
}

impl std::fmt::Debug for LedgerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerKeys")
            .field("update", &PublicKey::Ed25519(self.update.verifying_key()).to_multikey())
            .field("next", &"(secret)")
            .finish()
    }
}

impl LedgerKeys {
    fn generate() -> Result<Self> {
        Ok(LedgerKeys { update: random_key()?, next: random_key()? })
    }

    pub(super) fn from_secret_slice(secret: &[u8]) -> Option<Self> {
        let (update, next) = secret.split_at_checked(32)?;
        Some(LedgerKeys {
            update: SigningKey::from_bytes(update.try_into().ok()?),
            next: SigningKey::from_bytes(next.try_into().ok()?),
        })
    }
}

/// What a new log entry should change.
#[derive(Clone, Debug, Default)]
pub struct LedgerUpdate {
    /// Replace the party's signing and key-agreement keys.
    pub rotate_keys: bool,
    /// Publish this mediator instead (`Some(None)` removes it).
    pub mediator: Option<Option<MediatorEndpoint>>,
    /// End the DID.
    pub deactivate: bool,
    /// Name these origins in the document's `LinkedDomains` service instead (`Some(vec![])`
    /// removes it); `None` keeps what the current document names.
    pub linked_domains: Option<Vec<String>>,
}

impl Keystore {
    /// Creates a did:webvh identity at `address` (`did:webvh:{SCID}:host:parties:name`), its
    /// genesis entry signed and stored; the caller publishes the returned log. With `witness`
    /// (a `did:key`), every entry needs that witness's proof too.
    pub fn create_webvh(
        &self,
        name: &str,
        address: &str,
        mediator: Option<MediatorEndpoint>,
        witness: Option<&str>,
        passphrase: &str,
    ) -> Result<(UnlockedIdentity, String)> {
        let path = self.path_for_new(name, passphrase)?;
        let keys = PartyKeys::generate()?;
        let ledger = LedgerKeys::generate()?;
        let party = party_document(&keys, mediator.clone());
        let (did, log) = webvh::create(address, &party, &ledger.update, Some(&ledger.next), witness, None)?;
        let identity =
            UnlockedIdentity { record: record_for(name, &did, &party, mediator), keys, ledger: Some(ledger) };
        let json = self.file_json(&identity, &log, passphrase)?;
        self.write_new(name, &path, &json)?;
        tracing::info!(name, did = %did, "created did:webvh identity");
        Ok((identity, log))
    }

    /// The did:webvh log an identity holds (`None` for other methods).
    pub fn log_of(&self, name: &str) -> Result<Option<String>> {
        Ok(self.read(name)?.log)
    }

    /// Writes the next log entry and saves it with the keys it moved to, before anything is
    /// published. Returns the updated identity and the whole new log.
    pub fn advance_webvh(
        &self,
        identity: &UnlockedIdentity,
        change: &LedgerUpdate,
        passphrase: &str,
    ) -> Result<(UnlockedIdentity, String)> {
        let name = &identity.record.name;
        let ledger = identity.ledger.as_ref().ok_or_else(|| Error::NotWebvh { name: name.clone() })?;
        let log = self.log_of(name)?.ok_or_else(|| Error::NotWebvh { name: name.clone() })?;
        let keys = if change.rotate_keys {
            PartyKeys::generate()?
        } else {
            PartyKeys::from_secret_slice(identity.keys.secret_bytes().as_slice())
                .ok_or_else(|| Error::Rng("copying keys".to_owned()))?
        };
        let mediator = change.mediator.clone().unwrap_or_else(|| identity.record.mediator.clone());
        let mut party = party_document(&keys, mediator.clone());
        party.linked_domains = match &change.linked_domains {
            Some(origins) => origins.iter().map(|o| crate::domain::origin_of(o)).collect::<Result<_>>()?,
            None => crate::domain::linked_origins(&webvh::verify_own(&identity.record.did, &log)?.0),
        };
        // Pre-rotation: the committed key signs and becomes the update key; a fresh key is
        // committed to for the entry after.
        let following = random_key()?;
        let (new_log, next_ledger) = if change.deactivate {
            let log = webvh::append(&identity.record.did, &log, &Change::Deactivate, &ledger.next, None, None)?;
            (log, LedgerKeys { update: ledger.next.clone(), next: following })
        } else {
            let entry = Change::Document(Box::new(party.clone()));
            let log = webvh::append(&identity.record.did, &log, &entry, &ledger.next, Some(&following), None)?;
            (log, LedgerKeys { update: ledger.next.clone(), next: following })
        };
        let mut record = record_for(name, &identity.record.did, &party, mediator);
        record.created.clone_from(&identity.record.created);
        let updated = UnlockedIdentity { record, keys, ledger: Some(next_ledger) };
        let json = self.file_json(&updated, &new_log, passphrase)?;
        self.replace(name, &json)?;
        Ok((updated, new_log))
    }

    /// Deletes an identity (used when a new did:webvh identity could not be published).
    pub fn remove(&self, name: &str) -> Result<()> {
        validate_name(name)?;
        let path = self.path_of(name);
        fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))
    }

    fn file_json(&self, identity: &UnlockedIdentity, log: &str, passphrase: &str) -> Result<Vec<u8>> {
        let path = self.path_of(&identity.record.name);
        let ledger = identity.ledger.as_ref().ok_or_else(|| Error::NotWebvh { name: identity.record.name.clone() })?;
        let mut secret = Zeroizing::new([0u8; 128]);
        secret[..64].copy_from_slice(identity.keys.secret_bytes().as_slice());
        secret[64..96].copy_from_slice(&ledger.update.to_bytes());
        secret[96..].copy_from_slice(&ledger.next.to_bytes());
        let sealed = super::Sealed::seal(secret.as_slice(), passphrase, &aad(&identity.record.did))
            .map_err(|reason| Error::CorruptKeystore { path: path.clone(), reason })?;
        let file = KeystoreFile {
            format: FORMAT.to_owned(),
            identity: identity.record.clone(),
            sealed,
            log: Some(log.to_owned()),
        };
        serde_json::to_vec_pretty(&file).map_err(|e| Error::CorruptKeystore { path, reason: e.to_string() })
    }

    /// Atomically replaces an identity's file (the other process reading it sees old or new).
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<()> {
        super::replace_private_file(&self.path_of(name), bytes)
    }
}

/// The record must be what its own log says now: same DID, same keys, verified from genesis.
pub(super) fn check_record(record: &IdentityRecord, log: Option<&str>) -> std::result::Result<(), String> {
    let log = log.ok_or("a did:webvh identity without its log")?;
    // Witness proofs live with the host, so the party's own copy is checked without them.
    let (document, deactivated) = webvh::verify_own(&record.did, log).map_err(|e| e.to_string())?;
    if deactivated {
        return Ok(());
    }
    let signing = document.authentication_method(&record.signing_kid()).map_err(|e| e.to_string())?;
    if signing.public_key_multibase != record.authentication_key
        || !document.has_key_agreement_key(&record.key_agreement_key)
    {
        return Err("the keys in the record are not the ones its log publishes".to_owned());
    }
    Ok(())
}

fn party_document(keys: &PartyKeys, mediator: Option<MediatorEndpoint>) -> PartyDocument {
    PartyDocument {
        authentication: PublicKey::Ed25519(keys.verifying_key()),
        key_agreement: PublicKey::X25519(keys.agreement_public()),
        mediator,
        linked_domains: Vec::new(),
    }
}

fn record_for(name: &str, did: &str, party: &PartyDocument, mediator: Option<MediatorEndpoint>) -> IdentityRecord {
    IdentityRecord {
        name: name.to_owned(),
        did: did.to_owned(),
        method: DidMethod::Webvh,
        authentication_key: party.authentication.to_multikey(),
        key_agreement_key: party.key_agreement.to_multikey(),
        mediator,
        created: crate::now_rfc3339(),
    }
}

fn random_key() -> Result<SigningKey> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice()).map_err(|e| Error::Rng(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::did::webvh;

    /// A domain named once stays in every later entry (a key rotation keeps it) until replaced
    /// or removed.
    #[test]
    fn linked_domains_are_kept_by_later_entries_until_changed() {
        let home = tempfile::tempdir().expect("home");
        let keystore = Keystore::open(home.path()).expect("keystore");
        let (org, _) = keystore
            .create_webvh("org", "did:webvh:{SCID}:mediator.example.org:parties:org", None, None, "pw")
            .expect("create");
        let named = LedgerUpdate { linked_domains: Some(vec!["org.example".into()]), ..Default::default() };
        let (org, log) = keystore.advance_webvh(&org, &named, "pw").expect("name the domain");
        let linked =
            |log: &str| crate::domain::linked_origins(&webvh::verify_own(&org.record.did, log).expect("log").0);
        assert_eq!(linked(&log), ["https://org.example"]);
        let rotated = LedgerUpdate { rotate_keys: true, ..Default::default() };
        let (org, log) = keystore.advance_webvh(&org, &rotated, "pw").expect("rotate");
        assert_eq!(linked(&log), ["https://org.example"], "a rotation keeps the domain");
        let removed = LedgerUpdate { linked_domains: Some(Vec::new()), ..Default::default() };
        let (_, log) = keystore.advance_webvh(&org, &removed, "pw").expect("remove");
        assert!(linked(&log).is_empty());
    }
}
