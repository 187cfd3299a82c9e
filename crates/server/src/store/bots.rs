//! Bots: CRUD, lookup by key, chat membership and subscription scope (their single chats are
//! in `single_chat.rs`).

use std::sync::Arc;

use crate::store::db::{Connection, OptionalExtension, params};

use super::key_map::{self, Lookup};
use super::{Store, StoreError, chats, random_id, users};
use crate::clock::rfc3339;
use crate::domain::{Bot, BotIdentity, BotPatch, ChatKind, NewBot, NewOutboxEntry};

fn list_of(conn: &Connection, sql: &str, id: &str) -> Result<Vec<String>, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map([id], |row| row.get(0))?;
    Ok(rows.collect::<Result<Vec<String>, _>>()?)
}

fn load(conn: &Connection, column: &str, value: &str) -> Result<Option<Bot>, StoreError> {
    let sql = format!("SELECT id, name, key, created_at FROM bots WHERE {column} = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([value], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    let Some((id, name, key, created_at)) = row else {
        return Ok(None);
    };
    Ok(Some(Bot {
        chats: list_of(
            conn,
            "SELECT b.chatid FROM bot_chats b JOIN chats c ON c.chatid = b.chatid
             WHERE b.bot_id = ?1 AND c.kind <> 'single' ORDER BY b.chatid",
            &id,
        )?,
        subscription: list_of(
            conn,
            "SELECT userid FROM subscriptions WHERE bot_id = ?1 ORDER BY userid",
            &id,
        )?,
        id,
        name,
        key,
        created_at: rfc3339(created_at),
    }))
}

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<Bot>, StoreError> {
    load(conn, "id", id)
}

pub(super) fn by_key(conn: &Connection, key: &str) -> Result<Option<Bot>, StoreError> {
    load(conn, "key", key)
}

/// Whether `key` is another key a bot answers to (`bot_key_aliases`).
pub(super) fn is_alias(conn: &Connection, key: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM bot_key_aliases WHERE key = ?1")?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(super) fn insert(
    conn: &Connection,
    id: &str,
    bot: &NewBot,
    now: i64,
) -> Result<Bot, StoreError> {
    let key = bot
        .key
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if key.trim().is_empty() {
        return Err(StoreError::Invalid("key must not be empty".to_owned()));
    }
    if by_key(conn, &key)?.is_some() || is_alias(conn, &key)? {
        return Err(StoreError::Conflict(
            "a bot with this key exists already".to_owned(),
        ));
    }
    conn.execute(
        "INSERT INTO bots (id, name, key, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, bot.name, key, now],
    )?;
    for chatid in &bot.chats {
        join(conn, id, chatid)?;
    }
    for userid in &bot.subscription {
        subscribe(conn, id, userid)?;
    }
    get(conn, id)?.ok_or_else(|| StoreError::not_found("bot", id))
}

pub(super) fn join(conn: &Connection, bot_id: &str, chatid: &str) -> Result<(), StoreError> {
    match chats::kind_of(conn, chatid)? {
        None => return Err(StoreError::not_found("chat", chatid)),
        Some(ChatKind::Single) => {
            return Err(StoreError::Invalid(
                "a bot joins groups and blackboards; single chats are opened by users".to_owned(),
            ));
        }
        Some(_) => {}
    }
    conn.prepare_cached("INSERT OR IGNORE INTO bot_chats (bot_id, chatid) VALUES (?1, ?2)")?
        .execute([bot_id, chatid])?;
    Ok(())
}

pub(super) fn subscribe(conn: &Connection, bot_id: &str, userid: &str) -> Result<(), StoreError> {
    if users::get(conn, userid)?.is_none() {
        return Err(StoreError::not_found("user", userid));
    }
    conn.prepare_cached("INSERT OR IGNORE INTO subscriptions (bot_id, userid) VALUES (?1, ?2)")?
        .execute([bot_id, userid])?;
    Ok(())
}

pub(super) fn is_subscribed(
    conn: &Connection,
    bot_id: &str,
    userid: &str,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM subscriptions WHERE bot_id = ?1 AND userid = ?2")?
        .query_row([bot_id, userid], |_| Ok(()))
        .optional()?
        .is_some())
}

