//! The codes of WeCom's `get_chat_info`: each callback carries one (recorded when the callback
//! is queued, in the outbox's transaction: `outbox.rs`); a code is valid for 5 minutes and used
//! once.

use crate::store::db::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::domain::ChatInfoCode;

/// What a `get_chat_info` code is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeLookup {
    /// Valid: now used up.
    Valid(ChatInfoCode),
    /// Known, but used before.
    Used,
    /// Known, but older than its 5 minutes.
    Expired,
    /// Never issued.
    Unknown,
}

/// Records `code` in the caller's transaction.
pub(super) fn insert(conn: &Connection, code: &ChatInfoCode) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO chat_info_codes (code, bot_id, chatid, chattype, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        code.code,
        code.bot_id,
        code.chatid,
        code.chattype,
        code.expires_at
    ])?;
    Ok(())
}

impl Store {
    /// Uses up a `get_chat_info` code at `now` (Unix ms).
    pub async fn take_chat_info_code(
        &self,
        code: &str,
        now: i64,
    ) -> Result<CodeLookup, StoreError> {
        let code = code.to_owned();
        self.write(move |conn| {
            let found = conn
                .prepare_cached(
                    "SELECT bot_id, chatid, chattype, expires_at, used FROM chat_info_codes
                     WHERE code = ?1",
                )?
                .query_row([&code], |row| {
                    Ok((
                        ChatInfoCode {
                            code: code.clone(),
                            bot_id: row.get(0)?,
                            chatid: row.get(1)?,
                            chattype: row.get(2)?,
                            expires_at: row.get(3)?,
                        },
                        row.get::<_, i64>(4)? != 0,
                    ))
                })
                .optional()?;
            Ok(match found {
                None => CodeLookup::Unknown,
                Some((_, true)) => CodeLookup::Used,
                Some((info, false)) if info.expires_at <= now => CodeLookup::Expired,
                Some((info, false)) => {
                    conn.prepare_cached("UPDATE chat_info_codes SET used = 1 WHERE code = ?1")?
                        .execute([&code])?;
                    CodeLookup::Valid(info)
                }
            })
        })
        .await
    }
}
