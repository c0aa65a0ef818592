//! The one error type of this crate: what went wrong, in words naming the peer or address.

use crate::local::LocalAddr;

/// Everything that can go wrong in `mpc-connect`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
// Each variant's message names its fields; they are documented there.
#[allow(missing_docs)]
pub enum Error {
    /// The endpoint could not be bound (address in use, bad relay configuration).
    #[error("cannot start the peer endpoint: {0}")]
    Bind(String),

    /// A peer could not be reached (or refused us) before the deadline.
    #[error("cannot connect to peer {peer}: {reason}")]
    Connect { peer: String, reason: String },

    /// A peer that is not on the allowlist completed a handshake; it was closed.
    #[error("peer {0} is not on the allowlist")]
    NotAllowed(String),

    /// The local side of a tunnel (a TCP address or a Unix socket) failed.
    #[error("tunnel endpoint {addr}: {source}")]
    Local {
        addr: LocalAddr,
        #[source]
        source: std::io::Error,
    },

    /// The peer connection ended while a tunnel was using it.
    #[error("the connection to peer {peer} ended: {reason}")]
    Lost { peer: String, reason: String },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
