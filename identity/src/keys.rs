//! A party's key pair set and the multikey text form of public keys.
//!
//! A party has an Ed25519 key (signatures, and later its network address) and an X25519 key
//! (key agreement for encrypted DIDComm). Public keys travel as W3C Multikey strings:
//! base58btc multibase (`z...`) over a multicodec-prefixed key, so `z6Mk...` is always an
//! Ed25519 key and `z6LS...` always an X25519 key.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use x25519_dalek::{PublicKey as X25519Public, StaticSecret};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Multicodec `ed25519-pub` (0xed) as an unsigned varint.
const ED25519_PUB_CODEC: [u8; 2] = [0xed, 0x01];
/// Multicodec `x25519-pub` (0xec) as an unsigned varint.
const X25519_PUB_CODEC: [u8; 2] = [0xec, 0x01];

/// The public half of a multikey, typed by its curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// A signing key.
    Ed25519(VerifyingKey),
    /// A key-agreement (encryption) key.
    X25519(X25519Public),
}

impl PublicKey {
    /// Encodes as a Multikey string (`z6Mk...` or `z6LS...`).
    pub fn to_multikey(&self) -> String {
        let (codec, bytes) = match self {
            PublicKey::Ed25519(key) => (ED25519_PUB_CODEC, key.to_bytes()),
            PublicKey::X25519(key) => (X25519_PUB_CODEC, key.to_bytes()),
        };
        let mut raw = Vec::with_capacity(34);
        raw.extend_from_slice(&codec);
        raw.extend_from_slice(&bytes);
        format!("z{}", bs58::encode(raw).into_string())
    }

    /// Decodes a Multikey string; only base58btc Ed25519 and X25519 keys are accepted.
    pub fn from_multikey(text: &str) -> Result<Self> {
        let encoded = text
            .strip_prefix('z')
            .ok_or_else(|| Error::invalid_key(text, "not base58btc multibase (must start with `z`)"))?;
        let raw =
            bs58::decode(encoded).into_vec().map_err(|e| Error::invalid_key(text, format!("bad base58btc: {e}")))?;
        if raw.len() != 34 {
            return Err(Error::invalid_key(
                text,
                format!("expected a 2-byte codec and a 32-byte key, got {} bytes", raw.len()),
            ));
        }
        let (codec, key) = raw.split_at(2);
        let bytes: [u8; 32] = key.try_into().map_err(|_| Error::invalid_key(text, "key is not 32 bytes"))?;
        match [codec[0], codec[1]] {
            ED25519_PUB_CODEC => VerifyingKey::from_bytes(&bytes)
                .map(PublicKey::Ed25519)
                .map_err(|_| Error::invalid_key(text, "not a valid Ed25519 point")),
            X25519_PUB_CODEC => Ok(PublicKey::X25519(X25519Public::from(bytes))),
            other => Err(Error::invalid_key(
                text,
                format!("unsupported multicodec 0x{:02x}{:02x} (only ed25519-pub and x25519-pub)", other[0], other[1]),
            )),
        }
    }

    /// The Ed25519 key, or an error naming what was found instead.
    pub fn as_ed25519(&self) -> Result<&VerifyingKey> {
        match self {
            PublicKey::Ed25519(key) => Ok(key),
            PublicKey::X25519(_) => {
                Err(Error::invalid_key(&self.to_multikey(), "expected an Ed25519 key, found X25519"))
            }
        }
    }
}

/// The X25519 key that the did:key spec derives from an Ed25519 public key (birational map to
/// Montgomery form).
pub fn x25519_from_ed25519_public(key: &VerifyingKey) -> X25519Public {
    X25519Public::from(key.to_montgomery().to_bytes())
}

/// A party's secret keys. Zeroized on drop; never `Debug`-printed.
pub struct PartyKeys {
    signing: SigningKey,
    agreement: StaticSecret,
}

impl std::fmt::Debug for PartyKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartyKeys")
            .field("ed25519", &PublicKey::Ed25519(self.verifying_key()).to_multikey())
            .field("x25519", &PublicKey::X25519(self.agreement_public()).to_multikey())
            .finish_non_exhaustive()
    }
}

