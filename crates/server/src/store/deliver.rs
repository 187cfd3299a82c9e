//! Delivering an accepted send request: routing its `chatid` (`route.rs`) and storing one
//! message per chat it reaches, atomically, in the writer's transaction.
//!
//! Routing happens inside the write so that the single-chat quota (3 messages after the user
//! acted) is checked and spent atomically, and a request either reaches every target or none.
//!
//! What each stored message carries (spec §2.1, official document):
//! - `post_id` on a blackboard: the given one when `chatid` is exactly that blackboard (it must
//!   be one of its posts), else a new post titled by the first line of the text.
//! - `visible_to_user` when `chatid` is exactly one group (or one blackboard for text and
//!   markdown).
//! - Mentions: on a blackboard only inline `<@userid>` counts ("mentioned_list 暂不支持小黑板").

use std::sync::Arc;

use crate::store::db::{Connection, params};
use hookpit_protocol::reply::SEND_OK_BODY;
use hookpit_protocol::{ErrorCode, Message, MsgType, ValidSend};
use serde_json::Value;

use super::delivered::{Copy, Delivered};
use super::key_map::{self, KeyCheck, KeyMap};
use super::route::{Target, refuse, route};
use super::{Store, StoreError, chats, mentions, message_keys, random_id};
use crate::domain::{ChatKind, MessageLint, StoredMessage};

/// Everything needed to store one accepted request.
#[derive(Debug)]
pub struct Delivery {
    pub request_id: String,
    pub bot_id: String,
    pub bot_name: String,
    pub send: ValidSend,
    pub raw_body: bytes::Bytes,
    pub from_ip: String,
    /// The reply the sender gets on success.
    pub reply: String,
    /// Unix milliseconds.
    pub now: i64,
    /// `--accept-any-key`: unknown chat ids become groups of the bot.
    pub sandbox: bool,
    /// Lints of the raw body, stored with each message.
    pub request_lints: Vec<MessageLint>,
    /// A passive reply to a callback (spec §8.7): an answer, not a proactive message, so it
    /// spends none of a single chat's 3 proactive messages `[U]`.
    pub passive: bool,
    /// The relay's outbox entry when the bot forwards to real WeCom, queued with the messages.
    /// Boxed: most bots do not relay, and every future that holds a delivery would carry the
    /// entry's ~230 bytes inline.
    pub relay: Option<Box<crate::domain::NewOutboxEntry>>,
    /// On a shared store, the key `bot_id` was looked up by, confirmed in the transaction
    /// (`key_map.rs`); `None` when the identity is exact.
    pub key_check: Option<KeyCheck>,
}

#[cfg(test)]
impl Delivery {
    /// For the store's tests: request `r` of bot `b` (named `bot`) sending `body` at time 1.
    pub(super) fn for_test(body: &str, sandbox: bool) -> Delivery {
        Delivery {
            request_id: "r".to_owned(),
            bot_id: "b".to_owned(),
            bot_name: "bot".to_owned(),
            send: hookpit_protocol::parse_send(body.as_bytes()).unwrap(),
            raw_body: bytes::Bytes::copy_from_slice(body.as_bytes()),
            from_ip: "127.0.0.1".to_owned(),
            reply: String::new(),
            now: 1,
            sandbox,
            request_lints: Vec::new(),
            passive: false,
            relay: None,
            key_check: None,
        }
    }
}

impl Store {
    /// Routes and stores `delivery`; returns the stored messages once committed.
    ///
    /// # Errors
    /// [`StoreError::Refused`] with the errcode when WeCom's rules refuse it (nothing stored).
    pub async fn deliver(&self, delivery: Delivery) -> Result<Vec<StoredMessage>, StoreError> {
        let keys = Arc::clone(&self.keys);
        let delivered = self
            .writer
            .run_delivery(move |conn| {
                let mut delivery = delivery;
                confirm_key(conn, &keys, &mut delivery)?;
                deliver(conn, &delivery)
            })
            .await?;
        Ok(delivered.into_messages())
    }
}

