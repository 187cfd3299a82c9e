//! The transaction-control statements of the writer's batches (`writer.rs`): the batch's
//! transaction, and the savepoint that keeps each job's writes apart so that a job that fails
//! rolls back alone.
//!
//! Both engines run the same steps: begin the batch with the first job's savepoint open; after
//! each job, roll its savepoint back if it failed; release it and open the next job's; release
//! the last and commit.
//! They differ in how the statements travel:
//! - SQLite runs each one from the statement cache: `execute_batch` parsed the text again on
//!   every call (`sqlite3_prepare_v3` was 4% of the writer thread, docs/PERFORMANCE.md), and a
//!   statement costs no I/O.
//! - PostgreSQL sends what one step needs as one simple query, as every request is a round trip
//!   to the server, and the last job's `RELEASE` goes with the `COMMIT`. Between two jobs,
//!   `RELEASE job; SAVEPOINT job` is not even sent on its own: it is deferred
//!   (`db/postgres.rs`) and rides in one write with the next job's first statement. A batch of
//!   N jobs that succeed is 2 control round trips (begin, commit), not N + 1, and each carries
//!   more: [`begin`] the reads that must happen under the batches' lock (`batch_start.rs`),
//!   [`commit`] the batch's last writes (the counters, the deferred rows).
//!
//! The last `RELEASE` is not only saved work: a PostgreSQL transaction in which a statement
//! failed answers `COMMIT` by rolling back without an error, whereas `RELEASE` fails there, so
//! a job that swallowed a failed statement cannot make the batch look committed.
//!
//! # The deferred savepoint (PostgreSQL)
//! After [`next_job`] the newest savepoint is still the previous job's until the next job runs a
//! statement. What must hold, and why:
//! - A job that fails before running any statement has nothing of its own to roll back:
//!   [`end_job`] sends no `ROLLBACK TO job` (it would undo the previous job, whose savepoint is
//!   the newest), and the deferred savepoint stays for the next job.
//! - Only a job's statements carry it ([`job`]). The writer's own statements between jobs
//!   (`chat_counts::flush`) run before it, in the savepoint that stays open after the job that
//!   ended, so a later `ROLLBACK TO job` of the next job cannot undo them. The writer's order
//!   (`end_job`, then the flush, then `next_job`) already keeps them there, and is what does on
//!   SQLite; on PostgreSQL they stay out even if that order changed.
//! - If the deferred text fails, the transaction is in an unknown state (a job may have
//!   released the savepoint itself, or swallowed an error that aborted the transaction): every
//!   statement is refused, and [`end_job`] and [`commit`] report the failure whatever the job
//!   answered, so the batch is rolled back and every job answered with the error, as when
//!   `next_job` failed while it still ran the text itself. `ROLLBACK TO job` is never sent then:
//!   in an aborted transaction it would succeed, undo a job already counted as succeeded, and
//!   let the batch commit without it.
//! - [`commit`] with the savepoint still deferred sends only `RELEASE job; COMMIT`, which is
//!   what `RELEASE job; SAVEPOINT job; RELEASE job; COMMIT` does.
//! - [`rollback`], and a session opened again (`revive`), forget it.
//!
//! # The settled job (SQLite)
//! While a savepoint is open, SQLite copies every page a statement first changes into the
//! savepoint's journal, so that `ROLLBACK TO` can put it back. A broadcast touches a page per
//! chat it reaches (the chats' index pages), so a job's savepoint copied ~100 pages of 4 KiB,
//! 15% of the writer's time. A job that has made every check that can refuse it calls
//! [`settle`]: its savepoint is released there, and what it writes next is not copied. A job
//! that fails after that cannot be rolled back alone: [`end_job`] fails, and the writer rolls
//! the batch back and answers every job with the error, as when a commit fails. Only the engine
//! fails a settled job (a full disk, an I/O error), and those fail the commit too. PostgreSQL
//! keeps the savepoint (nothing is copied on its side of the wire, and its statements carry it
//! for free, above).

use std::cell::Cell;

use super::db::{self, Connection};

