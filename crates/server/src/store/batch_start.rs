//! What a writer batch reads as it begins, on PostgreSQL: the bots' epoch (`key_map.rs`) and
//! the ids its messages will take (`row_batch.rs`), sent with `BEGIN` and the batches' lock in
//! one simple query (`fence::begin`) instead of two more round trips of their own.
//!
//! Both must be read under the lock: no instance changes a bot or takes a message id while a
//! batch holds it, so the epoch stays true through the batch and the ids appear in commit order.
//! SQLite reads nothing ahead: a statement there costs no I/O.

use super::db::{self, Connection};
use super::{fence, key_map, row_batch};

/// Begins the writer's batch, whose first job is a delivery if `delivery`, with `queued` jobs
/// waiting in all.
///
/// # Errors
/// The transaction could not begin, or what it read is not what was asked (the caller rolls
/// back).
pub(super) fn begin(conn: &Connection, delivery: bool, queued: usize) -> Result<(), db::Error> {
    if !conn.is_postgres() {
        fence::begin(conn, &[])?;
        return Ok(());
    }
    let mut reads = vec![key_map::EPOCH_QUERY.to_owned()];
    // A batch that starts with other work (creating a bot, reading) reserves its ids if it
    // delivers later, as it goes.
    if delivery {
        reads.push(row_batch::reserve_query(queued));
    }
    let mut answers = fence::begin(conn, &reads)?.into_iter();
    let epoch = answers
        .next()
        .and_then(|rows| rows.into_iter().next().flatten())
        .and_then(|epoch| epoch.parse::<i64>().ok())
        .ok_or(db::Error::Type {
            column: 0,
            wanted: "bots' epoch",
        })?;
    key_map::batch_began(epoch);
    if let Some(ids) = answers.next() {
        row_batch::reserved(ids)?;
    }
    Ok(())
}
