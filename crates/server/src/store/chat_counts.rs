//! Chats' message counters (`message_count`, `last_message_at`), added up over a writer batch
//! and written once per chat, instead of one `UPDATE` of the chat's row per message.
//!
//! Why: a batch of sends to one chat updated the same row once per message. On PostgreSQL every
//! update of a row in one transaction makes a new version of it that the next must find, so the
//! update cost grew with the batch (23 µs per message at 50 per batch, as much as inserting the
//! message, `pg_stat_statements`); on SQLite it rewrote the same page each time.
//!
//! A delivery counts its messages here ([`count`]); what a job counted joins the batch's only if
//! the job succeeded ([`job_ended`]); the writer writes the batch's counts ([`flush`]) before it
//! commits and before any job that is not a delivery, which may read or reset them (clearing
//! messages, deleting a chat), each time outside that job's savepoint. On PostgreSQL the counts
//! due at the commit go with it, in one write ([`take_writes`]). Deliveries never read
//! the counters. Off the writer thread, [`count`] writes at once.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::store::db::{self, Connection, params};

/// Messages counted for one chat: how many, and the time of the last.
#[derive(Clone, Copy)]
struct Counted {
    messages: i64,
    last_at: i64,
}

/// Counts by chat id. A map, not a list: a broadcast counts 100 chats, and finding each in a
/// list was a quadratic scan of the job's and the batch's counts. Hashed by foldhash (seeded
/// per process): SipHash of the ids was a few percent of a broadcast's writer.
type Counts = HashMap<String, Counted, foldhash::fast::RandomState>;

/// The running job's counts and those of the batch's jobs that succeeded.
#[derive(Default)]
struct Pending {
    job: Counts,
    batch: Counts,
}

thread_local! {
    /// Used only on a writer thread (one per store, so one database's counts).
    static PENDING: RefCell<Pending> = RefCell::default();
}

fn add(counts: &mut Counts, chatid: &str, messages: i64, last_at: i64) {
    match counts.get_mut(chatid) {
        Some(counted) => {
            counted.messages += messages;
            counted.last_at = last_at;
        }
        None => {
            counts.insert(chatid.to_owned(), Counted { messages, last_at });
        }
    }
}

/// The batch's counts, taken, in chat id order (so that a batch writes the chats' rows in one
/// order whatever the map's).
fn take_batch() -> Vec<(String, Counted)> {
    let batch = PENDING.with_borrow_mut(|pending| std::mem::take(&mut pending.batch));
    let mut counts: Vec<(String, Counted)> = batch.into_iter().collect();
    counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    counts
}

/// Counts one message stored in `chatid` at `at`: on the writer thread, for the batch's
/// [`flush`]; elsewhere, at once.
pub(super) fn count(conn: &Connection, chatid: &str, at: i64) -> Result<(), db::Error> {
    if super::writer::routes_epoch().is_none() {
        return write(conn, chatid, 1, at);
    }
    PENDING.with_borrow_mut(|pending| add(&mut pending.job, chatid, 1, at));
    Ok(())
}

/// The running job ended: its counts join the batch's if it `succeeded`, else they are dropped
/// with its savepoint's writes.
pub(super) fn job_ended(succeeded: bool) {
    PENDING.with_borrow_mut(|pending| {
        let Pending { job, batch } = pending;
        if succeeded {
            for (chatid, counted) in job.drain() {
                match batch.get_mut(&chatid) {
                    Some(sum) => {
                        sum.messages += counted.messages;
                        sum.last_at = counted.last_at;
                    }
                    None => {
                        batch.insert(chatid, counted);
                    }
                }
            }
        } else {
            job.clear();
        }
    });
}

/// Writes the batch's counts. On an error nothing is left pending: the caller rolls the batch
/// back.
pub(super) fn flush(conn: &Connection) -> Result<(), db::Error> {
    for (chatid, counted) in take_batch() {
        write(conn, &chatid, counted.messages, counted.last_at)?;
    }
    Ok(())
}

/// The batch's counts as writes for PostgreSQL to run with the commit, in one write
/// (`fence::commit`); nothing is left pending.
pub(super) fn take_writes() -> Vec<db::PgWrite> {
    take_batch()
        .into_iter()
        .map(|(chatid, counted)| db::PgWrite {
            sql: UPDATE,
            values: vec![
                Box::new(chatid),
                Box::new(counted.last_at),
                Box::new(counted.messages),
            ],
        })
        .collect()
}

/// Drops every count (the batch was rolled back).
pub(super) fn discard() {
    PENDING.with_borrow_mut(|pending| {
        pending.job.clear();
        pending.batch.clear();
    });
}

/// Adds to a chat's counters: its id, the time of the last message, how many.
const UPDATE: &str = "UPDATE chats SET last_message_at = ?2, message_count = message_count + ?3
     WHERE chatid = ?1";

fn write(conn: &Connection, chatid: &str, messages: i64, last_at: i64) -> Result<(), db::Error> {
    conn.prepare_cached(UPDATE)?
        .execute(params![chatid, last_at, messages])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::SyncMode;
    use crate::domain::ChatKind;
    use crate::store::{Store, StoreError, chats};

    /// The chat's `(message_count, last_message_at)` as a job of the writer reads them.
    async fn counters(store: &Store) -> (i64, Option<i64>) {
        store
            .write(|conn| {
                Ok(conn.query_row(
                    "SELECT message_count, last_message_at FROM chats WHERE chatid = 'c'",
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn counts_of_deliveries_that_succeed_are_written_before_the_next_other_job() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        store
            .write(|conn| chats::insert(conn, ChatKind::Group, "c", "c", &[], 1))
            .await
            .unwrap();
        let deliver = |at: i64, fail: bool| {
            store.writer.run_delivery(move |conn| {
                super::count(conn, "c", at)?;
                super::count(conn, "c", at + 1)?;
                if fail {
                    return Err(StoreError::Invalid("refused after counting".to_owned()));
                }
                Ok(())
            })
        };
        // Queued together, so most likely one batch: the failed one's counts go with it, and
        // the reading job after them sees the others'.
        let (first, failed, last, read) = tokio::join!(
            deliver(10, false),
            deliver(20, true),
            deliver(30, false),
            counters(&store)
        );
        assert!(first.is_ok() && failed.is_err() && last.is_ok());
        assert_eq!(read, (4, Some(31)));
        // The same after the batches' commits, in a batch of its own.
        assert_eq!(counters(&store).await, (4, Some(31)));
        store.close().await.unwrap();
    }
}
