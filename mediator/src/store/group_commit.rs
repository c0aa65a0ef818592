//! Group commit for SQLite's one writer: forwards that arrive while the previous batch is being
//! written are queued together, by one statement. Its trigger records each envelope's digest (a
//! replay fails the statement), a window function keeps each owner under its cap, and RETURNING
//! hands back the queue positions. A batch that fails is written again one forward at a time, so
//! only the replay (or whatever failed) is refused.
//!
//! Why: sqlx runs each SQLite statement on the connection's own thread, and that hand-off, not
//! SQLite, was most of a forward's cost (docs/BENCHMARKS.md). A batch pays it once.
//!
//! The writer is the only one that queues messages in this file, so positions grow in the order
//! it wakes owners: a wake-up can carry the message itself, and a live session can push it
//! without reading the queue.

use std::collections::{HashMap, HashSet};

use sqlx::sqlite::SqliteConnection;
use sqlx::{QueryBuilder, Row, Sqlite};
use tokio::sync::{mpsc, oneshot};

use super::checkpoint::{Committed, WriteGate};
use super::{Enqueued, NewMessage, OwnedMessage, QueueCaps, StoredMessage, Wake, WakeSlot};
use crate::error::{Error, Result};

/// Most forwards one statement queues (eleven parameters each; SQLite allows 32,766).
const MAX_BATCH: usize = 128;
/// Most message bytes one wake-up carries (see `live`: a session holds a few dozen wake-ups).
const MAX_WAKE_BYTES: usize = 192 * 1024;
/// Forwards waiting for the writer before senders wait to hand theirs over.
const BACKLOG: usize = 4096;

/// The handle forwards are queued through.
#[derive(Clone, Debug)]
pub(super) struct GroupCommit {
    requests: mpsc::Sender<Request>,
    wake: WakeSlot,
}

struct Request {
    message: OwnedMessage,
    caps: QueueCaps,
    reply: oneshot::Sender<Result<Enqueued>>,
}

impl GroupCommit {
    /// Starts the writer on its own connection.
    /// Each batch is written holding `gate`, and announced to the checkpointer by `committed`.
    pub(super) fn start(connection: SqliteConnection, gate: WriteGate, committed: Committed) -> Self {
        let (requests, receiver) = mpsc::channel(BACKLOG);
        let wake = WakeSlot::default();
        tokio::spawn(write_forever(connection, receiver, wake.clone(), gate, committed));
        GroupCommit { requests, wake }
    }

    /// Who to tell about each queued message, in queue order.
    pub(super) fn on_queued(&self, wake: Wake) {
        self.wake.set(wake);
    }

    /// Queues `message` with the next batch; returns once that batch is committed.
    pub(super) async fn enqueue(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        let (reply, outcome) = oneshot::channel();
        let message = OwnedMessage::of(message);
        self.requests.send(Request { message, caps, reply }).await.map_err(|_| writer_gone())?;
        outcome.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> Error {
    Error::Storage(sqlx::Error::WorkerCrashed)
}

async fn write_forever(
    mut connection: SqliteConnection,
    mut requests: mpsc::Receiver<Request>,
    wake: WakeSlot,
    gate: WriteGate,
    committed: Committed,
) {
    let mut pending: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    loop {
        if pending.is_empty() && requests.recv_many(&mut pending, MAX_BATCH).await == 0 {
            return;
        }
        while pending.len() < MAX_BATCH
            && let Ok(request) = requests.try_recv()
        {
            pending.push(request);
        }
        // A second copy of an envelope waits for the next batch, where the first copy's record
        // makes it a replay, or it is refused as the first was.
        let mut digests = HashSet::with_capacity(pending.len());
        let (batch, later): (Vec<Request>, Vec<Request>) =
            pending.drain(..).partition(|request| digests.insert(request.message.digest.clone()));
        pending = later;
        let writing = gate.lock().await;
        write(&mut connection, batch, &wake).await;
        drop(writing);
        committed.notify();
    }
}

/// Writes one batch, answers its senders and wakes the owners, in queue order.
async fn write(connection: &mut SqliteConnection, batch: Vec<Request>, wake: &WakeSlot) {
    let outcomes: Vec<std::result::Result<Option<u64>, sqlx::Error>> = match insert(connection, &batch).await {
        Ok(positions) => batch.iter().map(|request| Ok(positions.get(&request.message.id).copied())).collect(),
        Err(_) => {
            let mut outcomes = Vec::with_capacity(batch.len());
            for request in &batch {
                let alone = insert(connection, std::slice::from_ref(request)).await;
                outcomes.push(alone.map(|positions| positions.get(&request.message.id).copied()));
            }
            outcomes
        }
    };
    let mut queued: Vec<(u64, Request)> = Vec::new();
    for (request, outcome) in batch.into_iter().zip(outcomes) {
        let reply = match outcome {
            Ok(Some(seq)) => {
                queued.push((seq, request));
                continue;
            }
            Ok(None) => refusal(connection, &request).await,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Enqueued::Replay),
            Err(e) => Err(Error::Storage(e)),
        };
        let _ = request.reply.send(reply);
    }
    queued.sort_unstable_by_key(|(seq, _)| *seq);
    // One wake-up per owner, carrying its messages of this batch in queue order.
    let mut by_owner: HashMap<String, Vec<StoredMessage>> = HashMap::new();
    for (seq, request) in queued {
        let _ = request.reply.send(Ok(Enqueued::Stored));
        let OwnedMessage { id, owner, recipient, body, received_at, .. } = request.message;
        by_owner.entry(owner).or_default().push(StoredMessage { seq, id, recipient, body, received_at });
    }
    if let Some(wake) = wake.get() {
        for (owner, messages) in by_owner {
            // A session that does not read holds its wake-ups: large batches it reads from the
            // queue instead.
            let bytes: usize = messages.iter().map(|message| message.body.len()).sum();
            wake(&owner, (bytes <= MAX_WAKE_BYTES).then(|| messages.into()));
        }
    }
}

/// Which cap refused a forward that was not queued: this writer is the only one queueing, so the
/// counts are those the statement saw, plus what it queued.
async fn refusal(connection: &mut SqliteConnection, request: &Request) -> Result<Enqueued> {
    let message = &request.message;
    let (total, from_source, source_bytes): (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(n), 0), COALESCE(SUM(CASE WHEN source = $2 THEN n ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN source = $2 THEN bytes ELSE 0 END), 0) \
             FROM queue_counts WHERE owner = $1",
    )
    .bind(message.owner.as_str())
    .bind(message.source.as_str())
    .fetch_one(&mut *connection)
    .await?;
    let caps = request.caps;
    let source_full = from_source >= super::to_i64(caps.per_source)
        || source_bytes + message.body.len() as i64 > super::to_i64(caps.per_source_bytes);
    Ok(if total < super::to_i64(caps.owner) && source_full { Enqueued::SourceFull } else { Enqueued::QueueFull })
}

