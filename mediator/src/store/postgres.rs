//! PostgreSQL, which several mediator instances may share: each queued message is announced with
//! NOTIFY, and every instance LISTENs, so a party whose WebSocket is on instance B hears at once
//! of a forward that arrived through instance A.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use super::{Enqueued, NewMessage, QueueCaps, StoredMessage, UpdateResult, Wake, WakeSlot, impl_store};
use crate::error::Result;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");
const CHANNEL: &str = "mpc_mediator_queued";

#[derive(Debug, Clone)]
pub(crate) struct PostgresStore {
    pool: PgPool,
    /// This instance's wake-up, set by `watch`.
    wake: WakeSlot,
}

impl PostgresStore {
    pub(crate) async fn open(url: &str) -> Result<Self> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        // Instances starting together must not run the migrations twice at once: sqlx takes
        // an advisory lock around them.
        MIGRATIONS.run(&pool).await?;
        Ok(PostgresStore { pool, wake: WakeSlot::default() })
    }

    /// The replay record, the message and its NOTIFY (sent at commit) in one transaction, so a
    /// refused message leaves no trace. Concurrent inserts commit in any order, so a live
    /// session's cursor could pass a message that commits later: one owner's inserts are
    /// serialized by a lock held until commit, so its queue positions grow in commit order;
    /// different owners do not wait for each other.
    async fn insert_in_order(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(message.owner)
            .execute(&mut *transaction)
            .await?;
        let fresh = sqlx::query(
            "INSERT INTO seen_messages (sender, id, seen_at) VALUES ('forward', $1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(message.digest)
        .bind(super::to_i64(message.received_at))
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        if fresh == 0 {
            return Ok(Enqueued::Replay);
        }
        // The owner's lock is held, so these counts stand until commit. They come from
        // `queue_counts` (kept by a trigger): one lookup however deep the queue.
        let (total, from_source): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(n), 0)::BIGINT, COALESCE(SUM(n) FILTER (WHERE source = $2), 0)::BIGINT \
                 FROM queue_counts WHERE owner = $1",
        )
        .bind(message.owner)
        .bind(message.source)
        .fetch_one(&mut *transaction)
        .await?;
        if total >= super::to_i64(caps.owner) {
            return Ok(Enqueued::QueueFull);
        }
        if from_source >= super::to_i64(caps.per_source) {
            return Ok(Enqueued::SourceFull);
        }
        sqlx::query(
            "INSERT INTO messages (id, owner, recipient, body, received_at, expires_at, source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(message.id)
        .bind(message.owner)
        .bind(message.recipient)
        .bind(message.body)
        .bind(super::to_i64(message.received_at))
        .bind(super::to_i64(message.expires_at))
        .bind(message.source)
        .execute(&mut *transaction)
        .await?;
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(message.owner).execute(&mut *transaction).await?;
        transaction.commit().await?;
        Ok(Enqueued::Stored)
    }
}

impl_store!(PostgresStore, {
    async fn enqueue_forward(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        let outcome = self.insert_in_order(message, caps).await?;
        // Other instances hear of it through NOTIFY; this one at once. Positions are in commit
        // order only per owner and instance, so sessions read the queue rather than trust a push.
        if outcome == Enqueued::Stored
            && let Some(wake) = self.wake.get()
        {
            wake(message.owner, None);
        }
        Ok(outcome)
    }

    async fn watch(&self, wake: Wake) -> Result<()> {
        self.wake.set(Arc::clone(&wake));
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => wake(notification.payload(), None),
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
