//! Delivering an accepted send request: routing its `chatid` to chats by WeCom's rules and
//! storing one message per chat, atomically, in the writer's transaction.
//!
//! Routing happens inside the write so that the single-chat quota (3 messages after the user
//! acted) is checked and spent atomically, and a request either reaches every target or none.
//!
//! Rules (spec §2.1, official document):
//! - `@all_group`: the bot's groups, plus its blackboards for `text`; `@all_blackboard`: its
//!   blackboards; `@all`: both. Blackboards take only text, markdown and image.
//! - A group or blackboard id: the bot must be in it (else 93008 [U]).
//! - A single-chat id or a userid: allowed if the user is in the bot's subscription scope, or
//!   has opened a single chat with it and fewer than 3 proactive messages were sent since
//!   (else 93005).
//! - `post_id` applies when `chatid` is exactly one blackboard; without it a new post is made.
//! - `visible_to_user` applies when `chatid` is exactly one group (or one blackboard for text
//!   and markdown).
//! - An unknown id: 93008 [U]; in sandbox mode it becomes a new group of the bot.

use std::collections::HashSet;

use hookpit_protocol::{ChatTarget, ErrorCode, Message, MsgType, ValidSend};
use rusqlite::{Connection, params};
use serde_json::Value;

use super::{Store, StoreError, bots, chats, random_id, users};
use crate::domain::{ChatKind, StoredMessage};

/// Everything needed to store one accepted request.
#[derive(Debug)]
pub struct Delivery {
    pub request_id: String,
    pub bot_id: String,
    pub bot_name: String,
    pub send: ValidSend,
    pub raw_body: Vec<u8>,
    pub from_ip: String,
    /// The reply the sender gets on success.
    pub reply: String,
    /// Unix milliseconds.
    pub now: i64,
    /// `--accept-any-key`: unknown chat ids become groups of the bot.
    pub sandbox: bool,
}

/// A refusal by WeCom's routing rules: the errcode to answer.
pub type Refusal = ErrorCode;

struct Target {
    chatid: String,
    kind: ChatKind,
    /// The user of a single chat.
    audience: String,
}

impl Store {
    /// Routes and stores `delivery`; returns the stored messages once committed.
    ///
    /// # Errors
    /// [`StoreError::Refused`] with the errcode when WeCom's rules refuse it (nothing stored).
    pub async fn deliver(&self, delivery: Delivery) -> Result<Vec<StoredMessage>, StoreError> {
        self.write(move |conn| deliver(conn, &delivery)).await
    }
}

fn refuse(code: ErrorCode) -> StoreError {
    StoreError::Refused(code)
}

fn deliver(conn: &Connection, d: &Delivery) -> Result<Vec<StoredMessage>, StoreError> {
    let targets = route(conn, d)?;
    let message = &d.send.request.message;
    let msgtype = message.msgtype();
    let single_id = d.send.targets.single_id();
    let content = content_json(message, &d.send);
    let content_text = serde_json::to_string(&content)?;
    let search = search_text(&content);
    let mentions = mentions(conn, message)?;
    conn.prepare_cached(
        "INSERT INTO requests (id, bot_id, raw_body, reply, from_ip, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        d.request_id,
        d.bot_id,
        d.raw_body,
        d.reply,
        d.from_ip,
        d.now
    ])?;
    for need in d.send.media_needs() {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO media_uses (media_id, request_id) VALUES (?1, ?2)",
        )?
        .execute(params![need.media_id, d.request_id])?;
    }
    if let Some(image) = &d.send.image {
        conn.prepare_cached("INSERT INTO images (request_id, mime, bytes) VALUES (?1, ?2, ?3)")?
            .execute(params![d.request_id, image.format.mime(), image.bytes])?;
    }
    let mut stored = Vec::with_capacity(targets.len());
    for target in targets {
        let only_target = single_id == Some(target.chatid.as_str());
        let mut new_post = None;
        let post_id = if target.kind == ChatKind::Blackboard {
            match d.send.request.post_id.as_deref().filter(|_| only_target) {
                Some(post_id) => {
                    if chats::post_chat(conn, post_id)?.as_deref() != Some(target.chatid.as_str()) {
                        // [U] 40058 for a post_id that is not a post of the blackboard.
                        return Err(refuse(ErrorCode::invalid_parameter(
                            "post_id",
                            "is not a post of the blackboard",
                        )));
                    }
                    Some(post_id.to_owned())
                }
                None => {
                    let post_id = random_id("bpk", 29);
                    new_post = Some(post_id.clone());
                    Some(post_id)
                }
            }
        } else {
            None
        };
        let visible_to: Vec<String> = if only_target
            && (target.kind == ChatKind::Group
                || (target.kind == ChatKind::Blackboard
                    && matches!(msgtype, MsgType::Text | MsgType::Markdown)))
        {
            d.send.visible_to.clone()
        } else {
            Vec::new()
        };
        let mentions = if target.kind == ChatKind::Blackboard {
            Vec::new()
        } else {
            mentions.clone()
        };
        let visible_column = if visible_to.is_empty() {
            String::new()
        } else {
            format!("|{}|", visible_to.join("|"))
        };
        conn.prepare_cached(
            "INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind, post_id, msgtype,
                 content, visible_to, audience, mentions, search_text, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            d.request_id,
            d.bot_id,
            d.bot_name,
            target.chatid,
            target.kind.as_str(),
            post_id,
            msgtype.as_str(),
            content_text,
            visible_column,
            target.audience,
            serde_json::to_string(&mentions)?,
            search,
            d.now,
        ])?;
        let id = conn.last_insert_rowid();
        if let Some(post_id) = &new_post {
            chats::insert_post(
                conn,
                &target.chatid,
                post_id,
                &post_title(&content, msgtype),
                Some(id),
                d.now,
            )?;
        }
        conn.prepare_cached(
            "UPDATE chats SET last_message_at = ?2, message_count = message_count + 1 WHERE chatid = ?1",
        )?
        .execute(params![target.chatid, d.now])?;
        stored.push(StoredMessage {
            id,
            request_id: d.request_id.clone(),
            bot_id: d.bot_id.clone(),
            bot_name: d.bot_name.clone(),
            chatid: target.chatid,
            chat_kind: target.kind,
            post_id,
            msgtype,
            content: content.clone(),
            visible_to,
            mentions,
            created_at: d.now,
        });
    }
    Ok(stored)
}

