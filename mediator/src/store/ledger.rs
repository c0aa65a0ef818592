//! The did:webvh logs the mediator hosts (verified before they are stored), and the daily
//! quota of new names per client address.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};

use super::sql::{Affected, SqlStore};
use super::{HostedLog, to_i64};
use crate::error::Result;

/// Hosted did:webvh logs by name.
#[async_trait]
pub(crate) trait LedgerLogs {
    /// Takes one of `source`'s `limit` new ledger names of `day` (days since 1970), in one
    /// statement; `false` when they are all taken.
    async fn reserve_ledger_name(&self, source: &str, day: u64, limit: u32) -> Result<bool>;
    /// Gives back a name reserved for a publication that did not happen.
    async fn release_ledger_name(&self, source: &str, day: u64) -> Result<()>;
    /// The DID and entry count of a hosted log, without the log.
    async fn ledger_length(&self, name: &str) -> Result<Option<(String, u32)>>;
    /// A hosted did:webvh log by name.
    async fn ledger_log(&self, name: &str) -> Result<Option<HostedLog>>;
    /// Stores a log under `name`: as a new name when `extends` is `None` (`false` if the name
    /// was taken meanwhile), else replacing the log of `extends` entries (`false` if it changed
    /// meanwhile).
    async fn put_ledger_log(&self, name: &str, log: &HostedLog, extends: Option<u32>, now: u64) -> Result<bool>;
}

#[async_trait]
impl<DB, I> LedgerLogs for SqlStore<DB, I>
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
    I: Send + Sync,
{
    async fn reserve_ledger_name(&self, source: &str, day: u64, limit: u32) -> Result<bool> {
        // The upsert's WHERE leaves a full row as it is, and then RETURNING returns nothing.
        let taken: Option<i64> = sqlx::query_scalar(
            "INSERT INTO ledger_name_quota (source, day, n) VALUES ($1, $2, 1) \
             ON CONFLICT (source, day) DO UPDATE SET n = ledger_name_quota.n + 1 \
             WHERE ledger_name_quota.n < $3 RETURNING n",
        )
        .bind(source)
        .bind(to_i64(day))
        .bind(i64::from(limit))
        .fetch_optional(&self.pool)
        .await?;
        Ok(taken.is_some_and(|n| n <= i64::from(limit)))
    }

    async fn release_ledger_name(&self, source: &str, day: u64) -> Result<()> {
        sqlx::query("UPDATE ledger_name_quota SET n = n - 1 WHERE source = $1 AND day = $2 AND n > 0")
            .bind(source)
            .bind(to_i64(day))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn ledger_length(&self, name: &str) -> Result<Option<(String, u32)>> {
        let row: Option<(String, i64)> = sqlx::query_as("SELECT did, entries FROM ledger_logs WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(did, entries)| (did, u32::try_from(entries).unwrap_or(0))))
    }

    async fn ledger_log(&self, name: &str) -> Result<Option<HostedLog>> {
        let row: Option<(String, String, Option<String>, i64, String)> =
            sqlx::query_as("SELECT did, log, witness, entries, source FROM ledger_logs WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(did, log, witness, entries, source)| HostedLog {
            did,
            log,
            witness,
            entries: u32::try_from(entries).unwrap_or(0),
            source,
        }))
    }

    async fn put_ledger_log(&self, name: &str, log: &HostedLog, extends: Option<u32>, now: u64) -> Result<bool> {
        let done = match extends {
            None => sqlx::query(
                "INSERT INTO ledger_logs (name, did, log, witness, entries, updated_at, source, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $6) ON CONFLICT DO NOTHING",
            )
            .bind(name)
            .bind(log.did.as_str())
            .bind(log.log.as_str())
            .bind(log.witness.as_deref())
            .bind(i64::from(log.entries))
            .bind(to_i64(now))
            .bind(log.source.as_str())
            .execute(&self.pool)
            .await?
            .rows(),
            Some(previous) => sqlx::query(
                "UPDATE ledger_logs SET log = $1, witness = $2, entries = $3, updated_at = $4 \
                 WHERE name = $5 AND did = $6 AND entries = $7",
            )
            .bind(log.log.as_str())
            .bind(log.witness.as_deref())
            .bind(i64::from(log.entries))
            .bind(to_i64(now))
            .bind(name)
            .bind(log.did.as_str())
            .bind(i64::from(previous))
            .execute(&self.pool)
            .await?
            .rows(),
        };
        Ok(done == 1)
    }
}
