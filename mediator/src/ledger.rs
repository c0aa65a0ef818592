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
//! The open internet makes hosting a resource to bound: a client address may create only a few
//! names a day, a log holds at most a configured number of entries (and `MAX_LOG_BYTES`), and
//! the documents kept for decrypting senders' envelopes are cached by bytes, re-verified only
//! when their log grew, so an envelope naming a large hosted log costs one lookup, not a
//! verification of the whole log.
//!
//! Verifying is the expensive part (a large log takes a tenth of a second), and anyone can ask
//! for it, so nothing is verified that cannot change anything: a log sent again as hosted, or
//! witness proofs that are all held already, are answered from what is stored. What must be
//! verified is paid for from the client network's CPU budget (`--ledger-cpu-ms-per-second`,
//! see `budget`), checked before and charged after, so a flood of uploads from a few addresses
//! costs a bounded share of the machine.
//!
//! A DID may name this mediator's `did:key` as its witness; the mediator then adds its proof for
//! each new latest entry to the DID's `did-witness.json`, and resolvers require it. Proofs of
//! other witnesses come from the DID's controller, with the log or on their own (for the entry
//! about to be published); the file keeps only the proofs still needed.

use mpc_identity::did::webvh;
use mpc_identity::keystore::validate_name;

use crate::Mediator;
use crate::error::{Error, Result};
use crate::store::HostedLog;

/// What a publication did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Published {
    pub did: String,
    pub entries: u32,
    /// `false` when the log was already stored exactly as sent.
    pub changed: bool,
}

impl Mediator {
    /// The DID a name here would have, with `{SCID}` for its SCID; `None` if this mediator's
    /// public address has no host name (did:webvh cannot name an IP address).
    pub(crate) fn ledger_address(&self, name: &str) -> Option<String> {
        let base = self.ledger_base.as_ref()?;
        webvh::address_of(base, &["parties", name]).ok()
    }

    /// The `did:key` with which this mediator witnesses the logs that ask it to.
    pub(crate) fn witness_did(&self) -> String {
        webvh::did_key_of(self.identity.keys.signing_key())
    }

    /// Stores a log published for `name`; see the module documentation for what is accepted.
    /// A new name needs, on a closed mediator, an enrollment `token` (one of its uses): the name
    /// is the identity's enrollment, and a DID hosted here then enrolls without another.
    pub(crate) async fn publish_log(
        &self,
        name: &str,
        jsonl: &str,
        uploaded_witness: Option<&str>,
        client: std::net::IpAddr,
        token: Option<&str>,
    ) -> Result<Published> {
        validate_name(name).map_err(|e| Error::Malformed { kind: "DID log", reason: e.to_string() })?;
        self.check_size(jsonl)?;
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
        self.store_log(name, did, jsonl, uploaded_witness, client, token).await
    }

    /// Keeps a copy of the log of a did:webvh DID hosted elsewhere (on its controller's own
    /// domain), so that this mediator can talk DIDComm with it: open its envelopes, seal replies,
    /// take its enrollment. The copy is not served (the DID's host is where resolvers look), and
    /// it is accepted exactly like a hosted log: verified whole, first come or an extension of
    /// the copy held, a new one within the address's names of the day (and a token on a closed
    /// mediator). Its name here is `_` and a digest of the DID, which no hosted name can be.
    /// The log of a DID hosted here is published at its path instead.
    pub(crate) async fn keep_copy(
        &self,
        jsonl: &str,
        uploaded_witness: Option<&str>,
        client: std::net::IpAddr,
        token: Option<&str>,
    ) -> Result<Published> {
        self.check_size(jsonl)?;
        let did = claimed_did(jsonl)?;
        if !did.starts_with(webvh::PREFIX) || webvh::scid_of(&did)?.contains(':') || did.contains(['?', '#']) {
            return Err(Error::Malformed { kind: "DID log", reason: format!("`{did}` is not a did:webvh DID") });
        }
        // A DID hosted here has its log at its path, under the same rules: that is the copy.
        if let Some(name) = self.hosted_name(&did) {
            return self.publish_log(&name, jsonl, uploaded_witness, client, token).await;
        }
        self.store_log(&copy_name(&did), did, jsonl, uploaded_witness, client, token).await
    }

