//! Passive replies (spec §8.7): the one message a bot may put in the HTTP response to a callback,
//! encrypted like the callback itself.
//!
//! Only text (with mentions) and markdown (with attachments) are allowed; both may set
//! `visible_to_user`. The plaintext is in the callback's format: JSON is the send API's own
//! request body, XML spells the same fields in CamelCase. [`parse_passive_reply`] turns either
//! into the equivalent send request and validates it with the rules of
//! [`parse_send`](crate::parse_send), so a server can deliver it like a send; the one rule that
//! differs is that an action's `replace_text` may be left out ("不填则点击后不替换").

use serde_json::Value;

use super::envelope::CallbackFormat;
use super::xml::{self, Element, XmlError, XmlWriter};
use crate::error::ErrorCode;
use crate::message::{Action, Attachment, Markdown, Message, SendRequest, Text};
use crate::validate::{Rules, ValidSend, parse_with};

/// A passive reply: a text or markdown message to the conversation of the callback.
#[derive(Debug, Clone, PartialEq)]
pub struct PassiveReply {
    /// `|`-separated userids who alone see the reply (groups and blackboards).
    pub visible_to_user: Option<String>,
    /// The message.
    pub message: PassiveMessage,
}

/// The two message types a passive reply may have.
#[derive(Debug, Clone, PartialEq)]
pub enum PassiveMessage {
    /// Text, with optional mentions.
    Text(Text),
    /// Markdown, with optional button attachments (`replace_text` may be empty).
    Markdown(Markdown),
}

impl From<Text> for PassiveReply {
    fn from(text: Text) -> PassiveReply {
        PassiveReply {
            visible_to_user: None,
            message: PassiveMessage::Text(text),
        }
    }
}

impl From<Markdown> for PassiveReply {
    fn from(markdown: Markdown) -> PassiveReply {
        PassiveReply {
            visible_to_user: None,
            message: PassiveMessage::Markdown(markdown),
        }
    }
}

impl TryFrom<SendRequest> for PassiveReply {
    type Error = PassiveError;

    /// The reply a send request amounts to: its body and `visible_to_user`; `chatid` and
    /// `post_id` do not apply (the reply goes to the callback's conversation) and are dropped.
    fn try_from(request: SendRequest) -> Result<PassiveReply, PassiveError> {
        let message = match request.message {
            Message::Text { text } => PassiveMessage::Text(text),
            Message::Markdown { markdown } => PassiveMessage::Markdown(markdown),
            other => {
                return Err(PassiveError::UnsupportedMsgType(
                    other.msgtype().to_string(),
                ));
            }
        };
        Ok(PassiveReply {
            visible_to_user: request.visible_to_user,
            message,
        })
    }
}

