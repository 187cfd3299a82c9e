//! Who is called back, about what (spec §8.1): the outbox entries an event makes, for the bots
//! that have a callback configured.
//!
//! - A person's message in a group or blackboard: each bot of the chat the text @-mentions by
//!   name (`@RobotA`, as the WeCom client writes it); pictures and mixed messages call back in
//!   single chats only. On a blackboard, a new post is `blackboard` and a reply
//!   `blackboard_reply`, with the post id.
//! - A person's message in a single chat: always, to that chat's bot.
//! - A person opening a single chat: `enter_chat`; a bot added to or removed from a group:
//!   `add_to_chat` / `delete_from_chat`; a click on a markdown button: `attachment`.

use std::collections::HashMap;

use hookpit_protocol::callback::{
    AttachmentAction, CallbackBody, ChatType, EventType, MixedItem, Sender,
};

use super::payload::{Origin, Place, Recipient, entry, mentions_bot, sender};
use crate::app::AppState;
use crate::domain::{Bot, CallbackConfig, ChatKind, NewOutboxEntry, PersonItem, User};
use crate::store::StoreError;

/// The bots a callback may go to, with their configurations (only bots that have one).
pub struct Audience {
    bots: Vec<(Bot, CallbackConfig)>,
}

impl Audience {
    /// The configured bots among `bot_ids`.
    ///
    /// # Errors
    /// The store failed.
    pub async fn load(state: &AppState, bot_ids: &[String]) -> Result<Audience, StoreError> {
        let configs = state.store.callback_configs(bot_ids.to_vec()).await?;
        if configs.is_empty() {
            return Ok(Audience { bots: Vec::new() });
        }
        let mut bots = Vec::new();
        for bot in state.store.list_bots().await? {
            if let Some(config) = configs.get(&bot.id) {
                bots.push((bot, config.clone()));
            }
        }
        Ok(Audience { bots })
    }

    fn bots(&self) -> impl Iterator<Item = &(Bot, CallbackConfig)> {
        self.bots.iter()
    }
}

/// The chat a person wrote in.
pub struct Scene<'a> {
    pub chatid: &'a str,
    pub kind: ChatKind,
    /// The bot of a single chat.
    pub single_chat_bot: Option<&'a str>,
    /// The post replied to, or the new post a blackboard message opens.
    pub post_id: Option<&'a str>,
    /// Whether the message replies to a post (`blackboard_reply`) rather than opening one.
    pub reply: bool,
}

/// The callbacks of a person's message. `image_url` turns the `n`-th picture into the URL the
/// bot downloads it from.
pub fn person_message(
    origin: &Origin<'_>,
    audience: &Audience,
    scene: &Scene<'_>,
    author: &User,
    items: &[PersonItem],
    image_url: &dyn Fn(usize) -> String,
) -> Vec<NewOutboxEntry> {
    let text: String = items
        .iter()
        .filter_map(|item| match item {
            PersonItem::Text(text) => Some(text.as_str()),
            PersonItem::Image(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let chat_type = match (scene.kind, scene.reply) {
        (ChatKind::Single, _) => ChatType::Single,
        (ChatKind::Group, _) => ChatType::Group,
        (ChatKind::Blackboard, false) => ChatType::Blackboard,
        (ChatKind::Blackboard, true) => ChatType::BlackboardReply,
    };
    let body = match (items, scene.kind) {
        ([PersonItem::Text(content)], _) => CallbackBody::Text {
            content: content.clone(),
        },
        // Pictures and mixed messages are called back in single chats only (spec §8.1).
        (_, ChatKind::Group | ChatKind::Blackboard) => return Vec::new(),
        ([PersonItem::Image(_)], ChatKind::Single) => CallbackBody::Image {
            image_url: image_url(0),
        },
        (_, ChatKind::Single) => {
            let mut n = 0;
            CallbackBody::Mixed {
                items: items
                    .iter()
                    .map(|item| match item {
                        PersonItem::Text(content) => MixedItem::Text {
                            content: content.clone(),
                        },
                        PersonItem::Image(_) => {
                            n += 1;
                            MixedItem::Image {
                                image_url: image_url(n - 1),
                            }
                        }
                    })
                    .collect(),
            }
        }
    };
    let place = Place {
        chatid: scene.chatid,
        chat_type,
        post_id: scene.post_id.filter(|_| scene.kind == ChatKind::Blackboard),
    };
    audience
        .bots()
        .filter(|(bot, _)| match scene.kind {
            ChatKind::Single => scene.single_chat_bot == Some(bot.id.as_str()),
            ChatKind::Group | ChatKind::Blackboard => {
                bot.chats.iter().any(|chat| chat == scene.chatid) && mentions_bot(&text, &bot.name)
            }
        })
        .map(|(bot, config)| {
            let to = Recipient {
                bot_id: &bot.id,
                key: &bot.key,
                config,
            };
            entry(origin, &to, &place, sender(author), body.clone())
        })
        .collect()
}

/// The callback of an event (`enter_chat`, `add_to_chat`, `delete_from_chat`) for `bot`, if it
/// has a callback configured.
pub fn event(
    origin: &Origin<'_>,
    bot: &Bot,
    config: Option<&CallbackConfig>,
    place: &Place<'_>,
    by: &User,
    event_type: EventType,
) -> Vec<NewOutboxEntry> {
    to_bot(
        origin,
        bot,
        config,
        place,
        by,
        CallbackBody::Event { event_type },
    )
}

/// The `attachment` callback of a click (spec §8.6: `callbackid` and the clicked action only).
pub fn click(
    origin: &Origin<'_>,
    bot: &Bot,
    config: Option<&CallbackConfig>,
    place: &Place<'_>,
    by: &User,
    callback_id: &str,
    action: AttachmentAction,
) -> Vec<NewOutboxEntry> {
    let body = CallbackBody::Attachment {
        callback_id: callback_id.to_owned(),
        actions: vec![action],
    };
    to_bot(origin, bot, config, place, by, body)
}

/// The one callback of `body` for `bot`, done by `by` in `place`: none without a callback
/// configured.
fn to_bot(
    origin: &Origin<'_>,
    bot: &Bot,
    config: Option<&CallbackConfig>,
    place: &Place<'_>,
    by: &User,
    body: CallbackBody,
) -> Vec<NewOutboxEntry> {
    let Some(config) = config else {
        return Vec::new();
    };
    let to = Recipient {
        bot_id: &bot.id,
        key: &bot.key,
        config,
    };
    vec![entry(origin, &to, place, sender(by), body)]
}

/// The callback chat type of a chat kind (a blackboard's, when not a reply).
pub fn chat_type_of(kind: ChatKind) -> ChatType {
    match kind {
        ChatKind::Group => ChatType::Group,
        ChatKind::Blackboard => ChatType::Blackboard,
        ChatKind::Single => ChatType::Single,
    }
}

/// `users` by userid.
pub fn user_map(users: Vec<User>) -> HashMap<String, User> {
    users
        .into_iter()
        .map(|user| (user.userid.clone(), user))
        .collect()
}

/// A sender for a userid that is not (or no longer) a user.
pub fn unknown_sender(userid: &str) -> Sender {
    Sender {
        userid: userid.to_owned(),
        name: userid.to_owned(),
        alias: userid.to_owned(),
    }
}
