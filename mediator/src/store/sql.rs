//! The SQL both databases speak, written once: [`SqlStore`] implements every concern's trait
//! over any database sqlx drives with the types the queries bind and read. The SQL is the
//! subset SQLite and PostgreSQL share: `$n` parameters, `ON CONFLICT`, `CAST`. Only forwards,
//! the one write that comes in floods, are written differently per database: its [`Intake`].
//!
//! Each `impl` repeats the same `where` clause (Rust has no alias for a set of bounds): the
//! database's connection executes queries, its arguments take `&str`, `Option<&str>` and `i64`,
//! its rows give `String` and `i64`, and its query result says how many rows changed.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::{Enqueued, NewMessage, QueueCaps, Store, Sweep, Wake, owner_key, to_i64};
use crate::error::Result;

/// Replay records are swept in key order, this many per statement: they have no index by age
/// (a page fewer per forward), and a stretch holds the write lock for milliseconds only.
const REPLAY_STRETCH: i64 = 10_000;
/// Most replay records one sweep looks at (some 0.2 s of work): a larger table is swept over
/// several sweeps, a minute apart, and its records outlive the window by that much.
const REPLAY_SWEEP_MOST: i64 = 500_000;

/// A database and how forwards are written to it.
#[derive(Debug, Clone)]
pub(crate) struct SqlStore<DB: Database, I> {
    pub(super) pool: Pool<DB>,
    pub(super) intake: I,
    /// The key the last sweep of replay records stopped after (none: at the start).
    pub(super) replay_sweep: std::sync::Arc<std::sync::Mutex<Option<(String, String)>>>,
}

impl<DB: Database, I> SqlStore<DB, I> {
    pub(super) fn new(pool: Pool<DB>, intake: I) -> Self {
        SqlStore { pool, intake, replay_sweep: std::sync::Arc::default() }
    }
}

/// How many rows a statement changed (each driver has the method, no trait has it).
pub(crate) trait Affected {
    fn rows(&self) -> u64;
}

impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

