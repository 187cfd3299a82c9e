//! Searching on PostgreSQL, which has no n-gram index (SQLite's is `search.db`, `indexer.rs`):
//! a scan from the newest (or oldest) message in chunks of [`CHUNK`] rows by id, so that a
//! common term stops after the first chunk and a rare one never holds the whole store in memory
//! (the client fetches a statement's every row before it returns any). Each text term is tested
//! in SQL first, on the stored content JSON, so only likely matches leave the server; every row
//! that does is then checked exactly ([`Search::matches`]), so the SQL test only has to let
//! every real match through.

use super::StoreError;
use super::db::{Connection, Value as SqlValue};
use super::message_query::{Conditions, collect_page};
use super::search::Search;
use crate::domain::StoredMessage;

/// Rows read per statement.
const CHUNK: i64 = 1_000;

/// The first `limit` messages passing `conditions` and `search`, newest first (oldest first
/// with `ascending`).
pub(super) fn scan(
    conn: &Connection,
    columns: &str,
    mut conditions: Conditions,
    search: &Search,
    ascending: bool,
    limit: usize,
) -> Result<Vec<StoredMessage>, StoreError> {
    for term in &search.include {
        if let Some(condition) = prefilter(term) {
            conditions.add(condition, [SqlValue::Text(term.clone())]);
        }
    }
    let (order, past) = if ascending {
        ("ASC", ">")
    } else {
        ("DESC", "<")
    };
    let sql = format!(
        "SELECT {columns} FROM messages m WHERE m.id {past} ?{} ORDER BY m.id {order} LIMIT ?",
        conditions.and()
    );
    let mut cursor = if ascending { i64::MIN } else { i64::MAX };
    let mut messages = Vec::new();
    loop {
        let mut values = vec![SqlValue::Integer(cursor)];
        values.extend(conditions.values.iter().cloned());
        values.push(SqlValue::Integer(CHUNK));
        let read = collect_page(conn, &sql, values, search, limit, &mut messages)?;
        match read.last_id {
            Some(last) if read.rows == CHUNK && messages.len() < limit => cursor = last,
            _ => return Ok(messages),
        }
    }
}

/// The SQL test of `term` (ASCII-lowercased) on the stored content JSON, which lets through
/// every message whose text holds it; `None` when no cheap test can promise that.
///
/// - Without ASCII letters, the term is spelled the same in the JSON: a byte search.
/// - Only ASCII: a byte search in `lower(content)`, since any match is made of ASCII
///   characters, which `lower` folds as the exact check does (it may fold more elsewhere:
///   candidates only).
/// - ASCII letters with other characters: `lower` might fold those differently from the exact
///   check (it depends on the database's locale), so the exact check alone decides.
/// - A backslash or a control character is escaped in the JSON (quotes never reach a term).
///
/// `translate` would fold ASCII alone, but costs ~13 µs per row where `lower` costs ~1.
fn prefilter(term: &str) -> Option<&'static str> {
    if term.is_empty()
        || term
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return None;
    }
    if !term.chars().any(|c| c.is_ascii_alphabetic()) {
        Some("strpos(m.content, ?) > 0")
    } else if term.is_ascii() {
        Some("strpos(lower(m.content), ?) > 0")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_term_gets_the_cheapest_test_that_misses_no_match() {
        assert_eq!(prefilter("告警"), Some("strpos(m.content, ?) > 0"));
        assert_eq!(prefilter("91%"), Some("strpos(m.content, ?) > 0"));
        assert_eq!(
            prefilter("disk full"),
            Some("strpos(lower(m.content), ?) > 0")
        );
        assert_eq!(prefilter("db-7磁盘"), None);
        assert_eq!(prefilter("c:\\temp"), None);
        assert_eq!(prefilter("line\nbreak"), None);
        assert_eq!(prefilter(""), None);
    }
}