thread_local! {
    /// SQLite, on the writer thread: whether the running job's savepoint is open (not released
    /// by [`settle`] yet).
    static SAVEPOINT_OPEN: Cell<bool> = const { Cell::new(false) };
}

/// Opens the next job's savepoint (SQLite).
fn open_savepoint(conn: &Connection) -> Result<(), db::Error> {
    control(conn, "SAVEPOINT job")?;
    SAVEPOINT_OPEN.set(true);
    Ok(())
}

/// The running job's checks are done: only the engine can fail it from here on. On SQLite its
/// savepoint is released, so that its next writes are not copied into the savepoint's journal
/// first (see the module's doc); a no-op on PostgreSQL and outside a writer's batch.
///
/// # Errors
/// The savepoint could not be released (the writer rolls the batch back).
pub(super) fn settle(conn: &Connection) -> Result<(), db::Error> {
    if conn.is_postgres() || !SAVEPOINT_OPEN.get() {
        return Ok(());
    }
    SAVEPOINT_OPEN.set(false);
    control(conn, "RELEASE job")
}

/// The advisory lock every instance's batches take on PostgreSQL (any constant; migrations use
/// another, `pg_migrations.rs`).
const BATCH_LOCK: i64 = 7271;

/// Begins a batch's transaction with the first job's savepoint open. On PostgreSQL, `reads`
/// (queries of one column each) run under the batches' lock in the same round trip: their rows,
/// one list per query, as text. SQLite has no reads to ride along (`reads` is empty there).
///
/// SQLite takes the write lock now (`IMMEDIATE`), not at the first write. PostgreSQL: every
/// instance's batches take one transaction-level advisory lock first, so batches commit one at a
/// time across instances and message ids (taken inside the batch) appear in commit order — a
/// reader that resumes after id N never misses one that commits later with a smaller id.
///
/// # Errors
/// The transaction could not begin, or a read failed (the caller rolls back).
pub(super) fn begin(conn: &Connection, reads: &[String]) -> Result<Vec<Answer>, db::Error> {
    let Some(pg) = conn.postgres() else {
        debug_assert!(reads.is_empty(), "SQLite reads in the batch's jobs");
        control(conn, "BEGIN IMMEDIATE")?;
        open_savepoint(conn)?;
        return Ok(Vec::new());
    };
    conn.revive()?;
    let mut sql = format!("BEGIN; SELECT pg_advisory_xact_lock({BATCH_LOCK}); ");
    for read in reads {
        sql.push_str(read);
        sql.push_str("; ");
    }
    sql.push_str("SAVEPOINT job");
    let mut answers = pg.simple_column(&sql)?;
    // BEGIN and the lock, the reads, the savepoint.
    if answers.len() != reads.len() + 3 {
        return Err(db::Error::Type {
            column: 0,
            wanted: "answer for each statement of the batch's begin",
        });
    }
    answers.truncate(reads.len() + 2);
    Ok(answers.split_off(2))
}

/// The rows of one read of [`begin`]: its first column, as text (`None` for NULL).
pub(super) type Answer = Vec<Option<String>>;

/// Runs one job, `f`: on PostgreSQL, its first statement carries the savepoint [`next_job`]
/// deferred (see the module's doc).
pub(super) fn job<T>(conn: &Connection, f: impl FnOnce() -> T) -> T {
    match conn.postgres() {
        Some(pg) => pg.job(f),
        None => f(),
    }
}

/// After a job: rolls its savepoint back if it failed (the savepoint stays open, and what the
/// writer adds next in it, `chat_counts::flush`, is kept).
///
/// # Errors
/// The rollback failed, the job failed after it [`settle`]d, or on PostgreSQL the job's
/// deferred savepoint failed: the transaction's state is unknown, so the caller rolls the whole
/// batch back and answers every job with this error.
pub(super) fn end_job(conn: &Connection, succeeded: bool) -> Result<(), db::Error> {
    if let Some(pg) = conn.postgres() {
        if let Some(failure) = pg.deferred_failure() {
            return Err(failure);
        }
        if pg.is_deferred() {
            // The job ran no statement: its savepoint was never opened.
            return Ok(());
        }
    }
    if succeeded {
        Ok(())
    } else if !conn.is_postgres() && !SAVEPOINT_OPEN.get() {
        Err(db::Error::Settled)
    } else {
        control(conn, "ROLLBACK TO job")
    }
}

