//! Checkpoints off the commit path: SQLite's write-ahead log is copied into the database file by
//! a thread with a connection of its own, not by whichever commit crosses the log's size mark.
//!
//! Why: by default the commit that takes the log past 1,000 pages copies all of them into the
//! database file and syncs it while its forward, and every forward queued behind it, waits: the
//! one-sender p99 of a forward was 20-26 ms against a p50 of 0.7 ms (docs/BENCHMARKS.md). Here the
//! copy runs beside the writer (SQLite's PASSIVE checkpoint never blocks it), on a thread of its
//! own. (At the lowest CPU priority it fell behind under load, and the writer then had to copy
//! what it had not: docs/BENCHMARKS.md.)
//!
//! A log written to all the time never starts over by itself: the copy always ends a few commits
//! behind the writer, and SQLite restarts the log only when a write begins with all of it copied.
//! So once the log passes [`Marks::restart`] and a pass has caught up with what it saw, the
//! checkpointer asks the forward writer to copy the few frames written since, before its next
//! batch ([`Checkpoints::before_batch`]); that batch's commit then starts the log over. The
//! writer waits for a copy of those few frames and one small sync, not the whole log's.
//!
//! Durability: commits append to the log without a sync (`synchronous = NORMAL`), so a killed
//! process loses nothing; a checkpoint syncs the log before copying and the database file after,
//! so a commit survives a power cut once the next pass has run, within about
//! [`Marks::gather`] of it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// When the log is copied, and when it is started over, in frames (pages).
#[derive(Clone, Copy, Debug)]
pub(super) struct Marks {
    /// Past this, the log is started over once the copy has caught up: 4,000 frames, 16 MiB of
    /// 4 KiB pages. Larger means fewer pauses of the writer; the file keeps the largest size the
    /// log reached.
    pub restart: i64,
    /// Past this the writer is asked to copy even if the copy has not caught up: a bound on the
    /// log's size when the copy cannot keep up with the writer.
    pub force: i64,
    /// How long a pass waits for more commits after being woken, so that one pass copies many:
    /// the longest a commit waits for the sync that makes it survive a power cut. Each pass
    /// syncs the log and the database file, and a sync slows the forwards written meanwhile: at
    /// one sender, passes every 100 ms rather than every 20 took the p99 of a forward from
    /// 0.87-0.92 ms to 0.65-0.85 (docs/BENCHMARKS.md, intake round 4).
    pub gather: Duration,
}

impl Marks {
    pub(super) const DEFAULT: Marks = Marks { restart: 4_000, force: 16_000, gather: Duration::from_millis(100) };
}
/// Writes through the pool (enrollments, acknowledgements) do not wake the checkpointer; it
/// looks at least this often.
const IDLE_LOOK: Duration = Duration::from_millis(500);

/// What the forward writer and the checkpointer share.
#[derive(Clone, Debug)]
pub(super) struct Checkpoints {
    commits: SyncSender<()>,
    copy_before_batch: Arc<AtomicBool>,
}

impl Checkpoints {
    /// A batch was committed: there are frames to copy.
    pub(super) fn committed(&self) {
        // One wake-up waiting is enough; the checkpointer gone (it never is, unless its thread
        // could not start) only means no copies.
        if let Err(TrySendError::Disconnected(())) = self.commits.try_send(()) {
            tracing::warn!("the WAL checkpointer is gone; the log grows until a restart");
        }
    }

    /// Before the writer's next batch on `connection`: copies what the log holds if the
    /// checkpointer asked for it, so that this batch's commit starts the log over.
    pub(super) fn before_batch(&self, connection: &Connection) {
        if self.copy_before_batch.swap(false, Ordering::AcqRel) {
            let last = passive(connection);
            tracing::debug!(log = last.log, copied = last.copied, "WAL copied for a restart");
        }
    }
}

