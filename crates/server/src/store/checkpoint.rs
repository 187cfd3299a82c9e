//! WAL checkpoints, off the writer's critical path.
//!
//! With SQLite's automatic checkpoint the committing connection — the writer thread — copies
//! the WAL into the database file every N pages, and every write queued meanwhile waits: at
//! 1,000 req/s that was a 6–10 ms stall every ~300 ms (docs/PERFORMANCE.md). So the writer runs
//! with `wal_autocheckpoint=0` and this thread, on its own connection, runs a PASSIVE checkpoint
//! every [`INTERVAL`]. PASSIVE never takes the write lock: it copies what no reader still needs
//! and the writer keeps committing. Once everything is copied, the writer's next transaction
//! starts the WAL over from its beginning, so the file stops growing.
//!
//! But a writer that is never idle (a burst, a benchmark) begins its next transaction before a
//! pass has caught up, so the WAL never starts over by itself. When a pass has copied every
//! frame and the WAL holds more than [`RESET_FRAMES`], it asks the writer to help: between two
//! batches the writer runs a passive checkpoint of its own (`writer.rs`), which copies only what
//! it committed since this pass — a few milliseconds of writes — and then starts the WAL over at
//! its next commit. Asking the writer matters: a RESTART from this thread first has to win the
//! write lock from a busy writer, and held it for 20–200 ms while copying all that the writer
//! appended meanwhile (measured at 37,000 messages/s, docs/PERFORMANCE.md).
//!
//! The WAL can only start over when no reader is still using it; under a constant read load that
//! moment may never come and the WAL would grow without bound. So when it holds more than
//! [`RESTART_FRAMES`] frames after a passive pass, a RESTART checkpoint from this thread waits
//! (blocking new writes) until readers move on: a rare, bounded stall instead of unbounded
//! growth. The final TRUNCATE at shutdown is the writer's (`writer.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// Time between passive checkpoints: often enough that each copies little (a few hundred
/// commits), rarely enough that a hot page written by many commits is copied once.
pub(super) const INTERVAL: Duration = Duration::from_millis(100);

/// WAL frames (pages, 4 KiB each) above which a pass that copied them all asks the writer to
/// start the WAL over: 16 MiB.
pub(super) const RESET_FRAMES: i64 = 4_096;

/// WAL frames above which a passive pass is followed by a RESTART: 64 MiB.
pub(super) const RESTART_FRAMES: i64 = 16_384;

/// What one checkpoint pass found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pass {
    /// Frames in the WAL after the passive checkpoint.
    pub wal_frames: i64,
    /// Frames of those copied into the database file.
    pub copied_frames: i64,
    /// Whether the WAL was too large and a RESTART checkpoint ran.
    pub restarted: bool,
}

impl Pass {
    /// Whether the writer should start the WAL over: everything was copied, and the WAL is
    /// larger than `reset_above` frames.
    pub fn wants_reset(&self, reset_above: i64) -> bool {
        !self.restarted && self.wal_frames > reset_above && self.copied_frames >= self.wal_frames
    }
}

/// The writer's side of a reset: a passive checkpoint from its own connection, between two
/// transactions, so the WAL is fully copied when its next transaction begins and SQLite starts
/// the WAL over at its first write. Never waits: busy (this thread's pass is running, or a reader
/// holds old frames) just means it happens at a later request.
pub(super) fn reset_from_writer(conn: &Connection) {
    if let Err(error) = checkpoint(conn, "PASSIVE") {
        tracing::debug!(error = %error, "store: the writer's checkpoint did not run");
    }
}

/// One pass: a PASSIVE checkpoint, then a RESTART if the WAL holds more than `restart_above`
/// frames.
pub(super) fn pass(conn: &Connection, restart_above: i64) -> Result<Pass, StoreError> {
    let (wal_frames, copied_frames) = checkpoint(conn, "PASSIVE")?;
    let restarted = wal_frames > restart_above;
    if restarted {
        let (_, copied) = checkpoint(conn, "RESTART")?;
        tracing::info!(wal_frames, copied, "store: WAL too large, restarted it");
    }
    Ok(Pass {
        wal_frames,
        copied_frames,
        restarted,
    })
}

/// Runs `PRAGMA wal_checkpoint(mode)`; returns (frames in the WAL, frames copied).
fn checkpoint(conn: &Connection, mode: &str) -> Result<(i64, i64), StoreError> {
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    // Columns: busy (1 if the checkpoint could not finish), frames in the WAL, frames copied.
    Ok(conn.query_row(&sql, [], |row| Ok((row.get(1)?, row.get(2)?)))?)
}