fn route(conn: &Connection, d: &Delivery) -> Result<Vec<Target>, StoreError> {
    let msgtype = d.send.msgtype();
    let mut targets = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |targets: &mut Vec<Target>, target: Target| {
        if seen.insert(target.chatid.clone()) {
            targets.push(target);
        }
    };
    for target in d.send.targets.iter() {
        let kinds: &[ChatKind] = match target {
            ChatTarget::AllGroups if msgtype == MsgType::Text => {
                &[ChatKind::Group, ChatKind::Blackboard]
            }
            ChatTarget::AllGroups => &[ChatKind::Group],
            ChatTarget::AllBlackboards => &[ChatKind::Blackboard],
            ChatTarget::All => &[ChatKind::Group, ChatKind::Blackboard],
            ChatTarget::Id(id) => {
                let found = route_id(conn, d, id)?;
                push(&mut targets, found);
                continue;
            }
        };
        for &kind in kinds.iter().filter(|kind| kind.accepts(msgtype)) {
            for chatid in bot_chats(conn, &d.bot_id, kind)? {
                push(
                    &mut targets,
                    Target {
                        chatid,
                        kind,
                        audience: String::new(),
                    },
                );
            }
        }
    }
    if targets.is_empty() {
        // [U] 93008: the bot is in no chat the request could reach.
        return Err(refuse(ErrorCode::ROBOT_NOT_IN_CHAT));
    }
    Ok(targets)
}

fn route_id(conn: &Connection, d: &Delivery, id: &str) -> Result<Target, StoreError> {
    let msgtype = d.send.msgtype();
    match chats::kind_of(conn, id)? {
        Some(kind @ (ChatKind::Group | ChatKind::Blackboard)) => {
            if !in_chat(conn, &d.bot_id, id)? {
                return Err(refuse(ErrorCode::ROBOT_NOT_IN_CHAT));
            }
            if !kind.accepts(msgtype) {
                // [U] 40008: the official document says the type "cannot be sent to a blackboard".
                return Err(refuse(ErrorCode::INVALID_MESSAGE_TYPE));
            }
            Ok(Target {
                chatid: id.to_owned(),
                kind,
                audience: String::new(),
            })
        }
        Some(ChatKind::Single) => match bots::single_chat(conn, &d.bot_id, None, Some(id))? {
            Some(chat) => permit_single(conn, d, &chat.userid),
            None => Err(refuse(ErrorCode::ROBOT_NOT_IN_CHAT)),
        },
        None if users::get(conn, id)?.is_some() => permit_single(conn, d, id),
        None if d.sandbox => {
            chats::insert(conn, ChatKind::Group, id, id, &[], d.now)?;
            bots::join(conn, &d.bot_id, id)?;
            Ok(Target {
                chatid: id.to_owned(),
                kind: ChatKind::Group,
                audience: String::new(),
            })
        }
        // [U] 93008 for an id that is no chat and no user.
        None => Err(refuse(ErrorCode::ROBOT_NOT_IN_CHAT)),
    }
}