    /// Refuses a log over the configured size or number of entries, before anything is parsed.
    fn check_size(&self, jsonl: &str) -> Result<()> {
        let max_bytes = self.config.ledger_max_bytes;
        if jsonl.len() > max_bytes {
            return Err(Error::Quota(format!(
                "the log is {} bytes; this mediator hosts logs of at most {max_bytes} bytes",
                jsonl.len()
            )));
        }
        let max_entries = self.config.ledger_max_entries;
        let lines = jsonl.lines().filter(|line| !line.trim().is_empty()).count();
        if lines > max_entries as usize {
            return Err(Error::Quota(format!(
                "the log has {lines} entries; this mediator hosts logs of at most {max_entries}"
            )));
        }
        Ok(())
    }

    /// The name under which the log of `did` is stored here: its path name if this mediator
    /// hosts it, the name of its copy otherwise.
    fn stored_name(&self, did: &str) -> String {
        self.hosted_name(did).unwrap_or_else(|| copy_name(did))
    }

    /// The name of a DID whose address is on this mediator's ledger (`...:parties:NAME`).
    fn hosted_name(&self, did: &str) -> Option<String> {
        let name = did.rsplit(':').next().filter(|name| validate_name(name).is_ok())?;
        let address = self.ledger_address(name)?;
        let tail = address.split_once("{SCID}").map(|(_, tail)| tail)?;
        did.ends_with(tail).then(|| name.to_owned())
    }

    /// [`Mediator::publish_log`] and [`Mediator::keep_copy`] once the place is settled: the
    /// same checks for both, against the log stored under `name`.
    async fn store_log(
        &self,
        name: &str,
        did: String,
        jsonl: &str,
        uploaded_witness: Option<&str>,
        client: std::net::IpAddr,
        token: Option<&str>,
    ) -> Result<Published> {
        let existing = self.store.ledger_log(name).await?;
        // Sent again exactly as hosted, with no witness proof not held: nothing to verify.
        if let Some(held) = &existing
            && held.did == did
            && same_entries(&held.log, jsonl)
            && uploaded_witness.map_or(Ok(0), |uploaded| new_proofs(held.witness.as_deref(), uploaded))? == 0
        {
            return Ok(Published { did, entries: held.entries, changed: false });
        }
        if let Some(held) = &existing {
            if held.did != did {
                return Err(Error::Conflict(format!("the name `{name}` is taken by `{}`", held.did)));
            }
            check_extends(&held.log, jsonl, held.entries)?;
        }
        let source = crate::protocol::source_of(client);
        if existing.is_none() && self.config.require_token {
            let token = token.ok_or_else(|| {
                Error::NotAuthorized(
                    "this mediator hosts new DIDs only for holders of an enrollment token from its operator \
                     (mpc-id new --method webvh --mediator URL --token TOKEN)"
                        .into(),
                )
            })?;
            // Spent only once the log verified (below), so a bad log costs no use.
            if !self.store.token_valid(&crate::tokens::digest(token), self.now()).await? {
                return Err(Error::NotAuthorized("the enrollment token is unknown, used up or expired".into()));
            }
        }
        // A new name takes one of the address's names of the day now, in one statement (so
        // concurrent requests cannot pass the limit), and gives it back if it is not published.
        let reserved = match existing {
            None => Some(self.reserve_name(&source).await?),
            Some(_) => None,
        };
        let published =
            self.publish_checked(name, &did, jsonl, uploaded_witness, existing, source.clone(), client, token).await;
        if let (Some(Some(day)), false) = (reserved, published.as_ref().is_ok_and(|p| p.changed))
            && let Err(e) = self.store.release_ledger_name(&source, day).await
        {
            tracing::warn!(error = %e, "could not give back a reserved ledger name");
        }
        published
    }

