//! did:key (W3C CCG did:key v0.7) for Ed25519 and X25519 keys.
//!
//! The DID is the multikey itself. As the spec prescribes for Ed25519, the document also carries
//! an X25519 key-agreement key derived from the Ed25519 key, so a did:key party can receive
//! encrypted DIDComm messages without a second key in its identifier. An X25519 did:key has a
//! key-agreement key only: it can be encrypted to (mediators use one as a compact routing key),
//! never sign.

use ed25519_dalek::VerifyingKey;

use super::document::{DID_CONTEXT, DidDocument, MULTIKEY_CONTEXT, Relationship, VerificationMethod};
use crate::error::{Error, Result};
use crate::keys::{PublicKey, x25519_from_ed25519_public};

/// What every did:key starts with.
pub const PREFIX: &str = "did:key:";

/// The did:key of an Ed25519 public key.
pub fn encode(key: &VerifyingKey) -> String {
    format!("{PREFIX}{}", PublicKey::Ed25519(*key).to_multikey())
}

/// The did:key URL of an X25519 key (`did:key:z6LS...#z6LS...`): the shortest name for a key
/// that others encrypt to.
pub fn x25519_key_url(key: &x25519_dalek::PublicKey) -> String {
    let multikey = PublicKey::X25519(*key).to_multikey();
    format!("{PREFIX}{multikey}#{multikey}")
}

/// Resolves a did:key to its document.
pub fn resolve(did: &str) -> Result<DidDocument> {
    let multikey = did.strip_prefix(PREFIX).ok_or_else(|| Error::invalid_did(did, "not a did:key"))?;
    let method = |id: &str, key: String| VerificationMethod {
        id: id.to_owned(),
        method_type: "Multikey".to_owned(),
        controller: did.to_owned(),
        public_key_multibase: key,
        public_key_jwk: None,
    };
    let key = match PublicKey::from_multikey(multikey) {
        Ok(PublicKey::Ed25519(key)) => key,
        Ok(PublicKey::X25519(_)) => {
            let id = format!("{did}#{multikey}");
            return Ok(DidDocument {
                context: vec![DID_CONTEXT.into(), MULTIKEY_CONTEXT.into()],
                id: did.to_owned(),
                also_known_as: Vec::new(),
                verification_method: vec![method(&id, multikey.to_owned())],
                authentication: Vec::new(),
                assertion_method: Vec::new(),
                capability_invocation: Vec::new(),
                capability_delegation: Vec::new(),
                key_agreement: vec![Relationship::Reference(id)],
                service: Vec::new(),
            });
        }
        Err(e) => return Err(Error::invalid_did(did, e.to_string())),
    };
    let signing_id = format!("{did}#{multikey}");
    let agreement = PublicKey::X25519(x25519_from_ed25519_public(&key)).to_multikey();
    let agreement_id = format!("{did}#{agreement}");
    let reference = || vec![Relationship::Reference(signing_id.clone())];
    Ok(DidDocument {
        context: vec![DID_CONTEXT.into(), MULTIKEY_CONTEXT.into()],
        id: did.to_owned(),
        also_known_as: Vec::new(),
        verification_method: vec![method(&signing_id, multikey.to_owned()), method(&agreement_id, agreement)],
        authentication: reference(),
        assertion_method: reference(),
        capability_invocation: reference(),
        capability_delegation: reference(),
        key_agreement: vec![Relationship::Reference(agreement_id)],
        service: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Ed25519 -> X25519 pair from the did:key spec's test vectors.
    const SPEC_DID: &str = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
    const SPEC_X25519: &str = "z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW";

    #[test]
    fn resolves_the_spec_vector_with_derived_key_agreement() {
        let doc = resolve(SPEC_DID).expect("resolve");
        assert_eq!(doc.id, SPEC_DID);
        let agreement = doc.key_agreement_keys().expect("keys");
        assert_eq!(agreement.len(), 1);
        assert_eq!(agreement[0].1.to_multikey(), SPEC_X25519);
        let kid = format!("{SPEC_DID}#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp");
        assert!(doc.authentication_key(&kid).is_ok());
    }

    #[test]
    fn an_x25519_did_key_can_be_encrypted_to_but_never_signs() {
        let did = format!("{PREFIX}{SPEC_X25519}");
        let doc = resolve(&did).expect("resolve");
        let keys = doc.key_agreement_keys().expect("keys");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].0, format!("{did}#{SPEC_X25519}"));
        assert!(matches!(doc.authentication_key(&keys[0].0), Err(Error::KeyNotAuthorized { .. })));
    }

    #[test]
    fn refuses_garbage() {
        assert!(resolve("did:key:zzzz").is_err());
        assert!(resolve("did:key:").is_err());
        assert!(resolve("did:key:z6Mk").is_err());
    }
}
