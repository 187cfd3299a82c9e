//! The message item of `/api/v1` (list, detail, long-poll and live events), rendered to HTML with
//! `hookpit-render`.
//!
//! An item's `lints` are the renderer's (what people see) followed by the lints of the raw request
//! body, stored with the message when it was accepted (fields WeCom ignores, which the stored
//! content no longer holds).
//!
//! A [`Page`] is built once per batch of messages: it loads the users with ONE statement and the
//! media the batch refers to with ONE more, then renders every message against those in-memory
//! directories. Looking users up per message (or per mention) would make a 200-item page cost
//! hundreds of queries.

use std::collections::BTreeSet;

use std::collections::HashMap;

use hookpit_protocol::{Message, MsgType};
use hookpit_render::{
    Context, MediaInfo, MemoryMedia, MemoryUsers, PersonPart, Rendered, UserDirectory, render,
    render_person,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::ApiResult;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::domain::{ChatKind, Consumer, MessageDetail, MessageLint, MessageType, StoredMessage};

/// The bot of a message item.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = MessageBot)]
pub struct BotRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

/// Who wrote a message: a bot, or a person in the inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[schema(as = MessageAuthor)]
pub enum Author<'a> {
    /// A bot, through its webhook.
    Bot { id: &'a str, name: &'a str },
    /// A person, in the inbox (or through `POST /chats/{chatid}/messages`).
    User { userid: &'a str, name: String },
}

/// A message item: the shape of ARCHITECTURE.md.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = MessageItem)]
pub struct Item<'a> {
    /// The message id: increasing, never reused (the cursor of lists and long-polls).
    pub id: i64,
    /// The id of the request that brought it (one request may reach several chats).
    pub request_id: &'a str,
    /// The bot of a bot's message (absent for a person's).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub bot: Option<BotRef<'a>>,
    pub from: Author<'a>,
    pub chatid: &'a str,
    #[schema(value_type = ChatKind)]
    pub chat_type: &'static str,
    /// The blackboard post it opened or replied to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub post_id: Option<&'a str>,
    #[schema(value_type = MessageType)]
    pub msgtype: &'static str,
    /// The accepted `<msgtype>` object (e.g. `{"content": "hello world"}` for text; an image's
    /// base64 is replaced by its `md5`, `format` and `size`).
    #[schema(value_type = Object)]
    pub content: &'a Value,
    /// Userids who alone see it; empty: everyone in the chat.
    #[schema(value_type = Vec<String>)]
    pub visible_to: &'a [String],
    /// Resolved mentions: userids, and `@all`.
    #[schema(value_type = Vec<String>)]
    pub mentions: &'a [String],
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The message rendered as WeCom shows it: safe HTML (all text escaped, only http(s) URLs;
    /// pictures on other hosts without `src`).
    pub html: String,
    /// The renderer's lints, then those of the raw request body.
    pub lints: Vec<MessageLint>,
    /// For the viewing person (`as_user`): the button they clicked in each attachment
    /// (`callback_id` → action `name`); WeCom then shows that action's `replace_text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub chosen: Option<HashMap<String, String>>,
    /// Where the relay is with it, when its bot relays to a real WeCom (docs/RELAY.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub relay: Option<crate::relay::RelayView>,
}

/// A message item plus what its request carried (`GET /messages/{id}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = MessageDetail)]
pub struct DetailItem<'a> {
    #[serde(flatten)]
    pub item: Item<'a>,
    /// The request body as received.
    pub raw_request: &'a str,
    /// The answer sent (WeCom's JSON).
    pub reply: &'a str,
    /// The sender's address.
    pub from_ip: &'a str,
}

/// The directories one batch of messages is rendered against.
#[derive(Debug, Default)]
pub struct Page {
    users: MemoryUsers,
    media: MemoryMedia,
    /// The viewing person's clicks, by message id.
    clicks: HashMap<i64, HashMap<String, String>>,
    /// The relay's state of the requests, by request id.
    relayed: HashMap<String, crate::relay::RelayView>,
}

impl Page {
    /// Loads the users, the media and the relay entries `messages` refer to (three
    /// statements).
    ///
    /// # Errors
    /// The store failed.
    pub async fn load(state: &AppState, messages: &[&StoredMessage]) -> ApiResult<Page> {
        if messages.is_empty() {
            return Ok(Page::default());
        }
        let mut ids = BTreeSet::new();
        for message in messages {
            media_ids(&message.content, &mut ids);
        }
        let users = state.store.list_users().await?;
        let media = state.store.media_by_ids(ids.into_iter().collect()).await?;
        let requests: BTreeSet<String> = messages
            .iter()
            .map(|message| message.request_id.clone())
            .collect();
        let relayed = state
            .store
            .outbox_by_refs(Consumer::Relay, requests.into_iter().collect())
            .await?;
        let mut page = Page {
            relayed: relayed
                .into_iter()
                .map(|(request, record)| (request, state.relays.view(&record)))
                .collect(),
            ..Page::default()
        };
        for user in &users {
            page.users.insert(&user.userid, &user.name, &user.mobile);
        }
        for upload in media {
            page.media.insert(
                &upload.media_id,
                MediaInfo {
                    download_url: format!("/api/v1/media/{}", upload.media_id),
                    filename: upload.filename,
                    size: upload.size,
                    voice_duration_ms: upload.voice_duration_ms,
                },
            );
        }
        Ok(page)
    }