    /// The rest of [`Mediator::publish_log`], once the name is reserved: verify, then store.
    #[allow(clippy::too_many_arguments)]
    async fn publish_checked(
        &self,
        name: &str,
        did: &str,
        jsonl: &str,
        uploaded_witness: Option<&str>,
        existing: Option<HostedLog>,
        source: String,
        client: std::net::IpAddr,
        token: Option<&str>,
    ) -> Result<Published> {
        let did = did.to_owned();
        // What failed before fails again: refused for a hash, not a verification.
        let held_witness = existing.as_ref().and_then(|held| held.witness.as_deref()).unwrap_or_default();
        let key = crate::refusals::key(&[&did, jsonl, held_witness, uploaded_witness.unwrap_or_default()]);
        if let Some(reason) = self.ledger_refusals.get(&key) {
            return Err(Error::Malformed { kind: "DID log", reason: format!("{reason} (refused before)") });
        }
        let started = self.spend_ledger_cpu(client)?;
        self.metrics.ledger_verifications.inc();
        let checked = self.check_publication(&did, jsonl, existing.as_ref(), uploaded_witness);
        self.ledger_cpu.charge(client, started.elapsed().as_secs_f64() * 1e3);
        if let Err(error) = &checked {
            self.ledger_refusals.insert(key, &error.to_string());
        }
        let (witness, entries) = checked?;
        let extends = match &existing {
            None => None,
            Some(held) => {
                if held.entries == entries {
                    return Ok(Published { did, entries, changed: false });
                }
                Some(held.entries)
            }
        };
        if existing.is_none()
            && self.config.require_token
            && let Some(token) = token
            && !self.store.redeem_token(&crate::tokens::digest(token), self.now()).await?
        {
            return Err(Error::NotAuthorized("the enrollment token is unknown, used up or expired".into()));
        }
        let source = existing.map_or(source, |held| held.source);
        let log = HostedLog { did: did.clone(), log: jsonl.to_owned(), witness, entries, source };
        if !self.store.put_ledger_log(name, &log, extends, self.now()).await? {
            return Err(Error::Conflict(format!(
                "the log of `{name}` changed while this update was checked; fetch it and retry"
            )));
        }
        tracing::info!(name, did = %did, entries, "hosted DID log updated");
        Ok(Published { did, entries, changed: true })
    }

    /// Refuses `client` when its network spent its ledger CPU budget; the start of the work
    /// to charge otherwise.
    fn spend_ledger_cpu(&self, client: std::net::IpAddr) -> Result<std::time::Instant> {
        if !self.ledger_cpu.allows(client) {
            return Err(Error::RateLimited(format!(
                "{client}: the ledger spent this address's share of verification time \
                 (--ledger-cpu-ms-per-second); retry in a few seconds"
            )));
        }
        Ok(std::time::Instant::now())
    }

    /// The verification of a publication: the witness file it leaves (held proofs, uploaded
    /// proofs checked, this mediator's own where it is a witness) and the number of entries.
    fn check_publication(
        &self,
        did: &str,
        jsonl: &str,
        existing: Option<&HostedLog>,
        uploaded_witness: Option<&str>,
    ) -> Result<(Option<String>, u32)> {
        // Proofs the controller brings from its witnesses join those held (each checked); where
        // the log names this mediator as its witness, it co-signs the latest entry. The file is
        // pruned to the proofs still needed, and the log must verify with it.
        let held_witness = existing.and_then(|held| held.witness.clone());
        let merged = match uploaded_witness {
            Some(uploaded) => Some(webvh::merge_witness_proofs(did, jsonl, held_witness.as_deref(), uploaded)?),
            None => held_witness,
        };
        let witness = match webvh::witness(did, jsonl, merged.as_deref(), self.identity.keys.signing_key())? {
            Some(file) => Some(file),
            None => merged.map(|file| webvh::merge_witness_proofs(did, jsonl, Some(&file), "[]")).transpose()?,
        };
        let verified = webvh::verify(did, jsonl, witness.as_deref())?;
        Ok((witness, verified.version_ids.len() as u32))
    }

