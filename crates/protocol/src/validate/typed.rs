//! From JSON to the typed model, with WeCom-style 40058 answers for wrong types.
//!
//! Two paths give the same result: [`fast`] deserializes the bytes straight into the model and
//! succeeds for every well-formed request; anything it cannot take (a type error, a `null` in a
//! required field, a duplicate key, a missing body) goes through the [`Value`] path, which knows
//! which rule broke and where. Building a `Value` first costs about half of a 1 KB validation.
//!
//! `null` counts as absent everywhere (`[U]`): a client that serializes `None` as `null` means "not
//! set", and absent required fields get WeCom's own code (44004, 41006, ...) from the checks
//! that follow instead of a type error.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::card::TemplateCard;
use crate::error::ErrorCode;
use crate::message::{
    Image, Markdown, MarkdownV2, MediaRef, Message, Miniprogram, MsgType, News, Text,
};
// A body must be a JSON object: derived structs also accept an array of their fields in order,
// which the slow path refuses with 40008. Nested struct fields are strict the same way.
use crate::object::Object;

/// The envelope fields of a send request, typed.
pub(super) struct Envelope {
    pub chatid: Option<String>,
    pub post_id: Option<String>,
    pub visible_to_user: Option<String>,
}

/// A send request as the fast path reads it: the envelope and every possible body.
#[derive(Deserialize)]
struct FastSend {
    /// A string, not [`MsgType`]: serde would also take an enum in `{"text": null}` form.
    msgtype: String,
    chatid: Option<String>,
    post_id: Option<String>,
    visible_to_user: Option<String>,
    text: Option<Object<Text>>,
    markdown: Option<Object<Markdown>>,
    markdown_v2: Option<Object<MarkdownV2>>,
    image: Option<Object<Image>>,
    news: Option<Object<News>>,
    file: Option<Object<MediaRef>>,
    voice: Option<Object<MediaRef>>,
    template_card: Option<Object<TemplateCard>>,
    miniprogram: Option<Object<Miniprogram>>,
}

/// Steps 1–4 of `parse_send` for a well-formed request, without building a [`Value`]; `None`
/// when anything is off, and the caller takes the [`Value`] path for the exact error.
pub(super) fn fast(body: &[u8]) -> Option<(Envelope, Message)> {
    // serde_json skips ignored fields without a depth limit, while the slow path's `Value`
    // refuses nesting deeper than 127; both paths must give the same answer.
    if nests_deeper_than(body, MAX_DEPTH) {
        return None;
    }
    let send: FastSend = serde_json::from_slice(body).ok()?;
    let message = match MsgType::from_wire(&send.msgtype)? {
        MsgType::Text => Message::Text { text: send.text?.0 },
        MsgType::Markdown => Message::Markdown {
            markdown: send.markdown?.0,
        },
        MsgType::MarkdownV2 => Message::MarkdownV2 {
            markdown_v2: send.markdown_v2?.0,
        },
        MsgType::Image => Message::Image {
            image: send.image?.0,
        },
        MsgType::News => Message::News { news: send.news?.0 },
        MsgType::File => Message::File { file: send.file?.0 },
        MsgType::Voice => Message::Voice {
            voice: send.voice?.0,
        },
        MsgType::TemplateCard => Message::TemplateCard {
            template_card: Box::new(send.template_card?.0),
        },
        MsgType::Miniprogram => Message::Miniprogram {
            miniprogram: send.miniprogram?.0,
        },
    };
    let envelope = Envelope {
        chatid: send.chatid,
        post_id: send.post_id,
        visible_to_user: send.visible_to_user,
    };
    Some((envelope, message))
}

/// The deepest nesting serde_json parses into a [`Value`] (its recursion limit is 128 levels,
/// exclusive).
const MAX_DEPTH: usize = 127;

/// Whether arrays and objects in `body` nest deeper than `limit`, brackets in strings aside.
fn nests_deeper_than(body: &[u8], limit: usize) -> bool {
    // Cheap pre-check: fewer opening brackets than the limit cannot nest deeper. `[` is 0x5B and
    // `{` 0x7B, so one OR folds them together; counting in u8 over chunks of 255 lets the loop
    // vectorize 16 bytes at a time (a usize counter does not).
    let openers: usize = body
        .chunks(255)
        .map(|chunk| {
            let count = chunk
                .iter()
                .fold(0_u8, |count, &byte| count + u8::from(byte | 0x20 == b'{'));
            usize::from(count)
        })
        .sum();
    if openers <= limit {
        return false;
    }
    let mut depth = 0_usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Steps 1–4 of `parse_send` through a [`Value`]: every failure gets its WeCom answer.
pub(super) fn slow(body: &[u8]) -> Result<(Envelope, Message), ErrorCode> {
    // 1. serde_json's recursion limit (128) turns pathological nesting into an error, not a
    //    stack overflow.
    // [U] 40008 for nesting deeper than 127 levels, as for any body that is not JSON.
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return Err(ErrorCode::INVALID_MESSAGE_TYPE);
    };
    // 2.
    let msgtype = object
        .get("msgtype")
        .and_then(Value::as_str)
        .and_then(MsgType::from_wire)
        .ok_or(ErrorCode::INVALID_MESSAGE_TYPE)?;
    // 3. The request names a type it does not carry.
    // [U] 40008 for a missing or non-object `<msgtype>` body.
    let body = match object.remove(msgtype.as_str()) {
        Some(body @ Value::Object(_)) => body,
        _ => return Err(ErrorCode::INVALID_MESSAGE_TYPE),
    };
    // 4.
    let envelope = envelope(&object)?;
    let message = message(msgtype, body)?;
    Ok((envelope, message))
}

