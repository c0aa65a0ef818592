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
//!
//! ```
//! use std::time::Duration;
//!
//! use mpc_identity::did::MediatorEndpoint;
//! use mpc_identity::invitation::{Invitation, SignedInvitation};
//! use mpc_identity::keystore::{DidMethod, Keystore};
//!
//! # fn main() -> Result<(), mpc_identity::Error> {
//! # let home = tempfile::tempdir().map_err(|e| mpc_identity::Error::Rng(e.to_string()))?;
//! // A party: keys sealed under a passphrase, a did:peer:2 that names its mediator.
//! let keystore = Keystore::open(home.path())?;
//! let mediator = MediatorEndpoint::from_url("https://mediator.example.org")?;
//! let alice = keystore.create("alice", DidMethod::Peer, Some(mediator), "correct horse")?;
//!
//! // Its signed invitation, as a URL to share...
//! let now = mpc_identity::unix_now();
//! let invitation = Invitation::new(&alice.record, None, Some("run the auction"), Duration::from_secs(3600), now);
//! let url = invitation.sign(&alice.keys, &alice.record.signing_kid())?.to_url(None);
//!
//! // ...which a peer parses and verifies against the keys of the DID it claims to be from.
//! let verified = SignedInvitation::parse(&url)?.verify(now)?;
//! assert_eq!(verified.from, alice.record.did);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

pub mod bundle;
pub mod credential;
pub mod did;
pub mod domain;
pub mod envelope;
mod error;
pub mod files;
pub mod invitation;
pub mod keys;
pub mod keystore;
pub mod peerbook;
pub mod presentation;
pub mod protocols;
pub mod schema;
pub mod status_list;
pub mod text;

pub use error::{Error, Result};

/// Now as RFC 3339 with whole seconds (`2026-12-06T08:00:00Z`), as peer books and logs record it.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Unix seconds as RFC 3339 with whole seconds (`2026-12-06T08:00:00Z`), as credentials and
/// proofs write their times.
pub(crate) fn rfc3339(unix: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix)).to_string()
}

/// An RFC 3339 time (any offset, fractions allowed) as Unix seconds; `None` if it is not one or
/// is before 1970.
pub(crate) fn unix_of(date: &str) -> Option<u64> {
    chrono::DateTime::parse_from_rfc3339(date).ok().and_then(|t| u64::try_from(t.timestamp()).ok())
}

/// Lowercase hex of `bytes`: digests and keys as the manifest, the store and logs write them.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since the Unix epoch, the time unit of DIDComm headers.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
