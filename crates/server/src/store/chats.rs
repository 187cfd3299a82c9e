//! Chats (groups, blackboards, single chats), their members, read marks and blackboard posts.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError, random_id};
use crate::clock::rfc3339;
use crate::domain::{Chat, ChatKind, ChatPatch, NewChat, Post};

const CHAT_COLUMNS: &str = "c.chatid, c.kind, c.name, c.created_at, c.last_message_at, \
     c.message_count, \
     (SELECT COUNT(*) FROM messages m WHERE m.chatid = c.chatid AND m.id > c.read_upto)";

fn chat_from_row(conn: &Connection, row: &rusqlite::Row<'_>) -> Result<Chat, StoreError> {
    let chatid: String = row.get(0)?;
    let kind: String = row.get(1)?;
    let last: Option<i64> = row.get(4)?;
    let count: i64 = row.get(5)?;
    let unread: i64 = row.get(6)?;
    Ok(Chat {
        members: members(conn, &chatid)?,
        bots: bots_of(conn, &chatid)?,
        kind: ChatKind::parse(&kind).unwrap_or(ChatKind::Group),
        name: row.get(2)?,
        created_at: rfc3339(row.get(3)?),
        last_message_at: last.map(rfc3339),
        message_count: u64::try_from(count).unwrap_or(0),
        unread: u64::try_from(unread).unwrap_or(0),
        chatid,
    })
}

pub(super) fn members(conn: &Connection, chatid: &str) -> Result<Vec<String>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT userid FROM chat_members WHERE chatid = ?1 ORDER BY userid")?;
    let rows = statement.query_map([chatid], |row| row.get(0))?;
    Ok(rows.collect::<Result<Vec<String>, _>>()?)
}

fn bots_of(conn: &Connection, chatid: &str) -> Result<Vec<String>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT bot_id FROM bot_chats WHERE chatid = ?1 ORDER BY bot_id")?;
    let rows = statement.query_map([chatid], |row| row.get(0))?;
    Ok(rows.collect::<Result<Vec<String>, _>>()?)
}

/// The kind of a chat, if it exists.
pub(super) fn kind_of(conn: &Connection, chatid: &str) -> Result<Option<ChatKind>, StoreError> {
    let kind: Option<String> = conn
        .prepare_cached("SELECT kind FROM chats WHERE chatid = ?1")?
        .query_row([chatid], |row| row.get(0))
        .optional()?;
    Ok(kind.as_deref().and_then(ChatKind::parse))
}

pub(super) fn get(conn: &Connection, chatid: &str) -> Result<Option<Chat>, StoreError> {
    let sql = format!("SELECT {CHAT_COLUMNS} FROM chats c WHERE c.chatid = ?1");
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query([chatid])?;
    match rows.next()? {
        Some(row) => Ok(Some(chat_from_row(conn, row)?)),
        None => Ok(None),
    }
}

/// Creates a chat row and its members.
pub(super) fn insert(
    conn: &Connection,
    kind: ChatKind,
    chatid: &str,
    name: &str,
    members_list: &[String],
    now: i64,
) -> Result<(), StoreError> {
    let inserted = conn.execute(
        "INSERT INTO chats (chatid, kind, name, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (chatid) DO NOTHING",
        params![chatid, kind.as_str(), name, now],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "chat {chatid} exists already"
        )));
    }
    set_members(conn, chatid, members_list)
}

fn set_members(conn: &Connection, chatid: &str, list: &[String]) -> Result<(), StoreError> {
    conn.execute("DELETE FROM chat_members WHERE chatid = ?1", [chatid])?;
    let mut statement =
        conn.prepare_cached("INSERT OR IGNORE INTO chat_members (chatid, userid) VALUES (?1, ?2)")?;
    for userid in list {
        statement.execute([chatid, userid])?;
    }
    Ok(())
}

pub(super) fn insert_post(
    conn: &Connection,
    chatid: &str,
    post_id: &str,
    title: &str,
    message_id: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO posts (post_id, chatid, title, message_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![post_id, chatid, title, message_id, now])?;
    Ok(())
}

pub(super) fn post_chat(conn: &Connection, post_id: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT chatid FROM posts WHERE post_id = ?1")?
        .query_row([post_id], |row| row.get(0))
        .optional()?)
}

fn check_new(chat: &NewChat) -> Result<(), StoreError> {
    if chat.name.trim().is_empty() {
        return Err(StoreError::Invalid("name must not be empty".to_owned()));
    }
    if let Some(id) = &chat.chatid
        && (id.trim().is_empty() || id.contains('|') || id.starts_with('@'))
    {
        return Err(StoreError::Invalid(
            "chatid must be non-empty, must not contain '|' or start with '@'".to_owned(),
        ));
    }
    Ok(())
}

