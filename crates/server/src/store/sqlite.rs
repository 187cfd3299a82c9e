//! Opening SQLite connections with the right pragmas, and the [`ReadPool`].

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use super::StoreError;
use crate::config::SyncMode;

/// Opens the one read-write connection, owned by the writer thread.
pub(super) fn open_writer(path: &Path, sync: SyncMode) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let synchronous = match sync {
        SyncMode::Full => "FULL",
        SyncMode::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Readers never block the writer in WAL mode; this only covers a second process.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Larger WAL between automatic checkpoints: fewer checkpoint stalls under load.
    conn.pragma_update(None, "wal_autocheckpoint", 4000)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// A fixed set of read-only connections, used on tokio's blocking threads.
#[derive(Debug)]
pub struct ReadPool {
    // A std Mutex: held only to pop or push a connection, never across an await.
    connections: Mutex<Vec<Connection>>,
    available: Semaphore,
}

impl ReadPool {
    /// Opens `size` read-only connections to `path`.
    pub(super) fn open(path: &Path, size: usize) -> Result<ReadPool, StoreError> {
        let mut connections = Vec::with_capacity(size);
        for _ in 0..size {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.set_prepared_statement_cache_capacity(64);
            connections.push(conn);
        }
        Ok(ReadPool {
            connections: Mutex::new(connections),
            available: Semaphore::new(size),
        })
    }

    /// Runs `f` on a free connection on the blocking pool.
    pub(super) async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let _permit = self
            .available
            .acquire()
            .await
            .map_err(|_| StoreError::Closed)?;
        let conn = self
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .ok_or(StoreError::Closed)?;
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let result = f(&conn);
            (conn, result)
        })
        .await
        .map_err(|_| StoreError::Closed)?;
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        result
    }
}
