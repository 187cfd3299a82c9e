//! The two writes every pushed message makes: its row in `message_rows` and its chat's counters
//! (`last_message_at`, `message_count`).
//!
//! SQLite runs them as two statements and reads the id from `last_insert_rowid` (a function
//! call, no I/O). On PostgreSQL each statement is a round trip to the server, and the id needed a
//! third (`SELECT lastval()`): there they are one statement, the counters updated in a
//! data-modifying `WITH` (run exactly once, whether or not the insert reads it) and the id taken
//! from `RETURNING`.

use crate::store::db::{Connection, params};

use super::StoreError;

/// A message row to insert (the columns of `message_rows` a webhook message sets).
pub(super) struct NewRow<'a> {
    pub request_id: &'a str,
    pub bot_key: i64,
    pub bot_name: &'a str,
    /// The chat whose counters the message moves.
    pub chatid: &'a str,
    pub chat_key: i64,
    pub chat_kind: &'a str,
    pub post_id: Option<&'a str>,
    pub msgtype: &'a str,
    pub content: &'a str,
    pub visible_to: &'a str,
    pub audience: &'a str,
    pub mentions: Option<&'a str>,
    pub created_at: i64,
    pub request_lints: Option<&'a str>,
    pub raw_body: Option<&'a [u8]>,
    pub raw_content_at: Option<i64>,
    pub reply: Option<&'a str>,
    pub from_ip: Option<&'a str>,
}

/// Inserts `row` and counts it in its chat; the new message's id.
pub(super) fn insert(conn: &Connection, row: &NewRow<'_>) -> Result<i64, StoreError> {
    let values = params![
        row.request_id,
        row.bot_key,
        row.bot_name,
        row.chat_key,
        row.chat_kind,
        row.post_id,
        row.msgtype,
        row.content,
        row.visible_to,
        row.audience,
        row.mentions,
        row.created_at,
        row.request_lints,
        row.raw_body,
        row.raw_content_at,
        row.reply,
        row.from_ip,
        row.chatid,
    ];
    if conn.is_postgres() {
        return Ok(conn.query_row(
            "WITH counted AS (
                 UPDATE chats SET last_message_at = ?12, message_count = message_count + 1
                 WHERE chatid = ?18
             )
             INSERT INTO message_rows (request_id, bot_key, bot_name, chat_key, chat_kind,
                 post_id, msgtype, content, visible_to, audience, mentions, created_at,
                 request_lints, raw_body, raw_content_at, reply, from_ip)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             RETURNING id",
            values,
            |found| found.get(0),
        )?);
    }
    conn.prepare_cached(
        "INSERT INTO message_rows (request_id, bot_key, bot_name, chat_key, chat_kind, post_id,
             msgtype, content, visible_to, audience, mentions, created_at, request_lints,
             raw_body, raw_content_at, reply, from_ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(&values[..17])?;
    let id = conn.last_insert_rowid()?;
    conn.prepare_cached(
        "UPDATE chats SET last_message_at = ?2, message_count = message_count + 1 WHERE chatid = ?1",
    )?
    .execute(params![row.chatid, row.created_at])?;
    Ok(id)
}
