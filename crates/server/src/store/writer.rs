//! The writer thread: every write of the store, batched into group commits.
//!
//! Callers queue a job (a closure over the connection) with a oneshot for the answer. The thread
//! takes what is queued (up to [`MAX_BATCH`]), opens one transaction, runs each job in its own
//! savepoint (a job that fails rolls back alone; the statements of each engine: `fence.rs`),
//! commits once, then answers every waiter with its result — or with the commit error if the
//! commit failed. One fsync covers the whole batch, so throughput does not hinge on one fsync
//! per message.
//!
//! The queue is a tokio channel: a sender never blocks or takes a lock the writer holds, and the
//! writer drains everything queued with `try_recv` (no wake-up per message). Before parking on
//! an empty queue the writer yields a few times ([`IDLE_YIELDS`]): under load the next job
//! arrives within microseconds, and catching it costs less than a futex sleep and wake-up.
//!
//! The writer does not checkpoint by itself (`wal_autocheckpoint=0`, see `sqlite.rs`);
//! `checkpoint.rs` does it from its own connection, so a checkpoint no longer stalls every write
//! queued behind it. The writer only helps when asked, with a short passive checkpoint between
//! two batches that lets the WAL start over (why: `checkpoint.rs`).

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::db::{self, Connection};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use super::checkpoint::Checkpointer;
use super::{batch_start, chat_counts, fence, row_batch};

/// Most jobs in one transaction: bounds the latency of the first job of a large batch.
pub(super) const MAX_BATCH: usize = 512;

/// `yield_now` calls on an empty queue before parking: a few microseconds, far below one commit.
const IDLE_YIELDS: usize = 16;

/// Called once the batch's commit is known (`Ok` if committed), on the writer thread, with the
/// connection outside any transaction.
type Finish = Box<dyn FnOnce(&Connection, Result<(), Arc<db::Error>>) + Send>;
/// Runs on the connection (`None`: the transaction could not begin, so only fail); whether it
/// succeeded (its savepoint is kept) and what answers it once the commit is known.
type Run = Box<dyn FnOnce(Option<&Connection>) -> (bool, Finish) + Send>;

/// A queued write.
struct Job {
    run: Run,
    /// A delivery (`deliver.rs`): changes no chat's kind or bot's membership of a chat that
    /// exists and never reads the chats' counters, so the route memo and the pending counters
    /// (`chat_counts.rs`) hold across it.
    delivery: bool,
}

