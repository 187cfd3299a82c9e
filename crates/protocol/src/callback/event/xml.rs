//! The XML form of a callback: CamelCase elements under `<xml>` exactly as the document's
//! examples, every string in CDATA when writing.

use super::{
    AttachmentAction, Callback, CallbackBody, ChatType, EventType, MixedItem, PayloadError, Sender,
    known,
};
use crate::callback::xml::{self, Element, XmlWriter};

pub(super) fn write(callback: &Callback) -> String {
    let mut out = XmlWriter::new();
    out.cdata("WebhookUrl", &callback.webhook_url)
        .cdata("MsgId", &callback.msgid)
        .cdata("ChatId", &callback.chatid);
    if let Some(post_id) = &callback.post_id {
        out.cdata("PostId", post_id);
    }
    out.cdata("ChatType", callback.chat_type.as_str())
        .open("From")
        .cdata("UserId", &callback.from.userid)
        .cdata("Name", &callback.from.name)
        .cdata("Alias", &callback.from.alias)
        .close("From")
        .cdata("GetChatInfoUrl", &callback.get_chat_info_url);
    // [U] `AppVersion`, only when set: not in the document's examples.
    if let Some(version) = &callback.app_version {
        out.cdata("AppVersion", version);
    }
    out.cdata("MsgType", callback.body.msgtype());
    match &callback.body {
        CallbackBody::Text { content } => {
            out.open("Text").cdata("Content", content).close("Text");
        }
        CallbackBody::Image { image_url } => {
            out.open("Image")
                .cdata("ImageUrl", image_url)
                .close("Image");
        }
        CallbackBody::Mixed { items } => {
            out.open("MixedMessage");
            for item in items {
                out.open("MsgItem");
                match item {
                    MixedItem::Text { content } => {
                        out.cdata("MsgType", "text")
                            .open("Text")
                            .cdata("Content", content)
                            .close("Text");
                    }
                    MixedItem::Image { image_url } => {
                        out.cdata("MsgType", "image")
                            .open("Image")
                            .cdata("ImageUrl", image_url)
                            .close("Image");
                    }
                }
                out.close("MsgItem");
            }
            out.close("MixedMessage");
        }
        CallbackBody::Event { event_type } => {
            out.open("Event")
                .cdata("EventType", event_type.as_str())
                .close("Event");
        }
        CallbackBody::Attachment {
            callback_id,
            actions,
        } => {
            out.open("Attachment").cdata("CallbackId", callback_id);
            // One `Actions` element per action: WeCom sends the clicked one.
            for action in actions {
                out.open("Actions")
                    .cdata("Name", &action.name)
                    .cdata("Value", &action.value)
                    .cdata("Type", &action.kind)
                    .close("Actions");
            }
            out.close("Attachment");
        }
    }
    out.finish()
}

pub(super) fn parse(plaintext: &[u8]) -> Result<Callback, PayloadError> {
    let root = xml::parse(plaintext)?;
    let text = |name: &str| root.text_of(name).unwrap_or_default().to_owned();
    let chat_type = known("ChatType", root.text_of("ChatType"), ChatType::from_wire)?;
    let body = body(&root)?;
    let from = root.child("From");
    let from_text = |name: &str| {
        from.and_then(|from| from.text_of(name))
            .unwrap_or_default()
            .to_owned()
    };
    Ok(Callback {
        webhook_url: text("WebhookUrl"),
        msgid: text("MsgId"),
        chatid: text("ChatId"),
        post_id: root.text_of("PostId").map(str::to_owned),
        chat_type,
        from: Sender {
            userid: from_text("UserId"),
            name: from_text("Name"),
            alias: from_text("Alias"),
        },
        get_chat_info_url: text("GetChatInfoUrl"),
        app_version: root.text_of("AppVersion").map(str::to_owned),
        body,
    })
}

/// The text of `parent/outer/inner`.
fn nested<'a>(parent: &'a Element, outer: &str, inner: &str) -> Option<&'a str> {
    parent.child(outer).and_then(|outer| outer.text_of(inner))
}

fn body(root: &Element) -> Result<CallbackBody, PayloadError> {
    let msgtype = root
        .text_of("MsgType")
        .ok_or(PayloadError::Missing("MsgType"))?;
    Ok(match msgtype {
        "text" => CallbackBody::Text {
            content: nested(root, "Text", "Content")
                .ok_or(PayloadError::Missing("Text/Content"))?
                .to_owned(),
        },
        "image" => CallbackBody::Image {
            image_url: nested(root, "Image", "ImageUrl")
                .ok_or(PayloadError::Missing("Image/ImageUrl"))?
                .to_owned(),
        },
        "mixed" => {
            let mixed = root
                .child("MixedMessage")
                .ok_or(PayloadError::Missing("MixedMessage"))?;
            let items = mixed.children("MsgItem").map(|item| {
                let content = |outer, inner| nested(item, outer, inner).unwrap_or_default();
                match item.text_of("MsgType") {
                    Some("text") => Ok(MixedItem::Text {
                        content: content("Text", "Content").to_owned(),
                    }),
                    Some("image") => Ok(MixedItem::Image {
                        image_url: content("Image", "ImageUrl").to_owned(),
                    }),
                    Some(other) => Err(PayloadError::Unknown {
                        field: "MsgItem/MsgType",
                        value: other.to_owned(),
                    }),
                    None => Err(PayloadError::Missing("MsgItem/MsgType")),
                }
            });
            CallbackBody::Mixed {
                items: items.collect::<Result<_, _>>()?,
            }
        }
        "event" => CallbackBody::Event {
            event_type: known(
                "Event/EventType",
                nested(root, "Event", "EventType"),
                EventType::from_wire,
            )?,
        },
        "attachment" => {
            let attachment = root
                .child("Attachment")
                .ok_or(PayloadError::Missing("Attachment"))?;
            let actions = attachment.children("Actions").map(|action| {
                let text = |name: &str| action.text_of(name).unwrap_or_default().to_owned();
                AttachmentAction {
                    name: text("Name"),
                    value: text("Value"),
                    kind: text("Type"),
                }
            });
            CallbackBody::Attachment {
                callback_id: attachment
                    .text_of("CallbackId")
                    .unwrap_or_default()
                    .to_owned(),
                actions: actions.collect(),
            }
        }
        other => {
            return Err(PayloadError::Unknown {
                field: "MsgType",
                value: other.to_owned(),
            });
        }
    })
}