impl Store {
    /// Chats of `kind` (all when `None`), most recently active first.
    pub async fn list_chats(&self, kind: Option<ChatKind>) -> Result<Vec<Chat>, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {CHAT_COLUMNS} FROM chats c WHERE (?1 IS NULL OR c.kind = ?1)
                 ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.chatid"
            );
            let mut statement = conn.prepare_cached(&sql)?;
            let mut rows = statement.query([kind.map(ChatKind::as_str)])?;
            let mut chats = Vec::new();
            while let Some(row) = rows.next()? {
                chats.push(chat_from_row(conn, row)?);
            }
            Ok(chats)
        })
        .await
    }

    /// One chat.
    pub async fn get_chat(&self, chatid: &str) -> Result<Chat, StoreError> {
        let chatid = chatid.to_owned();
        self.read(move |conn| {
            get(conn, &chatid)?.ok_or_else(|| StoreError::not_found("chat", &chatid))
        })
        .await
    }

    /// Creates a group or blackboard (id generated when absent).
    pub async fn create_chat(
        &self,
        kind: ChatKind,
        chat: NewChat,
        now: i64,
    ) -> Result<Chat, StoreError> {
        check_new(&chat)?;
        self.write(move |conn| {
            let chatid = chat.chatid.clone().unwrap_or_else(|| random_id("wrk", 29));
            insert(conn, kind, &chatid, &chat.name, &chat.members, now)?;
            get(conn, &chatid)?.ok_or_else(|| StoreError::not_found("chat", &chatid))
        })
        .await
    }

    /// Renames a chat or replaces its members.
    pub async fn update_chat(&self, chatid: &str, patch: ChatPatch) -> Result<Chat, StoreError> {
        let chatid = chatid.to_owned();
        self.write(move |conn| {
            if kind_of(conn, &chatid)?.is_none() {
                return Err(StoreError::not_found("chat", &chatid));
            }
            if let Some(name) = &patch.name {
                conn.execute(
                    "UPDATE chats SET name = ?2 WHERE chatid = ?1",
                    [&chatid, name],
                )?;
            }
            if let Some(list) = &patch.members {
                set_members(conn, &chatid, list)?;
            }
            get(conn, &chatid)?.ok_or_else(|| StoreError::not_found("chat", &chatid))
        })
        .await
    }

    /// Deletes a chat, its memberships and posts (its messages stay until cleared or pruned).
    pub async fn delete_chat(&self, chatid: &str) -> Result<(), StoreError> {
        let chatid = chatid.to_owned();
        self.write(move |conn| {
            if conn.execute("DELETE FROM chats WHERE chatid = ?1", [&chatid])? == 0 {
                return Err(StoreError::not_found("chat", &chatid));
            }
            Ok(())
        })
        .await
    }

    /// Marks every message of a chat read.
    pub async fn mark_read(&self, chatid: &str) -> Result<(), StoreError> {
        let chatid = chatid.to_owned();
        self.write(move |conn| {
            let updated = conn.execute(
                "UPDATE chats SET read_upto = COALESCE((SELECT MAX(id) FROM messages WHERE chatid = ?1), 0)
                 WHERE chatid = ?1",
                [&chatid],
            )?;
            if updated == 0 {
                return Err(StoreError::not_found("chat", &chatid));
            }
            Ok(())
        })
        .await
    }

    /// The posts of a blackboard, newest first.
    pub async fn list_posts(&self, chatid: &str) -> Result<Vec<Post>, StoreError> {
        let chatid = chatid.to_owned();
        self.read(move |conn| {
            if kind_of(conn, &chatid)? != Some(ChatKind::Blackboard) {
                return Err(StoreError::not_found("blackboard", &chatid));
            }
            let mut statement = conn.prepare_cached(
                "SELECT p.post_id, p.chatid, p.title, p.message_id, p.created_at,
                        (SELECT COUNT(*) FROM messages m WHERE m.post_id = p.post_id
                           AND (p.message_id IS NULL OR m.id <> p.message_id))
                 FROM posts p WHERE p.chatid = ?1 ORDER BY p.created_at DESC, p.post_id",
            )?;
            let posts = statement
                .query_map([&chatid], |row| {
                    let replies: i64 = row.get(5)?;
                    Ok(Post {
                        post_id: row.get(0)?,
                        chatid: row.get(1)?,
                        title: row.get(2)?,
                        message_id: row.get(3)?,
                        created_at: rfc3339(row.get(4)?),
                        reply_count: u64::try_from(replies).unwrap_or(0),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(posts)
        })
        .await
    }

    /// Creates an empty post on a blackboard (as a user would).
    pub async fn create_post(
        &self,
        chatid: &str,
        post_id: Option<String>,
        title: String,
        now: i64,
    ) -> Result<Post, StoreError> {
        let chatid = chatid.to_owned();
        self.write(move |conn| {
            if kind_of(conn, &chatid)? != Some(ChatKind::Blackboard) {
                return Err(StoreError::not_found("blackboard", &chatid));
            }
            let post_id = post_id.unwrap_or_else(|| random_id("bpk", 29));
            if post_chat(conn, &post_id)?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "post {post_id} exists already"
                )));
            }
            insert_post(conn, &chatid, &post_id, &title, None, now)?;
            Ok(Post {
                post_id,
                chatid,
                title,
                message_id: None,
                created_at: rfc3339(now),
                reply_count: 0,
            })
        })
        .await
    }
}
