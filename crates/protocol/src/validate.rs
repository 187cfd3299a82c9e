//! Validation of `send` requests with WeCom's exact answers.
//!
//! [`parse_send`] turns the raw body into a [`ValidSend`] or the [`ErrorCode`] WeCom would reply.
//! Checks that need the server's state (the key, media ids, rate limits, routing) happen in the
//! server, in the order documented on [`parse_send`].

mod body;
mod card;
mod image;
mod typed;

use crate::error::ErrorCode;
pub use crate::media::ImageFormat;
use crate::media::{MediaKind, MediaNeed};
use crate::message::{Message, MsgType, SendRequest};
use crate::target::{ChatTargets, split_ids};
pub use image::{hex_lower, image_body};

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

impl ValidSend {
    /// The message's type.
    pub fn msgtype(&self) -> MsgType {
        self.request.message.msgtype()
    }

    /// `post_id` when it can take effect: `chatid` names exactly one conversation and the type
    /// can be a blackboard post ([`MsgType::supports_blackboard`]). The server still checks that
    /// the conversation is a blackboard; otherwise `post_id` is ignored, never refused.
    pub fn effective_post_id(&self) -> Option<&str> {
        // [U] post_id / visible_to_user outside their conditions are ignored, never refused.
        let post_id = self
            .request
            .post_id
            .as_deref()
            .filter(|id| !id.is_empty())?;
        self.targets.single_id()?;
        self.msgtype().supports_blackboard().then_some(post_id)
    }

    /// The `visible_to_user` ids when they can take effect: `chatid` names exactly one
    /// conversation (the server checks it is a group, or a blackboard for the types of
    /// [`MsgType::visible_to_on_blackboard`]);
    /// empty otherwise, since WeCom ignores the field rather than refusing it.
    pub fn effective_visible_to(&self) -> &[String] {
        match self.targets.single_id() {
            Some(_) => &self.visible_to,
            None => &[],
        }
    }