/// Queues `batch` in one statement: each message unless its owner would pass its cap (counting
/// the messages before it in the batch); a replay is let through the cap so that its record
/// fails the statement, and the sender learns it is a replay, not that the queue is full.
/// Returns the positions of those queued, by id.
async fn insert(
    connection: &mut SqliteConnection,
    batch: &[Request],
) -> std::result::Result<HashMap<String, u64>, sqlx::Error> {
    // The counts come from `queue_counts` (kept by triggers, so one lookup however deep the
    // queue). The SELECT also reads `messages` (the id check, true for every new id), so SQLite
    // evaluates it in full before inserting: the counts are those before this batch, and
    // `position` adds this batch's earlier messages of the owner.
    let mut query = QueryBuilder::<Sqlite>::new(
        "INSERT INTO messages (id, owner, recipient, body, received_at, expires_at, digest, source) \
         SELECT column2, column3, column4, column5, column6, column7, column8, column10 FROM \
         (SELECT *, ROW_NUMBER() OVER (PARTITION BY column3 ORDER BY column1) AS position, \
                    ROW_NUMBER() OVER (PARTITION BY column3, column10 ORDER BY column1) AS source_position, \
                    SUM(LENGTH(CAST(column5 AS BLOB))) OVER (PARTITION BY column3, column10 ORDER BY column1) \
                        AS source_bytes FROM (",
    );
    query.push_values(batch.iter().enumerate(), |mut row, (order, request)| {
        let message = &request.message;
        row.push_bind(order as i64)
            .push_bind(message.id.as_str())
            .push_bind(message.owner.as_str())
            .push_bind(message.recipient.as_str())
            .push_bind(message.body.as_str())
            .push_bind(super::to_i64(message.received_at))
            .push_bind(super::to_i64(message.expires_at))
            .push_bind(message.digest.as_str())
            .push_bind(super::to_i64(request.caps.owner))
            .push_bind(message.source.as_str())
            .push_bind(super::to_i64(request.caps.per_source))
            .push_bind(super::to_i64(request.caps.per_source_bytes));
    });
    query.push(
        ")) AS batch \
         WHERE (NOT EXISTS (SELECT 1 FROM messages WHERE messages.id = batch.column2) \
                AND COALESCE((SELECT SUM(n) FROM queue_counts WHERE owner = batch.column3), 0) \
                    + batch.position <= batch.column9 \
                AND COALESCE((SELECT n FROM queue_counts WHERE owner = batch.column3 AND source = batch.column10), 0) \
                    + batch.source_position <= batch.column11 \
                AND COALESCE((SELECT bytes FROM queue_counts WHERE owner = batch.column3 AND source = batch.column10), 0) \
                    + batch.source_bytes <= batch.column12) \
            OR EXISTS (SELECT 1 FROM seen_messages WHERE sender = 'forward' AND id = batch.column8) \
         ORDER BY batch.column1 \
         RETURNING id, seq",
    );
    let rows = query.build().fetch_all(&mut *connection).await?;
    let mut positions = HashMap::with_capacity(rows.len());
    for row in rows {
        let seq: i64 = row.try_get("seq")?;
        positions.insert(row.try_get("id")?, u64::try_from(seq).unwrap_or(0));
    }
    Ok(positions)
}