/// The checkpoint thread; stopped by [`Checkpointer::stop`] (the writer does, when it stops).
#[derive(Debug)]
pub(super) struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    /// Set by a pass that wants the writer to start the WAL over; taken by the writer.
    reset_wanted: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread owning `conn` (a read-write connection to the store's database).
    pub(super) fn start(conn: Connection) -> Result<Checkpointer, StoreError> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let reset_wanted = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("hookpit-store-checkpoint".to_owned())
            .spawn({
                let stop = Arc::clone(&stop);
                let reset_wanted = Arc::clone(&reset_wanted);
                move || run(&conn, &stop, &reset_wanted)
            })?;
        Ok(Checkpointer {
            stop,
            reset_wanted,
            thread: Some(thread),
        })
    }

    /// Whether a pass asked the writer to start the WAL over since the last call.
    pub(super) fn take_reset_request(&self) -> bool {
        // A plain load first: the writer asks after every batch, and a swap would write the
        // shared cache line each time.
        self.reset_wanted.load(Ordering::Relaxed) && self.reset_wanted.swap(false, Ordering::AcqRel)
    }

    /// Stops the thread and waits for it (at most one pass in progress).
    pub(super) fn stop(mut self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, stop: &(Mutex<bool>, Condvar), reset_wanted: &AtomicBool) {
    let (lock, wake) = stop;
    let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        stopped = match wake.wait_timeout(stopped, INTERVAL) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
        if *stopped {
            return;
        }
        // Not held during the pass, so `stop` is never kept waiting on a checkpoint's IO.
        drop(stopped);
        match pass(conn, RESTART_FRAMES) {
            Ok(pass) if pass.wants_reset(RESET_FRAMES) => {
                reset_wanted.store(true, Ordering::Release);
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "store: background checkpoint failed"),
        }
        stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SyncMode;
    use crate::store::sqlite;

    fn wal_size(dir: &std::path::Path) -> u64 {
        std::fs::metadata(dir.join("t.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// A writer connection as the store opens it (no autocheckpoint) with a table, and a
    /// checkpoint connection.
    fn open(dir: &std::path::Path) -> (Connection, Connection) {
        let path = dir.join("t.db");
        let writer = sqlite::open_writer(&path, SyncMode::Normal).unwrap();
        writer
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .unwrap();
        let checkpointer = sqlite::open_checkpointer(&path, SyncMode::Normal).unwrap();
        (writer, checkpointer)
    }

    fn insert_rows(conn: &Connection, rows: usize) {
        for _ in 0..rows {
            conn.execute("INSERT INTO t (body) VALUES (?1)", [&"x".repeat(500)])
                .unwrap();
        }
    }

    fn write_batch(conn: &Connection) {
        conn.execute_batch("BEGIN").unwrap();
        insert_rows(conn, 50);
        conn.execute_batch("COMMIT").unwrap();
    }

    #[test]
    fn passive_checkpoints_keep_the_wal_from_growing_under_constant_writes() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, checkpointer) = open(dir.path());
        for _ in 0..10 {
            write_batch(&writer);
            pass(&checkpointer, RESTART_FRAMES).unwrap();
        }
        let early = wal_size(dir.path());
        for _ in 0..200 {
            write_batch(&writer);
            let pass = pass(&checkpointer, RESTART_FRAMES).unwrap();
            assert_eq!(pass.copied_frames, pass.wal_frames, "{pass:?}");
            assert!(!pass.restarted);
        }
        assert!(early > 0);
        assert!(
            wal_size(dir.path()) <= early * 2,
            "WAL grew from {early} to {} bytes",
            wal_size(dir.path())
        );
    }

    #[test]
    fn without_checkpoints_the_writer_lets_the_wal_grow() {
        // The control of the test above: the writer itself never checkpoints.
        let dir = tempfile::tempdir().unwrap();
        let (writer, _checkpointer) = open(dir.path());
        for _ in 0..10 {
            write_batch(&writer);
        }
        let early = wal_size(dir.path());
        for _ in 0..200 {
            write_batch(&writer);
        }
        assert!(wal_size(dir.path()) > early * 5);
    }

    /// A batch with a checkpoint pass in its middle, as under load: the writer is always inside
    /// a transaction when a pass runs.
    fn batch_around_a_pass(writer: &Connection, checkpointer: &Connection) -> Pass {
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        insert_rows(writer, 1);
        let pass = pass(checkpointer, i64::MAX).unwrap();
        insert_rows(writer, 49);
        writer.execute_batch("COMMIT").unwrap();
        pass
    }

    #[test]
    fn a_writer_that_never_pauses_starts_the_wal_over_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, checkpointer) = open(dir.path());
        // Every pass copies all that was committed, yet the WAL keeps growing.
        let mut passes = Vec::new();
        for _ in 0..10 {
            passes.push(batch_around_a_pass(&writer, &checkpointer));
        }
        let last = passes[9];
        assert!(last.wants_reset(last.wal_frames - 1), "{last:?}");
        assert!(
            !last.wants_reset(last.wal_frames),
            "over the threshold only"
        );
        assert!(last.wal_frames > passes[4].wal_frames * 3 / 2, "{passes:?}");
        // The writer's help between two batches: its next commit writes from the start again.
        reset_from_writer(&writer);
        batch_around_a_pass(&writer, &checkpointer);
        let after = batch_around_a_pass(&writer, &checkpointer);
        assert!(
            after.wal_frames < last.wal_frames / 4,
            "{after:?} vs {last:?}"
        );
    }

    #[test]
    fn a_pass_restarts_a_wal_holding_more_frames_than_the_threshold() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, checkpointer) = open(dir.path());
        // A reader holding an old snapshot keeps the writer from starting the WAL over.
        let reader = sqlite::open_checkpointer(&dir.path().join("t.db"), SyncMode::Normal).unwrap();
        write_batch(&writer);
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
            .unwrap();
        for _ in 0..20 {
            write_batch(&writer);
            pass(&checkpointer, i64::MAX).unwrap();
        }
        let frames = pass(&checkpointer, i64::MAX).unwrap().wal_frames;
        reader.execute_batch("COMMIT").unwrap();
        let restart = pass(&checkpointer, frames - 1).unwrap();
        assert!(restart.restarted);
        // The next commit writes from the start of the WAL again.
        write_batch(&writer);
        let after = pass(&checkpointer, i64::MAX).unwrap();
        assert!(after.wal_frames < frames / 4, "{after:?} vs {frames}");
    }
}
