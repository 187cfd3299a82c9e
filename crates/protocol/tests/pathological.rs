//! Pathological input is refused with an errcode, without a stack overflow or a hang: 10 MB
//! strings, 100 000-element arrays and 10 000-deep nesting. Timing belongs in the benchmark;
//! these tests assert the code only.

use hookpit_protocol::upload::{AMR_MAGIC, validate_upload};
use hookpit_protocol::{MediaKind, parse_send};
use serde_json::{Value, json};

const TEN_MB: usize = 10 * 1024 * 1024;
const HUGE_COUNT: usize = 100_000;
const DEEP: usize = 10_000;

fn code(body: &[u8]) -> i64 {
    match parse_send(body) {
        Ok(_) => 0,
        Err(error) => error.code(),
    }
}

fn code_of(value: &Value) -> i64 {
    code(&serde_json::to_vec(value).unwrap())
}

fn nested(open: &str, close: &str) -> String {
    format!("{}{}", open.repeat(DEEP), close.repeat(DEEP))
}

#[test]
fn a_10_mb_text_is_40058() {
    let content = "中".repeat(TEN_MB / 3);
    assert_eq!(
        code_of(&json!({"msgtype": "text", "text": {"content": content}})),
        40058
    );
}

#[test]
fn a_10_mb_markdown_is_40058() {
    let content = "a".repeat(TEN_MB);
    assert_eq!(
        code_of(&json!({"msgtype": "markdown", "markdown": {"content": content}})),
        40058
    );
}

#[test]
fn a_10_mb_msgtype_is_40008() {
    assert_eq!(code_of(&json!({"msgtype": "t".repeat(TEN_MB)})), 40008);
}

#[test]
fn a_10_mb_base64_image_is_40009() {
    let base64 = "/9j/".repeat(TEN_MB / 4);
    assert_eq!(
        code_of(&json!({"msgtype": "image", "image": {"base64": base64, "md5": "x"}})),
        40009
    );
}

#[test]
fn a_10_mb_unknown_field_is_ignored() {
    let body = json!({"msgtype": "text", "text": {"content": "x"}, "padding": "p".repeat(TEN_MB)});
    assert_eq!(code_of(&body), 0);
}

#[test]
fn a_10_mb_chatid_of_100_000_ids_is_40058() {
    let chatid = vec!["wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw"; HUGE_COUNT].join("|");
    assert!(chatid.len() > 3_000_000);
    let body = json!({"msgtype": "text", "chatid": chatid, "text": {"content": "x"}});
    assert_eq!(code_of(&body), 40058);
}

#[test]
fn a_100_000_article_news_is_45008() {
    let articles = vec![json!({"title": "t", "url": "u"}); HUGE_COUNT];
    assert_eq!(
        code_of(&json!({"msgtype": "news", "news": {"articles": articles}})),
        45008
    );
}

#[test]
fn a_100_000_action_attachment_is_40058() {
    let action =
        json!({"name": "n", "text": "t", "type": "button", "value": "v", "replace_text": "r"});
    let body = json!({"msgtype": "markdown", "markdown": {"content": "x",
        "attachments": [{"callback_id": "c", "actions": vec![action; HUGE_COUNT]}]}});
    assert_eq!(code_of(&body), 40058);
}

#[test]
fn a_100_000_row_card_list_is_42035() {
    let rows = vec![json!({"keyname": "k"}); HUGE_COUNT];
    let body = json!({"msgtype": "template_card", "template_card": {"card_type": "text_notice",
        "main_title": {"title": "t"}, "card_action": {"type": 1, "url": "u"},
        "horizontal_content_list": rows}});
    assert_eq!(code_of(&body), 42035);
}

#[test]
fn a_100_000_mention_text_is_accepted() {
    let mentions = vec!["zhangsan"; HUGE_COUNT];
    let body = json!({"msgtype": "text", "text": {"content": "x", "mentioned_list": mentions}});
    assert_eq!(code_of(&body), 0);
}

#[test]
fn a_100_000_element_top_level_array_is_40008() {
    assert_eq!(code_of(&Value::Array(vec![json!(1); HUGE_COUNT])), 40008);
}

#[test]
fn a_100_000_wrong_typed_mentions_name_the_first_bad_index() {
    let body =
        json!({"msgtype": "text", "text": {"content": "x", "mentioned_list": vec![1; HUGE_COUNT]}});
    assert_eq!(code_of(&body), 40058);
}

#[test]
fn arrays_nested_10_000_deep_are_40008() {
    assert_eq!(code(nested("[", "]").as_bytes()), 40008);
}

#[test]
fn objects_nested_10_000_deep_are_40008() {
    assert_eq!(code(nested("{\"a\":", "}").as_bytes()), 40008);
}

#[test]
fn nesting_10_000_deep_inside_a_valid_body_is_40008() {
    let body = format!(
        r#"{{"msgtype":"text","text":{{"content":"x","extra":{}}}}}"#,
        nested("[", "]")
    );
    assert_eq!(code(body.as_bytes()), 40008);
}

#[test]
fn an_unclosed_10_000_deep_nesting_is_40008() {
    assert_eq!(code("[".repeat(DEEP).as_bytes()), 40008);
}

#[test]
fn a_2_mib_voice_of_tiny_frames_is_45007() {
    // NO_DATA frames are one byte each: about 2 million frames, 11 hours of "voice".
    let mut voice = AMR_MAGIC.to_vec();
    voice.resize(2 * 1024 * 1024, 15 << 3);
    assert_eq!(
        validate_upload(MediaKind::Voice, &voice)
            .unwrap_err()
            .code(),
        45007
    );
}
