//! The outbox: the one durable queue of work that leaves Hookpit (callbacks to bots today, the
//! relay to real WeCom later), with two consumers reading their own entries.
//!
//! An entry is written in the same transaction as what causes it (a person's message, a bot
//! added to a group), so nothing is queued for a change that did not happen and nothing that
//! happened is left unqueued, whatever crashes. A consumer takes what is due, makes an attempt,
//! and records it ([`Store::finish_attempt`]): delivered, failed for good, or pending again at a
//! later time. Entries pending at shutdown are simply due again after the restart.
//!
//! Here: the queue and its consumers' calls; what the admin API and the metrics read of it is
//! in `outbox_log.rs`.

use crate::store::db::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::{Store, StoreError};
use crate::clock::rfc3339;
use crate::domain::{Attempt, AttemptDone, Consumer, NewOutboxEntry, OutboxRecord, OutboxStatus};

pub(super) const COLUMNS: &str = "id, consumer, bot_id, chatid, status, next_attempt_at, created_at, \
                       finished_at, item, outcome, ref";

/// Queues `entries` in the caller's transaction; returns their ids, in order.
pub(super) fn enqueue(
    conn: &Connection,
    entries: &[NewOutboxEntry],
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(entries.len());
    for entry in entries {
        conn.prepare_cached(
            "INSERT INTO outbox (consumer, bot_id, chatid, status, next_attempt_at, created_at,
                 item, ref)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            entry.consumer.as_str(),
            entry.bot_id,
            entry.chatid,
            entry.due_at.unwrap_or(now),
            now,
            serde_json::to_string(&entry.item)?,
            entry.reference,
        ])?;
        ids.push(conn.last_insert_rowid()?);
        if let Some(code) = &entry.chat_info_code {
            super::chat_info_codes::insert(conn, code)?;
        }
    }
    Ok(ids)
}

pub(super) fn record_from_row(row: &crate::store::db::Row<'_>) -> Result<OutboxRecord, StoreError> {
    let consumer: String = row.get(1)?;
    let status: String = row.get(4)?;
    let item: String = row.get(8)?;
    let outcome: String = row.get(9)?;
    Ok(OutboxRecord {
        id: row.get(0)?,
        consumer: if consumer == "relay" {
            Consumer::Relay
        } else {
            Consumer::Callback
        },
        bot_id: row.get(2)?,
        chatid: row.get(3)?,
        status: OutboxStatus::parse(&status).unwrap_or(OutboxStatus::Failed),
        attempts: Vec::new(),
        next_attempt_at: row.get(5)?,
        created_at: row.get(6)?,
        finished_at: row.get(7)?,
        item: serde_json::from_str(&item)?,
        outcome: serde_json::from_str(&outcome).unwrap_or(Value::Null),
        reference: row.get(10)?,
    })
}

