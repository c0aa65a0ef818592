//! The message queue: forwards in, deliveries out, acknowledgements deleting, and the replay
//! records of enrolled senders' message ids.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};

use super::sql::{Affected, Intake, SqlStore};
use super::{Enqueued, NewMessage, QueueCaps, StoredMessage, Wake, owner_key, to_i64};
use crate::error::Result;

/// Each owner's queue of forwarded messages.
#[async_trait]
pub(crate) trait Queue {
    /// Queues a forwarded message unless its envelope was queued before or its owner already
    /// has `cap` waiting, then wakes the owner's live sessions (see [`Queue::watch`]).
    async fn enqueue_forward(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued>;
    /// Calls `wake` for every message queued from now on, by this instance or by others sharing
    /// the database.
    async fn watch(&self, wake: Wake) -> Result<()>;
    /// How many messages wait for `owner` (for one recipient, if given).
    async fn count(&self, owner: &str, recipient: Option<&str>) -> Result<u64>;
    /// The oldest `limit` messages of `owner` (for one recipient, if given) after position `after`.
    async fn fetch(&self, owner: &str, recipient: Option<&str>, after: u64, limit: u32) -> Result<Vec<StoredMessage>>;
    /// The queue position of `owner`'s newest message (0 when the queue is empty): where live
    /// delivery starts, leaving what is already queued to `delivery-request`.
    async fn last_seq(&self, owner: &str) -> Result<u64>;
    /// Deletes acknowledged messages; ids of other owners are ignored. Returns how many went.
    async fn delete(&self, owner: &str, ids: &[String]) -> Result<u64>;
    /// Deletes every message waiting for `owner`; returns how many went.
    async fn purge(&self, owner: &str) -> Result<u64>;
    /// Records a message id from a sender; `false` if it was seen before (a replay).
    async fn remember(&self, sender: &str, id: &str, now: u64) -> Result<bool>;
}

#[async_trait]
impl<DB, I> Queue for SqlStore<DB, I>
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
    async fn enqueue_forward(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        self.intake.enqueue_forward(message, caps).await
    }

    async fn watch(&self, wake: Wake) -> Result<()> {
        self.intake.watch(wake).await
    }

    async fn count(&self, owner: &str, recipient: Option<&str>) -> Result<u64> {
        // The whole queue's size is kept (`queue_counts`): one lookup however deep the queue, as
        // every acknowledgement's status reply asks for it. One recipient's share is counted.
        let count: i64 = match recipient {
            None => {
                sqlx::query_scalar("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM queue_counts WHERE owner = $1")
                    .bind(owner)
                    .fetch_one(&self.pool)
                    .await?
            }
            Some(recipient) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM messages WHERE owner_key = $1 AND owner = $2 AND recipient = $3",
                )
                .bind(owner_key(owner))
                .bind(owner)
                .bind(recipient)
                .fetch_one(&self.pool)
                .await?
            }
        };
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn fetch(&self, owner: &str, recipient: Option<&str>, after: u64, limit: u32) -> Result<Vec<StoredMessage>> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT seq, id, recipient, body, received_at FROM messages \
             WHERE owner_key = $1 AND owner = $2 AND (CAST($3 AS TEXT) IS NULL OR recipient = $3) AND seq > $4 \
             ORDER BY seq LIMIT $5",
        )
        .bind(owner_key(owner))
        .bind(owner)
        .bind(recipient)
        .bind(to_i64(after))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, id, recipient, body, received_at)| StoredMessage {
                seq: u64::try_from(seq).unwrap_or(0),
                id,
                recipient,
                body,
                received_at: u64::try_from(received_at).unwrap_or(0),
            })
            .collect())
    }

    async fn last_seq(&self, owner: &str) -> Result<u64> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM messages WHERE owner_key = $1 AND owner = $2")
            .bind(owner_key(owner))
            .bind(owner)
            .fetch_one(&self.pool)
            .await?;
        Ok(last.and_then(|seq| u64::try_from(seq).ok()).unwrap_or(0))
    }

    async fn delete(&self, owner: &str, ids: &[String]) -> Result<u64> {
        // One statement per chunk of ids, not one per id: acknowledgements come in batches.
        let mut deleted = 0;
        for chunk in ids.chunks(500) {
            let mut query = sqlx::QueryBuilder::<DB>::new("DELETE FROM messages WHERE owner = ");
            query.push_bind(owner).push(" AND id IN (");
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(id.as_str());
            }
            query.push(")");
            deleted += query.build().execute(&self.pool).await?.rows();
        }
        Ok(deleted)
    }

    async fn purge(&self, owner: &str) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM messages WHERE owner_key = $1 AND owner = $2")
            .bind(owner_key(owner))
            .bind(owner)
            .execute(&self.pool)
            .await?
            .rows())
    }

    async fn remember(&self, sender: &str, id: &str, now: u64) -> Result<bool> {
        let inserted =
            sqlx::query("INSERT INTO seen_messages (sender, id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(sender)
                .bind(id)
                .bind(to_i64(now))
                .execute(&self.pool)
                .await?
                .rows();
        Ok(inserted == 1)
    }
}
