//! The part every message shares: its [`Envelope`] (`chatid`, `visible_to_user`, `post_id`) and
//! the [`Draft`] that carries a [`Body`] in one until it becomes a [`SendRequest`].

use hookpit_protocol::message::{Image, Markdown, MarkdownV2, MediaRef, Miniprogram, News, Text};
use hookpit_protocol::{Message, SendRequest, TemplateCard};

/// Where a message goes and who sees it: the fields of the request beside `msgtype`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    chatid: Vec<String>,
    visible_to_user: Vec<String>,
    post_id: Option<String>,
}

impl Envelope {
    /// No envelope fields: WeCom sends the message to `@all_group` (the bot's group).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a target: a chat id from a callback, a userid, or `@all_group`, `@all_blackboard`,
    /// `@all`. Call it again for more targets (WeCom takes up to 100, joined by `|`).
    pub fn chatid(mut self, id: impl Into<String>) -> Self {
        self.chatid.push(id.into());
        self
    }

    /// Makes the message visible only to this member (repeatable). WeCom applies it only when
    /// the message goes to exactly one group or blackboard.
    pub fn visible_to(mut self, userid: impl Into<String>) -> Self {
        self.visible_to_user.push(userid.into());
        self
    }

    /// Replies to a blackboard post. WeCom applies it only when the message goes to exactly one
    /// blackboard, for text, markdown and image.
    pub fn post_id(mut self, post_id: impl Into<String>) -> Self {
        self.post_id = Some(post_id.into());
        self
    }

    /// The request carrying `message` in this envelope.
    pub fn wrap(&self, message: impl Into<Message>) -> SendRequest {
        SendRequest {
            chatid: join(&self.chatid),
            post_id: self.post_id.clone(),
            visible_to_user: join(&self.visible_to_user),
            message: message.into(),
        }
    }
}

fn join(ids: &[String]) -> Option<String> {
    (!ids.is_empty()).then(|| ids.join("|"))
}

/// A message body that a [`Draft`] can carry.
pub trait Body {
    /// The body as a [`Message`], tagged with its `msgtype`.
    fn into_message(self) -> Message;
}

macro_rules! body_via_from {
    ($($body:ty),*) => {
        $(impl Body for $body {
            fn into_message(self) -> Message {
                Message::from(self)
            }
        })*
    };
}

body_via_from!(
    Text,
    Markdown,
    MarkdownV2,
    Image,
    News,
    TemplateCard,
    Miniprogram
);

/// The body of a `file` message: a media id from [`Webhook::upload_media`](crate::Webhook::upload_media).
#[derive(Debug, Clone, PartialEq)]
pub struct FileBody(pub MediaRef);

/// The body of a `voice` message: a media id of an AMR upload.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceBody(pub MediaRef);

impl Body for FileBody {
    fn into_message(self) -> Message {
        Message::File { file: self.0 }
    }
}

impl Body for VoiceBody {
    fn into_message(self) -> Message {
        Message::Voice { voice: self.0 }
    }
}

/// A message being built: its body and its [`Envelope`].
#[derive(Debug, Clone, PartialEq)]
pub struct Draft<B> {
    pub(super) body: B,
    envelope: Envelope,
}

impl<B: Body> Draft<B> {
    /// A draft of `body` with no envelope fields.
    pub fn new(body: B) -> Self {
        Draft {
            body,
            envelope: Envelope::new(),
        }
    }

    /// Adds a target (repeatable); see [`Envelope::chatid`].
    pub fn chatid(mut self, id: impl Into<String>) -> Self {
        self.envelope = self.envelope.chatid(id);
        self
    }

    /// Restricts who sees the message (repeatable); see [`Envelope::visible_to`].
    pub fn visible_to(mut self, userid: impl Into<String>) -> Self {
        self.envelope = self.envelope.visible_to(userid);
        self
    }

    /// Replies to a blackboard post; see [`Envelope::post_id`].
    pub fn post_id(mut self, post_id: impl Into<String>) -> Self {
        self.envelope = self.envelope.post_id(post_id);
        self
    }

    /// Replaces the whole envelope.
    pub fn envelope(mut self, envelope: Envelope) -> Self {
        self.envelope = envelope;
        self
    }

    /// The body built so far.
    pub fn body(&self) -> &B {
        &self.body
    }

    /// The finished wire request.
    pub fn into_request(self) -> SendRequest {
        self.envelope.wrap(self.body.into_message())
    }
}

impl<B: Body> From<Draft<B>> for SendRequest {
    fn from(draft: Draft<B>) -> SendRequest {
        draft.into_request()
    }
}
