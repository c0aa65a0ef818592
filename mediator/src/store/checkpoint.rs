//! Checkpoints off the commit path: SQLite's write-ahead log is copied into the database file by
//! a task with a connection of its own, not by whichever commit crosses the log's size mark.
//!
//! Why: by default the commit that takes the log past 1,000 pages copies all of them into the
//! database file and syncs it while its forward, and every forward queued behind it, waits: the
//! one-sender p99 of a forward was 20-26 ms against a p50 of 0.7 ms (docs/BENCHMARKS.md). Here the
//! copy runs beside the writer (SQLite's PASSIVE checkpoint never blocks it).
//!
//! A log written to all the time never starts over by itself: the copy always ends a few commits
//! behind the writer, and SQLite restarts the log only when a write begins with all of it copied.
//! So once the log passes [`Marks::restart`] and a background pass has caught up with what it saw,
//! the checkpointer takes the [`WriteGate`] (the forward writer waits at its next batch) and
//! copies the few frames written meanwhile; the writer's next commit then starts the log over.
//! The writer waits for a copy of those few frames and one small sync, not the whole log's.
//!
//! Durability is unchanged: commits append to the log without a sync (`synchronous = NORMAL`), a
//! checkpoint syncs the log before copying and the database file after, as before.

use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::SqliteConnection;
use tokio::sync::{Mutex, Notify};

/// When the log is started over, in frames (pages).
#[derive(Clone, Copy, Debug)]
pub(super) struct Marks {
    /// Past this, the log is started over once the copy has caught up: 4,000 frames, 16 MiB of
    /// 4 KiB pages. Larger means fewer pauses of the writer; the file keeps the largest size the
    /// log reached.
    pub restart: i64,
    /// Past this the writer is paused even if the copy has not caught up: a bound on the log's
    /// size when the copy cannot keep up with the writer.
    pub force: i64,
}

impl Marks {
    pub(super) const DEFAULT: Marks = Marks { restart: 4_000, force: 16_000 };
}
/// How long a pass waits for more commits after being woken, so that one pass copies many.
const GATHER: Duration = Duration::from_millis(20);
/// Writes through the pool (enrollments, acknowledgements) do not wake the checkpointer; it
/// looks at least this often.
const IDLE_LOOK: Duration = Duration::from_millis(500);

/// Held by the forward writer for each batch; taken by the checkpointer for its catch-up.
pub(super) type WriteGate = Arc<Mutex<()>>;

/// What the forward writer tells the checkpointer.
#[derive(Clone, Debug, Default)]
pub(super) struct Committed(Arc<Notify>);

impl Committed {
    /// A batch was committed: there are frames to copy.
    pub(super) fn notify(&self) {
        self.0.notify_one();
    }
}

/// Starts the checkpointer on `connection`, which must not autocheckpoint either.
pub(super) fn start(connection: SqliteConnection, gate: WriteGate, marks: Marks) -> Committed {
    let committed = Committed::default();
    tokio::spawn(checkpoint_forever(connection, gate, committed.clone(), marks));
    committed
}

/// One checkpoint's result: frames in the log, and frames copied into the database file.
#[derive(Clone, Copy, Debug)]
struct Pass {
    log: i64,
    copied: i64,
}

async fn passive(connection: &mut SqliteConnection) -> Pass {
    // (busy, log, checkpointed); the log is -1 before this connection has read the database
    // (its log is opened by the first read), and then 0 is what there is to copy.
    let row: Result<(i64, i64, i64), _> =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut *connection).await;
    match row {
        Ok((_, log, copied)) => Pass { log: log.max(0), copied: copied.max(0) },
        Err(e) => {
            tracing::warn!(error = %e, "a WAL checkpoint failed; the next one retries");
            Pass { log: 0, copied: 0 }
        }
    }
}

async fn checkpoint_forever(mut connection: SqliteConnection, gate: WriteGate, committed: Committed, marks: Marks) {
    // The log's length at the last catch-up: until a commit starts it over, another catch-up
    // would copy nothing.
    let mut caught_up_at = None;
    // Until the writer is gone (its handle is the other holder of `committed`).
    while Arc::strong_count(&committed.0) > 1 {
        // Woken by a commit (or the idle look), then a moment for more commits to gather.
        let _ = tokio::time::timeout(IDLE_LOOK, committed.0.notified()).await;
        tokio::time::sleep(GATHER).await;
        let pass = passive(&mut connection).await;
        let caught_up = pass.copied == pass.log;
        let due = (pass.log >= marks.restart && caught_up) || pass.log >= marks.force;
        if due && caught_up_at != Some(pass.log) {
            // Between two batches: what was committed since the pass above is copied, and the
            // next commit starts the log over.
            let _writer_waits = gate.lock().await;
            let last = passive(&mut connection).await;
            tracing::debug!(log = last.log, copied = last.copied, "WAL copied for a restart");
            caught_up_at = (last.copied == last.log).then_some(last.log);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::ConnectOptions;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

    use super::*;

    /// A writer that never stops still gets its log started over, so the file stays near the
    /// restart mark instead of growing with everything written; and nothing written is lost.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_log_written_without_pause_is_started_over_and_stays_small() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.sqlite");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .expect("url")
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", "0");
        let mut writer = options.connect().await.expect("writer");
        sqlx::query("CREATE TABLE pages (n INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            .execute(&mut writer)
            .await
            .expect("table");
        let gate = WriteGate::default();
        let marks = Marks { restart: 100, force: 400 };
        let committed = start(options.connect().await.expect("checkpointer"), gate.clone(), marks);

        // 3,000 commits of a page each: some 12 MiB of log if it were never started over.
        const COMMITS: i64 = 3_000;
        let mut largest_log = 0;
        for n in 0..COMMITS {
            let writing = gate.lock().await;
            sqlx::query("INSERT INTO pages (n, body) VALUES ($1, zeroblob(3000))")
                .bind(n)
                .execute(&mut writer)
                .await
                .expect("insert");
            drop(writing);
            committed.notify();
            largest_log =
                largest_log.max(std::fs::metadata(dir.path().join("store.sqlite-wal")).map_or(0, |m| m.len()));
        }
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pages").fetch_one(&mut writer).await.expect("count");
        assert_eq!(kept, COMMITS, "every commit is kept");
        // Frames of 4 KiB and a header each; over the forced mark by what is written while the
        // pass that finds the log past it gathers and copies (up to about 2,000 frames here: this
        // writer commits some 10,000 frames a second). Never started over, it reaches 37 MB.
        let bound = (marks.force as u64 + 4_000) * 4_120;
        assert!(largest_log <= bound, "the log grew to {largest_log} bytes, over {bound}: it was never started over");
    }
}
