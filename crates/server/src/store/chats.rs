//! Chats (groups, blackboards, single chats), their members, read marks and blackboard posts:
//! the writes. The reads the inbox makes are in `queries.rs`.

use crate::store::db::{Connection, OptionalExtension, params};

use super::{Store, StoreError, queries, random_id};
use crate::clock::rfc3339;
use crate::domain::{Chat, ChatKind, ChatPatch, NewChat, Post};

/// The kind of a chat, if it exists.
pub(super) fn kind_of(conn: &Connection, chatid: &str) -> Result<Option<ChatKind>, StoreError> {
    let kind: Option<String> = conn
        .prepare_cached("SELECT kind FROM chats WHERE chatid = ?1")?
        .query_row([chatid], |row| row.get(0))
        .optional()?;
    Ok(kind.as_deref().and_then(ChatKind::parse))
}

/// Whether `userid` is a member of `chatid`.
pub(super) fn is_member(conn: &Connection, chatid: &str, userid: &str) -> Result<bool, StoreError> {
    use crate::store::db::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT 1 FROM chat_members WHERE chatid = ?1 AND userid = ?2")?
        .query_row([chatid, userid], |_| Ok(()))
        .optional()?
        .is_some())
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
            queries::chat(conn, &chatid)?.ok_or_else(|| StoreError::not_found("chat", &chatid))
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
            queries::chat(conn, &chatid)?.ok_or_else(|| StoreError::not_found("chat", &chatid))
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
                "UPDATE chats SET read_upto = COALESCE((SELECT MAX(id) FROM message_rows
                     WHERE chat_key = (SELECT key FROM message_keys WHERE value = ?1)), 0)
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
