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

use super::{Enqueued, NewMessage, QueueCaps, Store, Sweep, Wake, to_i64};
use crate::error::Result;

/// A database and how forwards are written to it.
#[derive(Debug, Clone)]
pub(crate) struct SqlStore<DB: Database, I> {
    pub(super) pool: Pool<DB>,
    pub(super) intake: I,
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
        let expired_messages = sqlx::query("DELETE FROM messages WHERE expires_at <= $1")
            .bind(to_i64(now))
            .execute(&self.pool)
            .await?
            .rows();
        sqlx::query("DELETE FROM seen_messages WHERE seen_at < $1")
            .bind(to_i64(seen_before))
            .execute(&self.pool)
            .await?;
        Ok(Sweep { expired_messages, idle_enrollments })
    }
}
