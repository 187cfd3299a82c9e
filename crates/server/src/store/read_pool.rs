//! [`ReadPool`]: a fixed set of connections for reads, on tokio's blocking threads, for both
//! backends. A PostgreSQL session that broke is reopened before it serves the next read.

use std::sync::Mutex;

use tokio::sync::Semaphore;

use super::StoreError;
use super::db::Connection;

/// A fixed set of read-only connections, used on tokio's blocking threads.
#[derive(Debug)]
pub struct ReadPool {
    // A std Mutex: held only to pop or push a connection, never across an await.
    connections: Mutex<Vec<Connection>>,
    available: Semaphore,
}

impl ReadPool {
    /// A pool of `connections` (SQLite's read-only ones, `sqlite::open_readers`, or PostgreSQL
    /// sessions).
    pub(super) fn of(connections: Vec<Connection>) -> ReadPool {
        let size = connections.len();
        ReadPool {
            connections: Mutex::new(connections),
            available: Semaphore::new(size),
        }
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
            let result = match conn.revive() {
                Ok(()) => f(&conn),
                Err(error) => Err(StoreError::from(error)),
            };
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
