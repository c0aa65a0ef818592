//! Signed messages (JWS General JSON, EdDSA): what a party uses for anything others must be able
//! to attribute to it without a shared key, such as invitations.
//!
//! The signer is always checked against the sender: the `kid` must be a DID URL of the message's
//! `from` DID, listed under that DID's `authentication` in a document the caller resolved.
//! Verification is strict Ed25519 (`verify_strict`: no small-order keys or points), which is why
//! this is our own code rather than the DIDComm crate's, whose verification is the lenient kind.
//! The `kid` is carried in the protected header, where it is covered by the signature, and in
//! the unprotected one, where older verifiers read it; the two must agree.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::did::{DidDocument, split_did_url};
use crate::error::{Error, Result};
use crate::keys::{PartyKeys, verify_strict};

/// Media type of a signed DIDComm message.
pub const SIGNED_TYP: &str = "application/didcomm-signed+json";

/// A JWS in General JSON Serialization.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedMessage {
    /// The signed message, base64url.
    pub payload: String,
    /// Its signatures (one, by the sender).
    pub signatures: Vec<JwsSignature>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// One signature of a general-JSON JWS.
pub struct JwsSignature {
    /// The protected header, base64url.
    pub protected: String,
    /// The signature, base64url.
    pub signature: String,
    /// The unprotected header.
    pub header: UnprotectedHeader,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
/// A JWS unprotected header: which key signed.
pub struct UnprotectedHeader {
    /// The signing key's DID URL.
    pub kid: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ProtectedHeader {
    typ: String,
    alg: String,
    /// Absent in signatures made by tools that put `kid` only in the unprotected header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
}

/// A signed message whose signature has been checked, with the plaintext it carried.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The plaintext message.
    pub message: Value,
    /// The DID URL of the key that signed.
    pub kid: String,
    /// The signer's DID document, as the caller's resolver returned it.
    pub signer: DidDocument,
}

/// Signs a plaintext DIDComm message with `keys`, naming the key `kid`.
pub fn sign(message: &Value, keys: &PartyKeys, kid: &str) -> Result<SignedMessage> {
    let payload = to_b64(message)?;
    let protected =
        to_b64(&ProtectedHeader { typ: SIGNED_TYP.to_owned(), alg: "EdDSA".to_owned(), kid: Some(kid.to_owned()) })?;
    let signature = keys.sign(format!("{protected}.{payload}").as_bytes());
    Ok(SignedMessage {
        payload,
        signatures: vec![JwsSignature {
            protected,
            signature: URL_SAFE_NO_PAD.encode(signature.to_bytes()),
            header: UnprotectedHeader { kid: kid.to_owned() },
        }],
    })
}

impl SignedMessage {
    /// The sender the payload claims, unverified: which DID to resolve before [`verify`].
    pub fn claimed_from(&self) -> Result<String> {
        let payload: Value = decode_json("payload", &self.payload)?;
        payload
            .get("from")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::NotSignedMessage("the payload has no `from`".to_owned()))
    }
}

/// Parses JSON text as a signed message, without verifying it.
pub fn parse(text: &[u8]) -> Result<SignedMessage> {
    let value: Value =
        serde_json::from_slice(text).map_err(|e| Error::NotSignedMessage(format!("not valid JSON ({e})")))?;
    serde_json::from_value(value).map_err(|e| Error::NotSignedMessage(format!("not a JWS in General JSON form ({e})")))
}

/// Verifies a signed message: the signer's DID must be the plaintext's `from`, its key must be an
/// `authentication` key in the document `resolve` returns for that DID, and the signature must
/// verify. `resolve` is only asked about the DID the message claims to come from.
pub fn verify(signed: &SignedMessage, resolve: impl FnOnce(&str) -> Result<DidDocument>) -> Result<Verified> {
    let [signature] = signed.signatures.as_slice() else {
        return Err(Error::NotSignedMessage(format!(
            "expected exactly one signature, found {}",
            signed.signatures.len()
        )));
    };
    let protected: ProtectedHeader = decode_json("protected header", &signature.protected)?;
    if protected.alg != "EdDSA" {
        return Err(Error::UnsupportedAlgorithm(protected.alg));
    }
    if protected.typ != SIGNED_TYP {
        return Err(Error::NotSignedMessage(format!(
            "protected header `typ` is `{}`, expected `{SIGNED_TYP}`",
            protected.typ
        )));
    }
    let message: Value = decode_json("payload", &signed.payload)?;
    let kid = match protected.kid {
        Some(kid) if kid != signature.header.kid => {
            return Err(Error::NotSignedMessage(format!(
                "the protected `kid` ({kid}) and the unprotected one ({}) differ",
                signature.header.kid
            )));
        }
        Some(kid) => kid,
        None => signature.header.kid.clone(),
    };
    let from = message.get("from").and_then(Value::as_str).ok_or_else(|| {
        Error::NotSignedMessage("the payload has no `from`: a signed message must name its sender".into())
    })?;
    let (signer_did, _) =
        split_did_url(&kid).ok_or_else(|| Error::SignerMismatch { kid: kid.clone(), from: from.to_owned() })?;
    if signer_did != from {
        return Err(Error::SignerMismatch { kid, from: from.to_owned() });
    }
    let document = resolve(from)?;
    let key = document.authentication_key(&kid)?;
    let key = key.as_ed25519()?;
    let raw = URL_SAFE_NO_PAD.decode(&signature.signature).map_err(|_| Error::BadSignature { kid: kid.clone() })?;
    let raw: [u8; 64] = raw.try_into().map_err(|_| Error::BadSignature { kid: kid.clone() })?;
    let signing_input = format!("{}.{}", signature.protected, signed.payload);
    if !verify_strict(key, signing_input.as_bytes(), &Signature::from_bytes(&raw)) {
        return Err(Error::BadSignature { kid });
    }
    Ok(Verified { message, kid, signer: document })
}

fn decode_json<T: for<'de> Deserialize<'de>>(what: &str, text: &str) -> Result<T> {
    let bytes =
        URL_SAFE_NO_PAD.decode(text).map_err(|e| Error::NotSignedMessage(format!("{what} is not base64url ({e})")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::NotSignedMessage(format!("{what} is not the expected JSON ({e})")))
}

fn to_b64<T: Serialize>(value: &T) -> Result<String> {
    let bytes = serde_json::to_vec(value).map_err(|e| Error::NotSignedMessage(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