/// Whether the bot may message `userid` in a single chat; spends one proactive message if the
/// user is not in the subscription scope.
fn permit_single(conn: &Connection, d: &Delivery, userid: &str) -> Result<Target, StoreError> {
    let target = |chatid: String| Target {
        chatid,
        kind: ChatKind::Single,
        audience: userid.to_owned(),
    };
    if bots::is_subscribed(conn, &d.bot_id, userid)? {
        let chat = bots::ensure_single_chat(conn, &d.bot_id, userid, d.now)?;
        return Ok(target(chat.chatid));
    }
    match bots::single_chat(conn, &d.bot_id, Some(userid), None)? {
        Some(chat) if chat.quota_remaining > 0 => {
            bots::set_quota(conn, &chat.chatid, chat.quota_remaining - 1)?;
            Ok(target(chat.chatid))
        }
        _ => Err(refuse(ErrorCode::SINGLE_CHAT_NOT_ALLOWED)),
    }
}

fn in_chat(conn: &Connection, bot_id: &str, chatid: &str) -> Result<bool, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT 1 FROM bot_chats WHERE bot_id = ?1 AND chatid = ?2")?
        .query_row([bot_id, chatid], |_| Ok(()))
        .optional()?
        .is_some())
}

fn bot_chats(conn: &Connection, bot_id: &str, kind: ChatKind) -> Result<Vec<String>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT b.chatid FROM bot_chats b JOIN chats c ON c.chatid = b.chatid
         WHERE b.bot_id = ?1 AND c.kind = ?2 ORDER BY b.chatid",
    )?;
    let rows = statement.query_map([bot_id, kind.as_str()], |row| row.get(0))?;
    Ok(rows.collect::<Result<Vec<String>, _>>()?)
}

/// The stored `content`: the accepted body, except that an image's base64 is replaced by its
/// format and size (the picture is kept once, served by `/api/v1/messages/{id}/image`).
fn content_json(message: &Message, send: &ValidSend) -> Value {
    match (message, &send.image) {
        (Message::Image { image }, Some(data)) => serde_json::json!({
            "md5": image.md5,
            "format": data.format.mime(),
            "size": data.bytes.len(),
        }),
        _ => message.body_json(),
    }
}

/// Every string of the content, one per line: what `q` searches.
fn search_text(content: &Value) -> String {
    fn walk(value: &Value, out: &mut String) {
        match value {
            Value::String(text) => {
                out.push_str(text);
                out.push('\n');
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    walk(content, &mut out);
    out
}

/// A new post's title: the first line of its text, cut to 64 characters.
fn post_title(content: &Value, msgtype: MsgType) -> String {
    let text = content
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let title: String = line.trim().chars().take(64).collect();
    if title.is_empty() {
        msgtype.as_str().to_owned()
    } else {
        title
    }
}

/// Resolved mentions: `mentioned_list`, `mentioned_mobile_list` (to userids) and inline
/// `<@userid>` in text and markdown, keeping known users and `@all`.
fn mentions(conn: &Connection, message: &Message) -> Result<Vec<String>, StoreError> {
    let mut found: Vec<String> = Vec::new();
    let mut add = |id: String| {
        if !found.contains(&id) {
            found.push(id);
        }
    };
    match message {
        Message::Text { text } => {
            inline_mentions(&text.content)
                .into_iter()
                .for_each(&mut add);
            for id in text.mentioned_list.iter().flatten() {
                add(id.clone());
            }
            for mobile in text.mentioned_mobile_list.iter().flatten() {
                if mobile == "@all" {
                    add(mobile.clone());
                } else if let Some(userid) = users::by_mobile(conn, mobile)? {
                    add(userid);
                }
            }
        }
        Message::Markdown { markdown } => {
            inline_mentions(&markdown.content).into_iter().for_each(add)
        }
        _ => {}
    }
    // Resolved against the workspace: a userid nobody has mentions nobody.
    let mut resolved = Vec::with_capacity(found.len());
    for id in found {
        if id == "@all" || users::get(conn, &id)?.is_some() {
            resolved.push(id);
        }
    }
    Ok(resolved)
}

/// The userids of `<@userid>` in `content`.
fn inline_mentions(content: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        if let Some(end) = rest.find('>') {
            let id = &rest[..end];
            if !id.is_empty() && !id.contains(char::is_whitespace) && !id.contains('<') {
                ids.push(id.to_owned());
            }
            rest = &rest[end + 1..];
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_mentions_are_found_in_order() {
        assert_eq!(
            inline_mentions("<@zhangsan>天气 <@lisi> <@ bad> <@>"),
            vec!["zhangsan", "lisi"]
        );
    }
}