    /// The item of `message`, rendered.
    pub fn item<'a>(&self, message: &'a StoredMessage) -> Item<'a> {
        let rendered = self.render(message);
        let lints = rendered
            .lints
            .into_iter()
            .map(MessageLint::from)
            .chain(message.request_lints.iter().cloned())
            .collect();
        let from = match &message.from_user {
            Some(userid) => Author::User {
                userid,
                name: self
                    .users
                    .display_name(userid)
                    .unwrap_or_else(|| userid.clone()),
            },
            None => Author::Bot {
                id: &message.bot_id,
                name: &message.bot_name,
            },
        };
        Item {
            id: message.id,
            request_id: &message.request_id,
            bot: message.from_user.is_none().then_some(BotRef {
                id: &message.bot_id,
                name: &message.bot_name,
            }),
            from,
            chatid: &message.chatid,
            chat_type: message.chat_kind.as_str(),
            post_id: message.post_id.as_deref(),
            msgtype: message.msgtype.as_str(),
            content: &message.content,
            visible_to: &message.visible_to,
            mentions: &message.mentions,
            created_at: rfc3339(message.created_at),
            html: rendered.html,
            lints,
            chosen: self.clicks.get(&message.id).cloned(),
            relay: self.relayed.get(&message.request_id).cloned(),
        }
    }

    /// Adds the clicks `userid` made on `messages`, for [`Item::chosen`].
    ///
    /// # Errors
    /// The store failed.
    pub async fn with_clicks_of(
        mut self,
        state: &AppState,
        userid: Option<&str>,
        messages: &[&StoredMessage],
    ) -> ApiResult<Page> {
        let Some(userid) = userid else {
            return Ok(self);
        };
        let with_buttons: Vec<i64> = messages
            .iter()
            .filter(|message| {
                message.msgtype == MsgType::Markdown && message.content.get("attachments").is_some()
            })
            .map(|message| message.id)
            .collect();
        if !with_buttons.is_empty() {
            self.clicks = state.store.clicks_of(userid, with_buttons).await?;
        }
        Ok(self)
    }

    /// The detail item of `detail`, rendered.
    pub fn detail<'a>(&self, detail: &'a MessageDetail) -> DetailItem<'a> {
        DetailItem {
            item: self.item(&detail.message),
            raw_request: &detail.raw_request,
            reply: &detail.reply,
            from_ip: &detail.from_ip,
        }
    }

    fn render(&self, message: &StoredMessage) -> Rendered {
        if message.from_user.is_some() {
            return render_person_message(message);
        }
        let Some(body) = wire_message(message) else {
            // Stored content always came from an accepted request; this guards a corrupt row.
            tracing::warn!(id = message.id, "admin API: stored message does not parse");
            return Rendered {
                html: "<div class=\"hp-msg hp-msg-unknown\"></div>".to_owned(),
                lints: Vec::new(),
            };
        };
        let image_url = format!("/api/v1/messages/{}/image", message.id);
        let context = Context {
            users: &self.users,
            media: &self.media,
            image_url: (message.msgtype == MsgType::Image).then_some(image_url.as_str()),
            chat: message.chat_kind.render_kind(),
        };
        render(&body, &context)
    }
}

