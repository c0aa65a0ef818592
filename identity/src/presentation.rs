//! Verifiable presentations (W3C VC Data Model 2.0): a holder shows credentials issued to its
//! DID, bound to one use. The proof is a Data Integrity proof (`eddsa-jcs-2022`, purpose
//! `authentication`) whose `challenge` and `domain` name that use (a session's id and its host's
//! DID), so a presentation made for one session is refused by every other.
//!
//! `affinidi-data-integrity` has no `challenge` or `domain` in its proof options, so the proof
//! is computed here, as eddsa-jcs-2022 defines it (SHA-256 of the JCS proof configuration, then
//! of the JCS presentation, signed with Ed25519), with the JCS implementation that library uses.

use ed25519_dalek::Signature;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::credential::CREDENTIALS_V2_CONTEXT;
use crate::did::{DidDocument, split_did_url};
use crate::error::{Error, Result};
use crate::keys::{PartyKeys, verify_strict};

/// A presentation larger than this is refused before parsing (a few credentials).
pub const MAX_PRESENTATION_BYTES: usize = 256 * 1024;
const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// A presentation by `holder` (whose key `kid` signs) of `credentials`, for `challenge` at
/// `domain`.
pub fn present(
    keys: &PartyKeys,
    kid: &str,
    holder: &str,
    credentials: Vec<Value>,
    challenge: &str,
    domain: &str,
    now: u64,
) -> Result<Value> {
    let mut presentation = json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": credentials,
    });
    let mut proof = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": crate::rfc3339(now),
        "verificationMethod": kid,
        "proofPurpose": "authentication",
        "challenge": challenge,
        "domain": domain,
    });
    let signature = keys.sign(&hash_data(&proof, &presentation)?);
    proof["proofValue"] = Value::String(format!("z{}", bs58::encode(signature.to_bytes()).into_string()));
    presentation["proof"] = proof;
    Ok(presentation)
}

/// The holder a presentation names, unverified (to resolve it before [`verify`]).
pub fn holder_of(presentation: &Value) -> Result<String> {
    presentation["holder"]
        .as_str()
        .filter(|holder| holder.starts_with("did:"))
        .map(str::to_owned)
        .ok_or_else(|| Error::Credential("the presentation names no holder DID (`holder`)".to_owned()))
}

/// Checks a presentation's own proof against its holder's `document`: made by the holder's
/// authentication key, for exactly `challenge` and `domain`. Returns its credentials, each still
/// to be verified against its issuer.
pub fn verify(presentation: &Value, document: &DidDocument, challenge: &str, domain: &str) -> Result<Vec<Value>> {
    let invalid = |reason: String| Error::Credential(format!("the presentation {reason}"));
    let holder = holder_of(presentation)?;
    if document.id != holder {
        return Err(invalid(format!("was checked against `{}`, not its holder `{holder}`", document.id)));
    }
    let types = presentation["type"].as_array().cloned().unwrap_or_default();
    if !types.iter().any(|t| t == "VerifiablePresentation") {
        return Err(invalid("is not a VerifiablePresentation".to_owned()));
    }
    let proof = presentation["proof"].as_object().ok_or_else(|| invalid("has no proof".to_owned()))?;
    let field = |name: &str| proof.get(name).and_then(Value::as_str).unwrap_or_default();
    if field("type") != "DataIntegrityProof" || field("cryptosuite") != CRYPTOSUITE {
        return Err(invalid(format!("proof is not a DataIntegrityProof with {CRYPTOSUITE}")));
    }
    if field("proofPurpose") != "authentication" {
        return Err(invalid(format!("proof's purpose is `{}`, not `authentication`", field("proofPurpose"))));
    }
    if field("challenge") != challenge {
        return Err(invalid(format!("was made for another challenge (`{}`), not this one", field("challenge"))));
    }
    if field("domain") != domain {
        return Err(invalid(format!("was made for another domain (`{}`), not this one", field("domain"))));
    }
    let kid = field("verificationMethod");
    if split_did_url(kid).map(|(did, _)| did) != Some(holder.as_str()) {
        return Err(invalid(format!("is signed by `{kid}`, not by its holder")));
    }
    let key = document.authentication_key(kid)?;
    let key = key.as_ed25519()?;
    let proof_value = field("proofValue");
    let raw = proof_value
        .strip_prefix('z')
        .and_then(|b58| bs58::decode(b58).into_vec().ok())
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .ok_or_else(|| invalid("proof value is not a base58btc Ed25519 signature".to_owned()))?;
    let mut config = Value::Object(proof.clone());
    if let Some(config) = config.as_object_mut() {
        config.remove("proofValue");
    }
    let mut unsecured = presentation.clone();
    if let Some(unsecured) = unsecured.as_object_mut() {
        unsecured.remove("proof");
    }
    if !verify_strict(key, &hash_data(&config, &unsecured)?, &Signature::from_bytes(&raw)) {
        return Err(invalid(format!("proof by `{kid}` does not verify: it was altered or forged")));
    }
    let credentials = match &presentation["verifiableCredential"] {
        Value::Array(list) => list.clone(),
        Value::Null => Vec::new(),
        single => vec![single.clone()],
    };
    Ok(credentials)
}

/// eddsa-jcs-2022's hash data: SHA-256 of the JCS proof configuration, then of the JCS document.
fn hash_data(proof_config: &Value, document: &Value) -> Result<Vec<u8>> {
    let jcs =
        |value: &Value| serde_json_canonicalizer::to_string(value).map_err(|e| Error::Credential(format!("JCS: {e}")));
    let mut data = Sha256::digest(jcs(proof_config)?.as_bytes()).to_vec();
    data.extend_from_slice(&Sha256::digest(jcs(document)?.as_bytes()));
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{DidMethod, Keystore};

    #[test]
    fn a_presentation_holds_only_for_its_challenge_and_domain() {
        let home = tempfile::tempdir().expect("home");
        let keystore = Keystore::open(home.path()).expect("keystore");
        let alice = keystore.create("alice", DidMethod::Peer, None, "pw").expect("alice");
        let document = crate::did::resolve(&alice.record.did).expect("document");
        let now = crate::unix_now();
        let did = &alice.record.did;
        let shown =
            present(&alice.keys, &alice.record.signing_kid(), did, vec![json!({"x": 1})], "s1", "did:host", now)
                .expect("presented");
        assert_eq!(verify(&shown, &document, "s1", "did:host").expect("verifies").len(), 1);
        for (challenge, domain, needle) in [("s2", "did:host", "challenge"), ("s1", "did:other", "domain")] {
            let err = verify(&shown, &document, challenge, domain).expect_err("other use");
            assert!(err.to_string().contains(needle), "{err}");
        }
        let mut swapped = shown.clone();
        swapped["verifiableCredential"] = json!([{"x": 2}]);
        let err = verify(&swapped, &document, "s1", "did:host").expect_err("altered");
        assert!(err.to_string().contains("does not verify"), "{err}");
    }
}
