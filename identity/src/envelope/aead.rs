//! Anoncrypt with the AEAD content encryptions DIDComm v2.1 lists beside A256CBC-HS512:
//! `ECDH-ES+A256KW` with `A256GCM` (required by the spec) or `XC20P` (optional, and the default
//! of several DIDComm libraries). The JWE code we use decrypts A256CBC-HS512 only, so these two
//! are opened here, from the same primitives (ECDH-ES, Concat KDF and AES key wrap from
//! `affinidi-crypto`; XChaCha20-Poly1305 from RustCrypto).
//!
//! Authcrypt (`ECDH-1PU+A256KW`) has one content encryption, A256CBC-HS512: ECDH-1PU binds the
//! tag into the key derivation, which only that algorithm allows. The JWE code we use opens it
//! only when the header names the sender in `skid`; DIDComm says a recipient MUST also find the
//! sender from `apu` when `skid` is absent, so that case is opened here too.
//!
//! The JWE General JSON form lets each recipient carry its own ephemeral key (`epk` in the
//! recipient's unprotected header) instead of one in the protected header; Askar-based stacks
//! (Indicio's didcomm-messaging among them) write anoncrypt that way. The JWE code we use reads
//! `epk` from the protected header only, so such envelopes are opened here, A256CBC-HS512 too.

use affinidi_crypto::jose::key_agreement::{PrivateKeyAgreement, PublicKeyAgreement};
use affinidi_crypto::jose::{aes_kw, content_encryption, ecdh, gcm};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Key wrapping of anoncrypt.
pub(crate) const ANONCRYPT: &str = "ECDH-ES+A256KW";
/// Key wrapping of authcrypt.
pub(crate) const AUTHCRYPT: &str = "ECDH-1PU+A256KW";
/// The content encryption every DIDComm stack must support, the only one of authcrypt.
pub(crate) const A256CBC_HS512: &str = "A256CBC-HS512";
/// AES-256 in Galois/Counter Mode.
pub(crate) const A256GCM: &str = "A256GCM";
/// XChaCha20-Poly1305.
pub(crate) const XC20P: &str = "XC20P";

/// What a JWE's protected header says before anything is decrypted: its algorithms, and for
/// authcrypt who claims to have sent it. Read once per envelope.
#[derive(Debug, Deserialize)]
pub(crate) struct Header {
    pub(crate) alg: String,
    pub(crate) enc: String,
    #[serde(default)]
    skid: Option<String>,
    #[serde(default)]
    apu: Option<String>,
    #[serde(default)]
    epk: Option<Value>,
}

impl Header {
    /// The curve of the ephemeral key (`epk.crv`): the curve of every key of the exchange.
    pub(crate) fn curve(&self) -> &str {
        self.epk.as_ref().and_then(|epk| epk["crv"].as_str()).unwrap_or("(none)")
    }
}

#[derive(Deserialize)]
struct Jwe {
    protected: String,
    recipients: Vec<Recipient>,
    iv: String,
    ciphertext: String,
    tag: String,
}

#[derive(Deserialize)]
struct Recipient {
    encrypted_key: String,
    header: RecipientHeader,
}

#[derive(Deserialize)]
struct RecipientHeader {
    kid: String,
    /// This recipient's own ephemeral key, where the sender made one per recipient.
    #[serde(default)]
    epk: Option<Value>,
}

#[derive(Deserialize)]
struct Protected {
    #[serde(default)]
    epk: Option<Value>,
    #[serde(default)]
    apu: Option<String>,
    apv: String,
}

/// Who sent an authcrypt JWE, as its header says: `skid`, or where it has none, `apu` (the
/// sender's key id, base64url). `None` for anoncrypt. The key id is only a claim until the
/// message decrypts with that key.
pub(crate) struct ClaimedSender {
    pub(crate) kid: String,
    /// Whether the header carries `skid` (then the JWE library opens the message).
    pub(crate) in_skid: bool,
}