/// A person's message: its text and pictures (served by `/api/v1/messages/{id}/image?n=`).
fn render_person_message(message: &StoredMessage) -> Rendered {
    let picture = |n: u64| format!("/api/v1/messages/{}/image?n={n}", message.id);
    let content = &message.content;
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let parts: Vec<(bool, String)> = match message.msgtype {
        MessageType::Mixed => content
            .get("items")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| match item.get("type").and_then(Value::as_str) {
                        Some("image") => (
                            true,
                            picture(item.get("n").and_then(Value::as_u64).unwrap_or(0)),
                        ),
                        _ => (false, text(&item["content"])),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        MessageType::Push(MsgType::Image) => vec![(true, picture(0))],
        MessageType::Push(_) => vec![(false, text(&content["content"]))],
    };
    let parts: Vec<PersonPart<'_>> = parts
        .iter()
        .map(|(image, value)| {
            if *image {
                PersonPart::Image(value)
            } else {
                PersonPart::Text(value)
            }
        })
        .collect();
    render_person(&parts)
}

/// The wire message back from the stored `<msgtype>` object. An image's stored content holds
/// its md5 and size instead of the base64 (the picture is served separately), which the
/// renderer does not need.
fn wire_message(message: &StoredMessage) -> Option<Message> {
    let name = message.msgtype.as_str();
    let mut envelope = serde_json::Map::with_capacity(2);
    envelope.insert("msgtype".to_owned(), Value::String(name.to_owned()));
    envelope.insert(name.to_owned(), message.content.clone());
    serde_json::from_value(Value::Object(envelope)).ok()
}

/// Every `media_id` and `pic_media_id` string in `content` (files, voices, mini-program covers,
/// template-card file links).
fn media_ids(content: &Value, out: &mut BTreeSet<String>) {
    match content {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(id) if key == "media_id" || key == "pic_media_id" => {
                        if !id.is_empty() {
                            out.insert(id.clone());
                        }
                    }
                    other => media_ids(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| media_ids(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::ChatKind;

    fn stored(msgtype: MsgType, content: Value) -> StoredMessage {
        StoredMessage {
            id: 7,
            request_id: "r".to_owned(),
            bot_id: "b".to_owned(),
            bot_name: "Bot".to_owned(),
            from_user: None,
            chatid: "g".to_owned(),
            chat_kind: ChatKind::Group,
            post_id: None,
            msgtype: MessageType::Push(msgtype),
            content,
            visible_to: Vec::new(),
            mentions: vec!["zhangsan".to_owned()],
            request_lints: Vec::new(),
            created_at: 1_704_540_159_128,
        }
    }

    #[test]
    fn media_ids_are_found_at_any_depth() {
        let mut ids = BTreeSet::new();
        media_ids(
            &json!({"media_id": "m1", "list": [{"type": 2, "media_id": "m2"}], "pic_media_id": "m3", "x": ""}),
            &mut ids,
        );
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), vec!["m1", "m2", "m3"]);
    }

    #[test]
    fn a_text_item_has_the_documented_shape_and_html() {
        let mut page = Page::default();
        page.users.insert("zhangsan", "张三", "");
        let message = stored(MsgType::Text, json!({"content": "hi <@zhangsan> <b>"}));
        let item = serde_json::to_value(page.item(&message)).unwrap();
        assert_eq!(item["bot"], json!({"id": "b", "name": "Bot"}));
        assert_eq!(
            item["from"],
            json!({"kind": "bot", "id": "b", "name": "Bot"})
        );
        assert_eq!(item["chat_type"], "group");
        assert_eq!(item["created_at"], "2024-01-06T11:22:39.128Z");
        assert!(item.get("post_id").is_none());
        let html = item["html"].as_str().unwrap();
        assert!(html.contains("张三"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert_eq!(item["lints"], json!([]));
    }

    #[test]
    fn a_persons_mixed_item_is_theirs_with_their_pictures() {
        let mut page = Page::default();
        page.users.insert("zhangsan", "张三", "");
        let mut message = stored(MsgType::Text, json!({}));
        message.from_user = Some("zhangsan".to_owned());
        message.msgtype = MessageType::Mixed;
        message.content = json!({"items": [
            {"type": "text", "content": "看图"},
            {"type": "image", "format": "image/png", "size": 3, "n": 0}
        ]});
        let item = serde_json::to_value(page.item(&message)).unwrap();
        assert!(item.get("bot").is_none());
        assert_eq!(
            item["from"],
            json!({"kind": "user", "userid": "zhangsan", "name": "张三"})
        );
        assert_eq!(item["msgtype"], "mixed");
        let html = item["html"].as_str().unwrap();
        assert!(html.contains("看图"), "{html}");
        assert!(html.contains("/api/v1/messages/7/image?n=0"), "{html}");
    }

    #[test]
    fn an_image_item_points_at_its_picture() {
        let page = Page::default();
        let message = stored(
            MsgType::Image,
            json!({"md5": "x", "format": "image/png", "size": 3}),
        );
        let item = page.item(&message);
        assert!(
            item.html.contains("/api/v1/messages/7/image"),
            "{}",
            item.html
        );
    }

    #[test]
    fn request_lints_follow_the_renderers_lints() {
        let page = Page::default();
        let mut message = stored(MsgType::File, json!({"media_id": "nope"}));
        message.request_lints = vec![MessageLint {
            code: "mention_list_ignored".to_owned(),
            message: "file.mentioned_list: ignored".to_owned(),
        }];
        let codes: Vec<String> = page
            .item(&message)
            .lints
            .into_iter()
            .map(|lint| lint.code)
            .collect();
        assert_eq!(codes, ["unknown_media", "mention_list_ignored"]);
    }

    #[test]
    fn unknown_media_is_linted() {
        let page = Page::default();
        let message = stored(MsgType::File, json!({"media_id": "nope"}));
        let item = page.item(&message);
        assert!(
            item.lints.iter().any(|l| l.code == "unknown_media"),
            "{:?}",
            item.lints
        );
    }
}
