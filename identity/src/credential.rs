//! Verifiable credentials (W3C VC Data Model 2.0) with Data Integrity proofs: an organisation's
//! DID states something about a party's DID ("this DID is a member of hospital B"), and anyone
//! who resolves the issuer checks it.
//!
//! Proofs are `eddsa-jcs-2022`, made and checked through `affinidi-data-integrity`, the Data
//! Integrity implementation the did:webvh logs already use here: JCS signs the credential's JSON
//! exactly as written, every claim included, and needs no JSON-LD processing (no context is ever
//! fetched). The claims an issuer makes up (`department`) are issuer-dependent terms: the VC 2.0
//! context defines no `@vocab`, so each credential carries
//! `{"@vocab": "https://www.w3.org/ns/credentials/issuer-dependent#"}` as its second context, as
//! the data model says, and JSON-LD verifiers in safe mode accept it.
//!
//! `eddsa-rdfc-2022` is refused, with the reason: the library expands JSON-LD leniently, so a
//! term no context defines is dropped from what an RDFC proof covers and an altered claim would
//! still verify (`an_rdfc_proof_is_refused_because_it_does_not_cover_the_claims`).
//!
//! What a proof shows is that the issuer's key signed these claims about this subject; who the
//! issuer is, is the verifier's to decide (by its DID, its domain).
//!
//! Like every check in this crate, verification takes the issuer's document from the caller:
//! resolving (and fetching) it is the client's.

use affinidi_data_integrity::crypto_suites::CryptoSuite;
use affinidi_data_integrity::{DataIntegrityProof, SignOptions, VerifyOptions};
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::did::{DidDocument, Relationship, split_did_url};
use crate::error::{Error, Result};
use crate::keys::PartyKeys;
use crate::{rfc3339, unix_of};

/// The VC Data Model 2.0 context, the first of every credential.
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Where terms an issuer makes up are defined (VC Data Model 2.0, "Issuer-dependent terms").
pub const ISSUER_DEPENDENT_VOCAB: &str = "https://www.w3.org/ns/credentials/issuer-dependent#";
/// A credential larger than this is refused before parsing.
pub const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;
/// Clock difference tolerated between an issuer and this machine.
const LEEWAY_SECONDS: u64 = 300;

/// What a verified credential says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCredential {
    /// Its `id`, if it has one.
    pub id: Option<String>,
    /// The issuer's DID.
    pub issuer: String,
    /// The subject's DID (`credentialSubject.id`).
    pub subject: String,
    /// Its types other than `VerifiableCredential`.
    pub types: Vec<String>,
    /// The subject's other claims, as issued.
    pub claims: Map<String, Value>,
    /// `validUntil` (Unix seconds), if it expires.
    pub valid_until: Option<u64>,
}

impl VerifiedCredential {
    /// Whether it has the type `wanted` (any type when `None`).
    pub fn has_type(&self, wanted: Option<&str>) -> bool {
        wanted.is_none_or(|wanted| self.types.iter().any(|t| t == wanted))
    }
}

/// What to issue: the claims of one credential.
#[derive(Clone, Debug)]
pub struct Claims<'a> {
    /// The subject's DID.
    pub subject: &'a str,
    /// The credential's type (besides `VerifiableCredential`), a JSON-LD term: `MemberCredential`.
    pub credential_type: &'a str,
    /// More claims about the subject.
    pub claims: &'a [(String, String)],
    /// `validFrom` (Unix seconds).
    pub valid_from: u64,
    /// `validUntil` (Unix seconds), if it expires.
    pub valid_until: Option<u64>,
}

/// Issues a credential: `issuer` (whose key `kid` signs) states `claims`. (One whose issuer can
/// revoke it: `status_list::issue_with_status`.)
pub fn issue(keys: &PartyKeys, kid: &str, issuer: &str, claims: &Claims<'_>) -> Result<Value> {
    sign(keys, kid, unsigned(issuer, claims)?)
}