impl PartyKeys {
    /// Fresh, independent Ed25519 and X25519 keys from the operating system's RNG.
    pub fn generate() -> Result<Self> {
        let ed = random_32()?;
        let x = random_32()?;
        Ok(Self::from_secret_bytes(&ed, &x))
    }

    /// Fresh keys for did:key, whose X25519 key must be the one derived from the Ed25519 key.
    pub fn generate_ed25519_derived() -> Result<Self> {
        let ed = random_32()?;
        let signing = SigningKey::from_bytes(&ed);
        let agreement = StaticSecret::from(*Zeroizing::new(signing.to_scalar_bytes()));
        Ok(Self { signing, agreement })
    }

    /// Rebuilds keys from their 32-byte secrets (as stored in the keystore).
    pub fn from_secret_bytes(ed25519_seed: &[u8; 32], x25519_secret: &[u8; 32]) -> Self {
        Self { signing: SigningKey::from_bytes(ed25519_seed), agreement: StaticSecret::from(*x25519_secret) }
    }

    /// Keys from the 64 bytes [`PartyKeys::secret_bytes`] produced; `None` for any other length.
    pub fn from_secret_slice(secret: &[u8]) -> Option<Self> {
        let (ed, x) = secret.split_at_checked(32)?;
        Some(Self::from_secret_bytes(ed.try_into().ok()?, x.try_into().ok()?))
    }

    /// The two secrets, concatenated (Ed25519 seed, then X25519 secret), for storing them; the
    /// inverse of [`PartyKeys::from_secret_slice`]. The buffer zeroizes itself.
    pub fn secret_bytes(&self) -> Zeroizing<[u8; 64]> {
        let mut out = Zeroizing::new([0u8; 64]);
        out[..32].copy_from_slice(&self.signing.to_bytes());
        out[32..].copy_from_slice(self.agreement.as_bytes());
        out
    }

    /// The public half of the signing key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The public half of the key-agreement key.
    pub fn agreement_public(&self) -> X25519Public {
        X25519Public::from(&self.agreement)
    }

    /// The X25519 secret, for the envelope module. The buffer zeroizes itself.
    pub(crate) fn agreement_secret(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.agreement.to_bytes())
    }

    /// Signs `message` with the Ed25519 key.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    /// The Ed25519 secret key, for crates that need it as their own type (e.g. a network endpoint).
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }
}

/// Verifies an Ed25519 signature, rejecting non-canonical and small-order forms (so one message
/// cannot carry two valid signatures under one key).
pub(crate) fn verify_strict(key: &VerifyingKey, message: &[u8], signature: &Signature) -> bool {
    key.verify_strict(message, signature).is_ok()
}

fn random_32() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Rng(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multikey_prefixes_follow_the_multicodec_table() {
        let keys = PartyKeys::generate().expect("rng");
        let ed = PublicKey::Ed25519(keys.verifying_key()).to_multikey();
        let x = PublicKey::X25519(keys.agreement_public()).to_multikey();
        assert!(ed.starts_with("z6Mk"), "{ed}");
        assert!(x.starts_with("z6LS"), "{x}");
        assert_eq!(PublicKey::from_multikey(&ed).expect("decode"), PublicKey::Ed25519(keys.verifying_key()));
        assert_eq!(PublicKey::from_multikey(&x).expect("decode"), PublicKey::X25519(keys.agreement_public()));
    }

    #[test]
    fn derived_agreement_key_matches_public_derivation() {
        let keys = PartyKeys::generate_ed25519_derived().expect("rng");
        assert_eq!(keys.agreement_public(), x25519_from_ed25519_public(&keys.verifying_key()));
    }

    #[test]
    fn malformed_multikeys_are_refused_with_a_reason() {
        for (input, needle) in
            [("6Mkabc", "must start with `z`"), ("z0OIl", "bad base58btc"), ("z6Mk", "expected a 2-byte codec")]
        {
            let err = PublicKey::from_multikey(input).expect_err(input).to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
        // A secp256k1 key (0xe7) is well-formed multikey but not ours.
        let mut raw = vec![0xe7, 0x01];
        raw.extend([2u8; 32]);
        let text = format!("z{}", bs58::encode(raw).into_string());
        let err = PublicKey::from_multikey(&text).expect_err("codec").to_string();
        assert!(err.contains("unsupported multicodec 0xe701"), "{err}");
    }
}
