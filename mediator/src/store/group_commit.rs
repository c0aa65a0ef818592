//! Group commit for SQLite's one writer: forwards that arrive while the previous batch is being
//! written are queued together, by one statement. Its trigger records each envelope's digest (a
//! replay fails the statement), a window function keeps each owner under its cap, and RETURNING
//! hands back the queue positions. A batch that fails is written again one forward at a time, so
//! only the replay (or whatever failed) is refused.
//!
//! Why: a forward's cost was mostly hand-offs between threads, not SQLite (docs/BENCHMARKS.md).
//! A batch pays them once. And no thread waits for forwards: the first forward to find nobody
//! writing starts a *leader*, a task that writes what is queued, batch after batch, on the
//! runtime's thread it was spawned on, and ends when the queue is empty. A lone forward is then
//! written and answered on the thread that read it, without waking another (a writer thread of
//! its own cost two cross-thread wake-ups per forward, and a wake-up waits for a free core: the
//! one-sender tail of docs/BENCHMARKS.md). Large batches are written with
//! [`tokio::task::block_in_place`], so that the runtime's other tasks move to another thread
//! meanwhile.
//!
//! The leader is the only one that queues messages in this file, and it assigns their queue
//! positions itself (one counter, not SQLite's `sqlite_sequence`, a page fewer per forward):
//! positions grow in the order it wakes owners, so a wake-up can carry the message itself, and a
//! live session can push it without reading the queue.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, ToSql};
use tokio::sync::oneshot;

use super::checkpoint::{self, Checkpoints};
use super::{Enqueued, NewMessage, OwnedMessage, QueueCaps, StoredMessage, Wake, WakeSlot};
use crate::error::{Error, Result};

/// Most forwards one statement queues (thirteen parameters each; SQLite allows 32,766).
const MAX_BATCH: usize = 128;
/// Batches from this size on are written off the runtime's thread (`block_in_place`): a batch
/// of one takes some 100 µs, one of 128 a few milliseconds. Moving the runtime's other tasks to
/// another thread costs more than writing a smaller batch: from 8, the 16-sender cells of the
/// intake bench took 5,200-5,900 forwards/s, from 64 6,650-7,500 (docs/BENCHMARKS.md, round 4).
const BLOCK_IN_PLACE_FROM: usize = 64;
/// Most message bytes one wake-up carries (see `live`: a session holds a few dozen wake-ups).
const MAX_WAKE_BYTES: usize = 192 * 1024;

/// The handle forwards are queued through.
#[derive(Clone, Debug)]
pub(super) struct GroupCommit {
    shared: Arc<Shared>,
}

struct Shared {
    /// Forwards waiting for the leader. Not bounded here: each is a request in flight, and the
    /// requests in flight are bounded by the mediator's connection caps.
    queue: Mutex<Waiting>,
    /// Used by the leader only (there is at most one): the lock is never contended.
    writer: Mutex<Writer>,
    checkpoints: Checkpoints,
    wake: WakeSlot,
}

#[derive(Default)]
struct Waiting {
    requests: Vec<Request>,
    /// Whether a leader is running: it takes every request queued before it ends.
    leading: bool,
}

/// The writer's connection and the last queue position it gave.
struct Writer {
    connection: Connection,
    /// Past every position ever given in this file: the newest message queued, or the newest
    /// deleted (kept in `queue_position`), so that no position is given twice and a pickup
    /// cursor never skips a message.
    last_position: i64,
}

struct Request {
    message: OwnedMessage,
    caps: QueueCaps,
    reply: oneshot::Sender<Result<Enqueued>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Opens the database file at `path` (created and migrated already) for the writer, which
    /// tells the checkpointer of each batch.
    pub(super) fn start(path: &Path, checkpoints: Checkpoints) -> Result<Self> {
        // No commit checkpoints: the checkpointer does (checkpoint.rs).
        let connection = checkpoint::open(path)?;
        // The pages a forward reads before it writes (the B-trees' paths to random ids and
        // digests) stay in memory: 32 MiB rather than SQLite's 2 MiB.
        connection.pragma_update(None, "cache_size", -32_768)?;
        connection.set_prepared_statement_cache_capacity(MAX_BATCH + 8);
        let last_position = connection.query_row(
            "SELECT MAX(COALESCE((SELECT MAX(seq) FROM messages), 0), \
                        COALESCE((SELECT last FROM queue_position WHERE only = 1), 0))",
            (),
            |row| row.get(0),
        )?;
        let shared = Shared {
            queue: Mutex::default(),
            writer: Mutex::new(Writer { connection, last_position }),
            checkpoints,
            wake: WakeSlot::default(),
        };
        Ok(GroupCommit { shared: Arc::new(shared) })
    }

