//! PostgreSQL, which several mediator instances may share: each queued message is announced with
//! NOTIFY, and every instance LISTENs, so a party whose WebSocket is on instance B hears at once
//! of a forward that arrived through instance A.
//!
//! One owner's forwards are queued under a lock held until commit (so its queue positions grow
//! in commit order), and a commit waits for PostgreSQL's WAL flush: one at a time, an owner would
//! take about a thousand forwards a second however idle the rest of the server. So the forwards
//! for one owner that arrive while its transaction runs wait for the next one, and go in together.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::oneshot;

use super::sql::{Intake, SqlStore};
use super::{Enqueued, NewMessage, OwnedMessage, QueueCaps, Wake, WakeSlot};
use crate::error::Result;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");
const CHANNEL: &str = "mpc_mediator_queued";

/// Most forwards one transaction queues for one owner.
const MAX_BATCH: usize = 256;

/// The store on a PostgreSQL database.
pub(super) type PostgresStore = SqlStore<sqlx::Postgres, PgIntake>;

/// Connects, and runs the migrations unless another instance is running them.
pub(super) async fn open(url: &str) -> Result<PostgresStore> {
    let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
    // Instances starting together must not run the migrations twice at once: sqlx takes an
    // advisory lock around them.
    MIGRATIONS.run(&pool).await?;
    let intake = PgIntake { pool: pool.clone(), wake: WakeSlot::default(), waiting: Arc::default() };
    let store = SqlStore::new(pool, intake);
    store.key_owners().await?;
    Ok(store)
}

/// Forwards, batched per owner, each batch one transaction under the owner's lock.
#[derive(Debug, Clone)]
pub(super) struct PgIntake {
    pool: PgPool,
    /// This instance's wake-up, set by `watch`.
    wake: WakeSlot,
    /// Forwards waiting for their owner's next transaction, by owner; an owner is listed while
    /// a task queues its forwards.
    waiting: Arc<Mutex<HashMap<String, Vec<Pending>>>>,
}

/// A forward waiting for its owner's transaction.
#[derive(Debug)]
struct Pending {
    message: OwnedMessage,
    caps: QueueCaps,
    reply: oneshot::Sender<Result<Enqueued>>,
}

impl PgIntake {
    /// Queues `message` in its owner's next transaction, starting the owner's task if none runs.
    async fn enqueue_batched(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending { message: OwnedMessage::of(message), caps, reply };
        let first = {
            let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            match waiting.get_mut(message.owner) {
                Some(queue) => {
                    queue.push(pending);
                    None
                }
                None => {
                    waiting.insert(message.owner.to_owned(), Vec::new());
                    Some(pending)
                }
            }
        };
        if let Some(first) = first {
            // A task of its own: a sender that hangs up must not strand the forwards behind it.
            let store = self.clone();
            tokio::spawn(async move { store.queue_for_owner(first).await });
        }
        answer.await.map_err(|_| crate::Error::Startup("the queueing task ended".into()))?
    }

    /// Runs transactions for one owner until no forward for it is waiting.
    async fn queue_for_owner(&self, first: Pending) {
        let owner = first.message.owner.clone();
        let mut batch = vec![first];
        loop {
            match self.insert_batch(&owner, &batch).await {
                Ok(outcomes) => {
                    for (pending, outcome) in batch.drain(..).zip(outcomes) {
                        let _ = pending.reply.send(Ok(outcome));
                    }
                }
                // Whatever failed (the database, one message), each is tried on its own and
                // gets its own answer.
                Err(e) => {
                    tracing::debug!(error = %e, "a batch of forwards failed; queueing them one by one");
                    for pending in batch.drain(..) {
                        let outcome = self.insert_in_order(&pending.message.as_new(), pending.caps).await;
                        let _ = pending.reply.send(outcome);
                    }
                }
            }
            let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(queue) = waiting.get_mut(&owner) else { return };
            if queue.is_empty() {
                waiting.remove(&owner);
                return;
            }
            let take = queue.len().min(MAX_BATCH);
            batch.extend(queue.drain(..take));
        }
    }