    /// Adds witness proofs to a hosted log's `did-witness.json`: proofs for its entries, or for
    /// the entry its controller is about to publish (did:webvh 1.0 publishes proofs first). Each
    /// proof must be a witness's valid signature that the log asks for, so an upload can only
    /// add what the DID's witnesses signed, never remove a proof (`webvh::merge_witness_proofs`).
    pub(crate) async fn add_witness_proofs(
        &self,
        name: &str,
        uploaded: &str,
        client: std::net::IpAddr,
    ) -> Result<usize> {
        let held =
            self.store.ledger_log(name).await?.ok_or_else(|| {
                Error::NotFound(format!("no DID log is hosted under `{name}`; publish the log first"))
            })?;
        // Nothing that is not held already: nothing to check, nothing to store.
        if new_proofs(held.witness.as_deref(), uploaded)? == 0 {
            return Ok(held.witness.as_deref().map_or(0, count_proofs));
        }
        let key = crate::refusals::key(&[&held.did, &held.log, held.witness.as_deref().unwrap_or_default(), uploaded]);
        if let Some(reason) = self.ledger_refusals.get(&key) {
            return Err(Error::Malformed { kind: "witness proofs", reason: format!("{reason} (refused before)") });
        }
        let started = self.spend_ledger_cpu(client)?;
        self.metrics.ledger_verifications.inc();
        let merged = webvh::merge_witness_proofs(&held.did, &held.log, held.witness.as_deref(), uploaded);
        self.ledger_cpu.charge(client, started.elapsed().as_secs_f64() * 1e3);
        if let Err(error) = &merged {
            self.ledger_refusals.insert(key, &error.to_string());
        }
        let merged = merged?;
        let proofs = count_proofs(&merged);
        if held.witness.as_deref() == Some(merged.as_str()) {
            return Ok(proofs);
        }
        let entries = held.entries;
        let log = HostedLog { witness: Some(merged), ..held };
        if !self.store.put_ledger_log(name, &log, Some(entries), self.now()).await? {
            return Err(Error::Conflict(format!(
                "the log of `{name}` changed while the proofs were checked; upload them again"
            )));
        }
        tracing::info!(name, proofs, "witness proofs added");
        Ok(proofs)
    }

    /// Reserves one of `source`'s new names of today; the day reserved, or `None` when names
    /// are not limited.
    async fn reserve_name(&self, source: &str) -> Result<Option<u64>> {
        let per_day = self.config.ledger_names_per_day;
        if per_day == 0 {
            return Ok(None);
        }
        let day = self.now() / 86_400;
        if !self.store.reserve_ledger_name(source, day, per_day).await? {
            return Err(Error::Quota(format!(
                "{per_day} DID names were created from your address today; try again tomorrow"
            )));
        }
        Ok(Some(day))
    }

    /// The current document of a did:webvh DID hosted here, verified; `None` if not hosted here
    /// or deactivated.
    pub(crate) async fn hosted_document(&self, did: &str) -> Result<Option<mpc_identity::did::DidDocument>> {
        let Some(hosted) = self.store.ledger_log(&self.stored_name(did)).await? else { return Ok(None) };
        if hosted.did != did {
            return Ok(None);
        }
        let verified = webvh::verify(did, &hosted.log, hosted.witness.as_deref())?;
        Ok((!verified.deactivated).then_some(verified.document))
    }