/// The credential [`issue`] signs.
pub(crate) fn unsigned(issuer: &str, claims: &Claims<'_>) -> Result<Value> {
    let invalid = |reason: String| Error::Credential(reason);
    if !is_term(claims.credential_type) {
        return Err(invalid(format!(
            "the type `{}` must be a word of letters and digits starting with a letter (e.g. MemberCredential)",
            claims.credential_type
        )));
    }
    if !claims.subject.starts_with("did:") {
        return Err(invalid(format!("the subject `{}` is not a DID", claims.subject)));
    }
    let mut subject = Map::new();
    subject.insert("id".to_owned(), Value::String(claims.subject.to_owned()));
    for (key, value) in claims.claims {
        if !is_term(key) || key == "id" {
            return Err(invalid(format!("the claim name `{key}` must be a word of letters and digits (not `id`)")));
        }
        subject.insert(key.clone(), Value::String(value.clone()));
    }
    let contexts = json!([CREDENTIALS_V2_CONTEXT, { "@vocab": ISSUER_DEPENDENT_VOCAB }]);
    let mut credential = json!({
        "@context": contexts,
        "id": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "type": ["VerifiableCredential", claims.credential_type],
        "issuer": issuer,
        "validFrom": rfc3339(claims.valid_from),
        "credentialSubject": subject,
    });
    if let Some(until) = claims.valid_until {
        credential["validUntil"] = Value::String(rfc3339(until));
    }
    Ok(credential)
}

/// Adds `issuer`'s eddsa-jcs-2022 proof (by its key `kid`) to an unsigned `credential`.
pub(crate) fn sign(keys: &PartyKeys, kid: &str, mut credential: Value) -> Result<Value> {
    let invalid = |reason: String| Error::Credential(reason);
    let signer = crate::did::webvh::secret_with_id(keys.signing_key(), kid);
    // eddsa-jcs-2022 copies the document's `@context` into the proof when adding one; the
    // library holds a proof's context as IRIs only, and the second context here is an object,
    // so the proof carries none. Verifiers copy it back only when a proof has one (its
    // "Verify Proof" step 4), so the proof verifies everywhere the same way.
    let options = SignOptions::new().with_cryptosuite(CryptoSuite::EddsaJcs2022);
    let proof = DataIntegrityProof::sign(&credential, &signer, options)
        .now_or_never()
        .ok_or_else(|| invalid("the Data Integrity library waited on I/O where none was expected".to_owned()))?
        .map_err(|e| invalid(format!("could not sign: {e}")))?;
    credential["proof"] = serde_json::to_value(proof).map_err(|e| invalid(e.to_string()))?;
    Ok(credential)
}

/// The issuer a credential names, unverified (to resolve it before [`verify`]).
pub fn issuer_of(credential: &Value) -> Result<String> {
    let issuer = match &credential["issuer"] {
        Value::Object(issuer) => issuer.get("id").and_then(Value::as_str),
        issuer => issuer.as_str(),
    };
    issuer
        .filter(|issuer| issuer.starts_with("did:"))
        .map(str::to_owned)
        .ok_or_else(|| Error::Credential("it names no issuer DID (`issuer`)".to_owned()))
}