/// The sender an authcrypt JWE claims (see [`ClaimedSender`]).
pub(crate) fn claimed_sender(header: &Header) -> Result<Option<ClaimedSender>> {
    if header.alg != AUTHCRYPT {
        return Ok(None);
    }
    if let Some(skid) = &header.skid {
        return Ok(Some(ClaimedSender { kid: skid.clone(), in_skid: true }));
    }
    let apu = header
        .apu
        .as_deref()
        .ok_or_else(|| malformed("authcrypt names its sender in neither `skid` nor `apu`".into()))?;
    let kid =
        String::from_utf8(decode("apu", apu)?).map_err(|_| malformed("`apu` is not a key id (not UTF-8)".into()))?;
    Ok(Some(ClaimedSender { kid, in_skid: false }))
}

/// A JWE read for one recipient: the envelope, its protected header, the content key wrapped
/// for that recipient, and the ephemeral public key.
struct Parsed {
    jwe: Jwe,
    header: Protected,
    wrapped_key: Vec<u8>,
    epk: PublicKeyAgreement,
}

fn parse(jwe: &str, recipient_kid: &str) -> Result<Parsed> {
    let jwe: Jwe = serde_json::from_str(jwe).map_err(|e| malformed(format!("not a JWE in General JSON form ({e})")))?;
    let header: Protected = serde_json::from_slice(&decode("protected", &jwe.protected)?)
        .map_err(|e| malformed(format!("protected header: {e}")))?;
    let recipient = jwe
        .recipients
        .iter()
        .find(|r| r.header.kid == recipient_kid)
        .ok_or_else(|| malformed(format!("no recipient entry for {recipient_kid}")))?;
    let wrapped_key = decode("encrypted_key", &recipient.encrypted_key)?;
    // A recipient's own ephemeral key takes precedence over the shared one (JWE's header
    // parameters of one recipient are the union of the protected and its own header).
    let epk = recipient
        .header
        .epk
        .as_ref()
        .or(header.epk.as_ref())
        .ok_or_else(|| malformed("no `epk`, in the protected header or the recipient's header".into()))?;
    let epk = PublicKeyAgreement::from_jwk(epk).map_err(|e| malformed(format!("`epk`: {e}")))?;
    Ok(Parsed { jwe, header, wrapped_key, epk })
}

/// Opens an authcrypt JWE whose sender is named only in `apu`: ECDH-1PU with the sender's key
/// `sender` (resolved by the caller from the DID in `apu`), A256CBC-HS512.
pub(crate) fn open_authcrypt(
    jwe: &str,
    recipient_kid: &str,
    secret: &PrivateKeyAgreement,
    sender: &PublicKeyAgreement,
) -> Result<Vec<u8>> {
    let Parsed { jwe, header, wrapped_key, epk } = parse(jwe, recipient_kid)?;
    let apu = decode("apu", header.apu.as_deref().unwrap_or_default())?;
    let apv = decode("apv", &header.apv)?;
    let tag: [u8; 32] = decode("tag", &jwe.tag)?
        .try_into()
        .map_err(|tag: Vec<u8>| malformed(format!("A256CBC-HS512 needs a 32-byte tag, not {} bytes", tag.len())))?;
    let iv: [u8; 16] = decode("iv", &jwe.iv)?
        .try_into()
        .map_err(|iv: Vec<u8>| malformed(format!("A256CBC-HS512 needs a 16-byte IV, not {} bytes", iv.len())))?;
    let kek = ecdh::derive_key_1pu_recipient(secret, sender, &epk, AUTHCRYPT.as_bytes(), &apu, &apv, &tag, 256)
        .map_err(|e| refused(format!("key agreement: {e}")))?;
    let kek: [u8; 32] = kek.try_into().map_err(|_| refused("the key-encryption key is not 256 bits".into()))?;
    let cek: [u8; 64] = aes_kw::unwrap(&kek, &wrapped_key)
        .map_err(|_| refused("the content key does not unwrap with our key and the sender's".into()))?
        .try_into()
        .map_err(|_| refused("the content key is not 512 bits".into()))?;
    let cek = zeroize::Zeroizing::new(cek);
    content_encryption::decrypt(&decode("ciphertext", &jwe.ciphertext)?, &cek, &iv, jwe.protected.as_bytes(), &tag)
        .map_err(|_| refused("A256CBC-HS512: the tag does not verify (altered, or not from that sender)".into()))
}

/// The protected header of a JWE (see [`Header`]).
pub(crate) fn header(jwe: &str) -> Result<Header> {
    #[derive(Deserialize)]
    struct Outer {
        protected: String,
    }
    let outer: Outer = serde_json::from_str(jwe).map_err(|e| malformed(format!("no protected header ({e})")))?;
    serde_json::from_slice(&decode("protected", &outer.protected)?)
        .map_err(|e| malformed(format!("the protected header names no `alg` and `enc` ({e})")))
}

