//! What parties share by link: signed invitations behind short links, and program bundles by
//! digest, each with its lifetime and its owner's quota.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};

use super::sql::{Affected, SqlStore};
use super::to_i64;
use crate::error::Result;

/// Short-link invitations and shared program bundles.
#[async_trait]
pub(crate) trait Links {
    /// Publishes a signed invitation under its content hash; publishing it again changes nothing.
    async fn put_invitation(&self, id: &str, body: &str, inviter: &str, expires_at: u64) -> Result<()>;
    /// A published invitation that has not expired.
    async fn invitation(&self, id: &str, now: u64) -> Result<Option<String>>;
    /// How many short links `inviter` holds that have not expired.
    async fn count_invitations(&self, inviter: &str, now: u64) -> Result<u64>;
    /// Stores a shared program bundle under its digest and owner; the same owner sharing it again
    /// changes nothing, another owner's share is kept beside it for its own lifetime.
    async fn put_bundle(&self, digest: &str, owner: &str, body: &str, bytes: u64, expires_at: u64) -> Result<()>;
    /// A shared bundle that has not expired.
    async fn bundle(&self, digest: &str, now: u64) -> Result<Option<String>>;
    /// How many unexpired bundles `owner` shares here, and their bytes together.
    async fn bundle_usage(&self, owner: &str, now: u64) -> Result<(u64, u64)>;
}

#[async_trait]
impl<DB, I> Links for SqlStore<DB, I>
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
    async fn put_invitation(&self, id: &str, body: &str, inviter: &str, expires_at: u64) -> Result<()> {
        sqlx::query(
            "INSERT INTO invitations (id, body, inviter, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(body)
        .bind(inviter)
        .bind(to_i64(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn invitation(&self, id: &str, now: u64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT body FROM invitations WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(to_i64(now))
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn count_invitations(&self, inviter: &str, now: u64) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations WHERE inviter = $1 AND expires_at > $2")
            .bind(inviter)
            .bind(to_i64(now))
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn put_bundle(&self, digest: &str, owner: &str, body: &str, bytes: u64, expires_at: u64) -> Result<()> {
        sqlx::query(
            "INSERT INTO program_bundles (digest, owner, body, bytes, expires_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (digest, owner) DO NOTHING",
        )
        .bind(digest)
        .bind(owner)
        .bind(body)
        .bind(to_i64(bytes))
        .bind(to_i64(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn bundle(&self, digest: &str, now: u64) -> Result<Option<String>> {
        // Every row of a digest holds the same files: the longest-lived one serves.
        Ok(sqlx::query_scalar(
            "SELECT body FROM program_bundles WHERE digest = $1 AND expires_at > $2 ORDER BY expires_at DESC LIMIT 1",
        )
        .bind(digest)
        .bind(to_i64(now))
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn bundle_usage(&self, owner: &str, now: u64) -> Result<(u64, u64)> {
        let (count, bytes): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(bytes) AS BIGINT) FROM program_bundles WHERE owner = $1 AND expires_at > $2",
        )
        .bind(owner)
        .bind(to_i64(now))
        .fetch_one(&self.pool)
        .await?;
        Ok((u64::try_from(count).unwrap_or(0), bytes.and_then(|b| u64::try_from(b).ok()).unwrap_or(0)))
    }
}
