//! What people write in the inbox: stored like a bot's message (it counts in its chat and shows
//! in the timeline), with the callbacks it causes queued in the same transaction.
//!
//! A person's text is a `text` message, a lone picture an `image`, anything else `mixed` (text
//! and pictures in order). Pictures go to `images` under the request id (`ID`, `ID/1`, `ID/2`,
//! ... for the second and later ones), each with the token of its public URL.

use crate::store::db::{Connection, params};
use hookpit_protocol::MsgType;
use hookpit_protocol::limit::SINGLE_CHAT_PROACTIVE_QUOTA;
use serde_json::{Value, json};

use super::{Store, StoreError, chats, outbox, random_id, single_chat, users};
use crate::domain::{
    ChatKind, MessageType, NewOutboxEntry, PersonItem, PersonMessage, StoredMessage,
};

/// The key of the `n`-th picture (from 0) of a request in `images`.
pub fn picture_key(request_id: &str, n: usize) -> String {
    if n == 0 {
        request_id.to_owned()
    } else {
        format!("{request_id}/{n}")
    }
}

impl Store {
    /// Stores `message` and queues `entries` (the callbacks it causes) in one transaction. In
    /// a single chat the bot may then send 3 proactive messages (the official document: "用户在
    /// 单聊会话中触发消息推送回调的时候，消息推送可以主动向用户发三条单聊消息"). Returns the stored
    /// message and the outbox ids of `entries`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown chat or user, [`StoreError::Invalid`] when the
    /// person is not a member of the chat or the post is not the blackboard's.
    pub async fn post_person_message(
        &self,
        message: PersonMessage,
        entries: Vec<NewOutboxEntry>,
    ) -> Result<(StoredMessage, Vec<i64>), StoreError> {
        self.write(move |conn| {
            let stored = insert(conn, &message)?;
            let entries: Vec<NewOutboxEntry> = entries
                .into_iter()
                .map(|mut entry| {
                    entry.item["message_id"] = Value::from(stored.id);
                    entry
                })
                .collect();
            let ids = outbox::enqueue(conn, &entries, message.now)?;
            Ok((stored, ids))
        })
        .await
    }
}