impl Store {
    /// Every bot, by name.
    pub async fn list_bots(&self) -> Result<Vec<Bot>, StoreError> {
        self.read(|conn| {
            let ids = {
                let mut statement = conn
                    .prepare_cached("SELECT id FROM bots ORDER BY is_demo DESC, created_at, id")?;
                let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            let mut bots = Vec::with_capacity(ids.len());
            for id in ids {
                bots.extend(get(conn, &id)?);
            }
            Ok(bots)
        })
        .await
    }

    /// One bot by id.
    pub async fn get_bot(&self, id: &str) -> Result<Bot, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| get(conn, &id)?.ok_or_else(|| StoreError::not_found("bot", &id)))
            .await
    }

    /// The bot holding `key`, if any.
    pub async fn bot_by_key(&self, key: &str) -> Result<Option<Bot>, StoreError> {
        let key = key.to_owned();
        self.read(move |conn| by_key(conn, &key)).await
    }

    /// The id and name of the bot holding `key`: the webhook's lookup, from memory when the
    /// key map can answer (`key_map.rs`), else one indexed read.
    pub async fn bot_identity(&self, key: &str) -> Result<Option<BotIdentity>, StoreError> {
        match self.keys.get(key) {
            Lookup::Found(bot) => return Ok(Some(bot)),
            Lookup::Absent => return Ok(None),
            Lookup::Ask => {}
        }
        if self.keys.should_reload() {
            let keys = Arc::clone(&self.keys);
            let reloaded = self
                .read(move |conn| {
                    keys.reload(conn);
                    Ok(())
                })
                .await;
            self.keys.reloaded();
            reloaded?;
            if let Lookup::Found(bot) = self.keys.get(key) {
                return Ok(Some(bot));
            }
        }
        let key = key.to_owned();
        let found = self.read(move |conn| key_map::identity(conn, &key)).await?;
        Ok(self.keys.asked(found))
    }

    /// Creates a bot (key generated when absent).
    pub async fn create_bot(&self, bot: NewBot, now: i64) -> Result<Bot, StoreError> {
        if bot.name.trim().is_empty() {
            return Err(StoreError::Invalid("name must not be empty".to_owned()));
        }
        self.write_bots(move |conn| insert(conn, &random_id("bot", 10), &bot, now))
            .await
    }

    /// Sandbox (`--accept-any-key`): creates a bot for an unknown `key`, with its own group.
    pub async fn create_sandbox_bot(&self, key: &str, now: i64) -> Result<Bot, StoreError> {
        let key = key.to_owned();
        self.write_bots(move |conn| {
            if let Some(bot) = by_key(conn, &key)? {
                return Ok(bot);
            }
            let short: String = key.chars().take(4).collect();
            let chatid = random_id("wrk", 29);
            chats::insert(
                conn,
                ChatKind::Group,
                &chatid,
                &format!("sandbox {short}…"),
                &[],
                now,
            )?;
            let bot = NewBot {
                name: format!("sandbox {short}…"),
                key: Some(key),
                chats: vec![chatid],
                subscription: Vec::new(),
            };
            insert(conn, &random_id("bot", 10), &bot, now)
        })
        .await
    }

    /// Renames a bot.
    pub async fn update_bot(&self, id: &str, patch: BotPatch) -> Result<Bot, StoreError> {
        let id = id.to_owned();
        self.write_bots(move |conn| {
            if let Some(name) = &patch.name {
                conn.execute("UPDATE bots SET name = ?2 WHERE id = ?1", [&id, name])?;
            }
            get(conn, &id)?.ok_or_else(|| StoreError::not_found("bot", &id))
        })
        .await
    }

    /// Deletes a bot; its key answers 93000 from then on.
    pub async fn delete_bot(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write_bots(move |conn| {
            conn.execute(
                "DELETE FROM chats WHERE chatid IN (SELECT chatid FROM single_chats WHERE bot_id = ?1)",
                [&id],
            )?;
            if conn.execute("DELETE FROM bots WHERE id = ?1", [&id])? == 0 {
                return Err(StoreError::not_found("bot", &id));
            }
            Ok(())
        })
        .await
    }

    /// Adds a bot to a group or blackboard (`true`) or removes it (`false`).
    pub async fn set_bot_chat(
        &self,
        id: &str,
        chatid: &str,
        member: bool,
    ) -> Result<Bot, StoreError> {
        let (bot, _) = self
            .set_bot_chat_notify(id, chatid, member, 0, |_| Vec::new())
            .await?;
        Ok(bot)
    }

    /// [`Store::set_bot_chat`], and when the membership did change, queues what `notify` makes
    /// of the bot (its `add_to_chat` / `delete_from_chat` callbacks) in the same transaction.
    /// Returns the bot and the outbox ids.
    pub async fn set_bot_chat_notify(
        &self,
        id: &str,
        chatid: &str,
        member: bool,
        now: i64,
        notify: impl FnOnce(&Bot) -> Vec<NewOutboxEntry> + Send + 'static,
    ) -> Result<(Bot, Vec<i64>), StoreError> {
        let (id, chatid) = (id.to_owned(), chatid.to_owned());
        self.write(move |conn| {
            let Some(before) = get(conn, &id)? else {
                return Err(StoreError::not_found("bot", &id));
            };
            let was_member = before.chats.contains(&chatid);
            if member {
                join(conn, &id, &chatid)?;
            } else {
                conn.execute(
                    "DELETE FROM bot_chats WHERE bot_id = ?1 AND chatid = ?2",
                    [&id, &chatid],
                )?;
            }
            let bot = get(conn, &id)?.ok_or_else(|| StoreError::not_found("bot", &id))?;
            let ids = if was_member == member {
                Vec::new()
            } else {
                super::outbox::enqueue(conn, &notify(&bot), now)?
            };
            Ok((bot, ids))
        })
        .await
    }

    /// Adds a user to a bot's subscription scope (`true`) or removes them (`false`).
    pub async fn set_subscription(
        &self,
        id: &str,
        userid: &str,
        member: bool,
    ) -> Result<Bot, StoreError> {
        let (id, userid) = (id.to_owned(), userid.to_owned());
        self.write(move |conn| {
            if get(conn, &id)?.is_none() {
                return Err(StoreError::not_found("bot", &id));
            }
            if member {
                subscribe(conn, &id, &userid)?;
            } else {
                conn.execute(
                    "DELETE FROM subscriptions WHERE bot_id = ?1 AND userid = ?2",
                    [&id, &userid],
                )?;
            }
            get(conn, &id)?.ok_or_else(|| StoreError::not_found("bot", &id))
        })
        .await
    }
}