/// Releases the open savepoint and opens the next job's (on PostgreSQL: defers it to the next
/// job's first statement).
///
/// # Errors
/// As [`end_job`] (SQLite; PostgreSQL reports a failure at [`end_job`] or [`commit`]).
pub(super) fn next_job(conn: &Connection) -> Result<(), db::Error> {
    if let Some(pg) = conn.postgres() {
        pg.defer("RELEASE job; SAVEPOINT job");
        return Ok(());
    }
    if SAVEPOINT_OPEN.get() {
        SAVEPOINT_OPEN.set(false);
        control(conn, "RELEASE job")?;
    }
    open_savepoint(conn)
}

/// Commits the batch (on PostgreSQL with the last job's savepoint, see the module's doc), after
/// `writes`, the batch's last writes (PostgreSQL only), which leave with the `COMMIT` in one
/// write.
///
/// # Errors
/// Nothing is committed; the caller rolls back.
pub(super) fn commit(conn: &Connection, writes: &[db::PgWrite]) -> Result<(), db::Error> {
    if let Some(pg) = conn.postgres() {
        if let Some(failure) = pg.deferred_failure() {
            return Err(failure);
        }
        // A savepoint still deferred would be released at once.
        pg.discard_deferred();
        // One simple query: if `RELEASE` fails, `COMMIT` is not run. A write that failed
        // aborted the transaction, and `RELEASE` fails there.
        return pg.write_then(writes, "RELEASE job; COMMIT");
    }
    debug_assert!(writes.is_empty(), "SQLite writes before the commit");
    if SAVEPOINT_OPEN.get() {
        SAVEPOINT_OPEN.set(false);
        control(conn, "RELEASE job")?;
    }
    control(conn, "COMMIT")
}

/// Rolls the batch back (after a failed commit or control statement).
pub(super) fn rollback(conn: &Connection) -> Result<(), db::Error> {
    SAVEPOINT_OPEN.set(false);
    if let Some(pg) = conn.postgres() {
        pg.discard_deferred();
    }
    control(conn, "ROLLBACK")
}

/// Runs one transaction-control statement from the statement cache.
fn control(conn: &Connection, sql: &str) -> Result<(), db::Error> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// The steps above as the writer runs them, on PostgreSQL when `HOOKPIT_TEST_DATABASE` names a
/// server (a fresh database per test), else on SQLite. Each batch is made of jobs queued while
/// the writer holds the first, so that they all go in one transaction.
#[cfg(test)]
mod tests {
    use std::future::{Future, poll_fn};
    use std::pin::Pin;
    use std::sync::mpsc;
    use std::task::Poll;

    use crate::config::SyncMode;
    use crate::domain::ChatKind;
    use crate::store::db::{Connection, params};
    use crate::store::{Store, StoreError, chat_counts, chats};

    type Job = Box<dyn FnOnce(&Connection) -> Result<(), StoreError> + Send>;
    type Answer<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + 'a>>;

