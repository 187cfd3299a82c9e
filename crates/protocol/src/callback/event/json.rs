//! The JSON form of a callback: snake_case keys exactly as the document's examples, including
//! its two irregular names (`callbackid` without an underscore, `msg_type` inside mixed items).

use serde::{Deserialize, Serialize};

use super::{
    AttachmentAction, Callback, CallbackBody, ChatType, EventType, MixedItem, PayloadError, Sender,
    known,
};

/// The wire shape. Every field is optional so that reading can say which one is missing, and
/// `null` reads as absent; writing fills every common field.
#[derive(Serialize, Deserialize, Default)]
struct Wire {
    webhook_url: Option<String>,
    msgid: Option<String>,
    chatid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postid: Option<String>,
    chattype: Option<String>,
    from: Option<WireSender>,
    get_chat_info_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_version: Option<String>,
    msgtype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<WireText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<WireImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mixed_message: Option<WireMixed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<WireEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachment: Option<WireAttachment>,
}

#[derive(Serialize, Deserialize, Default)]
struct WireSender {
    userid: Option<String>,
    name: Option<String>,
    alias: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct WireText {
    content: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct WireImage {
    image_url: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct WireMixed {
    msg_item: Option<Vec<WireMixedItem>>,
}

#[derive(Serialize, Deserialize)]
struct WireMixedItem {
    msg_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<WireText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<WireImage>,
}

#[derive(Serialize, Deserialize)]
struct WireEvent {
    event_type: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct WireAttachment {
    callbackid: Option<String>,
    actions: Option<Vec<WireAction>>,
}

#[derive(Serialize, Deserialize)]
struct WireAction {
    name: Option<String>,
    value: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn text(content: &str) -> Option<WireText> {
    Some(WireText {
        content: Some(content.to_owned()),
    })
}

fn image(image_url: &str) -> Option<WireImage> {
    Some(WireImage {
        image_url: Some(image_url.to_owned()),
    })
}

pub(super) fn write(callback: &Callback) -> String {
    let mut wire = Wire {
        webhook_url: Some(callback.webhook_url.clone()),
        msgid: Some(callback.msgid.clone()),
        chatid: Some(callback.chatid.clone()),
        postid: callback.post_id.clone(),
        chattype: Some(callback.chat_type.as_str().to_owned()),
        from: Some(WireSender {
            userid: Some(callback.from.userid.clone()),
            name: Some(callback.from.name.clone()),
            alias: Some(callback.from.alias.clone()),
        }),
        get_chat_info_url: Some(callback.get_chat_info_url.clone()),
        app_version: callback.app_version.clone(),
        msgtype: Some(callback.body.msgtype().to_owned()),
        ..Wire::default()
    };
    match &callback.body {
        CallbackBody::Text { content } => wire.text = text(content),
        CallbackBody::Image { image_url } => wire.image = image(image_url),
        CallbackBody::Mixed { items } => {
            let items = items.iter().map(|item| match item {
                MixedItem::Text { content } => WireMixedItem {
                    msg_type: Some("text".to_owned()),
                    text: text(content),
                    image: None,
                },
                MixedItem::Image { image_url } => WireMixedItem {
                    msg_type: Some("image".to_owned()),
                    text: None,
                    image: image(image_url),
                },
            });
            wire.mixed_message = Some(WireMixed {
                msg_item: Some(items.collect()),
            });
        }
        CallbackBody::Event { event_type } => {
            wire.event = Some(WireEvent {
                event_type: Some(event_type.as_str().to_owned()),
            });
        }
        CallbackBody::Attachment {
            callback_id,
            actions,
        } => {
            let actions = actions.iter().map(|action| WireAction {
                name: Some(action.name.clone()),
                value: Some(action.value.clone()),
                kind: Some(action.kind.clone()),
            });
            wire.attachment = Some(WireAttachment {
                callbackid: Some(callback_id.clone()),
                actions: Some(actions.collect()),
            });
        }
    }
    // Structs of strings always serialize.
    serde_json::to_string(&wire).unwrap_or_default()
}

pub(super) fn parse(plaintext: &[u8]) -> Result<Callback, PayloadError> {
    let wire: Wire = serde_json::from_slice(plaintext)?;
    let chat_type = known("chattype", wire.chattype.as_deref(), ChatType::from_wire)?;
    let body = body(&wire)?;
    let from = wire.from.unwrap_or_default();
    Ok(Callback {
        webhook_url: wire.webhook_url.unwrap_or_default(),
        msgid: wire.msgid.unwrap_or_default(),
        chatid: wire.chatid.unwrap_or_default(),
        post_id: wire.postid,
        chat_type,
        from: Sender {
            userid: from.userid.unwrap_or_default(),
            name: from.name.unwrap_or_default(),
            alias: from.alias.unwrap_or_default(),
        },
        get_chat_info_url: wire.get_chat_info_url.unwrap_or_default(),
        app_version: wire.app_version,
        body,
    })
}

fn body(wire: &Wire) -> Result<CallbackBody, PayloadError> {
    let content = |text: &Option<WireText>| text.as_ref().and_then(|t| t.content.clone());
    let image_url = |image: &Option<WireImage>| image.as_ref().and_then(|i| i.image_url.clone());
    let msgtype = wire
        .msgtype
        .as_deref()
        .ok_or(PayloadError::Missing("msgtype"))?;
    Ok(match msgtype {
        "text" => CallbackBody::Text {
            content: content(&wire.text).ok_or(PayloadError::Missing("text.content"))?,
        },
        "image" => CallbackBody::Image {
            image_url: image_url(&wire.image).ok_or(PayloadError::Missing("image.image_url"))?,
        },
        "mixed" => {
            let mixed = wire
                .mixed_message
                .as_ref()
                .ok_or(PayloadError::Missing("mixed_message"))?;
            let items =
                mixed
                    .msg_item
                    .iter()
                    .flatten()
                    .map(|item| match item.msg_type.as_deref() {
                        Some("text") => Ok(MixedItem::Text {
                            content: content(&item.text).unwrap_or_default(),
                        }),
                        Some("image") => Ok(MixedItem::Image {
                            image_url: image_url(&item.image).unwrap_or_default(),
                        }),
                        Some(other) => Err(PayloadError::Unknown {
                            field: "msg_item.msg_type",
                            value: other.to_owned(),
                        }),
                        None => Err(PayloadError::Missing("msg_item.msg_type")),
                    });
            CallbackBody::Mixed {
                items: items.collect::<Result<_, _>>()?,
            }
        }
        "event" => {
            let event_type = wire.event.as_ref().and_then(|e| e.event_type.as_deref());
            CallbackBody::Event {
                event_type: known("event.event_type", event_type, EventType::from_wire)?,
            }
        }
        "attachment" => {
            let attachment = wire
                .attachment
                .as_ref()
                .ok_or(PayloadError::Missing("attachment"))?;
            let actions = attachment
                .actions
                .iter()
                .flatten()
                .map(|action| AttachmentAction {
                    name: action.name.clone().unwrap_or_default(),
                    value: action.value.clone().unwrap_or_default(),
                    kind: action.kind.clone().unwrap_or_default(),
                });
            CallbackBody::Attachment {
                callback_id: attachment.callbackid.clone().unwrap_or_default(),
                actions: actions.collect(),
            }
        }
        other => {
            return Err(PayloadError::Unknown {
                field: "msgtype",
                value: other.to_owned(),
            });
        }
    })
}