/// Why a decrypted passive reply cannot be delivered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PassiveError {
    /// An XML reply that is not well-formed.
    #[error("the passive reply is not XML: {0}")]
    NotXml(#[from] XmlError),
    /// A JSON reply that is not a JSON object.
    #[error("the passive reply is not a JSON object: {0}")]
    NotJson(#[from] serde_json::Error),
    /// A reply without `MsgType` / `msgtype`.
    #[error("the passive reply has no msgtype")]
    MissingMsgType,
    /// A type other than text and markdown, which passive replies cannot have.
    #[error("passive replies are text or markdown only, not {0:?}")]
    UnsupportedMsgType(String),
    /// A reply that breaks a rule of the send API, with the answer `send` would give.
    #[error("the passive reply breaks a send rule: errcode {} {}", .0.code(), .0.text())]
    Invalid(ErrorCode),
}

impl PassiveReply {
    /// The send request this reply amounts to (no `chatid`: it goes to the callback's chat).
    pub fn to_send_request(&self) -> SendRequest {
        let message = match &self.message {
            PassiveMessage::Text(text) => Message::from(text.clone()),
            PassiveMessage::Markdown(markdown) => Message::from(markdown.clone()),
        };
        SendRequest {
            visible_to_user: self.visible_to_user.clone(),
            ..SendRequest::new(message)
        }
    }

    /// The plaintext in `format`, ready for [`super::CallbackCrypto::encrypt`].
    pub fn to_plaintext(&self, format: CallbackFormat) -> String {
        match format {
            CallbackFormat::Xml => self.to_xml(),
            CallbackFormat::Json => self.to_json(),
        }
    }

    /// The JSON plaintext: the send API's body, without the empty `replace_text`s.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self.to_send_request()).unwrap_or(Value::Null);
        let actions = value
            .pointer_mut("/markdown/attachments")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(|attachment| attachment.get_mut("actions")?.as_array_mut())
            .flatten();
        for action in actions.filter_map(Value::as_object_mut) {
            if action.get("replace_text").and_then(Value::as_str) == Some("") {
                action.remove("replace_text");
            }
        }
        value.to_string()
    }

    /// The XML plaintext of the document's examples. `at_short_name` has no XML form there and
    /// is left out.
    pub fn to_xml(&self) -> String {
        let mut out = XmlWriter::new();
        let msgtype = match &self.message {
            PassiveMessage::Text(_) => "text",
            PassiveMessage::Markdown(_) => "markdown",
        };
        out.cdata("MsgType", msgtype);
        if let Some(visible) = &self.visible_to_user {
            out.cdata("VisibleToUser", visible);
        }
        match &self.message {
            PassiveMessage::Text(text) => {
                out.open("Text").cdata("Content", &text.content);
                for (name, list) in [
                    ("MentionedList", &text.mentioned_list),
                    ("MentionedMobileList", &text.mentioned_mobile_list),
                ] {
                    if let Some(list) = list {
                        out.open(name);
                        for item in list {
                            out.cdata("Item", item);
                        }
                        out.close(name);
                    }
                }
                out.close("Text");
            }
            PassiveMessage::Markdown(markdown) => {
                out.open("Markdown").cdata("Content", &markdown.content);
                for attachment in markdown.attachments.iter().flatten() {
                    write_attachment(&mut out, attachment);
                }
                out.close("Markdown");
            }
        }
        out.finish()
    }
}

fn write_attachment(out: &mut XmlWriter, attachment: &Attachment) {
    out.open("Attachment")
        .cdata("CallbackId", &attachment.callback_id);
    for action in &attachment.actions {
        out.open("Actions")
            .cdata("Name", &action.name)
            .cdata("Value", &action.value)
            .cdata("Text", &action.text)
            .cdata("Type", &action.kind);
        if let Some(color) = &action.border_color {
            out.cdata("BorderColor", color);
        }
        if let Some(color) = &action.text_color {
            out.cdata("TextColor", color);
        }
        if !action.replace_text.is_empty() {
            out.cdata("ReplaceText", &action.replace_text);
        }
        out.close("Actions");
    }
    out.close("Attachment");
}

/// Turns a decrypted passive reply into the send it amounts to, validated; `Ok(None)` when the
/// bot does not reply: an empty plaintext, or a text whose content is empty.
///
/// The result has no `chatid` or `post_id`: the reply goes to the callback's conversation, so a
/// JSON reply's own are dropped. The `replace_text` of actions may be empty.
///
/// # Errors
/// [`PassiveError`]: not `format`, no msgtype, a type other than text and markdown, or the
/// [`ErrorCode`] that `send` would answer.
pub fn parse_passive_reply(
    format: CallbackFormat,
    plaintext: &[u8],
) -> Result<Option<ValidSend>, PassiveError> {
    if plaintext.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let body = match format {
        CallbackFormat::Xml => match from_xml(&xml::parse(plaintext)?)? {
            // A struct of strings always serializes.
            Some(request) => serde_json::to_vec(&request).unwrap_or_default(),
            None => return Ok(None),
        },
        CallbackFormat::Json => {
            if !json_has_content(plaintext)? {
                return Ok(None);
            }
            plaintext.to_vec()
        }
    };
    // [U] a passive reply is held to the send rules, `replace_text` aside.
    parse_with(&body, Rules::PASSIVE_REPLY)
        .map(Some)
        .map_err(PassiveError::Invalid)
}