    /// Who to tell about each queued message, in queue order.
    pub(super) fn on_queued(&self, wake: Wake) {
        self.shared.wake.set(wake);
    }

    /// Queues `message` with the next batch; returns once that batch is committed.
    pub(super) async fn enqueue(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued> {
        let (reply, outcome) = oneshot::channel();
        let request = Request { message: OwnedMessage::of(message), caps, reply };
        let start_leader = {
            let mut waiting = lock(&self.shared.queue);
            waiting.requests.push(request);
            !std::mem::replace(&mut waiting.leading, true)
        };
        if start_leader {
            // A task of its own, not this future: a request's future is dropped when its client
            // hangs up, and the leader writes other senders' forwards too. Spawned from a
            // runtime thread, it runs on this one as soon as this future waits below.
            tokio::spawn(Arc::clone(&self.shared).lead());
        }
        outcome.await.map_err(|_| Error::Storage(sqlx::Error::WorkerCrashed))?
    }
}

impl Shared {
    /// Writes batches until nothing is queued.
    async fn lead(self: Arc<Self>) {
        let _resign = Resign(&self);
        // A second copy of an envelope waits for the next batch, where the first copy's record
        // makes it a replay, or it is refused as the first was.
        let mut later: Vec<Request> = Vec::new();
        loop {
            let mut pending = std::mem::take(&mut later);
            {
                let mut waiting = lock(&self.queue);
                let room = MAX_BATCH.saturating_sub(pending.len());
                let taken = waiting.requests.len().min(room);
                pending.extend(waiting.requests.drain(..taken));
                if pending.is_empty() {
                    // Under the queue's lock: a forward queued after this starts a new leader.
                    waiting.leading = false;
                    return;
                }
            }
            let mut digests = HashSet::with_capacity(pending.len());
            let (batch, again): (Vec<Request>, Vec<Request>) =
                pending.into_iter().partition(|request| digests.insert(request.message.digest.clone()));
            later = again;
            self.write(batch);
            self.checkpoints.committed();
            // The senders just answered run before the next batch is written; forwards that come
            // meanwhile join it.
            tokio::task::yield_now().await;
        }
    }

    /// Writes `batch` on this thread, or for a large batch with the runtime's other tasks moved
    /// off it.
    fn write(&self, batch: Vec<Request>) {
        let in_place = batch.len() >= BLOCK_IN_PLACE_FROM
            && tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread;
        let mut writer = lock(&self.writer);
        let write_batch = move || {
            self.checkpoints.before_batch(&writer.connection);
            write(&mut writer, batch, &self.wake);
        };
        if in_place { tokio::task::block_in_place(write_batch) } else { write_batch() }
    }
}

/// Lets another leader start if this one panicked (its batch's senders get an error, as their
/// replies are dropped): otherwise every later forward would wait for a leader that is gone.
struct Resign<'a>(&'a Shared);

impl Drop for Resign<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.queue).leading = false;
        }
    }
}

