//! Lints: what a sender should know about how WeCom shows a message, and their stable codes.
//!
//! A lint never means the message was refused (validation in `hookpit-protocol` decides that);
//! it explains a difference between what was sent and what people see. Codes are stable API:
//! the inbox and `hookpit lint` may match on them; messages are for people and may change.

use serde::Serialize;

/// One finding about a rendered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lint {
    /// A stable snake_case code, one of the constants in [`code`].
    pub code: &'static str,
    /// A sentence for people, in English, naming the field and what WeCom does.
    pub message: String,
}

/// Every lint code.
pub mod code {
    /// `text.content` is longer than WeCom displays (2048 bytes); the rest is cut.
    pub const TEXT_TRUNCATED: &str = "text_truncated";
    /// A mention (`<@userid>`, `mentioned_list`, a horizontal-list member) names no known user.
    pub const UNKNOWN_USER: &str = "unknown_user";
    /// A `mentioned_mobile_list` entry matches no known user.
    pub const UNKNOWN_MOBILE: &str = "unknown_mobile";
    /// `mentioned_list`/`mentioned_mobile_list` on a message other than `text` (or outside the
    /// `text` object), where WeCom ignores them; found by [`crate::lint_request`].
    pub const MENTION_LIST_IGNORED: &str = "mention_list_ignored";
    /// `mentioned_list`/`mentioned_mobile_list` sent to a blackboard, where WeCom ignores them.
    pub const MENTION_ON_BLACKBOARD: &str = "mention_on_blackboard";
    /// Markdown syntax the message type does not support; WeCom shows it literally.
    pub const UNSUPPORTED_SYNTAX: &str = "unsupported_syntax";
    /// A markdown (v1) heading without the required space after `#`.
    pub const HEADING_WITHOUT_SPACE: &str = "heading_without_space";
    /// A `<font color>` other than `info`, `comment` and `warning`.
    pub const UNSUPPORTED_COLOUR: &str = "unsupported_colour";
    /// A URL that is not `http`/`https`, so it is not made a link or image.
    pub const UNSAFE_URL: &str = "unsafe_url";
    /// A news title or description longer than WeCom keeps (128/512 bytes); the rest is cut.
    pub const NEWS_TRUNCATED: &str = "news_truncated";
    /// A template-card text longer than the spec's "建议不超过 N 个字".
    pub const CARD_TEXT_TOO_LONG: &str = "card_text_too_long";
    /// A template-card block the card type does not show.
    pub const CARD_FIELD_IGNORED: &str = "card_field_ignored";
    /// `card_image.aspect_ratio` outside [1.3, 2.25]; shown at the default 1.3.
    pub const CARD_ASPECT_RATIO: &str = "card_aspect_ratio";
    /// An unknown `card_type`; the card is shown as a `text_notice`.
    pub const CARD_TYPE_UNKNOWN: &str = "card_type_unknown";
    /// A `media_id` this server does not know (expired, another bot's, or offline linting).
    pub const UNKNOWN_MEDIA: &str = "unknown_media";
    /// A button `border_color`/`text_color` that is not a hex colour; the default is used.
    pub const BUTTON_COLOUR: &str = "button_colour";
    /// `markdown_v2` table rows so much shorter than their header that the inbox leaves the
    /// missing cells out past a budget instead of filling them in (as GFM, and likely WeCom, do).
    pub const TABLE_CELLS_MISSING: &str = "table_cells_missing";
    /// `visible_to_user` on a request whose `chatid` does not name exactly one conversation, so
    /// WeCom ignores it and everyone sees the message; found by [`crate::lint_send`].
    pub const VISIBLE_TO_IGNORED: &str = "visible_to_ignored";
    /// `post_id` on a request whose `chatid` does not name exactly one conversation, or on a
    /// type a blackboard does not take, so WeCom ignores it; found by [`crate::lint_send`].
    pub const POST_ID_IGNORED: &str = "post_id_ignored";
    /// A media id that is one of the official document's placeholders (`MEDIA_ID`, ...): the
    /// demo workspace answers it, real WeCom does not; found by [`crate::lint_send`].
    pub const PLACEHOLDER_MEDIA_ID: &str = "placeholder_media_id";
    /// A message type WeCom does not deliver to this kind of chat (`markdown_v2` on a
    /// blackboard: "该消息类型不支持发送到小黑板中").
    pub const NOT_FOR_CHAT: &str = "not_for_chat";
}
