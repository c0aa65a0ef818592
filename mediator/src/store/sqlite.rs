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
    let store = SqlStore::new(pool, intake);
    store.key_owners().await?;
    Ok(store)
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

#[cfg(test)]
mod tests {
    use super::super::{OwnedMessage, Queue};
    use super::*;

    /// A database from before the writer gave queue positions (SQLite's AUTOINCREMENT did) keeps
    /// its queue through the migration: the messages, their positions and keys, and no position
    /// given before (the newest message was deleted) is given again.
    #[tokio::test]
    async fn a_queue_from_before_keeps_its_messages_and_positions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("store.sqlite").display());
        let options = SqliteConnectOptions::from_str(&url).expect("url").create_if_missing(true);
        let pool = SqlitePoolOptions::new().connect_with(options).await.expect("pool");
        MIGRATIONS.run_to(20261206000013, &pool).await.expect("the migrations before");
        for n in 1..=3 {
            sqlx::query(
                "INSERT INTO messages (id, owner, recipient, body, received_at, expires_at, digest, source) \
                 VALUES ($1, 'did:example:owner', 'did:example:owner', $2, 1, 1000, $1, '127.0.0.1')",
            )
            .bind(format!("old-{n}"))
            .bind(format!("body {n}"))
            .execute(&pool)
            .await
            .expect("queued before");
        }
        sqlx::query("DELETE FROM messages WHERE id = 'old-3'").execute(&pool).await.expect("picked up");
        pool.close().await;

        let store = open(&url).await.expect("migrated");
        let before = store.fetch("did:example:owner", None, 0, 10).await.expect("fetch");
        let kept: Vec<(u64, &str, &str)> =
            before.iter().map(|message| (message.seq, message.id.as_str(), message.body.as_str())).collect();
        assert_eq!(kept, [(1, "old-1", "body 1"), (2, "old-2", "body 2")]);
        assert_eq!(store.count("did:example:owner", None).await.expect("count"), 2);
        let new = OwnedMessage {
            id: "new".into(),
            owner: "did:example:owner".into(),
            recipient: "did:example:owner".into(),
            body: "body new".into(),
            digest: "new".into(),
            source: "127.0.0.1".into(),
            received_at: 2,
            expires_at: 1_000,
        };
        let caps = QueueCaps { owner: 100, per_source: 100, per_source_bytes: 1 << 20 };
        assert!(matches!(store.intake.enqueue(&new.as_new(), caps).await, Ok(Enqueued::Stored)));
        let after = store.fetch("did:example:owner", None, 2, 10).await.expect("fetch");
        assert_eq!(after.iter().map(|message| message.seq).collect::<Vec<_>>(), [4], "after the deleted third");
        // A replayed envelope from before is still refused.
        let replayed = OwnedMessage { id: "again".into(), digest: "old-1".into(), ..new };
        assert!(matches!(store.intake.enqueue(&replayed.as_new(), caps).await, Ok(Enqueued::Replay)));
    }
}
