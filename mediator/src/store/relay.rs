//! The relay's keys: which Ed25519 endpoint key may use the relay for which enrolled DID, and on
//! which relay instance its connection was last seen.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};

use super::sql::{Affected, SqlStore};
use crate::error::Result;

/// Relay keys and where their connections are.
#[async_trait]
pub(crate) trait RelayKeys {
    /// Lets the key `endpoint_id` (hex) use the relay, for `did`.
    async fn add_relay_key(&self, endpoint_id: &str, did: &str) -> Result<()>;
    /// The DID a relay key was registered for.
    async fn relay_key_owner(&self, endpoint_id: &str) -> Result<Option<String>>;
    /// Records that the relay key's connection is on the relay at `relay_url` now.
    async fn set_relay_home(&self, endpoint_id: &str, relay_url: &str) -> Result<()>;
    /// Forgets the relay key's connection, if it is still recorded at `relay_url`.
    async fn clear_relay_home(&self, endpoint_id: &str, relay_url: &str) -> Result<()>;
    /// The relay the key's connection was last recorded on, if any.
    async fn relay_home(&self, endpoint_id: &str) -> Result<Option<String>>;
}

#[async_trait]
impl<DB, I> RelayKeys for SqlStore<DB, I>
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
    async fn add_relay_key(&self, endpoint_id: &str, did: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO relay_keys (endpoint_id, did) VALUES ($1, $2) \
             ON CONFLICT (endpoint_id) DO UPDATE SET did = excluded.did",
        )
        .bind(endpoint_id)
        .bind(did)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn relay_key_owner(&self, endpoint_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT did FROM relay_keys WHERE endpoint_id = $1")
            .bind(endpoint_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn set_relay_home(&self, endpoint_id: &str, relay_url: &str) -> Result<()> {
        sqlx::query("UPDATE relay_keys SET relay_url = $2 WHERE endpoint_id = $1")
            .bind(endpoint_id)
            .bind(relay_url)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn clear_relay_home(&self, endpoint_id: &str, relay_url: &str) -> Result<()> {
        sqlx::query("UPDATE relay_keys SET relay_url = NULL WHERE endpoint_id = $1 AND relay_url = $2")
            .bind(endpoint_id)
            .bind(relay_url)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn relay_home(&self, endpoint_id: &str) -> Result<Option<String>> {
        let home: Option<Option<String>> =
            sqlx::query_scalar("SELECT relay_url FROM relay_keys WHERE endpoint_id = $1")
                .bind(endpoint_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(home.flatten())
    }
}
