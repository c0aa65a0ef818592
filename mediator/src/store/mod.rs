//! Storage, by concern: the message [`Queue`], [`Enrollments`] (parties, recipients, tokens),
//! hosted [`LedgerLogs`], shared [`Links`] (short-link invitations, program bundles) and
//! [`RelayKeys`], each a trait; [`Store`] is all of them plus readiness and the periodic sweep.
//! One body of portable SQL implements them over SQLite and PostgreSQL (`sql.rs`); only the
//! intake of forwards differs (`sqlite.rs`, `postgres.rs`).
//!
//! Messages are opaque encrypted envelopes. A message is stored before the forward that carried
//! it is acknowledged, and deleted only when its owner says it was received, so a crash between
//! the two never loses one. The SQL is plain text checked by the tests, not at compile time, so
//! building needs no database.

mod checkpoint;
mod enrollment;
mod group_commit;
mod ledger;
mod links;
mod postgres;
mod queue;
mod relay;
mod sql;
mod sqlite;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

pub(crate) use enrollment::Enrollments;
pub(crate) use ledger::LedgerLogs;
pub(crate) use links::Links;
pub(crate) use queue::Queue;
pub(crate) use relay::RelayKeys;

use crate::error::{Error, Result};

/// Called with the owner of newly queued messages, from whichever instance queued them, and the
/// messages themselves (in queue order) when the store can promise that an owner's wake-ups come
/// in queue order (SQLite: one writer). `None` means "read the queue".
pub(crate) type Wake = Arc<dyn Fn(&str, Option<Arc<[StoredMessage]>>) + Send + Sync>;

/// Where a store keeps the [`Wake`] that [`Queue::watch`] gives it; shared by its clones and
/// tasks, set once.
#[derive(Clone, Default)]
pub(crate) struct WakeSlot(Arc<std::sync::OnceLock<Wake>>);

impl WakeSlot {
    pub(crate) fn set(&self, wake: Wake) {
        let _ = self.0.set(wake);
    }

    pub(crate) fn get(&self) -> Option<&Wake> {
        self.0.get()
    }
}

impl std::fmt::Debug for WakeSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "WakeSlot(set)" } else { "WakeSlot(empty)" })
    }
}

/// A forwarded message to queue.
#[derive(Clone, Debug)]
pub(crate) struct NewMessage<'a> {
    pub id: &'a str,
    pub owner: &'a str,
    pub recipient: &'a str,
    pub body: &'a str,
    /// The envelope's SHA-256: the same envelope is queued at most once, whoever forwards it.
    pub digest: &'a str,
    /// Where the forward came from (see `routing::source_of`), for the per-source cap.
    pub source: &'a str,
    pub received_at: u64,
    pub expires_at: u64,
}

/// A [`NewMessage`] a writer task can own (each database's intake queues these).
#[derive(Debug)]
pub(crate) struct OwnedMessage {
    pub id: String,
    pub owner: String,
    pub recipient: String,
    pub body: String,
    pub digest: String,
    pub source: String,
    pub received_at: u64,
    pub expires_at: u64,
}

impl OwnedMessage {
    pub(crate) fn of(message: &NewMessage<'_>) -> Self {
        OwnedMessage {
            id: message.id.to_owned(),
            owner: message.owner.to_owned(),
            recipient: message.recipient.to_owned(),
            body: message.body.to_owned(),
            digest: message.digest.to_owned(),
            source: message.source.to_owned(),
            received_at: message.received_at,
            expires_at: message.expires_at,
        }
    }

    pub(crate) fn as_new(&self) -> NewMessage<'_> {
        NewMessage {
            id: &self.id,
            owner: &self.owner,
            recipient: &self.recipient,
            body: &self.body,
            digest: &self.digest,
            source: &self.source,
            received_at: self.received_at,
            expires_at: self.expires_at,
        }
    }
}

/// What queueing a forwarded message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Enqueued {
    Stored,
    /// The same envelope was forwarded before.
    Replay,
    /// Its owner already has the cap of messages waiting.
    QueueFull,
    /// Its owner already has the cap of messages (or bytes) from this source waiting.
    SourceFull,
}

/// The caps a forward is queued under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueueCaps {
    /// Messages one owner may have waiting.
    pub owner: u64,
    /// Messages from one source one owner may have waiting.
    pub per_source: u64,
    /// Bytes of messages from one source one owner may have waiting.
    pub per_source_bytes: u64,
}

/// A queued message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredMessage {
    /// Position in the queue: later messages have larger numbers.
    pub seq: u64,
    pub id: String,
    pub recipient: String,
    pub body: String,
    pub received_at: u64,
}

/// What a sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sweep {
    pub expired_messages: u64,
    pub idle_enrollments: u64,
}

/// A did:webvh log as hosted: verified before it was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostedLog {
    pub did: String,
    pub log: String,
    pub witness: Option<String>,
    pub entries: u32,
    /// The client address that created the name (kept for its per-source quota).
    pub source: String,
}

/// What a recipient update did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UpdateResult {
    Success,
    NoChange,
    /// Another party registered that recipient first.
    Taken,
}

/// Everything the mediator keeps.
#[async_trait]
pub(crate) trait Store:
    Queue + Enrollments + LedgerLogs + Links + RelayKeys + Send + Sync + std::fmt::Debug
{
    /// Whether the database answers.
    async fn ready(&self) -> Result<()>;
    /// Drops expired messages, invitations and tokens, replay records older than
    /// `seen_before`, and enrollments not used since `idle_before` (with their queues,
    /// recipients and relay keys).
    async fn sweep(&self, now: u64, seen_before: u64, idle_before: u64) -> Result<Sweep>;
}

/// Opens the store a database URL names, running its migrations.
pub(crate) async fn open(database_url: &str) -> Result<Box<dyn Store>> {
    if database_url.starts_with("sqlite:") {
        Ok(Box::new(sqlite::open(database_url).await?))
    } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
        Ok(Box::new(postgres::open(database_url).await?))
    } else {
        Err(Error::Startup(format!("unsupported database URL `{database_url}` (use sqlite://FILE or postgres://...)")))
    }
}

/// The default database of a data directory.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("mediator.sqlite3").display())
}

/// The queue index's key for an owner: the first eight bytes of its DID's SHA-256. A DID is some
/// hundred and fifty characters, and an index entry holding it filled a page with a dozen entries
/// (two to three pages written per forward where owners are many); eight bytes fill it with
/// hundreds. Every query by owner also compares the DID itself, so two DIDs sharing a key cost a
/// longer scan, never a wrong answer.
pub(crate) fn owner_key(owner: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(owner.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
