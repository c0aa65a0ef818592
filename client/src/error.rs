//! The error type of the network side: what the core refused, or what the network or a server
//! did.

/// Everything that can go wrong talking to a mediator or a ledger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
// Each variant's message names its fields; they are documented there.
#[allow(missing_docs)]
pub enum Error {
    /// What arrived did not verify, or the local identity could not be used (the core's errors,
    /// unchanged).
    #[error(transparent)]
    Identity(#[from] mpc_identity::Error),

    /// A mediator or ledger could not be reached, or answered with something that is not what
    /// its API promises.
    #[error("mediator at {url}: {reason}")]
    Transport { url: String, reason: String },

    /// The mediator refused a request with a Problem Report.
    #[error("the mediator refused: {comment} ({code})")]
    Problem { code: String, comment: String },

    /// A ledger host refused a new log or an update.
    #[error("the ledger at {url} refused the log: {reason}")]
    PublishRefused { url: String, reason: String },

    /// The TLS trust could not be set up (an unreadable or empty CA file, named).
    #[error("TLS: {0}")]
    Tls(String),
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The core's "invalid DID" error, for DIDs whose documents a server got wrong.
pub(crate) fn invalid_did(did: &str, reason: impl Into<String>) -> Error {
    mpc_identity::Error::InvalidDid { did: did.to_owned(), reason: reason.into() }.into()
}
