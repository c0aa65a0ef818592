//! The one error type of this crate.
//!
//! Every variant names what was wrong with the input in words a user can act on; the CLI prints
//! them as they are. Verification failures each have their own variant so that callers (and
//! tests) can tell a forged signature from an expired invitation.

use std::path::PathBuf;

/// Everything that can go wrong in `mpc-identity`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
// Each variant's message names its fields; they are documented there.
#[allow(missing_docs)]
pub enum Error {
    // --- DIDs and keys ---------------------------------------------------------------------
    /// The string is not a DID at all, or not one of a method's valid forms.
    #[error("invalid DID `{did}`: {reason}")]
    InvalidDid { did: String, reason: String },

    /// A well-formed DID of a method this build does not resolve.
    #[error("unsupported DID method `{method}` (supported: did:key, did:peer:2, did:webvh, did:web, did:jwk)")]
    UnsupportedMethod { method: String },

    /// A multibase/multicodec key that is malformed or of a type we do not use.
    #[error("invalid key `{key}`: {reason}")]
    InvalidKey { key: String, reason: String },

    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Rng(String),

    /// A mediator URL that cannot be used as an endpoint.
    #[error("invalid mediator URL `{url}`: {reason}")]
    InvalidMediatorUrl { url: String, reason: String },

    // --- DID ledger (did:webvh) -------------------------------------------------------------
    /// A did:webvh log that does not verify: an edited or reordered entry, a bad proof, a key
    /// that was not authorized, a broken pre-rotation commitment, missing witness proofs.
    #[error("the did:webvh log of `{did}` does not verify: {reason}")]
    LedgerInvalid { did: String, reason: String },

    /// The host served the log of a different DID than the one asked for.
    #[error("the host served the log of `{served}`, not of `{requested}`")]
    LedgerWrongDid { requested: String, served: String },

    /// The log is shorter than one verified before: entries were dropped (rollback).
    #[error(
        "rollback detected for `{did}`: the host serves {served} entries but version {pinned} was verified before; refusing the older state"
    )]
    LedgerRollback { did: String, pinned: u32, served: u32 },

    /// The log contains a different entry where one was verified before (fork).
    #[error(
        "fork detected for `{did}`: version {version} is now `{served}`, but `{pinned}` was verified before; the host serves a different history"
    )]
    LedgerFork { did: String, version: u32, pinned: String, served: String },

    /// The DID was deactivated by its controller: its keys must not be used.
    #[error("`{did}` is deactivated: its controller ended it, so its keys must not be trusted")]
    Deactivated { did: String },

    /// A DID's document or log could not be fetched from where its method says it lives.
    #[error("could not resolve `{did}`: {reason}")]
    ResolutionFailed { did: String, reason: String },

    // --- Keystore ----------------------------------------------------------------------------
    /// The passphrase does not open the sealed keys (or the file was altered).
    #[error("wrong passphrase for identity `{name}` (or its key file was altered): the keys could not be decrypted")]
    WrongPassphrase { name: String },

    /// No identity of that name in the keystore.
    #[error("no identity named `{name}` in {home}; create one with `mpc-id new --name {name}`")]
    UnknownIdentity { name: String, home: PathBuf },

    /// `new` with a name that is already taken.
    #[error("an identity named `{name}` already exists in {home}")]
    IdentityExists { name: String, home: PathBuf },

    /// Identity names become file names, so they are restricted.
    #[error(
        "invalid identity name `{name}`: use 1-64 characters from a-z, A-Z, 0-9, `-` and `_`, starting with a letter or digit"
    )]
    InvalidName { name: String },

    /// A keystore file that exists but cannot be understood.
    #[error("corrupt keystore file {path}: {reason}")]
    CorruptKeystore { path: PathBuf, reason: String },

    /// The peer book exists but cannot be understood.
    #[error("corrupt peer book {path}: {reason}")]
    CorruptPeerBook { path: PathBuf, reason: String },

    /// A ledger operation on an identity that is not a did:webvh one.
    #[error("identity `{name}` is not a did:webvh identity; only those have a log to publish")]
    NotWebvh { name: String },

    /// An empty passphrase would leave the keys effectively unencrypted.
    #[error("the passphrase must not be empty")]
    EmptyPassphrase,

    /// Filesystem failure, with the path it happened on.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    // --- Signed messages and invitations -----------------------------------------------------
    /// The input is not JSON (or not the JSON shape of a signed message).
    #[error("not a signed DIDComm message: {0}")]
    NotSignedMessage(String),

    /// An encrypted envelope that cannot be parsed, encrypted or decrypted.
    #[error("encrypted message: {0}")]
    Envelope(String),

    /// An encrypted envelope addressed to keys we do not hold.
    #[error("the message is not addressed to us (addressed to: {addressed})")]
    NotForUs { addressed: String },

    /// A URL that carries no invitation, or whose payload is cut off.
    #[error("invalid invitation URL: {0}")]
    InvalidInvitationUrl(String),

    /// A shared program bundle that cannot be taken as it is.
    #[error("invalid program bundle: {0}")]
    InvalidBundle(String),

    /// The signature uses an algorithm other than EdDSA.
    #[error("unsupported signature algorithm `{0}` (only EdDSA is accepted)")]
    UnsupportedAlgorithm(String),

    /// The key that signed is not a key of the DID in `from`.
    #[error("signer mismatch: signed with key `{kid}` but the message is from `{from}`")]
    SignerMismatch { kid: String, from: String },

    /// The signing key id is not listed under `authentication` in the signer's DID document.
    #[error("key `{kid}` is not an authentication key of `{did}`")]
    KeyNotAuthorized { kid: String, did: String },

    /// The signature does not verify: the message was altered or signed by someone else.
    #[error("bad signature by `{kid}`: the message was altered after signing or not signed by that key")]
    BadSignature { kid: String },

    /// `expires_time` lies in the past.
    #[error("invitation expired at {expired_at} (now {now}, unix seconds)")]
    Expired { expired_at: u64, now: u64 },

    /// `created_time` lies further in the future than clock skew explains.
    #[error("invitation created in the future ({created_at}, now {now}, unix seconds)")]
    NotYetValid { created_at: u64, now: u64 },

    /// A message of the wrong DIDComm type where an invitation was expected.
    #[error("wrong message type `{found}`, expected `{expected}`")]
    WrongType { found: String, expected: String },

    /// The invitation body claims keys or a mediator that its DID does not have.
    #[error("inconsistent invitation: {0}")]
    InconsistentInvitation(String),

    /// A verifiable credential that cannot be issued or does not verify.
    #[error("credential: {0}")]
    Credential(String),

    /// A domain's DID configuration does not link it to the DID (missing, malformed, expired,
    /// or not signed by the DID).
    #[error("domain linkage of `{did}` to {origin}: {reason}")]
    DomainLinkage { did: String, origin: String, reason: String },

    /// A domain name or origin that cannot be linked (not HTTPS, a path, no host).
    #[error("`{domain}` is not a domain to link: {reason} (give a name like `example.org`)")]
    InvalidDomain { domain: String, reason: String },

    /// A JSON document did not match its schema.
    #[error("{schema} does not match its schema: {details}")]
    SchemaViolation { schema: &'static str, details: String },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    pub(crate) fn invalid_did(did: &str, reason: impl Into<String>) -> Self {
        Error::InvalidDid { did: did.to_owned(), reason: reason.into() }
    }

    pub(crate) fn invalid_key(key: &str, reason: impl Into<String>) -> Self {
        Error::InvalidKey { key: key.to_owned(), reason: reason.into() }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
