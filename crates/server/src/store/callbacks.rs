//! Callback configurations of bots, and the buttons people clicked.

use std::collections::HashMap;

use crate::store::db::{Connection, OptionalExtension, params};

use super::{Store, StoreError, bots, outbox};
use crate::domain::{CallbackConfig, NewOutboxEntry};

fn config_from_row(row: &crate::store::db::Row<'_>) -> crate::store::db::Result<CallbackConfig> {
    Ok(CallbackConfig {
        bot_id: row.get(0)?,
        url: row.get(1)?,
        token: row.get(2)?,
        encoding_aes_key: row.get(3)?,
        format: row.get(4)?,
        verified_at: row.get(5)?,
    })
}

const CONFIG_COLUMNS: &str = "bot_id, url, token, encoding_aes_key, format, verified_at";

pub(super) fn config(
    conn: &Connection,
    bot_id: &str,
) -> Result<Option<CallbackConfig>, StoreError> {
    let sql = format!("SELECT {CONFIG_COLUMNS} FROM bot_callbacks WHERE bot_id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([bot_id], config_from_row)
        .optional()?)
}

/// A button a person clicked: which one, in which attachment of which message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    pub message_id: i64,
    pub userid: String,
    pub callback_id: String,
    pub name: String,
}

impl Store {
    /// The callback configuration of a bot, if it has one.
    pub async fn callback_config(
        &self,
        bot_id: &str,
    ) -> Result<Option<CallbackConfig>, StoreError> {
        let bot_id = bot_id.to_owned();
        self.read(move |conn| config(conn, &bot_id)).await
    }

    /// The callback configurations of the bots among `bot_ids` that have one, by bot id.
    pub async fn callback_configs(
        &self,
        bot_ids: Vec<String>,
    ) -> Result<HashMap<String, CallbackConfig>, StoreError> {
        self.read(move |conn| {
            let mut found = HashMap::new();
            for bot_id in bot_ids {
                if let Some(config) = config(conn, &bot_id)? {
                    found.insert(bot_id, config);
                }
            }
            Ok(found)
        })
        .await
    }

    /// Saves (or replaces) a bot's callback configuration.
    pub async fn set_callback_config(
        &self,
        config: CallbackConfig,
    ) -> Result<CallbackConfig, StoreError> {
        self.write(move |conn| {
            if bots::get(conn, &config.bot_id)?.is_none() {
                return Err(StoreError::not_found("bot", &config.bot_id));
            }
            conn.prepare_cached(
                "INSERT INTO bot_callbacks (bot_id, url, token, encoding_aes_key, format, verified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (bot_id) DO UPDATE SET url = excluded.url, token = excluded.token,
                     encoding_aes_key = excluded.encoding_aes_key, format = excluded.format,
                     verified_at = excluded.verified_at",
            )?
            .execute(params![
                config.bot_id,
                config.url,
                config.token,
                config.encoding_aes_key,
                config.format,
                config.verified_at
            ])?;
            Ok(config)
        })
        .await
    }

    /// Removes a bot's callback configuration (callbacks still queued for it then fail).
    pub async fn delete_callback_config(&self, bot_id: &str) -> Result<(), StoreError> {
        let bot_id = bot_id.to_owned();
        self.write(move |conn| {
            let deleted = conn
                .prepare_cached("DELETE FROM bot_callbacks WHERE bot_id = ?1")?
                .execute([&bot_id])?;
            if deleted == 0 {
                return Err(StoreError::not_found(
                    "callback configuration of bot",
                    &bot_id,
                ));
            }
            Ok(())
        })
        .await
    }

    /// Remembers that a person clicked a button (the latest click per attachment wins) and
    /// queues the callbacks it causes, in one transaction; returns their outbox ids.
    pub async fn record_click(
        &self,
        click: Click,
        entries: Vec<NewOutboxEntry>,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO message_actions (message_id, userid, callback_id, name, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (message_id, userid, callback_id) DO UPDATE SET
                     name = excluded.name, at = excluded.at",
            )?
            .execute(params![
                click.message_id,
                click.userid,
                click.callback_id,
                click.name,
                now
            ])?;
            outbox::enqueue(conn, &entries, now)
        })
        .await
    }

    /// What `userid` clicked in each of `message_ids`: message id → callback_id → action name.
    pub async fn clicks_of(
        &self,
        userid: &str,
        message_ids: Vec<i64>,
    ) -> Result<HashMap<i64, HashMap<String, String>>, StoreError> {
        let userid = userid.to_owned();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT callback_id, name FROM message_actions WHERE message_id = ?1 AND userid = ?2",
            )?;
            let mut clicks: HashMap<i64, HashMap<String, String>> = HashMap::new();
            for id in message_ids {
                let rows = statement.query_map(params![id, userid], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?;
                for row in rows {
                    let (callback_id, name) = row?;
                    clicks.entry(id).or_default().insert(callback_id, name);
                }
            }
            Ok(clicks)
        })
        .await
    }
}