    /// The media ids the server must look up (step 9 of [`parse_send`]), each with the kind the
    /// upload must have: `file` → file, `voice` → voice, a template card's
    /// `horizontal_content_list` row of type 2 → any upload, `miniprogram.pic_media_id` → image.
    /// An id that is unknown, expired, another bot's or of the wrong kind is
    /// [`ErrorCode::INVALID_MEDIA_ID`] (40007, `[U]`).
    pub fn media_needs(&self) -> Vec<MediaNeed> {
        let need = |path: String, media_id: &str, kind: Option<MediaKind>| MediaNeed {
            path,
            media_id: media_id.to_owned(),
            kind,
        };
        match &self.request.message {
            Message::File { file } => {
                vec![need(
                    "file.media_id".to_owned(),
                    &file.media_id,
                    Some(MediaKind::File),
                )]
            }
            Message::Voice { voice } => {
                vec![need(
                    "voice.media_id".to_owned(),
                    &voice.media_id,
                    Some(MediaKind::Voice),
                )]
            }
            Message::Miniprogram { miniprogram } => vec![need(
                "miniprogram.pic_media_id".to_owned(),
                &miniprogram.pic_media_id,
                Some(MediaKind::Image),
            )],
            Message::TemplateCard { template_card } => template_card
                .horizontal_content_list
                .iter()
                .flatten()
                .enumerate()
                .filter(|(_, row)| row.kind == Some(2))
                .filter_map(|(i, row)| {
                    let media_id = row.media_id.as_deref()?;
                    let path = format!("template_card.horizontal_content_list[{i}].media_id");
                    Some(need(path, media_id, None))
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The decoded bytes of an `image` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageData {
    pub bytes: Vec<u8>,
    pub format: ImageFormat,
    /// Whether `image.base64` is exactly the standard, padded Base64 of `bytes` (no whitespace),
    /// so that the text can be rebuilt from the bytes instead of being stored too.
    pub canonical: bool,
}

/// Parses and validates a `send` body.
///
/// # Order of checks
/// WeCom answers with the first rule a request breaks, in this order (spec §6, "suggested
/// precedence"). Steps marked *server* need state this crate does not have and are the server's
/// job, in the same sequence around the call to this function:
///
/// 0. *server*: the `key` — missing, unknown or removed bot ⇒ 93000, before the body is read.
/// 1. The body is a JSON object ⇒ else 40008 `invalid message type` (form bodies, empty bodies,
///    nesting deeper than 128 levels, `[U]` for the last).
/// 2. `msgtype` is one of the nine names, exact case ⇒ else 40008.
/// 3. The `<msgtype>` object is present and an object ⇒ else 40008 (`[U]`).
/// 4. Field types: `chatid`, `post_id`, `visible_to_user` and every field of the body have their
///    JSON type ⇒ else 40058 `<json.path> <reason>. invalid Request Parameter` (`[U]`). `null` is
///    absent; unknown fields are ignored.
/// 5. Required fields of the body: 44004 `empty content` (text, markdown, markdown_v2),
///    41006 `media_id missing` (file, voice), 45008 / 41016 / 41010 (news articles), 44001
///    (image without base64), template-card fields (42031, 42045, 42028, 42030, 42044, ...; see
///    the card order in `validate/card.rs`), 40058 `missing field` for the rest.
/// 6. Lengths and schema of the body: 40058 `<path> exceed max length <N>` on UTF-8 bytes, list
///    sizes (42035, 42036, 42042, 40058 for attachment actions), value ranges; for image: base64
///    that decodes (40058), ≤ 2 MB (40009), JPG/PNG (40005). News titles and descriptions are
///    truncated here, never refused.
/// 7. `chatid`: at most 100 ids ⇒ else 40058 (`[U]`).
/// 8. Image md5 matches the decoded bytes, case-insensitive hex ⇒ else 301019.
/// 9. *server*: media lookups ([`ValidSend::media_needs`]) ⇒ 40007 `invalid media_id` (`[U]`).
/// 10. *server*: rate limits ⇒ 45009 (see [`crate::window`], [`crate::limit`]); identical body
///     in flight ⇒ 45033 (`[U]`).
/// 11. *server*: routing — the bot's chats, single-chat permission and quota ⇒ 93008 / 93005;
///     `post_id` and `visible_to_user` take effect only for a single blackboard / group target
///     ([`ChatTargets::single_id`]) and are otherwise ignored, never refused.
///
/// Within step 5–6 a body is checked field by field in document order, required before length.
///
/// # Errors
/// The [`ErrorCode`] WeCom answers for the first rule the body breaks.
///
/// # Examples
/// ```
/// use hookpit_protocol::{MsgType, parse_send};
///
/// let send = parse_send(br#"{"msgtype":"text","text":{"content":"hello world"}}"#).unwrap();
/// assert_eq!(send.msgtype(), MsgType::Text);
///
/// let error = parse_send(br#"{"msgtype":"TEXT","text":{"content":"hello"}}"#).unwrap_err();
/// assert_eq!((error.code(), error.text()), (40008, "invalid message type"));
/// ```
pub fn parse_send(body: &[u8]) -> Result<ValidSend, ErrorCode> {
    parse_with(body, Rules::SEND)
}

/// Where the rules of a passive reply to a callback (spec §8.7) differ from those of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rules {
    /// Whether a markdown attachment's action needs `replace_text`: in a send it does, in a
    /// passive reply it may be left out ("不填则点击后不替换").
    pub(crate) replace_text_required: bool,
    /// Whether `chatid` and `post_id` say where the message goes: in a send they do; a passive
    /// reply goes to the callback's conversation, so they are dropped (once their JSON types
    /// have been checked, as every field's are).
    pub(crate) targets_from_body: bool,
}

impl Rules {
    /// The rules of `POST /cgi-bin/webhook/send`.
    pub(crate) const SEND: Rules = Rules {
        replace_text_required: true,
        targets_from_body: true,
    };
    /// The rules of a passive reply.
    pub(crate) const PASSIVE_REPLY: Rules = Rules {
        replace_text_required: false,
        targets_from_body: false,
    };
}

/// [`parse_send`] under `rules`.
pub(crate) fn parse_with(body: &[u8], rules: Rules) -> Result<ValidSend, ErrorCode> {
    // 1–4. The fast path takes well-formed requests; the slow one answers the rest.
    let (envelope, mut message) = match typed::fast(body) {
        Some(parsed) => parsed,
        None => typed::slow(body)?,
    };
    // 5–6.
    let image = check_body(&mut message, rules)?;
    let (chatid, post_id) = if rules.targets_from_body {
        (envelope.chatid, envelope.post_id)
    } else {
        (None, None)
    };
    // 7.
    let targets = ChatTargets::parse(chatid.as_deref())?;
    // 8.
    if let (Message::Image { image: wire }, Some(data)) = (&message, &image) {
        image::check_md5(wire, data)?;
    }
    let visible_to = split_ids(envelope.visible_to_user.as_deref())
        .map(str::to_owned)
        .collect();
    Ok(ValidSend {
        request: SendRequest {
            chatid,
            post_id,
            visible_to_user: envelope.visible_to_user,
            message,
        },
        targets,
        visible_to,
        image,
    })
}

/// Steps 5 and 6 for each body; returns the decoded picture of an image message.
fn check_body(message: &mut Message, rules: Rules) -> Result<Option<ImageData>, ErrorCode> {
    match message {
        Message::Text { text } => body::text(text)?,
        Message::Markdown { markdown } => body::markdown(markdown, rules)?,
        Message::MarkdownV2 { markdown_v2 } => body::markdown_v2(markdown_v2)?,
        Message::Image { image } => return image::decode(image).map(Some),
        Message::News { news } => body::news(news)?,
        Message::File { file } => body::media(file)?,
        Message::Voice { voice } => body::media(voice)?,
        Message::TemplateCard { template_card } => card::template_card(template_card)?,
        Message::Miniprogram { miniprogram } => body::miniprogram(miniprogram)?,
    }
    Ok(None)
}

/// Parses `chatid` without the 100-id cap; absent or blank means `@all_group`.
/// [`ChatTargets::parse`] also enforces the cap.
pub fn parse_chatid(chatid: Option<&str>) -> ChatTargets {
    ChatTargets::parse_unchecked(chatid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::ChatTarget;

    #[test]
    fn media_needs_lists_each_reference_with_its_kind() {
        let card = br#"{"msgtype":"template_card","template_card":{"card_type":"text_notice",
            "main_title":{"title":"t"},"card_action":{"type":1,"url":"https://x"},
            "horizontal_content_list":[{"keyname":"a","value":"b"},
              {"keyname":"f","type":2,"media_id":"M1"}]}}"#;
        let needs = parse_send(card).unwrap().media_needs();
        assert_eq!(
            needs,
            vec![MediaNeed {
                path: "template_card.horizontal_content_list[1].media_id".to_owned(),
                media_id: "M1".to_owned(),
                kind: None,
            }]
        );
        let voice = parse_send(br#"{"msgtype":"voice","voice":{"media_id":"V"}}"#).unwrap();
        assert_eq!(voice.media_needs()[0].kind, Some(MediaKind::Voice));
        let mini = br#"{"msgtype":"miniprogram","miniprogram":{"title":"t","pic_media_id":"P",
            "appid":"wx1","page":"/p"}}"#;
        let needs = parse_send(mini).unwrap().media_needs();
        assert_eq!(needs[0].kind, Some(MediaKind::Image));
        assert!(!needs[0].accepts(MediaKind::File));
        let text = parse_send(br#"{"msgtype":"text","text":{"content":"x"}}"#).unwrap();
        assert!(text.media_needs().is_empty());
    }

    #[test]
    fn post_id_and_visible_to_user_take_effect_only_for_a_single_target() {
        let single = parse_send(
            br#"{"chatid":"wrkA","post_id":"bpk1","visible_to_user":"u1|u2","msgtype":"text","text":{"content":"x"}}"#,
        )
        .unwrap();
        assert_eq!(single.effective_post_id(), Some("bpk1"));
        assert_eq!(single.effective_visible_to(), ["u1", "u2"]);
        let several = parse_send(
            br#"{"chatid":"wrkA|wrkB","post_id":"bpk1","visible_to_user":"u1","msgtype":"text","text":{"content":"x"}}"#,
        )
        .unwrap();
        assert_eq!(several.effective_post_id(), None);
        assert!(several.effective_visible_to().is_empty());
        let v2 = parse_send(
            br#"{"chatid":"wrkA","post_id":"bpk1","msgtype":"markdown_v2","markdown_v2":{"content":"x"}}"#,
        )
        .unwrap();
        assert_eq!(
            v2.effective_post_id(),
            None,
            "markdown_v2 is not for blackboards"
        );
    }

    #[test]
    fn visible_to_user_is_split_and_the_chatid_defaults_to_all_groups() {
        let send = parse_send(
            br#"{"msgtype":"text","visible_to_user":"zhangsan| lisi|","text":{"content":"x"}}"#,
        )
        .unwrap();
        assert_eq!(send.visible_to, vec!["zhangsan", "lisi"]);
        assert_eq!(send.targets.0, vec![ChatTarget::AllGroups]);
    }
}
