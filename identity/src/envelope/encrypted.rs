//! Encrypted messages (JWE, DIDComm v2.1): authcrypt (ECDH-1PU+A256KW with A256CBC-HS512) when
//! the recipient must know who sent a message, anoncrypt (ECDH-ES+A256KW with A256CBC-HS512) when
//! it must not, as for a `forward` to a mediator. What others send is opened with every content
//! encryption the spec lists: anoncrypt also with A256GCM and XC20P (see `aead`), and a JWE of
//! any other algorithm is refused naming it.
//!
//! The JOSE work is `affinidi-messaging-didcomm`'s (pinned: it changes its API between minor
//! versions). This module feeds it keys from DID documents and adds the DIDComm rule it leaves to
//! the caller: an authcrypt sender's key id must belong to the DID in the message's `from`.

use affinidi_crypto::jose::key_agreement::{Curve, PrivateKeyAgreement, PublicKeyAgreement};
use affinidi_messaging_didcomm::SenderKey;
use affinidi_messaging_didcomm::jwe::{decrypt as jwe_decrypt, encrypt as jwe_encrypt};
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use super::aead;
use crate::did::{DidDocument, split_did_url};
use crate::error::{Error, Result};
use crate::keys::{PartyKeys, PublicKey};

/// Envelopes larger than this are refused before any parsing.
pub const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;

/// One recipient key: its DID URL and its X25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientKey {
    /// The key's id, as the envelope names it.
    pub kid: String,
    /// The X25519 key.
    pub key: x25519_dalek::PublicKey,
}

/// Every X25519 key-agreement key of a DID document, the keys a message to that DID is sealed to.
pub fn recipient_keys(document: &DidDocument) -> Result<Vec<RecipientKey>> {
    let keys: Vec<RecipientKey> = document
        .key_agreement_keys()?
        .into_iter()
        .filter_map(|(kid, key)| match key {
            PublicKey::X25519(key) => Some(RecipientKey { kid, key }),
            PublicKey::Ed25519(_) => None,
        })
        .collect();
    if keys.is_empty() {
        return Err(Error::Envelope(format!("{} has no X25519 key-agreement key to encrypt to", document.id)));
    }
    Ok(keys)
}

/// Encrypts `message` from `sender` (whose key-agreement key is `sender_kid`) to `recipients`.
pub fn authcrypt(message: &Value, sender: &PartyKeys, sender_kid: &str, recipients: &[RecipientKey]) -> Result<String> {
    let plaintext = serde_json::to_vec(message).map_err(|e| Error::Envelope(e.to_string()))?;
    let secret = PrivateKeyAgreement::X25519(*sender.agreement_secret());
    with_recipients(recipients, |list| jwe_encrypt::authcrypt(&plaintext, sender_kid, &secret, list))
}

/// Encrypts `message` to `recipients` without saying who sent it.
pub fn anoncrypt(message: &Value, recipients: &[RecipientKey]) -> Result<String> {
    let plaintext = serde_json::to_vec(message).map_err(|e| Error::Envelope(e.to_string()))?;
    with_recipients(recipients, |list| jwe_encrypt::anoncrypt(&plaintext, list))
}

/// A decrypted message and who it is from.
#[derive(Clone, Debug)]
pub struct Decrypted {
    /// The plaintext message.
    pub message: Value,
    /// For authcrypt, the sender's key id, checked against the sender's DID document and `from`.
    /// `None` for anoncrypt.
    pub sender_kid: Option<String>,
    /// Which of our keys it was encrypted to.
    pub recipient_kid: String,
}

/// The key ids a JWE is addressed to, read without decrypting (a mediator routes on this).
pub fn recipient_kids(jwe: &str) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Header {
        kid: String,
    }
    #[derive(Deserialize)]
    struct Recipient {
        header: Header,
    }
    #[derive(Deserialize)]
    struct Envelope {
        recipients: Vec<Recipient>,
    }
    check_size(jwe)?;
    let envelope: Envelope =
        serde_json::from_str(jwe).map_err(|e| Error::Envelope(format!("not a JWE in General JSON form ({e})")))?;
    Ok(envelope.recipients.into_iter().map(|r| r.header.kid).collect())
}