/// Reads `chatid`, `post_id` and `visible_to_user`; any other top-level field is ignored.
fn envelope(object: &Map<String, Value>) -> Result<Envelope, ErrorCode> {
    Ok(Envelope {
        chatid: optional_string(object, "chatid")?,
        post_id: optional_string(object, "post_id")?,
        visible_to_user: optional_string(object, "visible_to_user")?,
    })
}

fn optional_string(object: &Map<String, Value>, key: &str) -> Result<Option<String>, ErrorCode> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => String::deserialize(value)
            .map(Some)
            .map_err(|error| wrong_type(key, &error)),
    }
}

/// Deserializes the `<msgtype>` object into the message of that type.
fn message(msgtype: MsgType, mut body: Value) -> Result<Message, ErrorCode> {
    // [U] a `null` member is an absent one.
    strip_nulls(&mut body);
    Ok(match msgtype {
        MsgType::Text => Message::Text {
            text: typed(msgtype, body)?,
        },
        MsgType::Markdown => Message::Markdown {
            markdown: typed(msgtype, body)?,
        },
        MsgType::MarkdownV2 => Message::MarkdownV2 {
            markdown_v2: typed(msgtype, body)?,
        },
        MsgType::Image => Message::Image {
            image: typed(msgtype, body)?,
        },
        MsgType::News => Message::News {
            news: typed(msgtype, body)?,
        },
        MsgType::File => Message::File {
            file: typed(msgtype, body)?,
        },
        MsgType::Voice => Message::Voice {
            voice: typed(msgtype, body)?,
        },
        MsgType::TemplateCard => Message::TemplateCard {
            template_card: Box::new(typed(msgtype, body)?),
        },
        MsgType::Miniprogram => Message::Miniprogram {
            miniprogram: typed(msgtype, body)?,
        },
    })
}

fn typed<T: DeserializeOwned>(msgtype: MsgType, body: Value) -> Result<T, ErrorCode> {
    serde_path_to_error::deserialize(body).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." {
            msgtype.as_str().to_owned()
        } else {
            format!("{msgtype}.{path}")
        };
        wrong_type(&path, error.inner())
    })
}

/// Removes `null` members of objects at every depth (the parser's recursion limit bounds it).
fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.retain(|_, member| !member.is_null());
            object.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// `40058 <path> <reason>. invalid Request Parameter` from a serde error. `[U]`
///
/// serde names Rust types ("expected struct Action", "expected i64"); the wire only knows JSON
/// types, so those are translated.
fn wrong_type(path: &str, error: &serde_json::Error) -> ErrorCode {
    let reason = error.to_string();
    let reason = match reason.split_once(", expected ") {
        Some((found, expected)) => {
            let found = match found {
                "invalid type: map" => "invalid type: object",
                "invalid type: sequence" => "invalid type: array",
                other => other,
            };
            format!("{found}, expected {}", json_kind(expected))
        }
        None => reason,
    };
    // [U] 40058 `<json.path> <reason>. invalid Request Parameter` for a wrong-typed field.
    ErrorCode::invalid_parameter(path, &reason)
}

