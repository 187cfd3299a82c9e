//! Single chats between a bot and a user: opened when the user acts (which grants the bot 3
//! proactive messages), or by the bot itself for a user in its subscription scope.

use crate::store::db::{Connection, OptionalExtension, params};
use hookpit_protocol::limit::SINGLE_CHAT_PROACTIVE_QUOTA;

use super::{Store, StoreError, bots, chats, random_id, users};
use crate::domain::{ChatKind, SingleChat};

/// The single chat of a bot and a user, by the pair or by its chat id.
pub(super) fn single_chat(
    conn: &Connection,
    bot_id: &str,
    userid: Option<&str>,
    chatid: Option<&str>,
) -> Result<Option<SingleChat>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT chatid, bot_id, userid, quota_remaining FROM single_chats
             WHERE bot_id = ?1 AND (userid = ?2 OR chatid = ?3)",
        )?
        .query_row(params![bot_id, userid, chatid], |row| {
            Ok(SingleChat {
                chatid: row.get(0)?,
                bot_id: row.get(1)?,
                userid: row.get(2)?,
                quota_remaining: row.get(3)?,
            })
        })
        .optional()?)
}

/// The single chat `chatid`, whichever bot it is of.
pub(super) fn single_chat_by_id(
    conn: &Connection,
    chatid: &str,
) -> Result<Option<SingleChat>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT chatid, bot_id, userid, quota_remaining FROM single_chats WHERE chatid = ?1",
        )?
        .query_row([chatid], |row| {
            Ok(SingleChat {
                chatid: row.get(0)?,
                bot_id: row.get(1)?,
                userid: row.get(2)?,
                quota_remaining: row.get(3)?,
            })
        })
        .optional()?)
}

/// Whether `id` has the shape of a single-chat id: WeCom's start with `wok` (spec §2.1), and so
/// do ours (`ensure_single_chat`).
pub fn looks_like_single_chat_id(id: &str) -> bool {
    id.starts_with(SINGLE_CHAT_PREFIX)
}

/// The prefix of single-chat ids.
const SINGLE_CHAT_PREFIX: &str = "wok";

/// Creates the single chat of a bot and a user if missing; returns it.
pub(super) fn ensure_single_chat(
    conn: &Connection,
    bot_id: &str,
    userid: &str,
    now: i64,
) -> Result<SingleChat, StoreError> {
    if let Some(chat) = single_chat(conn, bot_id, Some(userid), None)? {
        return Ok(chat);
    }
    let name = users::get(conn, userid)?.map_or_else(|| userid.to_owned(), |u| u.name);
    let chatid = random_id(SINGLE_CHAT_PREFIX, 29);
    chats::insert(
        conn,
        ChatKind::Single,
        &chatid,
        &name,
        &[userid.to_owned()],
        now,
    )?;
    conn.execute(
        "INSERT INTO single_chats (chatid, bot_id, userid, quota_remaining) VALUES (?1, ?2, ?3, 0)",
        params![chatid, bot_id, userid],
    )?;
    conn.execute(
        "INSERT INTO bot_chats (bot_id, chatid) VALUES (?1, ?2)",
        params![bot_id, chatid],
    )?;
    Ok(SingleChat {
        chatid,
        bot_id: bot_id.to_owned(),
        userid: userid.to_owned(),
        quota_remaining: 0,
    })
}

pub(super) fn set_quota(conn: &Connection, chatid: &str, quota: u32) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE single_chats SET quota_remaining = ?2 WHERE chatid = ?1")?
        .execute(params![chatid, quota])?;
    Ok(())
}

impl Store {
    /// The users of those of `chatids` that are single chats of the bot, by chat id (one read).
    pub async fn single_chat_users(
        &self,
        bot_id: &str,
        chatids: Vec<String>,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let bot_id = bot_id.to_owned();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT userid FROM single_chats WHERE bot_id = ?1 AND chatid = ?2",
            )?;
            let mut users = std::collections::HashMap::new();
            for chatid in chatids {
                if let Some(userid) = statement
                    .query_row([&bot_id, &chatid], |row| row.get::<_, String>(0))
                    .optional()?
                {
                    users.insert(chatid, userid);
                }
            }
            Ok(users)
        })
        .await
    }

    /// A user opens (or acts in) a single chat with a bot: the bot may send 3 proactive messages.
    pub async fn open_single_chat(
        &self,
        id: &str,
        userid: &str,
        now: i64,
    ) -> Result<SingleChat, StoreError> {
        let (chat, _) = self
            .open_single_chat_notify(id, userid, now, |_| Vec::new())
            .await?;
        Ok(chat)
    }

    /// [`Store::open_single_chat`], queueing what `notify` makes of the chat (the bot's
    /// `enter_chat` callback) in the same transaction. Returns the chat and the outbox ids.
    pub async fn open_single_chat_notify(
        &self,
        id: &str,
        userid: &str,
        now: i64,
        notify: impl FnOnce(&SingleChat) -> Vec<crate::domain::NewOutboxEntry> + Send + 'static,
    ) -> Result<(SingleChat, Vec<i64>), StoreError> {
        let (id, userid) = (id.to_owned(), userid.to_owned());
        self.write(move |conn| {
            if bots::get(conn, &id)?.is_none() {
                return Err(StoreError::not_found("bot", &id));
            }
            if users::get(conn, &userid)?.is_none() {
                return Err(StoreError::not_found("user", &userid));
            }
            let mut chat = ensure_single_chat(conn, &id, &userid, now)?;
            let quota = u32::try_from(SINGLE_CHAT_PROACTIVE_QUOTA).unwrap_or(3);
            set_quota(conn, &chat.chatid, quota)?;
            chat.quota_remaining = quota;
            let ids = super::outbox::enqueue(conn, &notify(&chat), now)?;
            Ok((chat, ids))
        })
        .await
    }
}