/// Whether this module opens a JWE of these algorithms: anoncrypt with an AEAD, and anoncrypt
/// whose ephemeral keys are per recipient (no `epk` in the protected header).
pub(crate) fn handles(header: &Header) -> bool {
    header.alg == ANONCRYPT && (header.enc == A256GCM || header.enc == XC20P || header.epk.is_none())
}

/// Opens an anoncrypt JWE with `enc` A256GCM, XC20P or A256CBC-HS512, addressed to `recipient_kid`, whose
/// key-agreement secret is `secret` (of the curve of the JWE's `epk`); returns the plaintext.
pub(crate) fn open(jwe: &str, enc: &str, recipient_kid: &str, secret: &PrivateKeyAgreement) -> Result<Vec<u8>> {
    let Parsed { jwe, header, wrapped_key, epk } = parse(jwe, recipient_kid)?;
    let apu = match &header.apu {
        Some(apu) => decode("apu", apu)?,
        None => Vec::new(),
    };
    let apv = decode("apv", &header.apv)?;
    let kek = ecdh::derive_key_es_recipient(secret, &epk, ANONCRYPT.as_bytes(), &apu, &apv, 256)
        .map_err(|e| refused(format!("key agreement: {e}")))?;
    let kek: [u8; 32] = kek.try_into().map_err(|_| refused("the key-encryption key is not 256 bits".into()))?;
    let cek = zeroize::Zeroizing::new(
        aes_kw::unwrap(&kek, &wrapped_key)
            .map_err(|_| refused("the content key does not unwrap with our key".into()))?,
    );
    let (iv, ciphertext, tag) =
        (decode("iv", &jwe.iv)?, decode("ciphertext", &jwe.ciphertext)?, decode("tag", &jwe.tag)?);
    // The AAD is the protected header as it travels (ASCII of its base64url), as in every JWE.
    let aad = jwe.protected.as_bytes();
    match enc {
        A256CBC_HS512 => {
            let cek: &[u8; 64] = cek
                .as_slice()
                .try_into()
                .map_err(|_| refused(format!("A256CBC-HS512 needs a 512-bit content key, not {} bytes", cek.len())))?;
            let iv: [u8; 16] = iv.try_into().map_err(|iv: Vec<u8>| {
                malformed(format!("A256CBC-HS512 needs a 16-byte IV, not {} bytes", iv.len()))
            })?;
            let tag: [u8; 32] = tag.try_into().map_err(|tag: Vec<u8>| {
                malformed(format!("A256CBC-HS512 needs a 32-byte tag, not {} bytes", tag.len()))
            })?;
            content_encryption::decrypt(&ciphertext, cek, &iv, aad, &tag)
                .map_err(|_| refused("A256CBC-HS512: the tag does not verify (altered, or not for this key)".into()))
        }
        A256GCM => gcm::decrypt_a256(&ciphertext, &cek, &iv, aad, &tag).map_err(|e| refused(format!("A256GCM: {e}"))),
        XC20P => {
            let cipher = XChaCha20Poly1305::new_from_slice(&cek)
                .map_err(|_| refused(format!("XC20P needs a 256-bit content key, not {} bytes", cek.len())))?;
            let nonce: [u8; 24] = iv
                .try_into()
                .map_err(|iv: Vec<u8>| malformed(format!("XC20P needs a 24-byte IV, not {} bytes", iv.len())))?;
            let sealed = [ciphertext.as_slice(), tag.as_slice()].concat();
            cipher
                .decrypt(&XNonce::from(nonce), Payload { msg: &sealed, aad })
                .map_err(|_| refused("XC20P: the tag does not verify (altered, or not for this key)".into()))
        }
        other => Err(malformed(format!("content encryption `{other}` is not an anoncrypt AEAD"))),
    }
}

fn decode(field: &str, text: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| malformed(format!("`{field}` is not base64url ({e})")))
}

fn malformed(reason: String) -> Error {
    Error::Envelope(format!("malformed JWE: {reason}"))
}

fn refused(reason: String) -> Error {
    Error::Envelope(format!("cannot decrypt: {reason}"))
}
