//! The search index's side of a search: its matching entries in rowid order, each expanded to
//! the messages of its run (`indexer.rs`: one entry per run of copies with the same content),
//! in the order the listing asks for.

use crate::domain::StoredMessage;
use crate::store::db::Value as SqlValue;
use crate::store::db::{Connection, params_from_iter};

use super::StoreError;
use super::message_query::{Conditions, collect};
use super::search::Search;

/// A walk of the search index (`search.grams`, up to its watermark) in id order.
pub(super) struct IndexWalk<'a> {
    /// The FTS5 query of the search's terms.
    pub index_query: String,
    /// The index's watermark: it holds every message up to this id.
    pub upto: i64,
    /// `ASC` or `DESC`.
    pub order: &'a str,
}

impl IndexWalk<'_> {
    /// Appends the messages of the index's candidates that pass `c` and `search` to `out`
    /// until it holds `limit`.
    ///
    /// Each entry stands for the ids from its rowid to its run's last (`search.runs`, when the
    /// entry is a run of copies: `indexer.rs`). The entries are read in rowid order, and each
    /// one's messages in id order by a query of their own: runs never overlap, so the messages
    /// come in id order without sorting the result, and the walk stops at a full page. (One
    /// query that joins the runs cannot say so: SQLite does not know that a virtual table's
    /// rowids are distinct, and sorts the whole result.)
    pub(super) fn collect(
        &self,
        conn: &Connection,
        columns: &str,
        c: &Conditions,
        search: &Search,
        limit: usize,
        out: &mut Vec<StoredMessage>,
    ) -> Result<(), StoreError> {
        let order = self.order;
        let entries_sql = entries_sql(order);
        let run_sql = run_sql(columns, &c.and(), order);
        let mut entries = conn.prepare_cached(&entries_sql)?;
        let mut found = entries.query(params_from_iter([
            SqlValue::Text(self.index_query.clone()),
            SqlValue::Integer(self.upto),
        ]))?;
        while out.len() < limit {
            let Some(entry) = found.next()? else {
                break;
            };
            let (first, last): (i64, i64) = (entry.get(0)?, entry.get(1)?);
            let mut values = vec![SqlValue::Integer(first), SqlValue::Integer(last)];
            values.extend(c.values.iter().cloned());
            collect(conn, &run_sql, values, Some(search), limit, out)?;
        }
        Ok(())
    }
}

/// The search index's entries that match (`?1`) up to the watermark (`?2`), as (first, last)
/// ids, in rowid `order`. Runs that end below the lowest stored id are pruned messages not yet
/// forgotten.
pub(super) fn entries_sql(order: &str) -> String {
    format!(
        "SELECT g.rowid, COALESCE(r.last, g.rowid) FROM search.grams g
         LEFT JOIN search.runs r ON r.first = g.rowid
         WHERE g.grams MATCH ?1 AND g.rowid <= ?2
           AND COALESCE(r.last, g.rowid) >= (SELECT COALESCE(MIN(id), 0) FROM message_rows)
         ORDER BY g.rowid {order}"
    )
}

/// The messages of one index entry, ids `?1` to `?2`, that pass `conditions`, in id `order`.
pub(super) fn run_sql(columns: &str, conditions: &str, order: &str) -> String {
    format!(
        "SELECT {columns} FROM messages m WHERE m.id BETWEEN ?1 AND ?2{conditions}
         ORDER BY m.id {order}"
    )
}
