//! PostgreSQL, which several mediator instances may share: each queued message is announced with
//! NOTIFY, and every instance LISTENs, so a party whose WebSocket is on instance B hears at once
//! of a forward that arrived through instance A.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use super::{NewMessage, StoredMessage, UpdateResult, Wake, enqueue_query, impl_store};
use crate::error::Result;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");
const CHANNEL: &str = "mpc_mediator_queued";

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn open(url: &str) -> Result<Self> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        // Instances starting together must not run the migrations twice at once: sqlx takes
        // an advisory lock around them.
        MIGRATIONS.run(&pool).await?;
        Ok(PostgresStore { pool })
    }

    /// Concurrent inserts commit in any order, so a live session's cursor could pass a message
    /// that commits later. One owner's inserts are serialized by a lock held until commit, so its
    /// queue positions grow in commit order; different owners do not wait for each other.
    async fn insert_in_order(&self, message: &NewMessage<'_>, cap: u64) -> Result<bool> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(message.owner)
            .execute(&mut *transaction)
            .await?;
        let inserted = enqueue_query!(message, cap).execute(&mut *transaction).await?.rows_affected();
        transaction.commit().await?;
        Ok(inserted == 1)
    }

    async fn after_enqueue(&self, owner: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(owner).execute(&self.pool).await?;
        Ok(())
    }
}

impl_store!(PostgresStore, {
    async fn watch(&self, wake: Wake) -> Result<()> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => wake(notification.payload()),
                    // The listener reconnects on the next recv; a wake-up missed meanwhile only
                    // delays delivery until the next one or the next pickup.
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the PostgreSQL notification connection; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(())
    }
});
