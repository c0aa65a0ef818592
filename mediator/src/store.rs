//! Storage: one trait, and its implementations over SQLite and (next) PostgreSQL.
//!
//! Messages are opaque encrypted envelopes. A message is stored before the forward that carried
//! it is acknowledged, and deleted only when its owner says it was received, so a crash between
//! the two never loses one. The SQL is plain text checked by the tests, not at compile time, so
//! building needs no database.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{Error, Result};

/// A message to queue.
#[derive(Clone, Debug)]
pub struct NewMessage<'a> {
    pub id: &'a str,
    pub owner: &'a str,
    pub recipient: &'a str,
    pub body: &'a str,
    pub received_at: u64,
    pub expires_at: u64,
}

/// A queued message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: String,
    pub recipient: String,
    pub body: String,
    pub received_at: u64,
}

/// What a recipient update did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateResult {
    Success,
    NoChange,
    /// Another party registered that recipient first.
    Taken,
}

/// Everything the mediator keeps.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Whether the database answers.
    async fn ready(&self) -> Result<()>;
    /// Records that `did` may use this mediator.
    async fn grant(&self, did: &str, now: u64) -> Result<()>;
    async fn is_mediated(&self, did: &str) -> Result<bool>;
    async fn add_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult>;
    async fn remove_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult>;
    async fn recipients(&self, owner: &str) -> Result<Vec<String>>;
    /// The party a recipient DID (or DID URL) was registered by.
    async fn owner_of(&self, recipient: &str) -> Result<Option<String>>;
    /// Queues a message unless its owner already has `cap` waiting; `false` when full.
    async fn enqueue(&self, message: &NewMessage<'_>, cap: u64) -> Result<bool>;
    async fn count(&self, owner: &str, recipient: Option<&str>) -> Result<u64>;
    /// The oldest `limit` messages of `owner` (for one recipient, if given).
    async fn fetch(&self, owner: &str, recipient: Option<&str>, limit: u32) -> Result<Vec<StoredMessage>>;
    /// Deletes acknowledged messages; ids of other owners are ignored. Returns how many went.
    async fn delete(&self, owner: &str, ids: &[String]) -> Result<u64>;
    /// Records a message id from a sender; `false` if it was seen before (a replay).
    async fn remember(&self, sender: &str, id: &str, now: u64) -> Result<bool>;
    /// Drops expired messages and replay records older than `seen_before`.
    async fn sweep(&self, now: u64, seen_before: u64) -> Result<u64>;
}

/// Opens the store a database URL names, running its migrations.
pub async fn open(database_url: &str) -> Result<Box<dyn Store>> {
    if database_url.starts_with("sqlite:") {
        Ok(Box::new(SqliteStore::open(database_url).await?))
    } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
        Err(Error::Startup("PostgreSQL storage is not available in this build yet".into()))
    } else {
        Err(Error::Startup(format!("unsupported database URL `{database_url}` (use sqlite://FILE or postgres://...)")))
    }
}

/// The default database of a data directory.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("mediator.sqlite3").display())
}

/// SQLite in WAL mode: readers never block the writer, and a committed transaction survives a
/// killed process (`synchronous = NORMAL`; only a power cut can lose the last commits).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for SqliteStore {
    async fn ready(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn grant(&self, did: &str, now: u64) -> Result<()> {
        sqlx::query("INSERT INTO mediated (did, granted_at) VALUES ($1, $2) ON CONFLICT (did) DO NOTHING")
            .bind(did)
            .bind(to_i64(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn is_mediated(&self, did: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM mediated WHERE did = $1").bind(did).fetch_optional(&self.pool).await?;
        Ok(row.is_some())
    }

    async fn add_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult> {
        let inserted = sqlx::query("INSERT INTO recipients (recipient, owner) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(recipient)
            .bind(owner)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if inserted == 1 {
            return Ok(UpdateResult::Success);
        }
        Ok(match self.owner_of(recipient).await?.as_deref() {
            Some(current) if current == owner => UpdateResult::NoChange,
            _ => UpdateResult::Taken,
        })
    }

    async fn remove_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult> {
        let removed = sqlx::query("DELETE FROM recipients WHERE recipient = $1 AND owner = $2")
            .bind(recipient)
            .bind(owner)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(if removed == 1 { UpdateResult::Success } else { UpdateResult::NoChange })
    }

    async fn recipients(&self, owner: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT recipient FROM recipients WHERE owner = $1 ORDER BY recipient")
            .bind(owner)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| r.try_get(0).map_err(Error::from)).collect()
    }

    async fn owner_of(&self, recipient: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT owner FROM recipients WHERE recipient = $1")
            .bind(recipient)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get(0).map_err(Error::from)).transpose()
    }

    async fn enqueue(&self, message: &NewMessage<'_>, cap: u64) -> Result<bool> {
        // One statement, so the cap holds under concurrent forwards.
        let inserted = sqlx::query(
            "INSERT INTO messages (id, owner, recipient, body, received_at, expires_at) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM messages WHERE owner = $2) < $7",
        )
        .bind(message.id)
        .bind(message.owner)
        .bind(message.recipient)
        .bind(message.body)
        .bind(to_i64(message.received_at))
        .bind(to_i64(message.expires_at))
        .bind(to_i64(cap))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn count(&self, owner: &str, recipient: Option<&str>) -> Result<u64> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE owner = $1 AND ($2 IS NULL OR recipient = $2)")
                .bind(owner)
                .bind(recipient)
                .fetch_one(&self.pool)
                .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn fetch(&self, owner: &str, recipient: Option<&str>, limit: u32) -> Result<Vec<StoredMessage>> {
        let rows = sqlx::query(
            "SELECT id, recipient, body, received_at FROM messages \
             WHERE owner = $1 AND ($2 IS NULL OR recipient = $2) ORDER BY seq LIMIT $3",
        )
        .bind(owner)
        .bind(recipient)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredMessage {
                    id: row.try_get("id")?,
                    recipient: row.try_get("recipient")?,
                    body: row.try_get("body")?,
                    received_at: u64::try_from(row.try_get::<i64, _>("received_at")?).unwrap_or(0),
                })
            })
            .collect()
    }

    async fn delete(&self, owner: &str, ids: &[String]) -> Result<u64> {
        let mut transaction = self.pool.begin().await?;
        let mut deleted = 0;
        for id in ids {
            deleted += sqlx::query("DELETE FROM messages WHERE id = $1 AND owner = $2")
                .bind(id)
                .bind(owner)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
        }
        transaction.commit().await?;
        Ok(deleted)
    }

    async fn remember(&self, sender: &str, id: &str, now: u64) -> Result<bool> {
        let inserted =
            sqlx::query("INSERT INTO seen_messages (sender, id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(sender)
                .bind(id)
                .bind(to_i64(now))
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(inserted == 1)
    }

    async fn sweep(&self, now: u64, seen_before: u64) -> Result<u64> {
        let expired = sqlx::query("DELETE FROM messages WHERE expires_at <= $1")
            .bind(to_i64(now))
            .execute(&self.pool)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM seen_messages WHERE seen_at < $1")
            .bind(to_i64(seen_before))
            .execute(&self.pool)
            .await?;
        Ok(expired)
    }
}
