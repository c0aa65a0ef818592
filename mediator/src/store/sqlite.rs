//! SQLite in WAL mode: readers never block the writer, and a committed transaction survives a
//! killed process (`synchronous = NORMAL`; only a power cut can lose the last commits).
//!
//! Forwards, the one write that comes in floods, go through a [`GroupCommit`] writer on a
//! connection of its own; everything else through the pool. A checkpointer on a third connection
//! (a thread of its own) copies the log into the database file, so that no commit waits for that.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::checkpoint::{self, Marks};
use super::group_commit::GroupCommit;
use super::sql::{Intake, SqlStore};
use super::{Enqueued, NewMessage, QueueCaps, Wake};
use crate::error::Result;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// The store on a SQLite file.
pub(super) type SqliteStore = SqlStore<sqlx::Sqlite, GroupCommit>;

/// Opens (creating) the database file and runs its migrations.
pub(super) async fn open(url: &str) -> Result<SqliteStore> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // No commit copies the log into the database file: the checkpointer does (checkpoint.rs).
        .pragma("wal_autocheckpoint", "0");
    let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options.clone()).await?;
    MIGRATIONS.run(&pool).await?;
    let checkpoints = checkpoint::start(options.get_filename(), Marks::DEFAULT)?;
    let intake = GroupCommit::start(options.get_filename(), checkpoints)?;
    Ok(SqlStore::new(pool, intake))
}

#[async_trait]
impl Intake for GroupCommit {
    async fn enqueue_forward(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        self.enqueue(message, caps).await
    }

    /// One process owns a SQLite file, and its one writer queues in order: wakes carry the
    /// message.
    async fn watch(&self, wake: Wake) -> Result<()> {
        self.on_queued(wake);
        Ok(())
    }
}