/// Parses a credential from text, within the size limit.
pub fn parse(text: &str) -> Result<Value> {
    if text.len() > MAX_CREDENTIAL_BYTES {
        return Err(Error::Credential(format!("it is larger than {MAX_CREDENTIAL_BYTES} bytes")));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| Error::Credential(format!("it is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(Error::Credential("it is not a JSON object".to_owned()));
    }
    Ok(value)
}

/// Verifies a credential against its issuer's `document` at `now`: its proof (a Data Integrity
/// proof by a key the issuer's document lists for assertions or authentication), its shape (VC
/// 2.0 context, types, one subject with a DID) and its validity period.
pub fn verify(credential: &Value, document: &DidDocument, now: u64) -> Result<VerifiedCredential> {
    let invalid = |reason: String| Error::Credential(reason);
    let Signed { issuer, types, valid_until } = verify_signed(credential, document, now)?;
    let subject = credential["credentialSubject"]
        .as_object()
        .ok_or_else(|| invalid("it has no single `credentialSubject` object".to_owned()))?;
    let subject_did = subject
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| id.starts_with("did:"))
        .ok_or_else(|| invalid("its subject has no DID (`credentialSubject.id`)".to_owned()))?;
    let mut claims = subject.clone();
    claims.remove("id");
    Ok(VerifiedCredential {
        id: credential["id"].as_str().map(str::to_owned),
        issuer,
        subject: subject_did.to_owned(),
        types,
        claims,
        valid_until,
    })
}

/// What [`verify_signed`] checked.
pub(crate) struct Signed {
    pub(crate) issuer: String,
    /// Types other than `VerifiableCredential`.
    pub(crate) types: Vec<String>,
    pub(crate) valid_until: Option<u64>,
}

/// The checks every credential passes, whatever its subject: context, types, the issuer's proof,
/// the validity period.
pub(crate) fn verify_signed(credential: &Value, document: &DidDocument, now: u64) -> Result<Signed> {
    let invalid = |reason: String| Error::Credential(reason);
    let issuer = issuer_of(credential)?;
    if document.id != issuer {
        return Err(invalid(format!("it was checked against `{}`, not its issuer `{issuer}`", document.id)));
    }
    let contexts = match &credential["@context"] {
        Value::Array(contexts) => contexts.clone(),
        context => vec![context.clone()],
    };
    if contexts.first().and_then(Value::as_str) != Some(CREDENTIALS_V2_CONTEXT) {
        return Err(invalid(format!("its first `@context` is not `{CREDENTIALS_V2_CONTEXT}` (VC Data Model 2.0)")));
    }
    let types: Vec<String> =
        credential["type"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    if !types.iter().any(|t| t == "VerifiableCredential") {
        return Err(invalid("its `type` does not include `VerifiableCredential`".to_owned()));
    }
    let proof_value = match &credential["proof"] {
        Value::Array(proofs) if proofs.len() == 1 => proofs[0].clone(),
        Value::Object(_) => credential["proof"].clone(),
        Value::Null => return Err(invalid("it has no proof: anyone could have written it".to_owned())),
        _ => return Err(invalid("it has several proofs; mpc-id checks credentials with one".to_owned())),
    };
    let proof: DataIntegrityProof = serde_json::from_value(proof_value)
        .map_err(|e| invalid(format!("its proof is not a Data Integrity proof: {e}")))?;
    match proof.cryptosuite {
        CryptoSuite::EddsaJcs2022 => {}
        CryptoSuite::EddsaRdfc2022 => {
            return Err(invalid(
                "its proof is eddsa-rdfc-2022, which mpc-id does not accept: the RDF canonicalization \
                 available here drops terms no context defines from what the proof covers, so such \
                 claims would go unchecked; ask the issuer for eddsa-jcs-2022"
                    .to_owned(),
            ));
        }
        _ => return Err(invalid("its proof's cryptosuite is not eddsa-jcs-2022".to_owned())),
    }
    if proof.proof_purpose != "assertionMethod" {
        return Err(invalid(format!("its proof's purpose is `{}`, not `assertionMethod`", proof.proof_purpose)));
    }
    let key = assertion_key(document, &proof.verification_method)?;
    let mut unsigned = credential.clone();
    if let Some(object) = unsigned.as_object_mut() {
        object.remove("proof");
    }
    proof.verify_with_public_key(&unsigned, key.as_bytes(), VerifyOptions::new()).map_err(|e| {
        invalid(format!("its proof by `{}` does not verify ({e}): it was altered or forged", proof.verification_method))
    })?;

    let date = |field: &str| -> Result<Option<u64>> {
        match credential[field].as_str() {
            None => Ok(None),
            Some(text) => unix_of(text).map(Some).ok_or_else(|| invalid(format!("its `{field}` is not a date"))),
        }
    };
    if let Some(from) = date("validFrom")?
        && from > now + LEEWAY_SECONDS
    {
        return Err(invalid(format!("it is not valid before {}", rfc3339(from))));
    }
    let valid_until = date("validUntil")?;
    if let Some(until) = valid_until
        && until <= now
    {
        return Err(invalid(format!("it expired at {}", rfc3339(until))));
    }
    Ok(Signed { issuer, types: types.into_iter().filter(|t| t != "VerifiableCredential").collect(), valid_until })
}

/// The Ed25519 key `kid` names in the issuer's document, if the document lists it for
/// assertions (`assertionMethod`) or, as a party's only signing key, for `authentication`.
fn assertion_key(document: &DidDocument, kid: &str) -> Result<ed25519_dalek::VerifyingKey> {
    let refused = || Error::KeyNotAuthorized { kid: kid.to_owned(), did: document.id.clone() };
    if split_did_url(kid).map(|(did, _)| did) != Some(document.id.as_str()) {
        return Err(refused());
    }
    let method = listed_method(document, &document.assertion_method, kid)
        .or_else(|| listed_method(document, &document.authentication, kid))
        .ok_or_else(refused)?;
    let key = crate::keys::PublicKey::from_multikey(&method.public_key_multibase)?;
    Ok(*key.as_ed25519()?)
}

/// The verification method `kid` names, if `list` (a relationship of `document`) holds it.
fn listed_method<'a>(
    document: &'a DidDocument,
    list: &'a [Relationship],
    kid: &str,
) -> Option<&'a crate::did::VerificationMethod> {
    list.iter().find_map(|entry| match entry {
        Relationship::Reference(id) if document.absolute(id) == kid => {
            document.verification_method.iter().find(|m| document.absolute(&m.id) == kid)
        }
        Relationship::Embedded(method) if document.absolute(&method.id) == kid => Some(method),
        _ => None,
    })
}

