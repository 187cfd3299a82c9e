//! Validation of `send` requests with WeCom's exact answers.
//!
//! [`parse_send`] turns the raw body into a [`ValidSend`] or the [`ErrorCode`] WeCom would reply.
//! Checks that need the server's state (the key, media ids, rate limits, routing) happen in the
//! server, in the order documented on [`parse_send`].

use serde_json::Value;

use crate::error::ErrorCode;
use crate::message::{Message, MsgType, SendRequest};
use crate::target::{ChatTarget, ChatTargets};

/// A send request that passed every check that needs no server state.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSend {
    /// The request as accepted, normalized (e.g. news titles truncated as WeCom does).
    pub request: SendRequest,
    /// The parsed `chatid`.
    pub targets: ChatTargets,
    /// The parsed `visible_to_user` (empty = everyone). Whether it takes effect depends on the
    /// target, which only the server knows.
    pub visible_to: Vec<String>,
    /// The decoded picture of an `image` message.
    pub image: Option<ImageData>,
}

/// The decoded bytes of an `image` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageData {
    pub bytes: Vec<u8>,
    pub format: ImageFormat,
}

/// The picture formats WeCom accepts, told apart by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
}

impl ImageFormat {
    /// The MIME type to serve the picture with.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
        }
    }
}

/// Parses and validates a `send` body.
///
/// # Errors
/// The [`ErrorCode`] WeCom answers for the first rule the body breaks.
pub fn parse_send(body: &[u8]) -> Result<ValidSend, ErrorCode> {
    let value: Value = serde_json::from_slice(body).map_err(|_| ErrorCode::INVALID_MESSAGE_TYPE)?;
    let msgtype = value
        .get("msgtype")
        .and_then(Value::as_str)
        .and_then(MsgType::from_wire)
        .ok_or(ErrorCode::INVALID_MESSAGE_TYPE)?;
    let request: SendRequest =
        serde_json::from_value(value).map_err(|e| ErrorCode::invalid_parameter(msgtype.as_str(), &e.to_string()))?;
    let targets = parse_chatid(request.chatid.as_deref());
    let visible_to = split_ids(request.visible_to_user.as_deref());
    if let Message::Text { text } = &request.message
        && text.content.is_empty()
    {
        return Err(ErrorCode::EMPTY_CONTENT);
    }
    Ok(ValidSend {
        request,
        targets,
        visible_to,
        image: None,
    })
}

/// Parses `chatid`; absent or blank means `@all_group`.
pub fn parse_chatid(chatid: Option<&str>) -> ChatTargets {
    let mut targets: Vec<ChatTarget> = Vec::new();
    for id in split_ids(chatid) {
        let target = match id.as_str() {
            "@all_group" => ChatTarget::AllGroups,
            "@all_blackboard" => ChatTarget::AllBlackboards,
            "@all" => ChatTarget::All,
            _ => ChatTarget::Id(id),
        };
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    if targets.is_empty() {
        targets.push(ChatTarget::AllGroups);
    }
    ChatTargets(targets)
}

fn split_ids(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split('|')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}