/// Checks the type of a JSON reply; `false` for a text without content.
fn json_has_content(plaintext: &[u8]) -> Result<bool, PassiveError> {
    let value: Value = serde_json::from_slice(plaintext)?;
    let Value::Object(object) = value else {
        return Err(PassiveError::NotJson(serde::de::Error::custom(
            "a passive reply is a JSON object",
        )));
    };
    match object.get("msgtype") {
        None | Some(Value::Null) => Err(PassiveError::MissingMsgType),
        Some(Value::String(msgtype)) if msgtype == "text" => {
            // A missing or empty text is "no reply"; a `text` of another type is for the
            // send rules to refuse.
            let empty = match object.get("text") {
                None | Some(Value::Null) => true,
                Some(Value::Object(text)) => match text.get("content") {
                    None | Some(Value::Null) => true,
                    Some(Value::String(content)) => content.is_empty(),
                    Some(_) => false,
                },
                Some(_) => false,
            };
            Ok(!empty)
        }
        Some(Value::String(msgtype)) if msgtype == "markdown" => Ok(true),
        Some(Value::String(other)) => Err(PassiveError::UnsupportedMsgType(other.clone())),
        Some(other) => Err(PassiveError::UnsupportedMsgType(other.to_string())),
    }
}

/// The send request an XML reply spells; `None` for a text without content.
fn from_xml(root: &Element) -> Result<Option<SendRequest>, PassiveError> {
    let owned = |element: &Element, name: &str| element.text_of(name).map(str::to_owned);
    let items = |element: &Element, list: &str| {
        element.child(list).map(|list| {
            list.children("Item")
                .map(|item| item.text.clone())
                .collect()
        })
    };
    let message = match root.text_of("MsgType") {
        None => return Err(PassiveError::MissingMsgType),
        Some("text") => {
            let text = root.child("Text");
            let content = text.and_then(|text| owned(text, "Content"));
            // [U] a text with empty content is no reply, not 44004.
            let Some(content) = content.filter(|content| !content.is_empty()) else {
                return Ok(None);
            };
            Message::from(Text {
                content,
                mentioned_list: text.and_then(|text| items(text, "MentionedList")),
                mentioned_mobile_list: text.and_then(|text| items(text, "MentionedMobileList")),
            })
        }
        Some("markdown") => {
            let markdown = root.child("Markdown");
            let attachments: Vec<Attachment> = markdown
                .into_iter()
                .flat_map(|markdown| markdown.children("Attachment"))
                .map(attachment)
                .collect();
            // [U] elements the document does not name (`AtShortName`, …) are ignored.
            Message::from(Markdown {
                content: markdown
                    .and_then(|markdown| owned(markdown, "Content"))
                    .unwrap_or_default(),
                at_short_name: None,
                attachments: (!attachments.is_empty()).then_some(attachments),
            })
        }
        Some(other) => return Err(PassiveError::UnsupportedMsgType(other.to_owned())),
    };
    Ok(Some(SendRequest {
        visible_to_user: owned(root, "VisibleToUser").filter(|users| !users.is_empty()),
        ..SendRequest::new(message)
    }))
}

fn attachment(element: &Element) -> Attachment {
    let text = |element: &Element, name: &str| element.text_of(name).unwrap_or_default().to_owned();
    let optional = |element: &Element, name: &str| element.text_of(name).map(str::to_owned);
    Attachment {
        callback_id: text(element, "CallbackId"),
        actions: element
            .children("Actions")
            .map(|action| Action {
                name: text(action, "Name"),
                text: text(action, "Text"),
                kind: text(action, "Type"),
                value: text(action, "Value"),
                replace_text: text(action, "ReplaceText"),
                border_color: optional(action, "BorderColor"),
                text_color: optional(action, "TextColor"),
            })
            .collect(),
    }
}
