//! The writer thread: every write of the store, batched into group commits.
//!
//! Callers queue a job (a closure over the connection) with a oneshot for the answer. The thread
//! takes what is queued (up to [`MAX_BATCH`]), opens one transaction, runs each job in its own
//! savepoint (a job that fails rolls back alone), commits once, then answers every waiter with
//! its result — or with the commit error if the commit failed. One fsync covers the whole batch,
//! so throughput does not hinge on one fsync per message.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::StoreError;

/// Most jobs in one transaction: bounds the latency of the first job of a large batch.
const MAX_BATCH: usize = 512;

/// Called once the batch's commit is known: `Ok` if committed.
type Finish = Box<dyn FnOnce(Result<(), Arc<rusqlite::Error>>) + Send>;
/// Runs on the connection (`None`: the transaction could not begin, so only fail).
type Job = Box<dyn FnOnce(Option<&Connection>) -> Finish + Send>;

/// Handle to the writer thread.
#[derive(Debug)]
pub struct Writer {
    // A std Mutex: locked only to clone or take the sender.
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the thread owning `conn`.
    pub(super) fn start(conn: Connection) -> Result<Writer, StoreError> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("hookpit-store-writer".to_owned())
            .spawn(move || run(conn, &receiver))?;
        Ok(Writer {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Runs `f` in the next transaction and returns its result once committed.
    pub(super) async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<R, StoreError>>();
        let job: Job = Box::new(move |conn: Option<&Connection>| {
            let result = match conn {
                Some(conn) => in_savepoint(conn, f),
                None => Err(StoreError::Closed),
            };
            Box::new(move |commit: Result<(), Arc<rusqlite::Error>>| {
                let result = match commit {
                    Ok(()) => result,
                    Err(error) => result.and(Err(StoreError::Commit(error))),
                };
                let _ = answer.send(result);
            })
        });
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(StoreError::Closed)?;
        sender.send(job).map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    /// Lets queued jobs finish, checkpoints, and joins the thread.
    pub(super) async fn close(&self) {
        drop(self.sender.lock().unwrap_or_else(|e| e.into_inner()).take());
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

fn in_savepoint<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    conn.execute_batch("SAVEPOINT job")?;
    let result = f(conn);
    match &result {
        Ok(_) => conn.execute_batch("RELEASE job")?,
        Err(_) => conn.execute_batch("ROLLBACK TO job; RELEASE job")?,
    }
    result
}

fn run(conn: Connection, receiver: &mpsc::Receiver<Job>) {
    let mut finishers: Vec<Finish> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = receiver.recv() {
        let begin = conn.execute_batch("BEGIN IMMEDIATE").map_err(Arc::new);
        if let Err(error) = begin {
            tracing::error!(error = %error, "store: cannot begin a transaction");
            first(None)(Err(error));
            continue;
        }
        finishers.push(first(Some(&conn)));
        while finishers.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => finishers.push(job(Some(&conn))),
                Err(_) => break,
            }
        }
        let commit = conn.execute_batch("COMMIT").map_err(Arc::new);
        if let Err(error) = &commit {
            tracing::error!(error = %error, batch = finishers.len(), "store: commit failed");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for finish in finishers.drain(..) {
            finish(commit.clone());
        }
    }
    // Every sender is gone: flush the WAL into the database file so a restart starts clean.
    if let Err(error) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(error = %error, "store: final checkpoint failed");
    }
    tracing::debug!("store writer stopped");
}