    /// Before an envelope is opened: if its sender is a did:webvh party hosted here, make sure
    /// `resolve` has its current verified document for the decryption and the sealing of
    /// replies. One indexed lookup of the log's length per envelope; the log is loaded and
    /// verified again only when it grew (a rotation published through another instance is seen
    /// at the next envelope).
    pub(crate) async fn learn_sender(&self, envelope: &str, client: std::net::IpAddr) {
        let Ok(Some(sender)) = mpc_identity::envelope::encrypted::sender_did(envelope) else { return };
        if !sender.starts_with(webvh::PREFIX) {
            return;
        }
        let held = match self.store.ledger_length(&self.stored_name(&sender)).await {
            Ok(held) => held.filter(|(did, _)| *did == sender),
            Err(e) => {
                tracing::warn!(did = %sender, error = %e, "could not look up a hosted DID");
                return;
            }
        };
        let Some((_, entries)) = held else {
            self.ledger_documents.remove(&sender);
            return;
        };
        if self.ledger_documents.is_current(&sender, entries) {
            return;
        }
        // Anyone can name a hosted DID as the sender: the verification is the client's to pay.
        let Ok(started) = self.spend_ledger_cpu(client) else { return };
        self.metrics.sender_log_verifications.inc();
        let verified = self.hosted_document(&sender).await;
        self.ledger_cpu.charge(client, started.elapsed().as_secs_f64() * 1e3);
        match verified {
            Ok(Some(document)) => self.ledger_documents.insert(sender, entries, document),
            Ok(None) => self.ledger_documents.remove(&sender),
            Err(e) => tracing::warn!(did = %sender, error = %e, "could not load a hosted DID's document"),
        }
    }

    /// A DID document for DIDComm: self-certifying methods computed, did:webvh parties hosted here
    /// from their verified logs; anything else is refused.
    pub(crate) fn resolve(&self, did: &str) -> mpc_identity::Result<mpc_identity::did::DidDocument> {
        if did.starts_with(webvh::PREFIX) {
            return self.ledger_documents.get(did).ok_or_else(|| mpc_identity::Error::ResolutionFailed {
                did: did.to_owned(),
                reason: "this mediator talks DIDComm only with did:webvh parties whose (active) logs it hosts"
                    .to_owned(),
            });
        }
        mpc_identity::did::resolve(did)
    }

    /// A hosted log, as stored.
    pub(crate) async fn hosted_log(&self, name: &str) -> Result<Option<HostedLog>> {
        if validate_name(name).is_err() {
            return Ok(None);
        }
        self.store.ledger_log(name).await
    }
}

/// The name a copy of `did`'s log is stored under: `_` (which starts no hosted name) and 40 hex
/// digits of its SHA-256.
fn copy_name(did: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(did.as_bytes());
    format!("_{}", &mpc_identity::hex(&digest)[..40])
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

/// Whether two logs hold the same entries (blank lines aside).
fn same_entries(held: &str, sent: &str) -> bool {
    let held = held.lines().map(str::trim_end).filter(|line| !line.is_empty());
    held.eq(sent.lines().map(str::trim_end).filter(|line| !line.is_empty()))
}

/// How many proofs of an uploaded witness file (`[{"versionId", "proof": [...]}]`) are not in
/// `held`: checked for shape only, nothing verified.
fn new_proofs(held: Option<&str>, uploaded: &str) -> Result<usize> {
    let malformed = || Error::Malformed {
        kind: "witness proofs",
        reason: "the file must be a list of {\"versionId\": ..., \"proof\": [...]}".to_owned(),
    };
    let records = |file: &str| -> Option<Vec<(String, String)>> {
        let value: serde_json::Value = serde_json::from_str(file).ok()?;
        let mut out = Vec::new();
        for record in value.as_array()? {
            let version = record["versionId"].as_str()?;
            for proof in record["proof"].as_array()? {
                out.push((version.to_owned(), proof.to_string()));
            }
        }
        Some(out)
    };
    let uploaded = records(uploaded).ok_or_else(malformed)?;
    let held = held.and_then(records).unwrap_or_default();
    Ok(uploaded.iter().filter(|proof| !held.contains(proof)).count())
}

/// The proofs in a witness file.
fn count_proofs(file: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(file)
        .map(|file| {
            file.as_array().map_or(0, |records| records.iter().map(|r| r["proof"].as_array().map_or(0, Vec::len)).sum())
        })
        .unwrap_or(0)
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
