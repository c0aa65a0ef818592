//! Party identities for mpc-id.
//!
//! A party is a DID backed by an Ed25519 signing key and an X25519 key-agreement key, kept in an
//! encrypted local [`keystore`]. It introduces itself to peers with a signed [`invitation`]
//! (DIDComm Out-of-Band 2.0) that peers verify against its resolved [`did`] document, and which
//! travels as JSON, a URL, or a [`qr`] code.
//!
//! The only networking is the [`client`] of a mediator. Everything that arrives from outside
//! (invitations, DIDs, envelopes, mediator replies) is parsed here and checked against keys the
//! caller resolved itself.
#![forbid(unsafe_code)]

pub mod client;
pub mod did;
pub mod envelope;
mod error;
pub mod http;
pub mod invitation;
pub mod keys;
pub mod keystore;
pub mod peerbook;
pub mod qr;
pub mod resolver;
pub mod schema;

pub use error::{Error, Result};

/// Seconds since the Unix epoch, the time unit of DIDComm headers.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