fn json_kind(expected: &str) -> &str {
    if expected.starts_with("struct ") {
        return "an object";
    }
    match expected {
        "a sequence" => "an array",
        "i64" | "u64" | "i32" | "u32" => "an integer",
        "f64" | "f32" => "a number",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text_of(body: Value) -> String {
        match message(MsgType::Markdown, body) {
            Err(error) => error.text().to_owned(),
            Ok(_) => "ok".to_owned(),
        }
    }

    #[test]
    fn a_wrong_typed_field_names_its_json_path_and_json_types() {
        assert_eq!(
            text_of(json!({"content": 5})),
            "markdown.content invalid type: integer `5`, expected a string. invalid Request Parameter"
        );
        assert_eq!(
            text_of(json!({"content": "x", "attachments": [{"callback_id": "c", "actions": [7]}]})),
            "markdown.attachments[0].actions[0] invalid type: integer `7`, expected an object. \
             invalid Request Parameter"
        );
        assert_eq!(
            text_of(json!({"content": "x", "attachments": {}})),
            "markdown.attachments invalid type: object, expected an array. invalid Request Parameter"
        );
    }

    fn both_paths(body: &[u8]) -> (Option<Message>, Option<Message>) {
        let fast = fast(body).map(|(_, message)| message);
        let slow = slow(body).ok().map(|(_, message)| message);
        (fast, slow)
    }

    #[test]
    fn the_fast_path_defers_every_doubtful_body_to_the_slow_path() {
        for body in [
            r#"{"msgtype":"text","text":{"content":null}}"#,
            r#"{"msgtype":"text","text":{"content":"a"},"text":{"content":"b"}}"#,
            r#"{"msgtype":"text","text":"x"}"#,
            r#"{"msgtype":"text","text":null}"#,
            r#"{"msgtype":"text","text":{"content":"x","mentioned_list":[null]}}"#,
            r#"{"msgtype":"text","text":{"content":"x"},"markdown":5}"#,
            r#"{"msgtype":"TEXT","text":{"content":"x"}}"#,
            r#"{"msgtype":"text","text":["x"]}"#,
            r#"{"msgtype":{"text":null},"text":{"content":"x"}}"#,
            r#"{"msgtype":"template_card","template_card":[]}"#,
            r#"{"msgtype":"template_card","template_card":{"source":[]}}"#,
            r#"{"msgtype":"news","news":{"articles":[[]]}}"#,
        ] {
            assert!(fast(body.as_bytes()).is_none(), "{body}");
        }
        let (fast, slow) =
            both_paths(br#"{"msgtype":"text","text":{"content":"a"},"text":{"content":"b"}}"#);
        assert!(fast.is_none());
        assert_eq!(
            slow,
            Some(Message::from(Text {
                content: "b".to_owned(),
                ..Text::default()
            }))
        );
    }

    #[test]
    fn the_spec_examples_take_the_fast_path() {
        for body in [
            &include_bytes!("../../tests/examples/spec_news_notice.json")[..],
            include_bytes!("../../tests/examples/spec_text_notice.json"),
            include_bytes!("../../tests/examples/spec_news.json"),
            include_bytes!("../../tests/examples/spec_passive_markdown.json"),
        ] {
            let (fast, slow) = both_paths(body);
            assert!(fast.is_some(), "{}", String::from_utf8_lossy(body));
            assert_eq!(fast, slow);
        }
    }

    #[test]
    fn both_paths_draw_the_depth_line_at_the_same_level() {
        for depth in 120..136 {
            let extra = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let body = format!(r#"{{"msgtype":"text","text":{{"content":"x"}},"extra":{extra}}}"#);
            let (fast, slow) = both_paths(body.as_bytes());
            assert_eq!(fast.is_some(), slow.is_some(), "depth {depth}");
        }
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_nesting() {
        let content = format!("\\\"{}", "[{".repeat(200));
        let body = format!(r#"{{"msgtype":"text","text":{{"content":"{content}"}}}}"#);
        assert!(!nests_deeper_than(body.as_bytes(), MAX_DEPTH));
        assert!(fast(body.as_bytes()).is_some());
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_agrees_with_the_slow_path(
            msgtype in proptest::sample::select(MsgType::ALL.to_vec()),
            fields in proptest::collection::vec((
                proptest::sample::select(vec!["content", "mentioned_list", "attachments",
                    "articles", "media_id", "base64", "card_type", "main_title", "title", "x",
                    "source", "card_action", "jump_list", "horizontal_content_list"]),
                // Arrays, scalars and objects in every position, lists of structs included.
                proptest::sample::select(vec![
                    Value::Null, Value::from(1), Value::from("s"), Value::from(true),
                    Value::Array(vec![]), Value::Array(vec![Value::Null]),
                    Value::Array(vec![Value::from("s")]), serde_json::json!({"title": "t"}),
                    serde_json::json!([{"title": "t", "url": "u"}]),
                    serde_json::json!([[]]), serde_json::json!([{"title": "t"}, 1]),
                    serde_json::json!({"type": 1, "url": "u"}),
                    serde_json::json!([{"callback_id": "c", "actions": [[]]}]),
                    serde_json::json!([{"callback_id": "c", "actions": [{"type": "button"}]}]),
                ]),
            ), 0..5),
        ) {
            let body: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let request = serde_json::json!({"msgtype": msgtype.as_str(), msgtype.as_str(): body});
            let bytes = serde_json::to_vec(&request).unwrap();
            let (fast, slow) = both_paths(&bytes);
            if fast.is_some() {
                proptest::prop_assert_eq!(fast, slow);
            }
        }
    }

    #[test]
    fn null_members_count_as_absent() {
        assert_eq!(
            text_of(json!({"content": "x", "attachments": null, "at_short_name": null})),
            "ok"
        );
    }
}
