//! Enrollments: which DIDs may use the mediator, the recipient DIDs each registered, when each
//! last acted, and the tokens a closed mediator enrolls by.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};

use super::sql::{Affected, SqlStore};
use super::{UpdateResult, to_i64};
use crate::error::Result;

/// Parties, their recipients and enrollment tokens.
#[async_trait]
pub(crate) trait Enrollments {
    /// Records that `did` may use this mediator.
    async fn grant(&self, did: &str, now: u64) -> Result<()>;
    async fn is_mediated(&self, did: &str) -> Result<bool>;
    /// Records that an enrolled party acted at `now`.
    async fn touch(&self, did: &str, now: u64) -> Result<()>;
    async fn add_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult>;
    async fn remove_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult>;
    async fn recipients(&self, owner: &str) -> Result<Vec<String>>;
    /// The party a recipient DID (or DID URL) was registered by.
    async fn owner_of(&self, recipient: &str) -> Result<Option<String>>;
    /// Makes an enrollment token (by its digest) good for `uses` enrollments until `expires_at`.
    async fn create_token(&self, digest: &str, label: &str, uses: u32, expires_at: u64, now: u64) -> Result<()>;
    /// Whether a token has a use left (without using it).
    async fn token_valid(&self, digest: &str, now: u64) -> Result<bool>;
    /// Uses up one enrollment of a token; `false` if it is unknown, used up or expired.
    async fn redeem_token(&self, digest: &str, now: u64) -> Result<bool>;
}

#[async_trait]
impl<DB, I> Enrollments for SqlStore<DB, I>
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
    async fn grant(&self, did: &str, now: u64) -> Result<()> {
        sqlx::query(
            "INSERT INTO mediated (did, granted_at, last_seen) VALUES ($1, $2, $2) \
             ON CONFLICT (did) DO UPDATE SET last_seen = excluded.last_seen",
        )
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

    async fn touch(&self, did: &str, now: u64) -> Result<()> {
        sqlx::query("UPDATE mediated SET last_seen = $1 WHERE did = $2")
            .bind(to_i64(now))
            .bind(did)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn add_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult> {
        let inserted = sqlx::query("INSERT INTO recipients (recipient, owner) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(recipient)
            .bind(owner)
            .execute(&self.pool)
            .await?
            .rows();
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
            .rows();
        Ok(if removed == 1 { UpdateResult::Success } else { UpdateResult::NoChange })
    }

    async fn recipients(&self, owner: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT recipient FROM recipients WHERE owner = $1 ORDER BY recipient")
            .bind(owner)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn owner_of(&self, recipient: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT owner FROM recipients WHERE recipient = $1")
            .bind(recipient)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn create_token(&self, digest: &str, label: &str, uses: u32, expires_at: u64, now: u64) -> Result<()> {
        sqlx::query(
            "INSERT INTO enrollment_tokens (digest, label, uses_left, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(digest)
        .bind(label)
        .bind(i64::from(uses))
        .bind(to_i64(expires_at))
        .bind(to_i64(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token_valid(&self, digest: &str, now: u64) -> Result<bool> {
        let row =
            sqlx::query("SELECT 1 FROM enrollment_tokens WHERE digest = $1 AND uses_left > 0 AND expires_at > $2")
                .bind(digest)
                .bind(to_i64(now))
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    async fn redeem_token(&self, digest: &str, now: u64) -> Result<bool> {
        // One statement: two enrollments racing for the last use cannot both get it.
        let used = sqlx::query(
            "UPDATE enrollment_tokens SET uses_left = uses_left - 1 \
             WHERE digest = $1 AND uses_left > 0 AND expires_at > $2",
        )
        .bind(digest)
        .bind(to_i64(now))
        .execute(&self.pool)
        .await?
        .rows();
        Ok(used == 1)
    }
}