fn insert(conn: &Connection, message: &PersonMessage) -> Result<StoredMessage, StoreError> {
    let kind = chats::kind_of(conn, &message.chatid)?
        .ok_or_else(|| StoreError::not_found("chat", &message.chatid))?;
    if users::get(conn, &message.userid)?.is_none() {
        return Err(StoreError::not_found("user", &message.userid));
    }
    let audience = match kind {
        ChatKind::Single => {
            let chat = single_chat::single_chat_by_id(conn, &message.chatid)?
                .ok_or_else(|| StoreError::not_found("single chat", &message.chatid))?;
            if chat.userid != message.userid {
                return Err(StoreError::Invalid(format!(
                    "{} is not the user of single chat {}",
                    message.userid, message.chatid
                )));
            }
            let quota = u32::try_from(SINGLE_CHAT_PROACTIVE_QUOTA).unwrap_or(3);
            single_chat::set_quota(conn, &message.chatid, quota)?;
            message.userid.clone()
        }
        ChatKind::Group | ChatKind::Blackboard => {
            if !chats::is_member(conn, &message.chatid, &message.userid)? {
                return Err(StoreError::Invalid(format!(
                    "{} is not a member of {}",
                    message.userid, message.chatid
                )));
            }
            String::new()
        }
    };
    let (msgtype, content) = content_of(&message.items);
    let text: String = message
        .items
        .iter()
        .filter_map(|item| match item {
            PersonItem::Text(text) => Some(text.as_str()),
            PersonItem::Image(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let post_id = match (kind, &message.post_id) {
        (ChatKind::Blackboard, Some(post_id)) if message.new_post => Some(post_id.clone()),
        (ChatKind::Blackboard, Some(post_id)) => {
            if chats::post_chat(conn, post_id)?.as_deref() != Some(message.chatid.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "{post_id} is not a post of {}",
                    message.chatid
                )));
            }
            Some(post_id.clone())
        }
        (ChatKind::Blackboard, None) => Some(random_id("bpk", 29)),
        (_, Some(_)) => {
            return Err(StoreError::Invalid(
                "post_id is only for blackboards".to_owned(),
            ));
        }
        (_, None) => None,
    };
    let opens_post =
        kind == ChatKind::Blackboard && (message.new_post || message.post_id.is_none());
    let pictures: Vec<_> = message
        .items
        .iter()
        .filter_map(|item| match item {
            PersonItem::Image(image) => Some(image),
            PersonItem::Text(_) => None,
        })
        .collect();
    let content_text = serde_json::to_string(&content)?;
    // Without pictures (which `images` finds by request id) the request is kept in the
    // message's row, as a bot's single-target request is (`deliver.rs`).
    let folded = pictures
        .is_empty()
        .then(|| super::raw_body::fold(message.raw_request.as_bytes(), &content_text));
    for (n, picture) in pictures.into_iter().enumerate() {
        conn.prepare_cached(
            "INSERT INTO images (request_id, mime, bytes, public_token) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            picture_key(&message.request_id, n),
            picture.mime,
            picture.bytes,
            picture.public_token
        ])?;
    }
    let (raw_body, raw_content_at) = match &folded {
        Some((body, at)) => (Some(body.as_ref()), *at),
        None => (None, None),
    };
    // A person's request has no reply: '' (NULL would mean the webhook's success reply).
    conn.prepare_cached(
        "INSERT INTO message_rows (request_id, bot_key, bot_name, chat_key, chat_kind, post_id,
             msgtype, content, visible_to, audience, mentions, created_at, from_user,
             raw_body, raw_content_at, reply, from_ip)
         VALUES (?1, ?15, '', ?2, ?3, ?4, ?5, ?6, '', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        message.request_id,
        super::message_keys::message_key(conn, &message.chatid)?,
        kind.as_str(),
        post_id,
        msgtype.as_str(),
        content_text,
        audience,
        super::deliver::json_unless_empty(&message.mentions)?,
        message.now,
        message.userid,
        raw_body,
        raw_content_at,
        folded.as_ref().map(|_| ""),
        folded.as_ref().map(|_| "inbox"),
        super::message_keys::message_key(conn, "")?,
    ])?;
    let id = conn.last_insert_rowid()?;
    if folded.is_none() {
        // After the message: the request keeps its id (`prune`).
        conn.prepare_cached(
            "INSERT INTO requests (id, bot_id, raw_body, reply, from_ip, created_at,
                 last_message_id)
             VALUES (?1, '', ?2, '', 'inbox', ?3, ?4)",
        )?
        .execute(params![
            message.request_id,
            message.raw_request.as_bytes(),
            message.now,
            id
        ])?;
    }
    if let (true, Some(post_id)) = (opens_post, &post_id) {
        let title: String = text.lines().next().unwrap_or("").chars().take(64).collect();
        let title = if title.trim().is_empty() {
            msgtype.as_str().to_owned()
        } else {
            title
        };
        chats::insert_post(
            conn,
            &message.chatid,
            post_id,
            &title,
            Some(id),
            message.now,
        )?;
    }
    conn.prepare_cached(
        "UPDATE chats SET last_message_at = ?2, message_count = message_count + 1 WHERE chatid = ?1",
    )?
    .execute(params![message.chatid, message.now])?;
    Ok(StoredMessage {
        id,
        request_id: message.request_id.clone(),
        bot_id: String::new(),
        bot_name: String::new(),
        from_user: Some(message.userid.clone()),
        chatid: message.chatid.clone(),
        chat_kind: kind,
        post_id,
        msgtype,
        content,
        visible_to: Vec::new(),
        mentions: message.mentions.clone(),
        request_lints: Vec::new(),
        created_at: message.now,
    })
}

/// The stored type and content of a person's message: `text` `{content}` for text alone,
/// `image` `{format, size}` for one picture alone, `mixed` `{items: [...]}` otherwise (each
/// picture item with its number `n`, for `/api/v1/messages/{id}/image?n=`).
fn content_of(items: &[PersonItem]) -> (MessageType, Value) {
    match items {
        [PersonItem::Text(text)] => (MessageType::Push(MsgType::Text), json!({"content": text})),
        [PersonItem::Image(image)] => (
            MessageType::Push(MsgType::Image),
            json!({"format": image.mime, "size": image.bytes.len()}),
        ),
        _ => {
            let mut n = 0;
            let items: Vec<Value> = items
                .iter()
                .map(|item| match item {
                    PersonItem::Text(text) => json!({"type": "text", "content": text}),
                    PersonItem::Image(image) => {
                        n += 1;
                        json!({"type": "image", "format": image.mime,
                               "size": image.bytes.len(), "n": n - 1})
                    }
                })
                .collect();
            (MessageType::Mixed, json!({"items": items}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PersonImage;

    fn picture() -> PersonItem {
        PersonItem::Image(PersonImage {
            mime: "image/png".to_owned(),
            bytes: vec![1, 2, 3],
            public_token: "t".to_owned(),
        })
    }

    #[test]
    fn text_alone_is_text_a_picture_alone_is_image_and_the_rest_is_mixed() {
        let (kind, content) = content_of(&[PersonItem::Text("hi".to_owned())]);
        assert_eq!((kind.as_str(), content), ("text", json!({"content": "hi"})));
        let (kind, content) = content_of(&[picture()]);
        assert_eq!(
            (kind.as_str(), content),
            ("image", json!({"format": "image/png", "size": 3}))
        );
        let (kind, content) = content_of(&[PersonItem::Text("a".to_owned()), picture(), picture()]);
        assert_eq!(kind, MessageType::Mixed);
        assert_eq!(content["items"][2]["n"], 1);
        assert_eq!(picture_key("r", 0), "r");
        assert_eq!(picture_key("r", 2), "r/2");
    }
}
