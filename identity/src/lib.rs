//! Party identities for mpc-id.
//!
//! A party is a DID backed by an Ed25519 signing key and an X25519 key-agreement key, kept in an
//! encrypted local [`keystore`]. It introduces itself to peers with a signed [`invitation`]
//! (DIDComm Out-of-Band 2.0) that peers verify against its resolved [`did`] document; it talks to
//! them in DIDComm [`envelope`]s, and remembers the DIDs it verified in its [`peerbook`].
//!
//! This crate is the network-free core: it never opens a socket. Everything that arrives from
//! outside (invitations, DIDs, did:webvh logs, envelopes) is parsed and verified here, against
//! keys the caller resolved; fetching them is the job of `mpc-client`, and the mediator uses this
//! crate to open what parties send it. The DIDComm protocol identifiers both sides speak are in
//! [`protocols`].
#![forbid(unsafe_code)]

pub mod did;
pub mod envelope;
mod error;
pub mod invitation;
pub mod keys;
pub mod keystore;
pub mod peerbook;
pub mod protocols;
pub mod schema;

pub use error::{Error, Result};

/// Seconds since the Unix epoch, the time unit of DIDComm headers.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
