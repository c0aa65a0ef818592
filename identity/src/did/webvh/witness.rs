//! did:webvh witness proofs (`did-witness.json`): adding a witness's proof, and merging proofs
//! that a DID's controller collected from its witnesses into the file a host serves.
//!
//! A host cannot judge who may upload proofs, and need not: a proof is accepted only if it is a
//! valid `eddsa-jcs-2022` signature, by a `did:key` the log itself names as a witness, over a
//! `versionId` of the log (or of the one entry about to be published, since did:webvh 1.0 says
//! proofs are published *before* the entry they witness). So an upload can only add what the
//! controller's witnesses signed; it can never remove a proof.
//!
//! The file is then pruned as the spec asks: a witness's proof on an entry approves every entry
//! before it, so each witness keeps only its proof on the latest published entry, plus at most
//! one on the next, unpublished one. However often a DID is updated, its file holds at most two
//! proofs per witness.

use std::collections::BTreeMap;

use affinidi_data_integrity::{DataIntegrityProof, VerifyOptions};
use ed25519_dalek::SigningKey;
use futures_util::FutureExt;
use serde_json::{Value, json};

use super::{did_key_of, entries_verified, ledger, secret_of};
use crate::error::Result;
use crate::keys::PublicKey;

/// Largest witness file accepted (uploaded or held): a few hundred proofs.
pub const MAX_WITNESS_BYTES: usize = 256 * 1024;

/// Adds `witness_key`'s proof for the log's latest entry to the witness file `existing`, if the
/// log names that key as a witness. Returns the new (pruned) witness file, or `None` if the key
/// is not a witness of the log.
pub fn witness(did: &str, jsonl: &str, existing: Option<&str>, witness_key: &SigningKey) -> Result<Option<String>> {
    let state = entries_verified(did, jsonl)?;
    let Some(latest) = state.log_entries().last() else { return Ok(None) };
    let me = did_key_of(witness_key);
    let asked = latest
        .get_active_witnesses()
        .and_then(|w| w.witnesses().map(|list| list.iter().any(|w| w.as_did() == me)))
        .unwrap_or(false);
    if !asked {
        return Ok(None);
    }
    let version_id = latest.get_version_id().to_owned();
    let proof = DataIntegrityProof::sign(
        &json!({ "versionId": version_id }),
        &secret_of(witness_key),
        affinidi_data_integrity::SignOptions::new(),
    )
    .now_or_never()
    .ok_or_else(|| ledger(did, "witness signing waited on I/O"))?
    .map_err(|e| ledger(did, format!("witness signing failed: {e}")))?;
    let ours = json!([{ "versionId": version_id, "proof": [proof] }]).to_string();
    merge_witness_proofs(did, jsonl, existing, &ours).map(Some)
}

/// The witness file for `jsonl` with the proofs of `held` (the file as served) and `uploaded`
/// (a file of the same form), every uploaded proof checked (see the module documentation) and
/// refused with its reason if it does not hold, then pruned to the proofs still needed.
pub fn merge_witness_proofs(did: &str, jsonl: &str, held: Option<&str>, uploaded: &str) -> Result<String> {
    let state = entries_verified(did, jsonl)?;
    let entries = state.log_entries();
    let published = entries.len() as u32;
    // For each version a proof may be on: its versionId and the witnesses it may be signed by.
    // The next, unpublished entry is witnessed by those the latest entry names.
    let witnesses_of = |entry: &didwebvh_rs::log_entry_state::LogEntryState| -> Vec<String> {
        let active = entry.get_active_witnesses();
        let named = entry.validated_parameters.witness.clone();
        [active, named]
            .into_iter()
            .flatten()
            .flat_map(|w| w.witnesses().map(|list| list.iter().map(|w| w.as_did()).collect::<Vec<_>>()))
            .flatten()
            .collect()
    };
    let versions: Vec<(String, Vec<String>)> =
        entries.iter().map(|e| (e.get_version_id().to_owned(), witnesses_of(e))).collect();
    let next_witnesses = entries.last().map(witnesses_of).unwrap_or_default();

    // (witness did:key, version number) -> (versionId, proof): one proof per witness and version.
    let mut kept: BTreeMap<(String, u32), (String, Value)> = BTreeMap::new();
    for (file, strict) in [(held, false), (Some(uploaded), true)] {
        let Some(file) = file else { continue };
        for (version_id, proof) in read_file(did, file)? {
            let checked = check_proof(&version_id, &proof, published, &versions, &next_witnesses);
            match checked {
                Ok((witness, number)) => {
                    kept.insert((witness, number), (version_id, proof));
                }
                // What the host held and no longer checks (the log moved on) is dropped quietly.
                Err(reason) if strict => {
                    return Err(ledger(did, format!("witness proof for `{version_id}`: {reason}")));
                }
                Err(_) => {}
            }
        }
    }

    // Prune: per witness, the proof on the latest published entry and one on the next.
    let mut latest_published: BTreeMap<&str, u32> = BTreeMap::new();
    for (witness, number) in kept.keys() {
        if *number <= published {
            let latest = latest_published.entry(witness.as_str()).or_insert(*number);
            *latest = (*latest).max(*number);
        }
    }
    let keep: Vec<(String, u32)> = kept
        .keys()
        .filter(|(witness, number)| *number > published || latest_published.get(witness.as_str()) == Some(number))
        .cloned()
        .collect();
    let mut by_version: BTreeMap<u32, (String, Vec<Value>)> = BTreeMap::new();
    for key in keep {
        if let Some((version_id, proof)) = kept.remove(&key) {
            by_version.entry(key.1).or_insert_with(|| (version_id, Vec::new())).1.push(proof);
        }
    }
    let file: Vec<Value> = by_version
        .into_values()
        .map(|(version_id, proofs)| json!({ "versionId": version_id, "proof": proofs }))
        .collect();
    Ok(Value::Array(file).to_string())
}