/// The DID an authcrypt envelope claims as its sender (unverified: which document to fetch before
/// [`decrypt`] checks it); `None` for anoncrypt.
pub fn sender_did(jwe: &str) -> Result<Option<String>> {
    check_size(jwe)?;
    let claimed = aead::claimed_sender(&aead::header(jwe)?)?;
    Ok(claimed.and_then(|sender| split_did_url(&sender.kid).map(|(did, _)| did.to_owned())))
}

/// Decrypts a JWE addressed to one of `own_kids` (the key ids of `keys`' X25519 key). For
/// authcrypt, `resolve` is asked for the sender's DID document, and only that.
pub fn decrypt(
    jwe: &str,
    keys: &PartyKeys,
    own_kids: &[String],
    resolve: impl FnOnce(&str) -> Result<DidDocument>,
) -> Result<Decrypted> {
    let addressed = recipient_kids(jwe)?;
    let recipient_kid = own_kids
        .iter()
        .find(|kid| addressed.contains(kid))
        .ok_or_else(|| Error::NotForUs { addressed: addressed.join(", ") })?;
    let secret = AgreementSecret(PrivateKeyAgreement::X25519(*keys.agreement_secret()));
    decrypt_for(jwe, recipient_kid, &secret, resolve)
}

/// A key-agreement secret on any curve DIDComm v2.1 lists: X25519 (what parties and the
/// mediator hold), P-256, P-384 or P-521 (what other stacks may use).
pub struct AgreementSecret(PrivateKeyAgreement);

impl AgreementSecret {
    /// Reads a private JWK: `OKP`/`X25519`, or `EC` on `P-256`, `P-384` or `P-521`, with `d`.
    pub fn from_jwk(jwk: &Value) -> Result<Self> {
        let crv = jwk["crv"].as_str().unwrap_or_default();
        let curve = match (jwk["kty"].as_str(), crv) {
            (Some("OKP"), "X25519") => Curve::X25519,
            (Some("EC"), "P-256") => Curve::P256,
            (Some("EC"), "P-384") => Curve::P384,
            (Some("EC"), "P-521") => Curve::P521,
            (kty, _) => {
                return Err(Error::Envelope(format!(
                    "unsupported key-agreement key ({}, {crv}): DIDComm uses X25519, P-256, P-384 or P-521",
                    kty.unwrap_or("no kty")
                )));
            }
        };
        let d = jwk["d"].as_str().ok_or_else(|| Error::Envelope("the JWK has no private part `d`".into()))?;
        let d = zeroize::Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(d)
                .map_err(|e| Error::Envelope(format!("the JWK's `d` is not base64url ({e})")))?,
        );
        PrivateKeyAgreement::from_raw_bytes(curve, &d)
            .map(AgreementSecret)
            .map_err(|e| Error::Envelope(format!("the JWK's private key: {e}")))
    }
}

impl std::fmt::Debug for AgreementSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The inner type redacts its secret too; say only which curve.
        write!(f, "AgreementSecret({:?})", self.0.curve())
    }
}

