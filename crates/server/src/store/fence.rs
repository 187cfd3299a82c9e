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
//! - PostgreSQL sends what one step needs as one simple query (`RELEASE job; SAVEPOINT job`), as
//!   every statement is a round trip to the server, and the last job's `RELEASE` goes with the
//!   `COMMIT`: a batch of N jobs that succeed is N + 1 control round trips, not 2N + 2.
//!
//! The last `RELEASE` is not only saved work: a PostgreSQL transaction in which a statement
//! failed answers `COMMIT` by rolling back without an error, whereas `RELEASE` fails there, so
//! a job that swallowed a failed statement cannot make the batch look committed.

use super::db::{self, Connection};

/// The advisory lock every instance's batches take on PostgreSQL (any constant; migrations use
/// another, `pg_migrations.rs`).
const BATCH_LOCK: i64 = 7271;

/// Begins a batch's transaction with the first job's savepoint open.
///
/// SQLite takes the write lock now (`IMMEDIATE`), not at the first write. PostgreSQL: every
/// instance's batches take one transaction-level advisory lock first, so batches commit one at a
/// time across instances and message ids (taken inside the batch) appear in commit order — a
/// reader that resumes after id N never misses one that commits later with a smaller id.
pub(super) fn begin(conn: &Connection) -> Result<(), db::Error> {
    if conn.is_postgres() {
        conn.revive()?;
        conn.execute_batch(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({BATCH_LOCK}); SAVEPOINT job"
        ))
    } else {
        control(conn, "BEGIN IMMEDIATE")?;
        control(conn, "SAVEPOINT job")
    }
}

/// After a job: rolls its savepoint back if it failed (the savepoint stays open, and what the
/// writer adds next in it, `chat_counts::flush`, is kept).
///
/// # Errors
/// The rollback failed: the transaction's state is unknown, so the caller rolls the whole batch
/// back and answers every job with this error.
pub(super) fn end_job(conn: &Connection, succeeded: bool) -> Result<(), db::Error> {
    if succeeded {
        Ok(())
    } else {
        control(conn, "ROLLBACK TO job")
    }
}

/// Releases the open savepoint and opens the next job's.
///
/// # Errors
/// As [`end_job`].
pub(super) fn next_job(conn: &Connection) -> Result<(), db::Error> {
    if conn.is_postgres() {
        return conn.execute_batch("RELEASE job; SAVEPOINT job");
    }
    control(conn, "RELEASE job")?;
    control(conn, "SAVEPOINT job")
}

/// Commits the batch (on PostgreSQL with the last job's savepoint, see the module's doc).
///
/// # Errors
/// Nothing is committed; the caller rolls back.
pub(super) fn commit(conn: &Connection) -> Result<(), db::Error> {
    if conn.is_postgres() {
        // One simple query: if `RELEASE` fails, `COMMIT` is not run.
        return conn.execute_batch("RELEASE job; COMMIT");
    }
    control(conn, "RELEASE job")?;
    control(conn, "COMMIT")
}

/// Rolls the batch back (after a failed commit or control statement).
pub(super) fn rollback(conn: &Connection) -> Result<(), db::Error> {
    control(conn, "ROLLBACK")
}

/// Runs one transaction-control statement from the statement cache.
fn control(conn: &Connection, sql: &str) -> Result<(), db::Error> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}