/// On a shared store: the delivery's bot is still the one its key names, or it is resolved
/// again here, in the transaction (see `key_map.rs`). A key no bot holds any more is 93000.
fn confirm_key(
    conn: &Connection,
    keys: &KeyMap,
    delivery: &mut Delivery,
) -> Result<(), StoreError> {
    let Some(check) = delivery.key_check.take() else {
        return Ok(());
    };
    if key_map::batch_epoch(conn, keys)? == check.epoch {
        return Ok(());
    }
    match key_map::identity(conn, &check.key)? {
        Some(bot) => {
            delivery.bot_id = bot.id;
            delivery.bot_name = bot.name;
            Ok(())
        }
        None => Err(StoreError::Refused(ErrorCode::INVALID_WEBHOOK_URL)),
    }
}

/// Stores `delivery`'s messages and returns what they are, for the caller to make the messages
/// of off the writer thread (`delivered.rs`).
fn deliver(conn: &Connection, delivery: &Delivery) -> Result<Delivered, StoreError> {
    let targets = route(conn, delivery)?;
    let message = &delivery.send.request.message;
    let msgtype = message.msgtype();
    let single_id = delivery.send.targets.single_id();
    let content = content_json(message, &delivery.send);
    let content_text = serde_json::to_string(&content)?;
    let mentions = mentions::resolve(conn, message)?;
    let request_lints = json_unless_empty(&delivery.request_lints)?;
    let media_needs = delivery.send.media_needs();
    // A request that is its message's alone is kept in the message row: no `requests` row and
    // primary key to write. One with a picture, media or a relay entry keeps its own row, as
    // those tables (and the relay, which reads the body back) find it by request id.
    let own_row = targets.len() == 1
        && delivery.send.image.is_none()
        && media_needs.is_empty()
        && delivery.relay.is_none();
    let folded = own_row.then(|| {
        let chatid = targets.first().map_or("", |target| target.chatid.as_str());
        if super::raw_body::is_usual(&delivery.raw_body, chatid, msgtype.as_str(), &content_text) {
            // Spelled the usual way: the row rebuilds it (`messages.rs`).
            (std::borrow::Cow::Borrowed(&[][..]), None)
        } else {
            super::raw_body::fold(&delivery.raw_body, &content_text)
        }
    });
    let posts = targets
        .iter()
        .map(|target| {
            let only_target = single_id == Some(target.chatid.as_str());
            post_of(conn, delivery, target, only_target)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let group_mentions = json_unless_empty(&mentions.all)?;
    // Every check that can refuse the request is behind it (the posts were the last): from here
    // on only the engine can fail it, and its writes need no savepoint of their own.
    super::fence::settle(conn)?;
    for need in media_needs {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO media_uses (media_id, request_id) VALUES (?1, ?2)",
        )?
        .execute(params![need.media_id, delivery.request_id])?;
    }
    if let Some(entry) = &delivery.relay {
        super::outbox::enqueue(conn, std::slice::from_ref(&**entry), delivery.now)?;
    }
    // The 27-byte success reply every webhook call gets is implied (`messages.rs`).
    let reply = (delivery.reply != SEND_OK_BODY).then_some(delivery.reply.as_str());
    let count = targets.len();
    let mut copies: Vec<Copy> = Vec::with_capacity(count);
    let bot_key = message_keys::message_key(conn, &delivery.bot_id)?;
    // On SQLite, consecutive copies to groups that differ only in their chat (a broadcast's) are
    // inserted by one statement when the run ends (`message_row::insert_copies`); their
    // copies wait for their ids in `copies`.
    let group_copy = super::message_row::NewRow {
        request_id: &delivery.request_id,
        bot_key,
        bot_name: &delivery.bot_name,
        chatid: "",
        chat_key: 0,
        chat_kind: ChatKind::Group.as_str(),
        post_id: None,
        msgtype: msgtype.as_str(),
        content: &content_text,
        visible_to: "",
        audience: "",
        mentions: group_mentions.as_deref(),
        created_at: delivery.now,
        request_lints: request_lints.as_deref(),
        raw_body: None,
        raw_content_at: None,
        reply: None,
        from_ip: None,
    };
    let mut run = CopyRun {
        chats: Vec::with_capacity(count),
        inserted: false,
    };
    for (index, (target, post)) in targets.into_iter().zip(posts).enumerate() {
        let only_target = single_id == Some(target.chatid.as_str());
        let visible_to: Vec<String> = if only_target
            && (target.kind == ChatKind::Group
                || (target.kind == ChatKind::Blackboard && msgtype.visible_to_on_blackboard()))
        {
            delivery.send.visible_to.clone()
        } else {
            Vec::new()
        };
        let mentions = if target.kind == ChatKind::Blackboard {
            mentions.inline.clone()
        } else {
            mentions.all.clone()
        };
        let visible_column = if visible_to.is_empty() {
            String::new()
        } else {
            format!("|{}|", visible_to.join("|"))
        };
        let (raw_body, raw_content_at) = match &folded {
            Some((body, at)) => (Some(body.as_ref()), *at),
            None => (None, None),
        };
        let chat_key = message_keys::message_key(conn, &target.chatid)?;
        let plain_group_copy = target.kind == ChatKind::Group
            && post.is_none()
            && visible_to.is_empty()
            && target.audience.is_empty()
            && folded.is_none();
        let id = if plain_group_copy && count > 1 && !conn.is_postgres() {
            run.chats.push((target.chatid.clone(), chat_key));
            // Set when the run is inserted.
            0
        } else {
            // Ids follow the order of the targets.
            run.insert(conn, &group_copy, &mut copies)?;
            let mentions_column = json_unless_empty(&mentions)?;
            let row = super::message_row::NewRow {
                request_id: &delivery.request_id,
                bot_key,
                bot_name: &delivery.bot_name,
                chatid: &target.chatid,
                chat_key,
                chat_kind: target.kind.as_str(),
                post_id: post.as_ref().map(Post::id),
                msgtype: msgtype.as_str(),
                content: &content_text,
                visible_to: &visible_column,
                audience: &target.audience,
                mentions: mentions_column.as_deref(),
                created_at: delivery.now,
                request_lints: request_lints.as_deref(),
                raw_body,
                raw_content_at,
                reply: folded.as_ref().and(reply),
                from_ip: folded.as_ref().map(|_| delivery.from_ip.as_str()),
            };
            // A group's rows are read by no later delivery of the batch (see `row_batch.rs`).
            let id = if target.kind == ChatKind::Group && post.is_none() {
                super::message_row::insert_or_defer(conn, &row, count - index - 1)?
            } else {
                super::message_row::insert(conn, &row)?
            };
            if let Some(Post::New(post_id)) = &post {
                chats::insert_post(
                    conn,
                    &target.chatid,
                    post_id,
                    &post_title(&content, msgtype),
                    Some(id),
                    delivery.now,
                )?;
            }
            id
        };
        copies.push(Copy {
            id,
            chatid: target.chatid,
            chat_kind: target.kind,
            post_id: post.map(Post::into_id),
            visible_to,
            mentions,
        });
    }
    run.insert(conn, &group_copy, &mut copies)?;
    if !own_row {
        // After the messages: the request keeps the id of its last (`prune`), and the content
        // of the copies that share it (`message_row::insert_copies`).
        let last_message_id = copies.iter().map(|copy| copy.id).max();
        let shared_content = run.inserted.then_some(content_text.as_str());
        insert_request(conn, delivery, last_message_id, shared_content)?;
    }
    Ok(Delivered {
        request_id: delivery.request_id.clone(),
        bot_id: delivery.bot_id.clone(),
        bot_name: delivery.bot_name.clone(),
        msgtype: crate::domain::MessageType::Push(msgtype),
        content,
        request_lints: delivery.request_lints.clone(),
        created_at: delivery.now,
        copies,
    })
}

/// Copies of a message to groups waiting to be inserted by one statement: the last
/// `chats.len()` copies of the delivery's list, without their ids yet.
struct CopyRun {
    chats: Vec<(String, i64)>,
    /// Whether a run was inserted: the request then holds the copies' content.
    inserted: bool,
}

impl CopyRun {
    /// Inserts the run's copies of `row`, if any, and gives the waiting copies their ids.
    fn insert(
        &mut self,
        conn: &Connection,
        row: &super::message_row::NewRow<'_>,
        copies: &mut [Copy],
    ) -> Result<(), StoreError> {
        if self.chats.is_empty() {
            return Ok(());
        }
        let ids = super::message_row::insert_copies(conn, row, &self.chats)?;
        self.inserted = true;
        let waiting = copies.len() - ids.len();
        for (copy, id) in copies[waiting..].iter_mut().zip(ids) {
            copy.id = id;
        }
        self.chats.clear();
        Ok(())
    }
}

/// Stores the request of a delivery that is not kept in its message's row, with the id of its
/// last message and the content its messages share, if they do: an image's without its base64
/// when it can be rebuilt exactly (the picture is stored once, as bytes), and the picture.
fn insert_request(
    conn: &Connection,
    delivery: &Delivery,
    last_message_id: Option<i64>,
    shared_content: Option<&str>,
) -> Result<(), StoreError> {
    let message = &delivery.send.request.message;
    let stripped = match (message, &delivery.send.image) {
        (Message::Image { image }, Some(data)) => {
            super::raw_body::strip(&delivery.raw_body, &image.base64, data.canonical)
        }
        _ => None,
    };
    let (raw_body, base64_at) = match &stripped {
        Some((body, at)) => (body.as_slice(), i64::try_from(*at).ok()),
        None => (&delivery.raw_body[..], None),
    };
    conn.prepare_cached(
        "INSERT INTO requests (id, bot_id, raw_body, reply, from_ip, created_at, last_message_id,
             content)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        delivery.request_id,
        delivery.bot_id,
        raw_body,
        delivery.reply,
        delivery.from_ip,
        delivery.now,
        last_message_id,
        shared_content
    ])?;
    if let Some(image) = &delivery.send.image {
        conn.prepare_cached(
            "INSERT INTO images (request_id, mime, bytes, base64_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            delivery.request_id,
            image.format.mime(),
            image.bytes,
            base64_at
        ])?;
    }
    Ok(())
}