    /// One transaction for `batch` (all for `owner`): the caps are checked against the owner's
    /// counts read once under its lock and kept up to date as each forward is stored, a replay
    /// refused by its digest, and one NOTIFY sent for them all.
    async fn insert_batch(&self, owner: &str, batch: &[Pending]) -> Result<Vec<Enqueued>> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(owner)
            .execute(&mut *transaction)
            .await?;
        let counts: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT source, n, bytes FROM queue_counts WHERE owner = $1")
                .bind(owner)
                .fetch_all(&mut *transaction)
                .await?;
        let mut total: i64 = counts.iter().map(|(_, n, _)| n).sum();
        let mut by_source: HashMap<String, (i64, i64)> =
            counts.into_iter().map(|(source, n, bytes)| (source, (n, bytes))).collect();
        let mut outcomes = Vec::with_capacity(batch.len());
        for Pending { message, caps, .. } in batch {
            let fresh = sqlx::query(
                "INSERT INTO seen_messages (sender, id, seen_at) VALUES ('forward', $1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(&message.digest)
            .bind(super::to_i64(message.received_at))
            .execute(&mut *transaction)
            .await?
            .rows_affected();
            if fresh == 0 {
                outcomes.push(Enqueued::Replay);
                continue;
            }
            let (from_source, source_bytes) = by_source.get(&message.source).copied().unwrap_or((0, 0));
            let refused = if total >= super::to_i64(caps.owner) {
                Some(Enqueued::QueueFull)
            } else if from_source >= super::to_i64(caps.per_source)
                || source_bytes + message.body.len() as i64 > super::to_i64(caps.per_source_bytes)
            {
                Some(Enqueued::SourceFull)
            } else {
                None
            };
            if let Some(refused) = refused {
                // A refused forward leaves no trace: it may be sent again once there is room.
                sqlx::query("DELETE FROM seen_messages WHERE sender = 'forward' AND id = $1")
                    .bind(&message.digest)
                    .execute(&mut *transaction)
                    .await?;
                outcomes.push(refused);
                continue;
            }
            sqlx::query(
                "INSERT INTO messages (id, owner, recipient, body, received_at, expires_at, source, owner_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&message.id)
            .bind(owner)
            .bind(&message.recipient)
            .bind(&message.body)
            .bind(super::to_i64(message.received_at))
            .bind(super::to_i64(message.expires_at))
            .bind(&message.source)
            .bind(super::owner_key(owner))
            .execute(&mut *transaction)
            .await?;
            total += 1;
            let counted = by_source.entry(message.source.clone()).or_default();
            *counted = (counted.0 + 1, counted.1 + message.body.len() as i64);
            outcomes.push(Enqueued::Stored);
        }
        if outcomes.contains(&Enqueued::Stored) {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(owner).execute(&mut *transaction).await?;
            transaction.commit().await?;
        }
        Ok(outcomes)
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
        let (total, from_source, source_bytes): (i64, i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(n), 0)::BIGINT, COALESCE(SUM(n) FILTER (WHERE source = $2), 0)::BIGINT, \
                    COALESCE(SUM(bytes) FILTER (WHERE source = $2), 0)::BIGINT \
                 FROM queue_counts WHERE owner = $1",
        )
        .bind(message.owner)
        .bind(message.source)
        .fetch_one(&mut *transaction)
        .await?;
        if total >= super::to_i64(caps.owner) {
            return Ok(Enqueued::QueueFull);
        }
        if from_source >= super::to_i64(caps.per_source)
            || source_bytes + message.body.len() as i64 > super::to_i64(caps.per_source_bytes)
        {
            return Ok(Enqueued::SourceFull);
        }
        sqlx::query(
            "INSERT INTO messages (id, owner, recipient, body, received_at, expires_at, source, owner_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(message.id)
        .bind(message.owner)
        .bind(message.recipient)
        .bind(message.body)
        .bind(super::to_i64(message.received_at))
        .bind(super::to_i64(message.expires_at))
        .bind(message.source)
        .bind(super::owner_key(message.owner))
        .execute(&mut *transaction)
        .await?;
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(message.owner).execute(&mut *transaction).await?;
        transaction.commit().await?;
        Ok(Enqueued::Stored)
    }
}

#[async_trait]
impl Intake for PgIntake {
    async fn enqueue_forward(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        let outcome = self.enqueue_batched(message, caps).await?;
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
}
