//! The mediator's error type, and how each error is reported to the party that caused it.

/// Everything that can go wrong serving a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
// Each variant's message names its fields; they are documented there.
#[allow(missing_docs)]
pub enum Error {
    /// The request is not a DIDComm message we can open.
    #[error("{0}")]
    BadEnvelope(#[from] mpc_identity::Error),

    /// The message is well-formed DIDComm but not what its type requires.
    #[error("malformed {kind} message: {reason}")]
    Malformed { kind: &'static str, reason: String },

    /// A message type this mediator does not handle.
    #[error("unsupported message type `{0}`")]
    UnsupportedType(String),

    /// The sender may not do this (not mediated, someone else's queue, anonymous).
    #[error("not authorized: {0}")]
    NotAuthorized(String),

    /// A `forward` to a recipient nobody registered.
    #[error("unknown recipient `{0}`: no party registered it with this mediator")]
    UnknownRecipient(String),

    /// The recipient's queue is full.
    #[error("the queue of `{0}` is full; it must pick up messages before more can be stored")]
    QueueFull(String),

    /// A per-identity or per-source quota is used up (names, links, recipients, queue share).
    #[error("quota exceeded: {0}")]
    Quota(String),

    /// Too many requests from one address or DID.
    #[error("rate limit exceeded for {0}; slow down and retry")]
    RateLimited(String),

    /// A message id the sender already used.
    #[error("replayed message id `{0}`")]
    Replay(String),

    /// What the request is about is not here (a DID log not hosted).
    #[error("not found: {0}")]
    NotFound(String),

    /// The request contradicts what is stored (a taken name, a rewritten log).
    #[error("conflict: {0}")]
    Conflict(String),

    /// A request body arrived slower than `--min-body-rate` once `--body-timeout` was spent.
    #[error(
        "the request body arrived too slowly: send it at once (a body may take --body-timeout, then must keep up --min-body-rate)"
    )]
    TooSlow,

    /// A request that only makes sense on a WebSocket.
    #[error("{0} needs a WebSocket connection")]
    NeedsWebSocket(&'static str),

    /// Storage failed; the request was not carried out.
    #[error("storage error: {0}")]
    Storage(#[from] sqlx::Error),

    /// The SQLite forward writer failed; the forward was not queued.
    #[error("storage error: {0}")]
    SqliteWriter(#[from] rusqlite::Error),

    /// Migrations failed at start.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// The mediator's own keys or DID could not be made or read back (at start; never a
    /// request's fault, so never reported as one).
    #[error("the mediator's own keys or DID: {0}")]
    OwnKeys(#[source] mpc_identity::Error),

    /// Start-up failure (data directory, key file, listening socket, configuration).
    #[error("{0}")]
    Startup(String),
}

impl Error {
    /// The Problem Report 2.0 code for this error.
    pub fn problem_code(&self) -> &'static str {
        match self {
            Error::BadEnvelope(_) => "e.p.msg.unreadable",
            Error::Malformed { .. } => "e.p.msg.malformed",
            Error::UnsupportedType(_) => "e.p.msg.unsupported",
            Error::NotAuthorized(_) => "e.p.req.not-authorized",
            Error::UnknownRecipient(_) => "e.p.xfer.unknown-recipient",
            Error::QueueFull(_) => "w.p.xfer.queue-full",
            Error::RateLimited(_) => "w.p.req.rate-limited",
            Error::Quota(_) => "e.p.req.quota-exceeded",
            Error::Replay(_) => "e.p.msg.replay",
            Error::TooSlow => "e.p.req.timeout",
            Error::Conflict(_) => "e.p.req.conflict",
            Error::NotFound(_) => "e.p.req.not-found",
            // Message Pickup 3.0: live mode asked for over a transport that cannot do it.
            Error::NeedsWebSocket(_) => "e.m.live-mode-not-supported",
            Error::Storage(_)
            | Error::SqliteWriter(_)
            | Error::Migration(_)
            | Error::OwnKeys(_)
            | Error::Startup(_) => "e.p.me.internal",
        }
    }

    /// The HTTP status for this error.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::BadEnvelope(_) | Error::Malformed { .. } | Error::UnsupportedType(_) => 400,
            Error::NotAuthorized(_) => 403,
            Error::UnknownRecipient(_) | Error::NotFound(_) => 404,
            Error::Replay(_) | Error::Conflict(_) => 409,
            Error::NeedsWebSocket(_) => 426,
            Error::TooSlow => 408,
            Error::QueueFull(_) | Error::RateLimited(_) | Error::Quota(_) => 429,
            Error::Storage(_)
            | Error::SqliteWriter(_)
            | Error::Migration(_)
            | Error::OwnKeys(_)
            | Error::Startup(_) => 500,
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