fn attempts_of(conn: &Connection, id: i64) -> Result<Vec<Attempt>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT at, http_status, latency_ms, error FROM outbox_attempts
         WHERE outbox_id = ?1 ORDER BY attempt",
    )?;
    let rows = statement.query_map([id], |row| {
        Ok(Attempt {
            at: rfc3339(row.get(0)?),
            http_status: row.get(1)?,
            latency_ms: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
            error: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// How long an entry claimed by one instance of a shared store is left to it (far longer than
/// any attempt's timeout).
const CLAIM_LEASE_MS: i64 = 60_000;

/// The pending entries of `consumer` due at `now`, oldest due first, at most `limit`, leaving out
/// `busy` (being attempted by this instance).
fn due(
    conn: &Connection,
    consumer: Consumer,
    now: i64,
    busy: &[i64],
    limit: u32,
) -> Result<Vec<OutboxRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE consumer = ?1 AND status = 'pending' AND next_attempt_at <= ?2
         ORDER BY next_attempt_at, id LIMIT ?3"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    // A few more than asked, so that busy entries do not starve the rest.
    let fetch = i64::from(limit) + i64::try_from(busy.len()).unwrap_or(0);
    let mut rows = statement.query(params![consumer.as_str(), now, fetch])?;
    let mut due = Vec::new();
    while let Some(row) = rows.next()? {
        let record = record_from_row(&row)?;
        if !busy.contains(&record.id) && due.len() < usize::try_from(limit).unwrap_or(0) {
            due.push(record);
        }
    }
    due.into_iter()
        .map(|record| with_attempts(conn, record))
        .collect()
}

pub(super) fn with_attempts(
    conn: &Connection,
    mut record: OutboxRecord,
) -> Result<OutboxRecord, StoreError> {
    record.attempts = attempts_of(conn, record.id)?;
    Ok(record)
}

impl Store {
    /// Queues `entries` on their own (for events that change nothing else).
    pub async fn enqueue_outbox(
        &self,
        entries: Vec<NewOutboxEntry>,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        self.write(move |conn| enqueue(conn, &entries, now)).await
    }

    /// Up to `limit` entries of `consumer` due at `now`, oldest first, leaving out `busy` (the
    /// ones the consumer is delivering already).
    pub async fn due_outbox(
        &self,
        consumer: Consumer,
        now: i64,
        busy: Vec<i64>,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        if !self.is_shared() {
            return self
                .read(move |conn| due(conn, consumer, now, &busy, limit))
                .await;
        }
        // Other instances' consumers read the same queue: the entries are claimed in the
        // writer's transaction (batches of all instances commit in turn) by moving their next
        // attempt past the lease, so no other instance takes them meanwhile. An instance that
        // dies mid-attempt leaves its entries to be retried once the lease runs out.
        self.write(move |conn| {
            let due = due(conn, consumer, now, &busy, limit)?;
            let mut claim = conn.prepare_cached(
                "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1 AND status = 'pending'",
            )?;
            for record in &due {
                claim.execute(params![record.id, now + CLAIM_LEASE_MS])?;
            }
            Ok(due)
        })
        .await
    }

    /// Moves a pending entry's next attempt to `at` without recording an attempt (a consumer
    /// that paces itself, or a release: `at` = now).
    pub async fn defer_outbox(&self, id: i64, at: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1 AND status = 'pending'",
            )?
            .execute(params![id, at])?;
            Ok(())
        })
        .await
    }

    /// Puts a failed entry back in the queue, due at `now` (its attempts are kept).
    pub async fn requeue_outbox(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = ?2, finished_at = NULL
                     WHERE id = ?1 AND status = 'failed'",
                )?
                .execute(params![id, now])?;
            Ok(changed > 0)
        })
        .await
    }

    /// When the next pending entry of `consumer` is due (Unix ms), if any is pending.
    pub async fn next_due_at(&self, consumer: Consumer) -> Result<Option<i64>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT MIN(next_attempt_at) FROM outbox
                     WHERE consumer = ?1 AND status = 'pending'",
                )?
                .query_row([consumer.as_str()], |row| row.get(0))
                .optional()?
                .flatten())
        })
        .await
    }

    /// Records one attempt and where the entry goes next; returns the entry as it is now.
    pub async fn finish_attempt(&self, done: AttemptDone) -> Result<OutboxRecord, StoreError> {
        self.write(move |conn| {
            let attempts: i64 = conn
                .prepare_cached("SELECT attempts FROM outbox WHERE id = ?1")?
                .query_row([done.id], |row| row.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("outbox entry", &done.id.to_string()))?;
            let number = attempts + 1;
            conn.prepare_cached(
                "INSERT INTO outbox_attempts (outbox_id, attempt, at, http_status, latency_ms, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                done.id,
                number,
                done.now,
                done.attempt.http_status.map(i64::from),
                i64::try_from(done.attempt.latency_ms).unwrap_or(i64::MAX),
                done.attempt.error,
            ])?;
            let finished = (done.status != OutboxStatus::Pending).then_some(done.now);
            conn.prepare_cached(
                "UPDATE outbox SET attempts = ?2, status = ?3, next_attempt_at = ?4,
                     finished_at = ?5, outcome = ?6 WHERE id = ?1",
            )?
            .execute(params![
                done.id,
                number,
                done.status.as_str(),
                done.next_attempt_at,
                finished,
                serde_json::to_string(&done.outcome)?,
            ])?;
            let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1");
            let record = conn
                .prepare_cached(&sql)?
                .query_row([done.id], |row| Ok(record_from_row(row)))??;
            with_attempts(conn, record)
        })
        .await
    }
}
