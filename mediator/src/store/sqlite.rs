//! SQLite in WAL mode: readers never block the writer, and a committed transaction survives a
//! killed process (`synchronous = NORMAL`; only a power cut can lose the last commits).

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::{NewMessage, StoredMessage, UpdateResult, enqueue_query, impl_store};
use crate::error::Result;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        MIGRATIONS.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// SQLite has one writer at a time, so queue positions are handed out in commit order
    /// already, and the insert needs no transaction of its own.
    async fn insert_in_order(&self, message: &NewMessage<'_>, cap: u64) -> Result<bool> {
        Ok(enqueue_query!(message, cap).execute(&self.pool).await?.rows_affected() == 1)
    }

    /// One process owns a SQLite file: the caller wakes its own sessions.
    async fn after_enqueue(&self, _owner: &str) -> Result<()> {
        Ok(())
    }
}

impl_store!(SqliteStore, {});