/// A JSON-LD term a credential may use without a context of its own (the VC 2.0 context's
/// `@vocab` gives it an IRI): letters and digits, starting with a letter.
fn is_term(text: &str) -> bool {
    text.len() <= 64
        && text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{DidMethod, Keystore};

    const DAY: u64 = 86_400;

    fn identity(name: &str) -> (tempfile::TempDir, crate::keystore::UnlockedIdentity) {
        let home = tempfile::tempdir().expect("home");
        let keystore = Keystore::open(home.path()).expect("keystore");
        let identity = keystore.create(name, DidMethod::Peer, None, "pw").expect("identity");
        (home, identity)
    }

    fn member_credential(now: u64) -> (Value, DidDocument, String) {
        let ((_a, org), (_b, alice)) = (identity("org"), identity("alice"));
        let claims = [("role".to_owned(), "analyst".to_owned())];
        let claims = Claims {
            subject: &alice.record.did,
            credential_type: "MemberCredential",
            claims: &claims,
            valid_from: now,
            valid_until: Some(now + DAY),
        };
        let credential = issue(&org.keys, &org.record.signing_kid(), &org.record.did, &claims).expect("issued");
        let document = crate::did::resolve(&org.record.did).expect("document");
        (credential, document, alice.record.did.clone())
    }

    #[test]
    fn an_issued_credential_verifies_with_its_claims() {
        let now = crate::unix_now();
        let (credential, document, alice) = member_credential(now);
        assert_eq!(credential["proof"]["cryptosuite"], "eddsa-jcs-2022");
        let verified = verify(&credential, &document, now).expect("verifies");
        assert_eq!(verified.subject, alice);
        assert!(verified.has_type(Some("MemberCredential")) && !verified.has_type(Some("Other")));
        assert_eq!(verified.claims["role"], "analyst");
    }

    #[test]
    fn an_altered_expired_or_misattributed_credential_is_refused() {
        let now = crate::unix_now();
        let (credential, document, _) = member_credential(now);
        let mut altered = credential.clone();
        altered["credentialSubject"]["role"] = json!("administrator");
        let err = verify(&altered, &document, now).expect_err("altered");
        assert!(err.to_string().contains("does not verify"), "{err}");

        let err = verify(&credential, &document, now + 2 * DAY).expect_err("expired");
        assert!(err.to_string().contains("expired"), "{err}");

        let (_home, other) = identity("other");
        let other_document = crate::did::resolve(&other.record.did).expect("document");
        assert!(verify(&credential, &other_document, now).is_err(), "checked against another DID");

        let mut unsigned = credential.clone();
        unsigned.as_object_mut().expect("object").remove("proof");
        let err = verify(&unsigned, &document, now).expect_err("unsigned");
        assert!(err.to_string().contains("no proof"), "{err}");
    }

    /// The RDF canonicalization available here leaves claims no context defines out of what is
    /// signed: an RDFC credential whose claim was changed after signing still has a valid proof,
    /// so RDFC proofs are refused outright.
    #[test]
    fn an_rdfc_proof_is_refused_because_it_does_not_cover_the_claims() {
        let now = crate::unix_now();
        let (credential, _, _) = member_credential(now);
        let (_home, org) = identity("org");
        let mut unsigned = credential.clone();
        unsigned.as_object_mut().expect("object").remove("proof");
        unsigned["issuer"] = json!(org.record.did);
        // Without the issuer-dependent `@vocab`, as a credential may well come.
        unsigned["@context"] = json!([CREDENTIALS_V2_CONTEXT]);
        let signer = crate::did::webvh::secret_with_id(org.keys.signing_key(), &org.record.signing_kid());
        let options = SignOptions::new().with_cryptosuite(CryptoSuite::EddsaRdfc2022);
        let proof =
            DataIntegrityProof::sign(&unsigned, &signer, options).now_or_never().expect("sync").expect("signed");
        // The library's own check passes for a changed claim: the reason for the refusal.
        let mut altered = unsigned.clone();
        altered["credentialSubject"]["role"] = json!("administrator");
        let key = org.keys.signing_key().verifying_key();
        assert!(proof.verify_with_public_key(&altered, key.as_bytes(), VerifyOptions::new()).is_ok());
        altered["proof"] = serde_json::to_value(&proof).expect("proof");
        let org_document = crate::did::resolve(&org.record.did).expect("document");
        let err = verify(&altered, &org_document, now).expect_err("refused");
        assert!(err.to_string().contains("eddsa-rdfc-2022"), "{err}");
    }
}