/// The `(versionId, proof)` pairs of a witness file.
fn read_file(did: &str, file: &str) -> Result<Vec<(String, Value)>> {
    if file.len() > MAX_WITNESS_BYTES {
        return Err(ledger(did, format!("the witness file is more than the {MAX_WITNESS_BYTES} bytes accepted")));
    }
    let parsed: Value =
        serde_json::from_str(file).map_err(|e| ledger(did, format!("the witness file is not JSON: {e}")))?;
    let records = parsed
        .as_array()
        .ok_or_else(|| ledger(did, "the witness file must be a list of {\"versionId\", \"proof\": [...]}"))?;
    let mut out = Vec::new();
    for record in records {
        let version_id = record["versionId"]
            .as_str()
            .ok_or_else(|| ledger(did, "a witness file record has no `versionId` string"))?;
        let proofs = record["proof"]
            .as_array()
            .ok_or_else(|| ledger(did, format!("the witness record for `{version_id}` has no `proof` list")))?;
        out.extend(proofs.iter().map(|proof| (version_id.to_owned(), proof.clone())));
    }
    Ok(out)
}

/// Checks one proof; returns its witness and version number, or why it is refused.
fn check_proof(
    version_id: &str,
    proof: &Value,
    published: u32,
    versions: &[(String, Vec<String>)],
    next_witnesses: &[String],
) -> std::result::Result<(String, u32), String> {
    let number: u32 = version_id
        .split_once('-')
        .and_then(|(n, _)| n.parse().ok())
        .ok_or_else(|| "not a did:webvh versionId (N-hash)".to_owned())?;
    let allowed = if number >= 1 && number <= published {
        let (published_id, witnesses) = &versions[number as usize - 1];
        if published_id != version_id {
            return Err(format!("the log's entry {number} is `{published_id}`"));
        }
        witnesses.as_slice()
    } else if number == published + 1 {
        next_witnesses
    } else {
        return Err(format!("the log has {published} entries; proofs are taken for those and the next one only"));
    };
    let proof: DataIntegrityProof =
        serde_json::from_value(proof.clone()).map_err(|e| format!("not a Data Integrity proof: {e}"))?;
    if proof.cryptosuite != affinidi_data_integrity::crypto_suites::CryptoSuite::EddsaJcs2022
        || proof.proof_purpose != "assertionMethod"
    {
        return Err("did:webvh witness proofs are `eddsa-jcs-2022` with proofPurpose `assertionMethod`".to_owned());
    }
    let (witness, fragment) = proof
        .verification_method
        .split_once('#')
        .ok_or_else(|| format!("verificationMethod `{}` is not did:key:KEY#KEY", proof.verification_method))?;
    let multikey = witness
        .strip_prefix("did:key:")
        .filter(|key| *key == fragment)
        .ok_or_else(|| format!("verificationMethod `{}` is not did:key:KEY#KEY", proof.verification_method))?;
    if !allowed.iter().any(|w| w == witness) {
        return Err(format!("`{witness}` is not a witness the log names for entry {number}"));
    }
    let key = PublicKey::from_multikey(multikey).map_err(|e| format!("the witness key cannot be read: {e}"))?;
    let key = key.as_ed25519().map_err(|e| format!("the witness key is not Ed25519: {e}"))?;
    proof
        .verify_with_public_key(&json!({ "versionId": version_id }), key.as_bytes(), VerifyOptions::new())
        .map_err(|e| format!("the signature does not verify ({e})"))?;
    Ok((witness.to_owned(), number))
}