thread_local! {
    /// Rollbacks on this thread so far (`None` on any thread but a writer): memos of what the
    /// transaction wrote (`message_keys::message_key`) are dropped when it moves, since a rollback
    /// can undo a row they remember.
    static ROLLBACKS: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The writer thread's count of savepoints and transactions rolled back, `None` on any other
/// thread. A memo of rows the writer made is good while it stays the same.
pub(super) fn rollbacks() -> Option<u64> {
    ROLLBACKS.get()
}

fn count_rollback() {
    ROLLBACKS.set(ROLLBACKS.get().map(|n| n + 1));
    ROUTES.set(ROUTES.get().map(|n| n + 1));
}

thread_local! {
    /// Moves (`None` off a writer thread) whenever chats and bots' memberships may have changed
    /// since it was read: at each batch's start, before each job that is not a delivery, at each
    /// rollback. Within one batch nothing else writes (on PostgreSQL every instance's batches
    /// hold one advisory lock, `fence.rs`), and a delivery only adds chats it was sent to, so a
    /// chat's kind and a bot's membership read in the batch stay true while it holds
    /// (`route::kind_and_membership`).
    static ROUTES: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The writer thread's count of events after which a chat's kind or a bot's membership read
/// before may be wrong (see [`ROUTES`]), `None` on any other thread.
pub(super) fn routes_epoch() -> Option<u64> {
    ROUTES.get()
}

/// Moves the routes epoch: chats or a bot's memberships changed (also a delivery's own, in
/// sandbox mode, `route.rs`).
pub(super) fn routes_may_change() {
    ROUTES.set(ROUTES.get().map(|n| n + 1));
}

/// Handle to the writer thread.
#[derive(Debug)]
pub struct Writer {
    // A std Mutex: locked only to clone or take the sender.
    sender: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    thread: Mutex<Option<JoinHandle<Result<(), db::Error>>>>,
}

impl Writer {
    /// Starts the thread owning `conn`; `checkpointer` (SQLite's) is stopped when the writer
    /// stops, before the final checkpoint.
    pub(super) fn start(
        conn: Connection,
        checkpointer: Option<Checkpointer>,
    ) -> Result<Writer, StoreError> {
        let (sender, receiver) = mpsc::unbounded_channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("hookpit-store-writer".to_owned())
            .spawn(move || run(&conn, receiver, checkpointer))?;
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
        self.run_then(f, |_| {}).await
    }

    /// Like [`Writer::run`], and when `f` succeeded and its transaction committed, runs
    /// `committed` on the writer thread before anyone is answered and before any later write:
    /// in-memory copies of the data (the key map) change in commit order, with no window in
    /// which a caller has its answer but the copy is stale.
    pub(super) async fn run_then<R, F, C>(&self, f: F, committed: C) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
        C: FnOnce(&Connection) + Send + 'static,
    {
        self.queue(f, committed, false).await
    }

    /// Like [`Writer::run`] for a delivery (`deliver.rs`), which changes no chat's kind and no
    /// bot's membership of a chat that exists: the chats and memberships read by the batch's
    /// earlier deliveries hold for it ([`routes_epoch`]).
    pub(super) async fn run_delivery<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.queue(f, |_| {}, true).await
    }

    async fn queue<R, F, C>(&self, f: F, committed: C, delivery: bool) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
        C: FnOnce(&Connection) + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<R, StoreError>>();
        let run: Run = Box::new(move |conn: Option<&Connection>| {
            let result = match conn {
                Some(conn) => f(conn),
                None => Err(StoreError::Closed),
            };
            let result_ok = result.is_ok();
            let finish: Finish = Box::new(
                move |conn: &Connection, commit: Result<(), Arc<db::Error>>| {
                    let result = match commit {
                        Ok(()) => result,
                        Err(error) => result.and(Err(StoreError::Commit(error))),
                    };
                    if result.is_ok() {
                        committed(conn);
                    }
                    let _ = answer.send(result);
                },
            );
            (result_ok, finish)
        });
        let job = Job { run, delivery };
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(StoreError::Closed)?;
        sender.send(job).map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    /// Lets queued jobs finish, checkpoints, and joins the thread. Closing twice is a no-op.
    ///
    /// # Errors
    /// The final checkpoint failed.
    pub(super) async fn close(&self) -> Result<(), StoreError> {
        drop(self.sender.lock().unwrap_or_else(|e| e.into_inner()).take());
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(thread) = thread else {
            return Ok(());
        };
        match tokio::task::spawn_blocking(move || thread.join()).await {
            Ok(Ok(flushed)) => flushed.map_err(StoreError::from),
            // The thread panicked, or the runtime is going away.
            _ => Err(StoreError::Closed),
        }
    }
}

/// The next job: what is queued, else after a few yields, else parked until one comes.
/// `None` once every sender is gone.
fn next_job(receiver: &mut mpsc::UnboundedReceiver<Job>) -> Option<Job> {
    for _ in 0..IDLE_YIELDS {
        match receiver.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::error::TryRecvError::Disconnected) => return None,
            Err(mpsc::error::TryRecvError::Empty) => std::thread::yield_now(),
        }
    }
    receiver.blocking_recv()
}