    /// A store with a table `names` and a chat `c`, kept in its directory.
    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = match crate::testing::fresh_test_database().await {
            Some(url) => {
                let path = dir.path().to_owned();
                tokio::task::spawn_blocking(move || Store::open_postgres(&url, &path))
                    .await
                    .unwrap()
                    .unwrap()
            }
            None => Store::open(dir.path(), SyncMode::Normal).unwrap(),
        };
        store
            .write(|conn| {
                conn.execute_batch("CREATE TABLE names (name TEXT NOT NULL)")?;
                chats::insert(conn, ChatKind::Group, "c", "c", &[], 1)
            })
            .await
            .unwrap();
        (store, dir)
    }

    fn insert(conn: &Connection, name: &str) -> Result<(), StoreError> {
        conn.execute("INSERT INTO names (name) VALUES (?1)", params![name])?;
        Ok(())
    }

    /// A job that inserts `name`.
    fn inserts(name: &'static str) -> Job {
        Box::new(move |conn| insert(conn, name))
    }

    /// A job that inserts `name`, then fails.
    fn inserts_then_fails(name: &'static str) -> Job {
        Box::new(move |conn| {
            insert(conn, name)?;
            Err(StoreError::Invalid("refused after writing".to_owned()))
        })
    }

    /// A job that fails before any statement.
    fn fails_at_once() -> Job {
        Box::new(|_| Err(StoreError::Invalid("refused before writing".to_owned())))
    }

    /// `job`, held until the returned sender says go.
    fn held(job: Job) -> (Job, mpsc::Sender<()>) {
        let (go, wait) = mpsc::channel::<()>();
        let job: Job = Box::new(move |conn| {
            let _ = wait.recv();
            job(conn)
        });
        (job, go)
    }

    /// Queues each of `answers` in turn (its first poll queues its job), lets the first, which
    /// the writer holds, go, and waits for every answer.
    async fn in_one_batch(
        answers: Vec<Answer<'_>>,
        go: mpsc::Sender<()>,
    ) -> Vec<Result<(), StoreError>> {
        let mut answers = answers;
        for answer in &mut answers {
            poll_fn(|cx| {
                let _ = answer.as_mut().poll(cx);
                Poll::Ready(())
            })
            .await;
        }
        go.send(()).unwrap();
        let mut results = Vec::new();
        for answer in answers {
            results.push(answer.await);
        }
        results
    }

    /// Plain jobs, the first held, in one batch.
    async fn batch(store: &Store, jobs: Vec<Job>) -> Vec<Result<(), StoreError>> {
        let mut jobs = jobs.into_iter();
        let (first, go) = held(jobs.next().unwrap());
        let answers = std::iter::once(first)
            .chain(jobs)
            .map(|job| Box::pin(store.write(job)) as Answer<'_>)
            .collect();
        in_one_batch(answers, go).await
    }

    async fn names(store: &Store) -> Vec<String> {
        store
            .read(|conn| {
                let mut statement = conn.prepare("SELECT name FROM names ORDER BY name")?;
                let rows = statement.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap()
    }

    fn outcomes(results: &[Result<(), StoreError>]) -> Vec<bool> {
        results.iter().map(Result::is_ok).collect()
    }

    /// What is left after a batch that failed as a whole: nothing deferred or refused in the
    /// next one.
    async fn next_batch_writes(store: &Store) {
        store.write(|conn| insert(conn, "next")).await.unwrap();
        assert_eq!(names(store).await, ["next"]);
    }

    #[tokio::test]
    async fn a_job_that_fails_between_two_that_succeed_rolls_back_alone() {
        let (store, _dir) = store().await;
        let results = batch(
            &store,
            vec![inserts("a"), inserts_then_fails("b"), inserts("c")],
        )
        .await;
        assert_eq!(outcomes(&results), [true, false, true]);
        assert_eq!(names(&store).await, ["a", "c"]);
        store.close().await.unwrap();
    }

    /// A job that inserts `before`, settles, inserts `after`, then fails.
    fn settles_then_fails(before: &'static str, after: &'static str) -> Job {
        Box::new(move |conn| {
            insert(conn, before)?;
            super::settle(conn)?;
            insert(conn, after)?;
            Err(StoreError::Invalid("failed after settling".to_owned()))
        })
    }

    /// A job that inserts `before`, settles and inserts `after`.
    fn settles(before: &'static str, after: &'static str) -> Job {
        Box::new(move |conn| {
            insert(conn, before)?;
            super::settle(conn)?;
            insert(conn, after)
        })
    }

    #[tokio::test]
    async fn settled_jobs_commit_and_the_jobs_after_them_still_roll_back_alone() {
        let (store, _dir) = store().await;
        let results = batch(
            &store,
            vec![
                settles("a1", "a2"),
                inserts_then_fails("b"),
                settles("c1", "c2"),
                inserts("d"),
                settles("e1", "e2"),
            ],
        )
        .await;
        assert_eq!(outcomes(&results), [true, false, true, true, true]);
        assert_eq!(
            names(&store).await,
            ["a1", "a2", "c1", "c2", "d", "e1", "e2"]
        );
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_job_that_fails_after_it_settled_rolls_the_batch_back_on_sqlite() {
        let (store, _dir) = store().await;
        let results = batch(
            &store,
            vec![inserts("a"), settles_then_fails("b1", "b2"), inserts("c")],
        )
        .await;
        if store.is_shared() {
            // PostgreSQL keeps every job's savepoint: settling changes nothing.
            assert_eq!(outcomes(&results), [true, false, true]);
            assert_eq!(names(&store).await, ["a", "c"]);
        } else {
            // The job's writes cannot be undone alone: every job of the batch fails, nothing
            // is stored, and the next batch works.
            assert_eq!(outcomes(&results), [false, false, false]);
            assert_eq!(names(&store).await, Vec::<String>::new());
            let settled = results[0].as_ref().unwrap_err().to_string();
            assert!(settled.contains("cannot be rolled back alone"), "{settled}");
            next_batch_writes(&store).await;
        }
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_job_that_fails_before_any_statement_undoes_nothing_before_it() {
        let (store, _dir) = store().await;
        // The second job's savepoint was never opened (on PostgreSQL, deferred), nor the last's,
        // right before the commit.
        let results = batch(
            &store,
            vec![inserts("a"), fails_at_once(), inserts("c"), fails_at_once()],
        )
        .await;
        assert_eq!(outcomes(&results), [true, false, true, false]);
        assert_eq!(names(&store).await, ["a", "c"]);
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn counts_written_between_two_jobs_survive_the_second_failing() {
        let (store, _dir) = store().await;
        let (first, go) = held(inserts("a"));
        let delivery = store.writer.run_delivery(|conn| {
            insert(conn, "b")?;
            chat_counts::count(conn, "c", 10)?;
            Ok(())
        });
        // Not a delivery: the counts are written before it, outside its savepoint.
        let results = in_one_batch(
            vec![
                Box::pin(store.write(first)),
                Box::pin(delivery),
                Box::pin(store.write(inserts_then_fails("d"))),
            ],
            go,
        )
        .await;
        assert_eq!(outcomes(&results), [true, true, false]);
        assert_eq!(names(&store).await, ["a", "b"]);
        let counters = store
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT message_count, last_message_at FROM chats WHERE chatid = 'c'",
                    [],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Option<i64>>(1)?)),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(counters, (1, Some(10)));
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_savepoint_that_cannot_open_after_a_swallowed_error_fails_the_whole_batch() {
        let (store, _dir) = store().await;
        // On PostgreSQL the failed statement aborts the transaction and the next savepoint
        // cannot open: a `ROLLBACK TO job` then would work, and silently undo "x", which was
        // answered as written. SQLite goes on after a failed statement.
        let swallows: Job = Box::new(|conn| {
            insert(conn, "x")?;
            let _ = conn.execute("INSERT INTO no_such_table VALUES (1)", []);
            Ok(())
        });
        let results = batch(&store, vec![inserts("a"), swallows, inserts("c")]).await;
        let names = names(&store).await;
        for (name, result) in ["a", "x", "c"].iter().zip(&results) {
            assert_eq!(
                result.is_ok(),
                names.iter().any(|n| n == name),
                "{name}: answered {result:?}, stored: {names:?}"
            );
        }
        if store.is_shared() {
            assert_eq!(outcomes(&results), [false, false, false]);
        } else {
            assert_eq!(outcomes(&results), [true, true, true]);
        }
        store
            .write(|conn| Ok(conn.execute_batch("DELETE FROM names")?))
            .await
            .unwrap();
        next_batch_writes(&store).await;
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_job_that_releases_its_own_savepoint_fails_the_whole_batch() {
        let (store, _dir) = store().await;
        let releases: Job = Box::new(|conn| {
            insert(conn, "x")?;
            conn.execute_batch("RELEASE job")?;
            Ok(())
        });
        let results = batch(&store, vec![inserts("a"), releases, inserts("c")]).await;
        assert_eq!(outcomes(&results), [false, false, false]);
        assert!(names(&store).await.is_empty());
        next_batch_writes(&store).await;
        store.close().await.unwrap();
    }
}