/// A JSON list column: NULL when empty (`mentions`, `request_lints`), the common case.
pub(super) fn json_unless_empty<T: serde::Serialize>(
    list: &[T],
) -> Result<Option<String>, StoreError> {
    if list.is_empty() {
        Ok(None)
    } else {
        Ok(Some(serde_json::to_string(list)?))
    }
}

/// The post a blackboard message belongs to.
enum Post {
    /// The `post_id` of the request: a reply.
    Existing(String),
    /// A post the message opens.
    New(String),
}

impl Post {
    fn id(&self) -> &str {
        match self {
            Post::Existing(id) | Post::New(id) => id,
        }
    }

    fn into_id(self) -> String {
        match self {
            Post::Existing(id) | Post::New(id) => id,
        }
    }
}

/// The post of the message to `target`: none outside blackboards; the request's `post_id` when it
/// takes effect (`chatid` is exactly this blackboard), which must be a post of it; else a new one.
fn post_of(
    conn: &Connection,
    delivery: &Delivery,
    target: &Target,
    only_target: bool,
) -> Result<Option<Post>, StoreError> {
    if target.kind != ChatKind::Blackboard {
        return Ok(None);
    }
    let Some(post_id) = delivery.send.effective_post_id().filter(|_| only_target) else {
        return Ok(Some(Post::New(random_id("bpk", 29))));
    };
    if chats::post_chat(conn, post_id)?.as_deref() != Some(target.chatid.as_str()) {
        // [U] 40058 for a post_id that is not a post of the blackboard.
        return Err(refuse(ErrorCode::invalid_parameter(
            "post_id",
            "is not a post of the blackboard",
        )));
    }
    Ok(Some(Post::Existing(post_id.to_owned())))
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
