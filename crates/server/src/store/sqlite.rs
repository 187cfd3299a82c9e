//! Opening SQLite connections with the right pragmas: the writer's, the checkpointer's and the
//! readers'.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;
use crate::config::SyncMode;

/// Opens the one read-write connection, owned by the writer thread.
pub(super) fn open_writer(path: &Path, sync: SyncMode) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", synchronous(sync))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Readers never block the writer in WAL mode; the checkpoint thread's rare RESTART does,
    // for a few milliseconds (`checkpoint.rs`), and so would a second process.
    conn.busy_handler(Some(retry_soon::<WRITER_BUSY_TRIES>))?;
    // Never checkpoint on the writer thread: `checkpoint.rs` does it from its own connection.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    // When the WAL starts over, a file grown past this is cut back (a burst of large images
    // must not leave a huge file behind); below it, the file is reused without re-growing.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    // Each job runs in a savepoint (`writer.rs`), whose sub-journal holds the pages it changes
    // until the batch commits. On disk (past 64 KiB, SQLite's default) that was a `pwrite` per
    // page and a third of the writer thread's time; a batch's sub-journal is a few MiB at most.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // A batch that dirties more pages than the cache holds (2 MiB: a batch of broadcasts does)
    // made SQLite spill dirty pages into the WAL before the commit, which then wrote most of
    // them again: 6% of the writer on a broadcast. Dirty pages may now exceed the cache up to
    // this many (16 MiB) before a spill; once committed, the cache shrinks back to its size.
    conn.pragma_update(None, "cache_spill", WRITER_SPILL_PAGES)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Dirty pages the writer holds in memory before it spills any to the WAL mid-transaction.
const WRITER_SPILL_PAGES: i64 = 4_096;

/// Opens the connection of the checkpoint thread. Its `synchronous` matches the writer's: a
/// checkpoint must fsync the database file before the WAL can start over.
pub(super) fn open_checkpointer(path: &Path, sync: SyncMode) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "synchronous", synchronous(sync))?;
    // Only the RESTART fallback waits (for readers and the writer); a passive pass never does.
    // Retrying often matters here too: the writer's lock is free only between two batches.
    conn.busy_handler(Some(retry_soon::<CHECKPOINTER_BUSY_TRIES>))?;
    Ok(conn)
}

/// The pause between two tries on a locked database.
const BUSY_RETRY_EVERY: Duration = Duration::from_micros(100);
/// Tries before the writer gives up with SQLITE_BUSY: 5 s.
const WRITER_BUSY_TRIES: i32 = 50_000;
/// Tries before a RESTART checkpoint gives up (it runs again 100 ms later): 2 s.
const CHECKPOINTER_BUSY_TRIES: i32 = 20_000;

/// A busy handler retrying every [`BUSY_RETRY_EVERY`], `TRIES` times. SQLite's `busy_timeout`
/// backs off to sleeps of up to 100 ms: after a lock held for 3 ms the writer slept on for tens
/// of milliseconds, and every request queued behind it waited too.
fn retry_soon<const TRIES: i32>(tries_so_far: i32) -> bool {
    if tries_so_far >= TRIES {
        return false;
    }
    std::thread::sleep(BUSY_RETRY_EVERY);
    true
}

fn synchronous(sync: SyncMode) -> &'static str {
    match sync {
        SyncMode::Full => "FULL",
        SyncMode::Normal => "NORMAL",
    }
}

/// Opens `size` read-only connections to `path`, each with the search index `search` attached
/// as `search` (`indexer.rs`), for the [`super::read_pool::ReadPool`].
pub(super) fn open_readers(
    path: &Path,
    search: &Path,
    size: usize,
) -> Result<Vec<super::db::Connection>, StoreError> {
    let search = search
        .to_str()
        .ok_or_else(|| StoreError::Invalid(format!("{} is not a UTF-8 path", search.display())))?;
    let mut connections = Vec::with_capacity(size);
    for _ in 0..size {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute("ATTACH DATABASE ?1 AS search", [search])?;
        connections.push(super::db::Connection::Sqlite(conn));
    }
    Ok(connections)
}
