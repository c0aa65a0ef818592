//! DIDComm v2 envelopes: the one place messages are packed and unpacked.
//!
//! - [`signed`]: JWS, for what others must be able to attribute to a party (invitations).
//! - [`encrypted`]: JWE, authcrypt between parties and anoncrypt to mediators.
//!
//! Keys always come from DID documents the caller resolved; nothing in an envelope is trusted to
//! say which key it should be checked against.

mod aead;
pub mod encrypted;
pub mod signed;

pub use signed::{SIGNED_TYP, SignedMessage, Verified, parse, sign, verify};

/// Media type of a plaintext DIDComm message.
pub const PLAIN_TYP: &str = "application/didcomm-plain+json";
/// Media type of an encrypted DIDComm message.
pub const ENCRYPTED_TYP: &str = "application/didcomm-encrypted+json";
