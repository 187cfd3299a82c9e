//! Searching on PostgreSQL, which has no n-gram index (SQLite's is `search.db`, `indexer.rs`):
//! a scan from the newest (or oldest) message in chunks of [`CHUNK`] rows by id, so that a
//! common term stops after the first chunk and a rare one never holds the whole store in memory
//! (the client fetches a statement's every row before it returns any). Each text term is tested
//! in SQL first, on the stored content JSON, so only likely matches leave the server; every row
//! that does is then checked exactly ([`Search::matches`]), so the SQL test only has to let
//! every real match through.

use super::StoreError;
use super::db::{Connection, Value as SqlValue};
use super::messages::{Conditions, collect_page};
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
        if let Some(pattern) = stored_spelling(term) {
            conditions.add(
                "strpos(translate(m.content, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', \
                 'abcdefghijklmnopqrstuvwxyz'), ?) > 0",
                [SqlValue::Text(pattern)],
            );
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

/// How `term` (ASCII-lowercased) is spelled inside the stored content JSON once that is
/// ASCII-lowercased too; `None` when JSON escapes some character of it (a quote, a backslash,
/// a control character), so that it cannot be tested on the JSON text.
fn stored_spelling(term: &str) -> Option<String> {
    let escaped = term
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control());
    (!escaped && !term.is_empty()).then(|| term.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_that_json_escapes_are_left_to_the_exact_check() {
        assert_eq!(stored_spelling("告警"), Some("告警".to_owned()));
        assert_eq!(stored_spelling("disk full"), Some("disk full".to_owned()));
        assert_eq!(stored_spelling("say \"hi\""), None);
        assert_eq!(stored_spelling("C:\\temp"), None);
        assert_eq!(stored_spelling("line\nbreak"), None);
    }
}