/// How forwards are queued and announced: batched through SQLite's one writer, or per owner
/// under PostgreSQL's advisory lock with NOTIFY to the other instances.
#[async_trait]
pub(crate) trait Intake: Send + Sync + std::fmt::Debug {
    /// See [`super::Queue::enqueue_forward`].
    async fn enqueue_forward(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued>;
    /// See [`super::Queue::watch`].
    async fn watch(&self, wake: Wake) -> Result<()>;
}

#[async_trait]
impl<DB, I> Store for SqlStore<DB, I>
where
    DB: Database,
    DB::QueryResult: Affected,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB>,
    i64: for<'r> Decode<'r, DB> + Type<DB>,
    String: for<'r> Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
    I: Intake,
{
    async fn ready(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn sweep(&self, now: u64, seen_before: u64, idle_before: u64) -> Result<Sweep> {
        for expired in [
            "DELETE FROM invitations WHERE expires_at <= $1",
            "DELETE FROM program_bundles WHERE expires_at <= $1",
            "DELETE FROM enrollment_tokens WHERE expires_at <= $1",
        ] {
            sqlx::query(expired).bind(to_i64(now)).execute(&self.pool).await?;
        }
        // Yesterday's reservations still count (the limit is per day of the sweep's clock).
        sqlx::query("DELETE FROM ledger_name_quota WHERE day < $1")
            .bind(to_i64(now / 86_400).saturating_sub(1))
            .execute(&self.pool)
            .await?;
        // Recipients go with their enrollment (ON DELETE CASCADE); queues and relay keys are
        // keyed by DID without a foreign key, so they are deleted here.
        let idle_enrollments = sqlx::query("DELETE FROM mediated WHERE last_seen < $1")
            .bind(to_i64(idle_before))
            .execute(&self.pool)
            .await?
            .rows();
        if idle_enrollments > 0 {
            sqlx::query("DELETE FROM messages WHERE owner NOT IN (SELECT did FROM mediated)")
                .execute(&self.pool)
                .await?;
            sqlx::query("DELETE FROM relay_keys WHERE did NOT IN (SELECT did FROM mediated)")
                .execute(&self.pool)
                .await?;
        }
        // From the front of the queue: every message a mediator queues lives as long (its
        // `message_ttl`), so messages expire in queue order and need no index by expiry (a page
        // fewer per forward). After a restart with a shorter TTL, newer messages wait for the
        // older ones (at most the old TTL).
        let expired_messages = sqlx::query(
            "DELETE FROM messages WHERE seq < COALESCE(\
                (SELECT seq FROM messages WHERE expires_at > $1 ORDER BY seq LIMIT 1), \
                (SELECT MAX(seq) FROM messages) + 1)",
        )
        .bind(to_i64(now))
        .execute(&self.pool)
        .await?
        .rows();
        self.forget_replays(seen_before).await?;
        Ok(Sweep { expired_messages, idle_enrollments })
    }
}

impl<DB, I> SqlStore<DB, I>
where
    DB: Database,
    DB::QueryResult: Affected,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB>,
    i64: for<'r> Decode<'r, DB> + Type<DB>,
    String: for<'r> Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Gives the messages queued before the queue index was keyed by owner key (the migration
    /// cannot hash) their key: run once the migrations have.
    pub(super) async fn key_owners(&self) -> Result<()> {
        let owners: Vec<String> = sqlx::query_scalar("SELECT DISTINCT owner FROM messages WHERE owner_key IS NULL")
            .fetch_all(&self.pool)
            .await?;
        for owner in owners {
            sqlx::query("UPDATE messages SET owner_key = $1 WHERE owner = $2 AND owner_key IS NULL")
                .bind(owner_key(&owner))
                .bind(owner.as_str())
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Deletes replay records seen before `seen_before`, in key order from where the last sweep
    /// stopped, a stretch per statement, until the end of the table or
    /// [`REPLAY_SWEEP_MOST`] records.
    async fn forget_replays(&self, seen_before: u64) -> Result<()> {
        let mut after = self.replay_sweep.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let mut looked_at = 0;
        while looked_at < REPLAY_SWEEP_MOST {
            let (from_sender, from_id) = after.clone().unwrap_or_default();
            // The stretch ends at the record REPLAY_STRETCH on, or at the table's end.
            let end: Option<(String, String)> = sqlx::query_as(
                "SELECT sender, id FROM seen_messages WHERE (sender, id) > ($1, $2) \
                 ORDER BY sender, id LIMIT 1 OFFSET $3",
            )
            .bind(from_sender.as_str())
            .bind(from_id.as_str())
            .bind(REPLAY_STRETCH - 1)
            .fetch_optional(&self.pool)
            .await?;
            let mut delete = sqlx::QueryBuilder::<DB>::new("DELETE FROM seen_messages WHERE seen_at < ");
            delete.push_bind(to_i64(seen_before));
            delete.push(" AND (sender, id) > (").push_bind(from_sender.as_str());
            delete.push(", ").push_bind(from_id.as_str()).push(")");
            if let Some((to_sender, to_id)) = &end {
                delete.push(" AND (sender, id) <= (").push_bind(to_sender.as_str());
                delete.push(", ").push_bind(to_id.as_str()).push(")");
            }
            delete.build().execute(&self.pool).await?;
            looked_at += REPLAY_STRETCH;
            after = end;
            if after.is_none() {
                break;
            }
        }
        *self.replay_sweep.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = after;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Queue, Store, sqlite};
    use super::*;

    /// Replay records have no index by age: the sweep walks them in key order, a stretch a
    /// statement, and forgets every one past the window however many stretches that takes,
    /// keeping the rest.
    #[tokio::test]
    async fn replay_records_past_the_window_are_forgotten_in_every_stretch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store =
            sqlite::open(&format!("sqlite://{}", dir.path().join("store.sqlite").display())).await.expect("open");
        let records = 3 * REPLAY_STRETCH + 17;
        // One in five seen at 100, the rest at 1; keys spread over three senders.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $1) \
             INSERT INTO seen_messages (sender, id, seen_at) \
             SELECT 'did:example:' || (i % 3), printf('%08d', i), CASE WHEN i % 5 = 0 THEN 100 ELSE 1 END FROM n",
        )
        .bind(records)
        .execute(&store.pool)
        .await
        .expect("replay records");
        store.sweep(200, 50, 0).await.expect("sweep");
        let left: Vec<(i64, i64)> = sqlx::query_as("SELECT seen_at, COUNT(*) FROM seen_messages GROUP BY seen_at")
            .fetch_all(&store.pool)
            .await
            .expect("count");
        assert_eq!(left, [(100, (records + 4) / 5)], "only the records inside the window stay");
        // The first record (key order) and the last are forgotten: they may be replayed again.
        assert!(store.remember("did:example:1", &format!("{:08}", records - 1), 200).await.expect("remember"));
        assert!(store.remember("did:example:0", "00000003", 200).await.expect("remember"));
        assert!(!store.remember("did:example:0", "00000015", 200).await.expect("remember"), "15 is kept");
    }

    /// Messages queued before the queue index was keyed by owner key are given theirs when the
    /// store opens: their owner reads them as before.
    #[tokio::test]
    async fn messages_queued_before_the_owner_key_are_read_after_the_upgrade() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("store.sqlite").display());
        let store = sqlite::open(&url).await.expect("open");
        // As the migration leaves a message queued before it.
        sqlx::query(
            "INSERT INTO messages (seq, id, owner, recipient, body, received_at, expires_at, source) \
             VALUES (7, 'old', 'did:example:owner', 'did:example:owner', '{}', 1, 1000, '127.0.0.1')",
        )
        .execute(&store.pool)
        .await
        .expect("queued before");
        drop(store);
        let store = sqlite::open(&url).await.expect("open again");
        let fetched = store.fetch("did:example:owner", None, 0, 10).await.expect("fetch");
        assert_eq!(fetched.iter().map(|message| message.id.as_str()).collect::<Vec<_>>(), ["old"]);
        assert_eq!(store.last_seq("did:example:owner").await.expect("last"), 7);
    }
}
