//! What the outbox shows: its entries with their attempts for the admin API and the inbox, and
//! the counts the metrics and the relay's pacing read.

use crate::store::db::{OptionalExtension, params};

use super::outbox::{COLUMNS, record_from_row, with_attempts};
use super::{Store, StoreError};
use crate::domain::{Consumer, OutboxRecord, OutboxStatus};

/// What the outbox log may be filtered by.
#[derive(Debug, Clone, Default)]
pub struct OutboxQuery {
    pub bot_id: Option<String>,
    pub chatid: Option<String>,
    pub limit: u32,
}

impl Store {
    /// The first `limit` pending entries of `consumer`, in the order they were queued (due or
    /// not: the relay's view of its queue).
    pub async fn pending_outbox(
        &self,
        consumer: Consumer,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM outbox WHERE consumer = ?1 AND status = 'pending'
                 ORDER BY id LIMIT ?2"
            );
            let mut statement = conn.prepare_cached(&sql)?;
            let mut rows = statement.query(params![consumer.as_str(), limit])?;
            let mut pending = Vec::new();
            while let Some(row) = rows.next()? {
                pending.push(record_from_row(&row)?);
            }
            pending
                .into_iter()
                .map(|record| with_attempts(conn, record))
                .collect()
        })
        .await
    }

    /// The entries of `consumer` about each of `references`, newest per reference.
    pub async fn outbox_by_refs(
        &self,
        consumer: Consumer,
        references: Vec<String>,
    ) -> Result<std::collections::HashMap<String, OutboxRecord>, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM outbox WHERE consumer = ?1 AND ref = ?2
                 ORDER BY id DESC LIMIT 1"
            );
            let mut statement = conn.prepare_cached(&sql)?;
            let mut found = std::collections::HashMap::new();
            for reference in references {
                let record = statement
                    .query_row(params![consumer.as_str(), reference], |row| {
                        Ok(record_from_row(row))
                    })
                    .optional()?;
                if let Some(record) = record {
                    found.insert(reference, with_attempts(conn, record?)?);
                }
            }
            Ok(found)
        })
        .await
    }

    /// Pending entries of `consumer` by bot: how many, and when the oldest was queued.
    pub async fn outbox_depth(
        &self,
        consumer: Consumer,
    ) -> Result<Vec<(String, u64, i64)>, StoreError> {
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT bot_id, COUNT(*), MIN(created_at) FROM outbox
                 WHERE consumer = ?1 AND status = 'pending' GROUP BY bot_id ORDER BY bot_id",
            )?;
            let rows = statement.query_map([consumer.as_str()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                    row.get::<_, i64>(2)?,
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The entries of `consumer` delivered since `since` (Unix ms): bot, chat and when, oldest
    /// first (the relay charges its pacing windows with them after a restart).
    pub async fn delivered_since(
        &self,
        consumer: Consumer,
        since: i64,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT bot_id, chatid, finished_at FROM outbox
                 WHERE consumer = ?1 AND status = 'delivered' AND finished_at >= ?2
                 ORDER BY finished_at, id",
            )?;
            let rows = statement.query_map(params![consumer.as_str(), since], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Entries of `consumer` that finished since `since` (Unix ms), by bot and status.
    pub async fn outbox_finished_since(
        &self,
        consumer: Consumer,
        since: i64,
    ) -> Result<Vec<(String, OutboxStatus, u64)>, StoreError> {
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT bot_id, status, COUNT(*) FROM outbox
                 WHERE consumer = ?1 AND finished_at >= ?2 GROUP BY bot_id, status",
            )?;
            let rows = statement.query_map(params![consumer.as_str(), since], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                ))
            })?;
            let mut finished = Vec::new();
            for row in rows {
                let (bot, status, count) = row?;
                if let Some(status) = OutboxStatus::parse(&status) {
                    finished.push((bot, status, count));
                }
            }
            Ok(finished)
        })
        .await
    }

    /// One entry with its attempts.
    pub async fn outbox_record(&self, id: i64) -> Result<OutboxRecord, StoreError> {
        self.read(move |conn| {
            let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1");
            let record = conn
                .prepare_cached(&sql)?
                .query_row([id], |row| Ok(record_from_row(row)))
                .optional()?
                .ok_or_else(|| StoreError::not_found("callback", &id.to_string()))??;
            with_attempts(conn, record)
        })
        .await
    }

    /// Entries of `consumer`, newest first.
    pub async fn list_outbox(
        &self,
        consumer: Consumer,
        query: OutboxQuery,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        self.read(move |conn| {
            let mut sql = format!("SELECT {COLUMNS} FROM outbox WHERE consumer = ?1");
            if query.bot_id.is_some() {
                sql.push_str(" AND bot_id = ?2");
            } else {
                sql.push_str(" AND CAST(?2 AS TEXT) IS NULL");
            }
            if query.chatid.is_some() {
                sql.push_str(" AND chatid = ?3");
            } else {
                sql.push_str(" AND CAST(?3 AS TEXT) IS NULL");
            }
            sql.push_str(" ORDER BY id DESC LIMIT ?4");
            let mut statement = conn.prepare_cached(&sql)?;
            let mut rows = statement.query(params![
                consumer.as_str(),
                query.bot_id,
                query.chatid,
                query.limit
            ])?;
            let mut records = Vec::new();
            while let Some(row) = rows.next()? {
                records.push(record_from_row(&row)?);
            }
            records
                .into_iter()
                .map(|record| with_attempts(conn, record))
                .collect()
        })
        .await
    }
}
