//! Secret keys sealed under a passphrase: Argon2id stretches the passphrase into a key for
//! XChaCha20-Poly1305. The AEAD's associated data binds the ciphertext to the identity's DID, so
//! sealed keys moved into another identity's file do not open.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Argon2id cost, the OWASP recommendation (19 MiB, 2 passes): about 30 ms on a laptop core.
const M_COST_KIB: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
/// Refuse files that ask for absurd work (a hostile file must not exhaust memory).
const MAX_M_COST_KIB: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 64;

/// The on-disk form of sealed secrets.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Sealed {
    kdf: String,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
    aead: String,
    nonce: String,
    ciphertext: String,
}

#[derive(Debug)]
pub(super) enum OpenError {
    /// The passphrase is wrong or the data was altered; AEAD cannot tell which.
    Rejected,
    /// The sealed record itself is malformed.
    Malformed(String),
}

impl Sealed {
    pub(super) fn seal(plaintext: &[u8], passphrase: &str, aad: &[u8]) -> Result<Self, String> {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let key = derive_key(passphrase, &salt, M_COST_KIB, T_COST, P_COST)?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_slice()).map_err(|e| e.to_string())?;
        let ciphertext = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad })
            .map_err(|e| format!("encryption failed: {e}"))?;
        Ok(Sealed {
            kdf: "argon2id".to_owned(),
            m_cost: M_COST_KIB,
            t_cost: T_COST,
            p_cost: P_COST,
            salt: STANDARD.encode(salt),
            aead: "xchacha20poly1305".to_owned(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        })
    }

    pub(super) fn open(&self, passphrase: &str, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if self.kdf != "argon2id" || self.aead != "xchacha20poly1305" {
            return Err(OpenError::Malformed(format!("unknown algorithms {} / {}", self.kdf, self.aead)));
        }
        if self.m_cost > MAX_M_COST_KIB || self.t_cost > MAX_T_COST || self.p_cost == 0 || self.p_cost > 16 {
            return Err(OpenError::Malformed("key-derivation cost out of range".to_owned()));
        }
        let decode = |field: &str, text: &str| {
            STANDARD.decode(text).map_err(|e| OpenError::Malformed(format!("{field} is not base64: {e}")))
        };
        let salt = decode("salt", &self.salt)?;
        let nonce: [u8; 24] = decode("nonce", &self.nonce)?
            .try_into()
            .map_err(|_| OpenError::Malformed("nonce is not 24 bytes".to_owned()))?;
        let ciphertext = decode("ciphertext", &self.ciphertext)?;
        let key = derive_key(passphrase, &salt, self.m_cost, self.t_cost, self.p_cost).map_err(OpenError::Malformed)?;
        let cipher =
            XChaCha20Poly1305::new_from_slice(key.as_slice()).map_err(|e| OpenError::Malformed(e.to_string()))?;
        cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: &ciphertext, aad })
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Rejected)
    }
}

fn derive_key(passphrase: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = Params::new(m, t, p, Some(32)).map_err(|e| format!("bad Argon2 parameters: {e}"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut_slice())
        .map_err(|e| format!("key derivation failed: {e}"))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_right_passphrase_and_binding() {
        let sealed = Sealed::seal(b"secret", "correct horse", b"did:a").expect("seal");
        assert_eq!(sealed.open("correct horse", b"did:a").expect("open").as_slice(), b"secret");
        assert!(matches!(sealed.open("wrong", b"did:a"), Err(OpenError::Rejected)));
        assert!(matches!(sealed.open("correct horse", b"did:b"), Err(OpenError::Rejected)));
    }

    #[test]
    fn hostile_cost_parameters_are_refused_before_any_work() {
        let mut sealed = Sealed::seal(b"secret", "pw", b"").expect("seal");
        sealed.m_cost = u32::MAX;
        assert!(matches!(sealed.open("pw", b""), Err(OpenError::Malformed(_))));
    }
}