/// [`decrypt`] for one recipient key id and its secret, of any curve DIDComm lists. An authcrypt
/// sender's key is read from its DID document, which mpc-id reads for X25519 keys only, so
/// authcrypt on another curve is refused saying so.
pub fn decrypt_for(
    jwe: &str,
    recipient_kid: &str,
    secret: &AgreementSecret,
    resolve: impl FnOnce(&str) -> Result<DidDocument>,
) -> Result<Decrypted> {
    check_size(jwe)?;
    let keys = &secret.0;
    let header = aead::header(jwe)?;
    if aead::handles(&header) {
        let plaintext = aead::open(jwe, &header.enc, recipient_kid, keys)?;
        let message: Value = serde_json::from_slice(&plaintext)
            .map_err(|e| Error::Envelope(format!("decrypted content is not JSON ({e})")))?;
        return Ok(Decrypted { message, sender_kid: None, recipient_kid: recipient_kid.to_owned() });
    }
    check_supported(&header)?;
    let claimed = aead::claimed_sender(&header)?;
    if claimed.is_some() && header.curve() != "X25519" {
        return Err(Error::Envelope(format!(
            "authcrypt on {}: mpc-id reads senders' key-agreement keys as X25519 only",
            header.curve()
        )));
    }
    let sender_kid = claimed.as_ref().map(|sender| sender.kid.clone());
    let sender_key = match &sender_kid {
        Some(skid) => {
            let (did, _) = split_did_url(skid)
                .ok_or_else(|| Error::Envelope(format!("sender key id `{skid}` is not a DID URL")))?;
            let document = resolve(did)?;
            let key = recipient_keys(&document)?
                .into_iter()
                .find(|k| &k.kid == skid)
                .ok_or_else(|| Error::KeyNotAuthorized { kid: skid.clone(), did: did.to_owned() })?;
            Some(key.key.to_bytes())
        }
        None => None,
    };
    let plaintext = match (&claimed, &sender_key) {
        // Named only in `apu`: opened here (the JWE library insists on `skid`).
        (Some(sender), Some(key)) if !sender.in_skid => {
            aead::open_authcrypt(jwe, recipient_kid, keys, &PublicKeyAgreement::X25519(*key))?
        }
        _ => {
            let public = sender_key.map(PublicKeyAgreement::X25519);
            let sender = sender_kid.as_deref().zip(public.as_ref()).map(|(kid, key)| SenderKey::new(kid, key));
            jwe_decrypt::decrypt_bound(jwe, recipient_kid, keys, sender)
                .map_err(|e| Error::Envelope(format!("cannot decrypt: {e}")))?
                .plaintext
        }
    };
    let message: Value = serde_json::from_slice(&plaintext)
        .map_err(|e| Error::Envelope(format!("decrypted content is not JSON ({e})")))?;
    if let Some(skid) = &sender_kid {
        // A signed message inside: its `from` is in the JWS payload.
        let signed_from = signed_payload(&message).and_then(|payload| payload.get("from").cloned());
        let from = signed_from.as_ref().or(message.get("from")).and_then(Value::as_str).unwrap_or("(none)");
        if split_did_url(skid).map(|(did, _)| did) != Some(from) {
            return Err(Error::SignerMismatch { kid: skid.clone(), from: from.to_owned() });
        }
    }
    Ok(Decrypted { message, sender_kid, recipient_kid: recipient_kid.to_owned() })
}

/// Refuses, naming them, algorithms neither this module nor `aead` decrypts.
/// The payload of a JWS in General JSON form, if `message` is one.
fn signed_payload(message: &Value) -> Option<Value> {
    message.get("signatures")?;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(message["payload"].as_str()?).ok()?;
    serde_json::from_slice(&payload).ok()
}

fn check_supported(header: &aead::Header) -> Result<()> {
    let (alg, enc) = (header.alg.as_str(), header.enc.as_str());
    match (alg, enc) {
        (aead::ANONCRYPT | aead::AUTHCRYPT, aead::A256CBC_HS512) => Ok(()),
        (aead::AUTHCRYPT, _) => Err(Error::Envelope(format!(
            "unsupported content encryption `{enc}` for authcrypt: DIDComm authcrypt ({alg}) uses {} only",
            aead::A256CBC_HS512
        ))),
        (aead::ANONCRYPT, _) => Err(Error::Envelope(format!(
            "unsupported content encryption `{enc}` (anoncrypt supports {}, {} and {})",
            aead::A256CBC_HS512,
            aead::A256GCM,
            aead::XC20P
        ))),
        _ => Err(Error::Envelope(format!(
            "unsupported key wrapping `{alg}` (DIDComm uses {} and {})",
            aead::ANONCRYPT,
            aead::AUTHCRYPT
        ))),
    }
}

fn check_size(jwe: &str) -> Result<()> {
    if jwe.len() > MAX_ENVELOPE_BYTES {
        return Err(Error::Envelope(format!("{} bytes; envelopes are at most {MAX_ENVELOPE_BYTES}", jwe.len())));
    }
    Ok(())
}

fn with_recipients(
    recipients: &[RecipientKey],
    encrypt: impl FnOnce(
        &[(&str, &PublicKeyAgreement)],
    ) -> std::result::Result<String, affinidi_messaging_didcomm::DIDCommError>,
) -> Result<String> {
    let keys: Vec<(&str, PublicKeyAgreement)> =
        recipients.iter().map(|r| (r.kid.as_str(), PublicKeyAgreement::X25519(r.key.to_bytes()))).collect();
    let list: Vec<(&str, &PublicKeyAgreement)> = keys.iter().map(|(kid, key)| (*kid, key)).collect();
    encrypt(&list).map_err(|e| Error::Envelope(format!("cannot encrypt: {e}")))
}
