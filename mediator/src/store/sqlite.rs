//! SQLite in WAL mode: readers never block the writer, and a committed transaction survives a
//! killed process (`synchronous = NORMAL`; only a power cut can lose the last commits).
//!
//! Forwards, the one write that comes in floods, go through a [`GroupCommit`] writer; everything
//! else through the pool.

use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::group_commit::GroupCommit;
use super::{Enqueued, NewMessage, QueueCaps, StoredMessage, UpdateResult, Wake, impl_store};
use crate::error::Result;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

#[derive(Debug, Clone)]
pub(crate) struct SqliteStore {
    pool: SqlitePool,
    forwards: GroupCommit,
}

impl SqliteStore {
    pub(crate) async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options.clone()).await?;
        MIGRATIONS.run(&pool).await?;
        let forwards = GroupCommit::start(options.connect().await?);
        Ok(SqliteStore { pool, forwards })
    }
}

impl_store!(SqliteStore, {
    async fn enqueue_forward(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        self.forwards.enqueue(message, caps).await
    }

    /// One process owns a SQLite file, and its one writer queues in order: wakes carry the
    /// message.
    async fn watch(&self, wake: Wake) -> Result<()> {
        self.forwards.on_queued(wake);
        Ok(())
    }
});