/// The writer thread's loop; ends with the final checkpoint's result.
fn run(
    conn: &Connection,
    mut receiver: mpsc::UnboundedReceiver<Job>,
    checkpointer: Option<Checkpointer>,
) -> Result<(), db::Error> {
    ROLLBACKS.set(Some(0));
    ROUTES.set(Some(0));
    let mut finishers: Vec<Finish> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = next_job(&mut receiver) {
        // What the last batch read may have changed since (another instance's batch).
        routes_may_change();
        if let Err(error) =
            batch_start::begin(conn, first.delivery, receiver.len() + 1).map_err(Arc::new)
        {
            tracing::error!(error = %error, "store: cannot begin a transaction");
            let _ = fence::rollback(conn);
            (first.run)(None).1(conn, Err(error));
            continue;
        }
        // Set when a savepoint or the counters could not be written: the batch is rolled back.
        let mut broken: Option<Arc<db::Error>> = None;
        let mut job = Some(first);
        while let Some(current) = job.take() {
            if !current.delivery {
                routes_may_change();
            }
            row_batch::job_taken(receiver.len());
            let (succeeded, finish) = fence::job(conn, || (current.run)(Some(conn)));
            finishers.push(finish);
            chat_counts::job_ended(succeeded);
            row_batch::job_ended(succeeded);
            if !succeeded {
                // Whatever failed, the job's writes may be gone.
                count_rollback();
            }
            let next = if finishers.len() < MAX_BATCH {
                receiver.try_recv().ok()
            } else {
                None
            };
            // The counters and the deferred rows are written before the commit and before a job
            // that may read them, in the savepoint that stays open after this job (kept whatever
            // the next one does). On PostgreSQL, those due at the commit go with it.
            let counts_due = next.as_ref().is_none_or(|next| !next.delivery);
            let with_commit = next.is_none() && conn.is_postgres();
            let step = fence::end_job(conn, succeeded).and_then(|()| {
                if counts_due && !with_commit {
                    chat_counts::flush(conn)?;
                    row_batch::flush(conn)?;
                }
                if next.is_some() {
                    fence::next_job(conn)?;
                }
                Ok(())
            });
            if let Err(error) = step {
                broken = Some(Arc::new(error));
                // Taken from the queue, so answered here: with the batch's failure.
                if let Some(next) = next {
                    finishers.push((next.run)(None).1);
                }
                break;
            }
            job = next;
        }
        let commit = match broken {
            Some(error) => Err(error),
            None => fence::commit(conn, &last_writes(conn)).map_err(Arc::new),
        };
        row_batch::batch_ended();
        if let Err(error) = &commit {
            count_rollback();
            chat_counts::discard();
            tracing::error!(error = %error, batch = finishers.len(), "store: commit failed");
            let _ = fence::rollback(conn);
        }
        for finish in finishers.drain(..) {
            finish(conn, commit.clone());
        }
        if let (Some(checkpointer), Some(sqlite)) = (&checkpointer, conn.sqlite())
            && checkpointer.take_reset_request()
        {
            super::checkpoint::reset_from_writer(sqlite);
        }
    }
    // Every sender is gone: stop the background checkpoints, then flush the WAL into the
    // database file so a restart starts clean.
    if let Some(checkpointer) = checkpointer {
        checkpointer.stop();
    }
    let flushed = match conn.sqlite() {
        Some(sqlite) => final_checkpoint(sqlite).map_err(db::Error::from),
        None => Ok(()),
    };
    tracing::debug!("store writer stopped");
    flushed
}

/// What the batch still has to write when it commits: on PostgreSQL, the counters and the
/// deferred rows, which travel with the `COMMIT` (one round trip instead of three). SQLite has
/// written them already: a statement there costs no I/O.
fn last_writes(conn: &Connection) -> Vec<db::PgWrite> {
    if !conn.is_postgres() {
        return Vec::new();
    }
    let mut writes = chat_counts::take_writes();
    writes.extend(row_batch::take_write());
    writes
}

/// `wal_checkpoint(TRUNCATE)`, which reports a checkpoint it could not complete (a reader still
/// in the WAL, an I/O error) through its `busy` column or an error.
fn final_checkpoint(conn: &rusqlite::Connection) -> Result<(), rusqlite::Error> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
    if busy != 0 {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("the final checkpoint could not complete".to_owned()),
        ));
    }
    Ok(())
}