/// A lock whose holder may have panicked: the data is still whole (a panic in `write` drops its
/// batch's replies, so their senders see an error; the connection rolls back an unfinished
/// transaction when the next one begins).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes one batch, answers its senders and wakes the owners, in queue order.
fn write(writer: &mut Writer, batch: Vec<Request>, wake: &WakeSlot) {
    let outcomes: Vec<rusqlite::Result<Option<u64>>> = match insert(writer, &batch) {
        Ok(positions) => batch.iter().map(|request| Ok(positions.get(&request.message.id).copied())).collect(),
        Err(_) => {
            let mut outcomes = Vec::with_capacity(batch.len());
            for request in &batch {
                let alone = insert(writer, std::slice::from_ref(request));
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
            Ok(None) => refusal(&mut writer.connection, &request),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                Ok(Enqueued::Replay)
            }
            Err(e) => Err(Error::SqliteWriter(e)),
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
fn refusal(connection: &mut Connection, request: &Request) -> Result<Enqueued> {
    let message = &request.message;
    let (total, from_source, source_bytes): (i64, i64, i64) = connection
        .prepare_cached(
            "SELECT COALESCE(SUM(n), 0), COALESCE(SUM(CASE WHEN source = ?2 THEN n ELSE 0 END), 0), \
                    COALESCE(SUM(CASE WHEN source = ?2 THEN bytes ELSE 0 END), 0) \
                 FROM queue_counts WHERE owner = ?1",
        )?
        .query_row((message.owner.as_str(), message.source.as_str()), |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    let caps = request.caps;
    let source_full = from_source >= super::to_i64(caps.per_source)
        || source_bytes + message.body.len() as i64 > super::to_i64(caps.per_source_bytes);
    Ok(if total < super::to_i64(caps.owner) && source_full { Enqueued::SourceFull } else { Enqueued::QueueFull })
}

/// Queues `batch` in one statement: each message unless its owner would pass its cap (counting
/// the messages before it in the batch); a replay is let through the cap so that its record
/// fails the statement, and the sender learns it is a replay, not that the queue is full.
/// Returns the positions of those queued, by id: each forward of the batch is given the next
/// position, whether it is queued or not (a refused one leaves a gap, which nobody reads).
fn insert(writer: &mut Writer, batch: &[Request]) -> rusqlite::Result<HashMap<String, u64>> {
    // The counts come from `queue_counts` (kept by triggers, so one lookup however deep the
    // queue). The SELECT also reads `messages` (the id check, true for every new id), so SQLite
    // evaluates it in full before inserting: the counts are those before this batch, and
    // `position` adds this batch's earlier messages of the owner. One statement text per batch
    // size, each prepared once.
    // `?1` (the last position given) comes first in the text, so SQLite numbers the rows' `?`
    // from 2 on.
    let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; batch.len()].join(", ");
    let sql = format!(
        "INSERT INTO messages (seq, id, owner, recipient, body, received_at, expires_at, digest, source, owner_key) \
         SELECT ?1 + column1, column2, column3, column4, column5, column6, column7, column8, column10, column13 FROM \
         (SELECT *, ROW_NUMBER() OVER (PARTITION BY column3 ORDER BY column1) AS position, \
                    ROW_NUMBER() OVER (PARTITION BY column3, column10 ORDER BY column1) AS source_position, \
                    SUM(LENGTH(CAST(column5 AS BLOB))) OVER (PARTITION BY column3, column10 ORDER BY column1) \
                        AS source_bytes FROM (VALUES {rows})) AS batch \
         WHERE (NOT EXISTS (SELECT 1 FROM messages WHERE messages.id = batch.column2) \
                AND COALESCE((SELECT SUM(n) FROM queue_counts WHERE owner = batch.column3), 0) \
                    + batch.position <= batch.column9 \
                AND COALESCE((SELECT n FROM queue_counts WHERE owner = batch.column3 AND source = batch.column10), 0) \
                    + batch.source_position <= batch.column11 \
                AND COALESCE((SELECT bytes FROM queue_counts WHERE owner = batch.column3 AND source = batch.column10), 0) \
                    + batch.source_bytes <= batch.column12) \
            OR EXISTS (SELECT 1 FROM seen_messages WHERE sender = 'forward' AND id = batch.column8) \
         ORDER BY batch.column1 \
         RETURNING id, seq"
    );
    let numbers: Vec<[i64; 7]> = batch
        .iter()
        .enumerate()
        .map(|(order, request)| {
            [
                order as i64 + 1,
                super::to_i64(request.message.received_at),
                super::to_i64(request.message.expires_at),
                super::to_i64(request.caps.owner),
                super::to_i64(request.caps.per_source),
                super::to_i64(request.caps.per_source_bytes),
                super::owner_key(&request.message.owner),
            ]
        })
        .collect();
    // Positions from the last given on: `column1` counts from 1.
    let last_position = writer.last_position;
    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(1 + batch.len() * 13);
    values.push(&last_position);
    for (request, [order, received_at, expires_at, cap, per_source, per_source_bytes, owner_key]) in
        batch.iter().zip(&numbers)
    {
        let message = &request.message;
        values.extend([
            order as &dyn ToSql,
            &message.id,
            &message.owner,
            &message.recipient,
            &message.body,
            received_at,
            expires_at,
            &message.digest,
            cap,
            &message.source,
            per_source,
            per_source_bytes,
            owner_key,
        ]);
    }
    let mut statement = writer.connection.prepare_cached(&sql)?;
    let mut rows = statement.query(values.as_slice())?;
    let mut positions = HashMap::with_capacity(batch.len());
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(1)?;
        positions.insert(row.get(0)?, u64::try_from(seq).unwrap_or(0));
    }
    drop(rows);
    drop(statement);
    // Only once the statement succeeded: a failed batch is written again with the same positions.
    writer.last_position += batch.len() as i64;
    Ok(positions)
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::Poll;
    use std::time::Duration;

    use futures_util::future::join_all;

    use super::super::queue::Queue;
    use super::super::sqlite;
    use super::*;

    const OWNER: &str = "did:example:owner";
    const CAPS: QueueCaps = QueueCaps { owner: 100, per_source: 100, per_source_bytes: 1 << 20 };

    fn message(n: usize) -> OwnedMessage {
        OwnedMessage {
            id: format!("message-{n}"),
            owner: OWNER.into(),
            recipient: OWNER.into(),
            body: format!("body {n}"),
            digest: format!("digest-{n}"),
            source: "127.0.0.1".into(),
            received_at: 1,
            expires_at: 1_000,
        }
    }

    /// The leader is a task of its own: a forward whose request is dropped once it started one
    /// (its client hung up) holds back none of the forwards queued behind it, and is written.
    #[tokio::test]
    async fn forwards_queued_behind_one_whose_request_was_dropped_are_still_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store =
            sqlite::open(&format!("sqlite://{}", dir.path().join("store.sqlite").display())).await.expect("open");
        let first = message(0);
        {
            let new = first.as_new();
            let mut queued = std::pin::pin!(store.intake.enqueue(&new, CAPS));
            // Polled once (queued; a leader is started), then dropped.
            let polled = std::future::poll_fn(|context| Poll::Ready(queued.as_mut().poll(context))).await;
            assert!(polled.is_pending(), "a forward is not written before its leader runs");
        }
        let rest: Vec<OwnedMessage> = (1..10).map(message).collect();
        let news: Vec<NewMessage<'_>> = rest.iter().map(OwnedMessage::as_new).collect();
        let answers = tokio::time::timeout(
            Duration::from_secs(10),
            join_all(news.iter().map(|message| store.intake.enqueue(message, CAPS))),
        )
        .await
        .expect("the forwards behind the dropped one are answered");
        assert!(answers.iter().all(|answer| matches!(answer, Ok(Enqueued::Stored))), "{answers:?}");
        assert_eq!(store.count(OWNER, None).await.expect("count"), 10, "the dropped request's forward is written too");
    }

    /// Positions are the writer's, not SQLite's: the newest message deleted, the next forward is
    /// still placed after it, in this run and after a restart, so a pickup cursor (the last
    /// position a party read) never skips a message queued later.
    #[tokio::test]
    async fn a_queue_position_is_never_given_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("store.sqlite").display());
        let positions = |fetched: Vec<StoredMessage>| fetched.iter().map(|message| message.seq).collect::<Vec<_>>();
        let store = sqlite::open(&url).await.expect("open");
        for n in 0..3 {
            assert!(matches!(store.intake.enqueue(&message(n).as_new(), CAPS).await, Ok(Enqueued::Stored)));
        }
        assert_eq!(positions(store.fetch(OWNER, None, 0, 10).await.expect("fetch")), [1, 2, 3]);
        store.delete(OWNER, &["message-2".to_owned()]).await.expect("delete");
        assert!(matches!(store.intake.enqueue(&message(3).as_new(), CAPS).await, Ok(Enqueued::Stored)));
        assert_eq!(positions(store.fetch(OWNER, None, 2, 10).await.expect("fetch")), [4], "after the deleted third");
        store.delete(OWNER, &["message-3".to_owned()]).await.expect("delete");
        drop(store);

        let store = sqlite::open(&url).await.expect("open again");
        assert!(matches!(store.intake.enqueue(&message(4).as_new(), CAPS).await, Ok(Enqueued::Stored)));
        assert_eq!(positions(store.fetch(OWNER, None, 2, 10).await.expect("fetch")), [5], "after the deleted fourth");
    }
}
