//! Group commit for SQLite's one writer: forwards that arrive while the previous batch is being
//! written are queued together, by one statement. Its trigger records each envelope's digest (a
//! replay fails the statement), a window function keeps each owner under its cap, and RETURNING
//! hands back the queue positions. A batch that fails is written again one forward at a time, so
//! only the replay (or whatever failed) is refused.
//!
//! Why: a forward's cost was mostly hand-offs between threads, not SQLite (docs/BENCHMARKS.md).
//! A batch pays them once; and the writer is a thread of its own holding its SQLite connection
//! (rusqlite), so a batch crosses threads once each way: in from the request handlers, out to
//! them with the answers. Through sqlx it crossed twice more (the writer task to the connection's
//! worker thread and back) and every row RETURNING gave was a message of its own.
//!
//! The writer is the only one that queues messages in this file, so positions grow in the order
//! it wakes owners: a wake-up can carry the message itself, and a live session can push it
//! without reading the queue.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, ToSql};
use tokio::sync::{mpsc, oneshot};

use super::checkpoint::{Committed, WriteGate};
use super::{Enqueued, NewMessage, OwnedMessage, QueueCaps, StoredMessage, Wake, WakeSlot};
use crate::error::{Error, Result};

/// Most forwards one statement queues (twelve parameters each; SQLite allows 32,766).
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
    /// Opens the database file at `path` (created and migrated already) for the writer's thread,
    /// which writes each batch holding `gate` and announces it to the checkpointer by `committed`.
    pub(super) fn start(path: &Path, gate: WriteGate, committed: Committed) -> Result<Self> {
        let connection =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        // As the pool's connections: WAL is the file's (set by the pool), the rest per connection.
        // No commit checkpoints: the checkpointer does (checkpoint.rs).
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        // The pages a forward reads before it writes (the B-trees' paths to random ids and
        // digests) stay in memory: 32 MiB rather than SQLite's 2 MiB.
        connection.pragma_update(None, "cache_size", -32_768)?;
        connection.set_prepared_statement_cache_capacity(MAX_BATCH + 8);
        let (requests, receiver) = mpsc::channel(BACKLOG);
        let wake = WakeSlot::default();
        let slot = wake.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_forever(connection, receiver, slot, gate, committed))
            .map_err(|e| Error::Startup(format!("cannot start the SQLite writer thread: {e}")))?;
        Ok(GroupCommit { requests, wake })
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

/// The writer's thread: until every handle is dropped.
fn write_forever(
    mut connection: Connection,
    mut requests: mpsc::Receiver<Request>,
    wake: WakeSlot,
    gate: WriteGate,
    committed: Committed,
) {
    let mut pending: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    loop {
        if pending.is_empty() {
            match requests.blocking_recv() {
                Some(request) => pending.push(request),
                None => return,
            }
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
        let writing = gate.blocking_lock();
        write(&mut connection, batch, &wake);
        drop(writing);
        committed.notify();
    }
}

/// Writes one batch, answers its senders and wakes the owners, in queue order.
fn write(connection: &mut Connection, batch: Vec<Request>, wake: &WakeSlot) {
    let outcomes: Vec<rusqlite::Result<Option<u64>>> = match insert(connection, &batch) {
        Ok(positions) => batch.iter().map(|request| Ok(positions.get(&request.message.id).copied())).collect(),
        Err(_) => {
            let mut outcomes = Vec::with_capacity(batch.len());
            for request in &batch {
                let alone = insert(connection, std::slice::from_ref(request));
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
            Ok(None) => refusal(connection, &request),
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
/// Returns the positions of those queued, by id.
fn insert(connection: &mut Connection, batch: &[Request]) -> rusqlite::Result<HashMap<String, u64>> {
    // The counts come from `queue_counts` (kept by triggers, so one lookup however deep the
    // queue). The SELECT also reads `messages` (the id check, true for every new id), so SQLite
    // evaluates it in full before inserting: the counts are those before this batch, and
    // `position` adds this batch's earlier messages of the owner. One statement text per batch
    // size, each prepared once.
    let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; batch.len()].join(", ");
    let sql = format!(
        "INSERT INTO messages (id, owner, recipient, body, received_at, expires_at, digest, source) \
         SELECT column2, column3, column4, column5, column6, column7, column8, column10 FROM \
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
    let numbers: Vec<[i64; 6]> = batch
        .iter()
        .enumerate()
        .map(|(order, request)| {
            [
                order as i64,
                super::to_i64(request.message.received_at),
                super::to_i64(request.message.expires_at),
                super::to_i64(request.caps.owner),
                super::to_i64(request.caps.per_source),
                super::to_i64(request.caps.per_source_bytes),
            ]
        })
        .collect();
    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(batch.len() * 12);
    for (request, [order, received_at, expires_at, cap, per_source, per_source_bytes]) in batch.iter().zip(&numbers) {
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
        ]);
    }
    let mut statement = connection.prepare_cached(&sql)?;
    let mut rows = statement.query(values.as_slice())?;
    let mut positions = HashMap::with_capacity(batch.len());
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(1)?;
        positions.insert(row.get(0)?, u64::try_from(seq).unwrap_or(0));
    }
    Ok(positions)
}
