//! The one error type of this crate: what went wrong, in words naming the session, party or file.

use std::path::PathBuf;

/// Everything that can go wrong in `mpc-session`. A party is named by its index and `who`: its
/// label (if it gave one) and abbreviated DID.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
// Each variant's message names its fields; they are documented there.
#[allow(missing_docs)]
pub enum Error {
    /// An identity, DID or DIDComm failure underneath.
    #[error(transparent)]
    Identity(#[from] mpc_identity::Error),

    /// A mediator, ledger or network failure underneath.
    #[error(transparent)]
    Client(#[from] mpc_client::Error),

    /// A peer connection failure underneath.
    #[error(transparent)]
    Connect(#[from] mpc_connect::Error),

    /// A file of ours could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// No local session matches what was asked for.
    #[error("no session `{0}` here (see `mpc-id session status`)")]
    UnknownSession(String),

    /// Several local sessions match a prefix or name.
    #[error("`{0}` names more than one session; give more of its id")]
    AmbiguousSession(String),

    /// An invitation that is not a session invitation, or a malformed offer inside one.
    #[error("not a usable session invitation: {0}")]
    NotASession(String),

    /// The session's time is over.
    #[error("session {session} expired at {expired_at} (unix time; it is now {now})")]
    Expired { session: String, expired_at: u64, now: u64 },

    /// The host refused this party.
    #[error("the host of session {session} refused to admit you: {reason}")]
    Refused { session: String, reason: String },

    /// A lobby message or manifest that must not be accepted.
    #[error("session {session}: {reason}")]
    Rejected { session: String, reason: String },

    /// A manifest that fails verification.
    #[error("the manifest of session {session} is not acceptable: {reason}")]
    BadManifest { session: String, reason: String },

    /// The program this party holds is not the one the session agreed on.
    #[error("program {path} has SHA-256 {found}, but the session agreed on {expected}: refusing to run it")]
    ProgramMismatch { path: PathBuf, found: String, expected: String },

    /// The program bundle this party holds differs from the one the session agreed on.
    #[error("program bundle {path} is not the one the session agreed on ({differences}): refusing to run it")]
    BundleMismatch { path: PathBuf, differences: String },

    /// A party asked for MPyC's own TLS in a session whose manifest runs without it: every
    /// party must run MPyC the same way, and the manifest is what they agreed.
    #[error(
        "--mpyc-ssl: session {session} was created without MPyC TLS; all parties must agree, so create it with --mpyc-ssl"
    )]
    MpycTlsNotAgreed { session: String },

    /// This party's command line cannot be used for the session.
    #[error("cannot run: {0}")]
    Command(String),

    /// The Python given cannot import MPyC.
    #[error("`{python}` cannot import MPyC (install it with `{python} -m pip install mpyc`): {reason}")]
    MpycMissing { python: String, reason: String },

    /// Peers were still missing when the start-up timeout passed.
    #[error("start-up timed out after {seconds} s; not connected: {missing}")]
    StartupTimeout { seconds: u64, missing: String },

    /// A peer vanished or its connection broke mid-run.
    #[error("party {index} ({who}) vanished: {reason}")]
    PeerLost { index: usize, who: String, reason: String },

    /// This party's user stopped the run (Ctrl-C); the others were told.
    #[error("interrupted; the other parties were told")]
    Interrupted,

    /// A peer cannot run or go on, for the reason it gave (which may name another party).
    #[error("party {index} ({who}) ended the run: {reason}")]
    PeerCannotRun { index: usize, who: String, reason: String },

    /// A peer's program failed; the computation cannot complete.
    #[error("party {index} ({who}) stopped: its program exited with {code}")]
    PeerFailed { index: usize, who: String, code: i32 },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    pub(crate) fn rejected(session: &str, reason: impl Into<String>) -> Self {
        Error::Rejected { session: session.to_owned(), reason: reason.into() }
    }

    pub(crate) fn bad_manifest(session: &str, reason: impl Into<String>) -> Self {
        Error::BadManifest { session: session.to_owned(), reason: reason.into() }
    }
}