/// Starts the checkpointer on a connection of its own to the database at `path` (created and in
/// WAL mode already).
pub(super) fn start(path: &Path, marks: Marks) -> Result<Checkpoints> {
    let connection = open(path)?;
    let (commits, woken) = mpsc::sync_channel(1);
    let copy_before_batch = Arc::new(AtomicBool::new(false));
    let ask = Arc::clone(&copy_before_batch);
    std::thread::Builder::new()
        .name("wal-checkpoint".into())
        .spawn(move || checkpoint_forever(&connection, &woken, &ask, marks))
        .map_err(|e| Error::Startup(format!("cannot start the WAL checkpointer thread: {e}")))?;
    Ok(Checkpoints { commits, copy_before_batch })
}

/// A connection to `path` that, as every connection to the mediator's database, never
/// checkpoints by itself.
pub(super) fn open(path: &Path) -> Result<Connection> {
    let connection =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    // WAL is the file's (set by the pool); the rest is per connection.
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(connection)
}

/// One checkpoint's result: frames in the log, and frames copied into the database file.
#[derive(Clone, Copy, Debug)]
struct Pass {
    log: i64,
    copied: i64,
}

fn passive(connection: &Connection) -> Pass {
    // (busy, log, checkpointed); the log is -1 before this connection has read the database
    // (its log is opened by the first read), and then 0 is what there is to copy.
    let row = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match row {
        Ok((_, log, copied)) => Pass { log: log.max(0), copied: copied.max(0) },
        Err(e) => {
            tracing::warn!(error = %e, "a WAL checkpoint failed; the next one retries");
            Pass { log: 0, copied: 0 }
        }
    }
}

fn checkpoint_forever(connection: &Connection, woken: &Receiver<()>, ask: &AtomicBool, marks: Marks) {
    // The log's length when the writer was last asked to copy: until a commit starts it over,
    // asking again would copy nothing.
    let mut asked_at = None;
    loop {
        // Woken by a commit (or the idle look), then a moment for more commits to gather.
        match woken.recv_timeout(IDLE_LOOK) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            // The writer is gone.
            Err(RecvTimeoutError::Disconnected) => return,
        }
        std::thread::sleep(marks.gather);
        let pass = passive(connection);
        let caught_up = pass.copied == pass.log;
        let due = (pass.log >= marks.restart && caught_up) || pass.log >= marks.force;
        if due && asked_at != Some(pass.log) {
            ask.store(true, Ordering::Release);
            asked_at = Some(pass.log);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that never stops still gets its log started over, so the file stays near the
    /// restart mark instead of growing with everything written; and nothing written is lost.
    #[test]
    fn a_log_written_without_pause_is_started_over_and_stays_small() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.sqlite");
        let writer = Connection::open(&path).expect("create");
        writer.pragma_update(None, "journal_mode", "WAL").expect("WAL");
        writer.pragma_update(None, "synchronous", "NORMAL").expect("synchronous");
        writer.pragma_update(None, "wal_autocheckpoint", 0).expect("no autocheckpoint");
        writer.execute("CREATE TABLE pages (n INTEGER PRIMARY KEY, body BLOB NOT NULL)", []).expect("table");
        let marks = Marks { restart: 100, force: 400, gather: Duration::from_millis(20) };
        let checkpoints = start(&path, marks).expect("checkpointer");

        // 3,000 commits of a page each: some 12 MiB of log if it were never started over.
        const COMMITS: i64 = 3_000;
        let wal = dir.path().join("store.sqlite-wal");
        let mut largest_log = 0;
        for n in 0..COMMITS {
            checkpoints.before_batch(&writer);
            writer.execute("INSERT INTO pages (n, body) VALUES (?1, zeroblob(3000))", [n]).expect("insert");
            checkpoints.committed();
            largest_log = largest_log.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        let kept: i64 = writer.query_row("SELECT COUNT(*) FROM pages", [], |row| row.get(0)).expect("count");
        assert_eq!(kept, COMMITS, "every commit is kept");
        // Frames of 4 KiB and a header each; over the forced mark by what is written while the
        // pass that finds the log past it gathers and copies (up to about 2,000 frames here: this
        // writer commits some 10,000 frames a second). Never started over, it reaches 37 MB.
        let bound = (marks.force as u64 + 4_000) * 4_120;
        assert!(largest_log <= bound, "the log grew to {largest_log} bytes, over {bound}: it was never started over");
    }
}
