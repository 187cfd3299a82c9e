//! Conformance: request body → the errcode and errmsg text (before `, hint:`) WeCom answers.
//!
//! One table covers every row of spec §10 and §3.5, the envelope rules of §2.1, the precedence
//! of §6, and multi-byte content at every byte limit −1/0/+1. The official document's and the
//! spec's JSON examples are accepted and serialize back without losing a field.

use hookpit_protocol::validate::image_body;
use hookpit_protocol::{ErrorCode, Hint, Message, SendRequest, parse_send};
use serde_json::{Value, json};

/// One row: a body and WeCom's answer to it.
struct Case {
    name: String,
    body: Vec<u8>,
    code: i64,
    text: String,
}

/// The cases of the table, built with [`Table::add`].
#[derive(Default)]
struct Table(Vec<Case>);

impl Table {
    fn add(&mut self, name: &str, body: impl Body, code: i64, text: &str) {
        self.0.push(Case {
            name: name.to_owned(),
            body: body.bytes(),
            code,
            text: text.to_owned(),
        });
    }

    fn ok(&mut self, name: &str, body: impl Body) {
        self.add(name, body, 0, "ok");
    }
}

trait Body {
    fn bytes(self) -> Vec<u8>;
}

impl Body for Value {
    fn bytes(self) -> Vec<u8> {
        serde_json::to_vec(&self).unwrap()
    }
}

impl Body for &str {
    fn bytes(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

impl Body for Vec<u8> {
    fn bytes(self) -> Vec<u8> {
        self
    }
}

/// The errmsg text WeCom sends before `, hint:` (or `ok`).
fn answer(body: &[u8]) -> (i64, String) {
    let error = match parse_send(body) {
        Ok(_) => ErrorCode::OK,
        Err(error) => error,
    };
    let errmsg = error.errmsg(Hint::new(1_704_540_159_128, 593_240_839_785), "103.56.76.2");
    let text = errmsg.split(", hint:").next().unwrap().to_owned();
    (error.code(), text)
}

/// `n` UTF-8 bytes of Chinese (3 bytes a character), padded with ASCII to the exact count.
fn zh(n: usize) -> String {
    format!("{}{}", "中".repeat(n / 3), "a".repeat(n % 3))
}

fn param(reason: &str) -> String {
    format!("{reason}. invalid Request Parameter")
}

fn missing(path: &str) -> String {
    format!("missing field `{path}`. invalid Request Parameter")
}

fn size(path: &str, min: usize, max: usize) -> String {
    format!("field `{path}` expect array size in [{min}, {max}]. invalid Request Parameter")
}

fn exceed(path: &str, max: usize) -> String {
    format!("{path} exceed max length {max}. invalid Request Parameter")
}

/// `base` with the members of `patch` set (a `null` member removes the key).
fn with(mut base: Value, patch: Value) -> Value {
    let object = base.as_object_mut().unwrap();
    for (key, value) in patch.as_object().unwrap() {
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.clone(), value.clone());
        }
    }
    base
}

fn text(content: &str) -> Value {
    json!({"msgtype": "text", "text": {"content": content}})
}

fn markdown(content: &str) -> Value {
    json!({"msgtype": "markdown", "markdown": {"content": content}})
}

fn markdown_v2(content: &str) -> Value {
    json!({"msgtype": "markdown_v2", "markdown_v2": {"content": content}})
}

fn button(patch: Value) -> Value {
    with(
        json!({"name": "b1", "text": "是", "type": "button", "value": "yes", "replace_text": "已选择"}),
        patch,
    )
}

fn with_actions(actions: Vec<Value>) -> Value {
    json!({"msgtype": "markdown", "markdown": {"content": "选择",
        "attachments": [{"callback_id": "cb", "actions": actions}]}})
}

fn one_action(patch: Value) -> Value {
    with_actions(vec![button(patch)])
}

fn text_notice(patch: Value) -> Value {
    let card = with(
        json!({"card_type": "text_notice", "main_title": {"title": "标题"},
            "card_action": {"type": 1, "url": "https://work.weixin.qq.com"}}),
        patch,
    );
    json!({"msgtype": "template_card", "template_card": card})
}

fn news_notice(patch: Value) -> Value {
    let card = with(
        json!({"card_type": "news_notice", "main_title": {"title": "标题"},
            "card_image": {"url": "https://wework.qpic.cn/x/0"},
            "card_action": {"type": 1, "url": "https://work.weixin.qq.com"}}),
        patch,
    );
    json!({"msgtype": "template_card", "template_card": card})
}

fn rows(count: usize, row: &Value) -> Value {
    Value::Array(vec![row.clone(); count])
}

fn news(articles: Value) -> Value {
    json!({"msgtype": "news", "news": {"articles": articles}})
}

fn article() -> Value {
    json!({"title": "中秋节礼品领取", "url": "https://example.com"})
}

fn miniprogram(patch: Value) -> Value {
    let body = with(
        json!({"title": "小程序测试消息", "pic_media_id": "MEDIA_ID", "appid": "wx8bd80126147dfAAA",
            "page": "/path/index.html"}),
        patch,
    );
    json!({"msgtype": "miniprogram", "miniprogram": body})
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";

fn image(picture: &[u8]) -> Value {
    let body = image_body(picture);
    json!({"msgtype": "image", "image": {"base64": body.base64, "md5": body.md5}})
}

fn image_raw(base64: &str, md5: &str) -> Value {
    json!({"msgtype": "image", "image": {"base64": base64, "md5": md5}})
}

fn ids(count: usize) -> String {
    (0..count)
        .map(|i| format!("wrk{i}"))
        .collect::<Vec<_>>()
        .join("|")
}

fn envelope_and_msgtype(t: &mut Table) {
    let bad_type = "invalid message type";
    t.add("an empty body is 40008", "", 40008, bad_type);
    t.add(
        "a form body is 40008",
        "msgtype=text&content=hi",
        40008,
        bad_type,
    );
    t.add("a top-level array is 40008", "[]", 40008, bad_type);
    t.add("a top-level string is 40008", r#""text""#, 40008, bad_type);
    t.add("a top-level null is 40008", "null", 40008, bad_type);
    t.add(
        "truncated JSON is 40008",
        r#"{"msgtype":"text","text":{"content":"x"}"#,
        40008,
        bad_type,
    );
    t.add(
        "a trailing comma is 40008",
        r#"{"msgtype":"text","text":{"content":"x"},}"#,
        40008,
        bad_type,
    );
    t.add(
        "a byte-order mark is 40008",
        "\u{feff}{\"msgtype\":\"text\",\"text\":{\"content\":\"x\"}}",
        40008,
        bad_type,
    );
    t.add(
        "invalid UTF-8 is 40008",
        b"{\"msgtype\":\"text\",\"text\":{\"content\":\"\xff\"}}".to_vec(),
        40008,
        bad_type,
    );
    t.add(
        "a missing msgtype is 40008",
        json!({"text": {"content": "x"}}),
        40008,
        bad_type,
    );
    t.add(
        "msgtype TEXT is 40008",
        json!({"msgtype": "TEXT", "text": {"content": "x"}}),
        40008,
        bad_type,
    );
    t.add(
        "msgtype Text is 40008",
        json!({"msgtype": "Text", "text": {"content": "x"}}),
        40008,
        bad_type,
    );
    t.add(
        "msgtype with a space is 40008",
        json!({"msgtype": " text", "text": {"content": "x"}}),
        40008,
        bad_type,
    );
    t.add(
        "msgtype markdownV2 is 40008",
        json!({"msgtype": "markdownV2", "markdownV2": {"content": "x"}}),
        40008,
        bad_type,
    );
    t.add(
        "msgtype mpnews is 40008",
        json!({"msgtype": "mpnews", "mpnews": {}}),
        40008,
        bad_type,
    );
    t.add(
        "a numeric msgtype is 40008",
        json!({"msgtype": 1, "text": {"content": "x"}}),
        40008,
        bad_type,
    );
    t.add(
        "a null msgtype is 40008",
        json!({"msgtype": null, "text": {"content": "x"}}),
        40008,
        bad_type,
    );
    t.add(
        "text without its object is 40008",
        json!({"msgtype": "text"}),
        40008,
        bad_type,
    );
    t.add(
        "content at the top level is 40008",
        json!({"msgtype": "text", "content": "x"}),
        40008,
        bad_type,
    );
    t.add(
        "a string text body is 40008",
        json!({"msgtype": "text", "text": "hello"}),
        40008,
        bad_type,
    );
    t.add(
        "a null text body is 40008",
        json!({"msgtype": "text", "text": null}),
        40008,
        bad_type,
    );
    t.add(
        "a body under another type's key is 40008",
        json!({"msgtype": "text", "markdown": {"content": "x"}}),
        40008,
        bad_type,
    );
    t.add(
        "news without its object is 40008",
        json!({"msgtype": "news"}),
        40008,
        bad_type,
    );
    t.add(
        "an array template_card is 40008",
        json!({"msgtype": "template_card", "template_card": []}),
        40008,
        bad_type,
    );
    t.ok(
        "unknown top-level fields are tolerated",
        with(text("x"), json!({"safe": 0, "enable_id_trans": 1})),
    );
    t.ok(
        "unknown body fields are tolerated",
        json!({"msgtype": "text", "text": {"content": "x", "color": "red"}}),
    );
    t.ok(
        "a null chatid is absent",
        r#"{"chatid":null,"post_id":null,"visible_to_user":null,"msgtype":"text","text":{"content":"x"}}"#,
    );
}

fn wrong_types(t: &mut Table) {
    t.add(
        "a numeric content names its path",
        json!({"msgtype": "text", "text": {"content": 5}}),
        40058,
        &param("text.content invalid type: integer `5`, expected a string"),
    );
    t.add(
        "a boolean content names its path",
        json!({"msgtype": "text", "text": {"content": true}}),
        40058,
        &param("text.content invalid type: boolean `true`, expected a string"),
    );
    t.add(
        "a string mentioned_list is refused",
        json!({"msgtype": "text", "text": {"content": "x", "mentioned_list": "zhangsan"}}),
        40058,
        &param("text.mentioned_list invalid type: string \"zhangsan\", expected an array"),
    );
    t.add(
        "a numeric mention names its index",
        json!({"msgtype": "text", "text": {"content": "x", "mentioned_list": ["a", 1]}}),
        40058,
        &param("text.mentioned_list[1] invalid type: integer `1`, expected a string"),
    );
    t.add(
        "a numeric chatid is refused",
        with(text("x"), json!({"chatid": 5})),
        40058,
        &param("chatid invalid type: integer `5`, expected a string"),
    );
    t.add(
        "an array visible_to_user is refused",
        with(text("x"), json!({"visible_to_user": ["a"]})),
        40058,
        &param("visible_to_user invalid type: array, expected a string"),
    );
    t.add(
        "an object post_id is refused",
        with(text("x"), json!({"post_id": {}})),
        40058,
        &param("post_id invalid type: object, expected a string"),
    );
    t.add(
        "a string at_short_name is refused",
        json!({"msgtype": "markdown", "markdown": {"content": "x", "at_short_name": "true"}}),
        40058,
        &param("markdown.at_short_name invalid type: string \"true\", expected a boolean"),
    );
    t.add(
        "an object attachments is refused",
        json!({"msgtype": "markdown", "markdown": {"content": "x", "attachments": {}}}),
        40058,
        &param("markdown.attachments invalid type: object, expected an array"),
    );
    t.add(
        "an object articles is refused",
        news(json!({})),
        40058,
        &param("news.articles invalid type: object, expected an array"),
    );
    t.add(
        "a numeric article title names its index",
        news(json!([{"title": 5, "url": "u"}])),
        40058,
        &param("news.articles[0].title invalid type: integer `5`, expected a string"),
    );
    t.add(
        "a string card_action type is refused",
        text_notice(json!({"card_action": {"type": "1", "url": "u"}})),
        40058,
        &param("template_card.card_action.type invalid type: string \"1\", expected an integer"),
    );
    t.add("a fractional row type is refused", text_notice(json!({"horizontal_content_list": [{"keyname": "k", "type": 1.5}]})), 40058,
        &param("template_card.horizontal_content_list[0].type invalid type: floating point `1.5`, expected an integer"));
    t.add(
        "a string aspect_ratio is refused",
        news_notice(json!({"card_image": {"url": "u", "aspect_ratio": "2"}})),
        40058,
        &param(
            "template_card.card_image.aspect_ratio invalid type: string \"2\", expected a number",
        ),
    );
    t.add(
        "a numeric base64 is refused",
        json!({"msgtype": "image", "image": {"base64": 5, "md5": "x"}}),
        40058,
        &param("image.base64 invalid type: integer `5`, expected a string"),
    );
    t.add(
        "a numeric media_id is refused",
        json!({"msgtype": "file", "file": {"media_id": 5}}),
        40058,
        &param("file.media_id invalid type: integer `5`, expected a string"),
    );
    t.add(
        "a numeric action is refused",
        with_actions(vec![json!(7)]),
        40058,
        &param("markdown.attachments[0].actions[0] invalid type: integer `7`, expected an object"),
    );
    t.ok(
        "an integer aspect_ratio is a number",
        news_notice(json!({"card_image": {"url": "u", "aspect_ratio": 2}})),
    );
}

/// `base` with `key` of its template card set to `value`, a `null` kept as a literal `null`.
fn card_member(mut base: Value, key: &str, value: Value) -> Value {
    base["template_card"][key] = value;
    base
}

/// Where an object belongs, each field of a struct type (and each element of a list of structs)
/// refuses an array, a number, a string and a boolean with 40058; `{}` and `null` keep their
/// usual answers. serde's derived structs used to take `[]` as a struct with every field absent.
fn object_fields(t: &mut Table) {
    type Build = Box<dyn Fn(Value) -> Value>;
    type Answer = (i64, String);
    /// A field's path, how to put a value there, and the answers for `{}` and for `null`.
    type Row = (&'static str, Build, Answer, Answer);
    let card = |key: &'static str| -> Build {
        Box::new(move |value| card_member(text_notice(json!({})), key, value))
    };
    let news_card = |key: &'static str| -> Build {
        Box::new(move |value| card_member(news_notice(json!({})), key, value))
    };
    // A list holding the value as its only element.
    let card_row = |key: &'static str| -> Build {
        Box::new(move |value| card_member(text_notice(json!({})), key, json!([value])))
    };
    let news_row = |key: &'static str| -> Build {
        Box::new(move |value| card_member(news_notice(json!({})), key, json!([value])))
    };
    let ok = || (0, "ok".to_owned());
    let title = || (40058, missing("template_card.main_title.title"));
    let null_element = |path: &str| {
        let text = param(&format!("{path} invalid type: null, expected an object"));
        (40058, text)
    };
    let rows: Vec<Row> = vec![
        ("template_card.source", card("source"), ok(), ok()),
        (
            "template_card.main_title",
            card("main_title"),
            title(),
            title(),
        ),
        (
            "template_card.emphasis_content",
            card("emphasis_content"),
            ok(),
            ok(),
        ),
        ("template_card.quote_area", card("quote_area"), ok(), ok()),
        (
            "template_card.card_action",
            card("card_action"),
            (42045, missing("template_card.card_action.type")),
            (42045, missing("template_card.card_action")),
        ),
        (
            "template_card.card_image",
            news_card("card_image"),
            (42044, missing("template_card.card_image.url")),
            (42044, missing("template_card.card_image.url")),
        ),
        (
            "template_card.image_text_area",
            news_card("image_text_area"),
            (40058, missing("template_card.image_text_area.image_url")),
            ok(),
        ),
        (
            "template_card.horizontal_content_list[0]",
            card_row("horizontal_content_list"),
            (
                42027,
                missing("template_card.horizontal_content_list[0].keyname"),
            ),
            null_element("template_card.horizontal_content_list[0]"),
        ),
        (
            "template_card.jump_list[0]",
            card_row("jump_list"),
            (42033, missing("template_card.jump_list[0].title")),
            null_element("template_card.jump_list[0]"),
        ),
        (
            "template_card.vertical_content_list[0]",
            news_row("vertical_content_list"),
            (
                42033,
                missing("template_card.vertical_content_list[0].title"),
            ),
            null_element("template_card.vertical_content_list[0]"),
        ),
        (
            "news.articles[0]",
            Box::new(|value| news(json!([value]))),
            (41016, "missing title".to_owned()),
            null_element("news.articles[0]"),
        ),
        (
            "markdown.attachments[0]",
            Box::new(
                |value| json!({"msgtype": "markdown", "markdown": {"content": "x", "attachments": [value]}}),
            ),
            (40058, missing("markdown.attachments[0].callback_id")),
            null_element("markdown.attachments[0]"),
        ),
        (
            "markdown.attachments[0].actions[0]",
            Box::new(|value| with_actions(vec![value])),
            (40058, missing("markdown.attachments[0].actions[0].type")),
            null_element("markdown.attachments[0].actions[0]"),
        ),
    ];
    for (path, build, empty, null) in rows {
        for (value, found) in [
            (json!([]), "array"),
            (json!([null]), "array"),
            (json!(1), "integer `1`"),
            (json!("s"), "string \"s\""),
            (json!(true), "boolean `true`"),
        ] {
            t.add(
                &format!("{value} as {path} is refused: an object belongs there"),
                build(value),
                40058,
                &param(&format!("{path} invalid type: {found}, expected an object")),
            );
        }
        t.add(
            &format!("{{}} as {path} keeps its answer"),
            build(json!({})),
            empty.0,
            &empty.1,
        );
        t.add(
            &format!("null as {path} keeps its answer"),
            build(Value::Null),
            null.0,
            &null.1,
        );
    }
}

fn text_rules(t: &mut Table) {
    let limit = 5120;
    t.add(
        "empty text content is 44004",
        text(""),
        44004,
        "empty content",
    );
    t.add(
        "absent text content is 44004",
        json!({"msgtype": "text", "text": {}}),
        44004,
        "empty content",
    );
    t.add(
        "null text content is 44004",
        json!({"msgtype": "text", "text": {"content": null}}),
        44004,
        "empty content",
    );
    t.ok("whitespace text content is not empty", text(" "));
    t.ok(
        "ASCII text of 5120 bytes is accepted",
        text(&"a".repeat(limit)),
    );
    t.add(
        "ASCII text of 5121 bytes is 40058",
        text(&"a".repeat(limit + 1)),
        40058,
        &exceed("text.content", limit),
    );
    t.ok(
        "Chinese text of 5119 bytes is accepted",
        text(&zh(limit - 1)),
    );
    t.ok("Chinese text of 5120 bytes is accepted", text(&zh(limit)));
    t.add(
        "Chinese text of 5121 bytes is 40058",
        text(&zh(limit + 1)),
        40058,
        &exceed("text.content", limit),
    );
    t.add(
        "1707 Chinese characters (5121 bytes, 1707 chars) are 40058",
        text(&"中".repeat(1707)),
        40058,
        &exceed("text.content", limit),
    );
    t.ok(
        "text past the 2048-byte display limit is accepted",
        text(&zh(2049)),
    );
    t.ok("text with @all mentions is accepted", json!({"msgtype": "text", "text": {"content": "x", "mentioned_list": ["@all"], "mentioned_mobile_list": ["@all"]}}));
    t.ok("text with empty mention lists is accepted", json!({"msgtype": "text", "text": {"content": "x", "mentioned_list": [], "mentioned_mobile_list": []}}));
    t.ok("text with an emoji is accepted", text("部署完成 ✅ 🎉"));
}

fn markdown_rules(t: &mut Table) {
    let limit = 4096;
    t.add(
        "empty markdown content is 44004",
        markdown(""),
        44004,
        "empty content",
    );
    t.add(
        "absent markdown content is 44004",
        json!({"msgtype": "markdown", "markdown": {}}),
        44004,
        "empty content",
    );
    t.ok(
        "Chinese markdown of 4095 bytes is accepted",
        markdown(&zh(limit - 1)),
    );
    t.ok(
        "Chinese markdown of 4096 bytes is accepted",
        markdown(&zh(limit)),
    );
    t.add(
        "Chinese markdown of 4097 bytes is 40058",
        markdown(&zh(limit + 1)),
        40058,
        &exceed("markdown.content", limit),
    );
    t.add(
        "ASCII markdown of 4097 bytes is 40058",
        markdown(&"#".repeat(limit + 1)),
        40058,
        &exceed("markdown.content", limit),
    );
    t.ok(
        "markdown with mentioned_list ignores it",
        json!({"msgtype": "markdown", "markdown": {"content": "x", "mentioned_list": ["@all"]}}),
    );
    t.ok(
        "markdown with empty attachments is accepted",
        json!({"msgtype": "markdown", "markdown": {"content": "x", "attachments": []}}),
    );
    t.ok(
        "a button without colours is accepted",
        one_action(json!({})),
    );
    t.ok(
        "20 buttons are accepted",
        with_actions(vec![button(json!({})); 20]),
    );
    t.add(
        "21 buttons are 40058",
        with_actions(vec![button(json!({})); 21]),
        40058,
        &size("markdown.attachments[0].actions", 1, 20),
    );
    t.add(
        "no buttons is 40058",
        with_actions(vec![]),
        40058,
        &size("markdown.attachments[0].actions", 1, 20),
    );
    t.add("an attachment without actions is 40058", json!({"msgtype": "markdown", "markdown": {"content": "x", "attachments": [{"callback_id": "cb"}]}}), 40058,
        &size("markdown.attachments[0].actions", 1, 20));
    t.add("an attachment without callback_id is 40058", json!({"msgtype": "markdown", "markdown": {"content": "x", "attachments": [{"actions": [button(json!({}))]}]}}), 40058,
        &missing("markdown.attachments[0].callback_id"));
    t.add(
        "a link action is 40058",
        one_action(json!({"type": "link"})),
        40058,
        &param("markdown.attachments[0].actions[0].type expect button"),
    );
    t.add(
        "a Button action is 40058",
        one_action(json!({"type": "Button"})),
        40058,
        &param("markdown.attachments[0].actions[0].type expect button"),
    );
    for field in ["type", "name", "text", "value", "replace_text"] {
        t.add(
            &format!("an action without {field} is 40058"),
            one_action(json!({field: null})),
            40058,
            &missing(&format!("markdown.attachments[0].actions[0].{field}")),
        );
    }
    let action_limits = [
        ("name", 64),
        ("text", 128),
        ("value", 128),
        ("replace_text", 128),
    ];
    for (field, limit) in action_limits {
        t.ok(
            &format!(
                "an action {field} of {} Chinese bytes is accepted",
                limit - 1
            ),
            one_action(json!({field: zh(limit - 1)})),
        );
        t.ok(
            &format!("an action {field} of {limit} Chinese bytes is accepted"),
            one_action(json!({field: zh(limit)})),
        );
        t.add(
            &format!("an action {field} of {} Chinese bytes is 40058", limit + 1),
            one_action(json!({field: zh(limit + 1)})),
            40058,
            &exceed(
                &format!("markdown.attachments[0].actions[0].{field}"),
                limit,
            ),
        );
    }
    t.add(
        "the second attachment's error names its index",
        json!({"msgtype": "markdown", "markdown": {"content": "x", "attachments": [
            {"callback_id": "a", "actions": [button(json!({}))]},
            {"callback_id": "b", "actions": [button(json!({}))], "extra": 1},
            {"callback_id": "c", "actions": [button(json!({})), button(json!({"name": ""}))]}]}}),
        40058,
        &missing("markdown.attachments[2].actions[1].name"),
    );
    t.add(
        "markdown_v2 empty content is 44004",
        markdown_v2(""),
        44004,
        "empty content",
    );
    t.ok(
        "Chinese markdown_v2 of 4095 bytes is accepted",
        markdown_v2(&zh(limit - 1)),
    );
    t.ok(
        "Chinese markdown_v2 of 4096 bytes is accepted",
        markdown_v2(&zh(limit)),
    );
    t.add(
        "Chinese markdown_v2 of 4097 bytes is 40058",
        markdown_v2(&zh(limit + 1)),
        40058,
        &exceed("markdown_v2.content", limit),
    );
    t.ok(
        "markdown_v2 with a table is accepted",
        markdown_v2("| a | b |\n| :- | -: |\n| 1 | 2 |"),
    );
}

fn image_rules(t: &mut Table) {
    let png = image(PNG);
    t.ok("a PNG image is accepted", png.clone());
    t.ok("a JPEG image is accepted", image(JPEG));
    let body = image_body(PNG);
    t.ok(
        "an uppercase md5 is accepted",
        image_raw(&body.base64, &body.md5.to_uppercase()),
    );
    let wrapped: String = body
        .base64
        .as_bytes()
        .chunks(8)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    t.ok(
        "base64 wrapped over lines is accepted",
        image_raw(&wrapped, &body.md5),
    );
    t.ok(
        "base64 without padding is accepted",
        image_raw(body.base64.trim_end_matches('='), &body.md5),
    );
    t.add(
        "a wrong md5 is 301019",
        image_raw(&body.base64, "d41d8cd98f00b204e9800998ecf8427e"),
        301019,
        "media md5 not match",
    );
    t.add(
        "an absent md5 is 301019",
        json!({"msgtype": "image", "image": {"base64": body.base64}}),
        301019,
        "media md5 not match",
    );
    t.add(
        "an absent base64 is 44001",
        json!({"msgtype": "image", "image": {"md5": body.md5}}),
        44001,
        "empty media data",
    );
    t.add(
        "an empty base64 is 44001",
        image_raw("", &body.md5),
        44001,
        "empty media data",
    );
    t.add(
        "a whitespace base64 is 44001",
        image_raw(" \n", &body.md5),
        44001,
        "empty media data",
    );
    t.add(
        "invalid base64 is 40058",
        image_raw("!!!!", &body.md5),
        40058,
        &param("image.base64 is not valid base64"),
    );
    t.add(
        "a data URI is 40058",
        image_raw(&format!("data:image/png;base64,{}", body.base64), &body.md5),
        40058,
        &param("image.base64 is not valid base64"),
    );
    t.add(
        "URL-safe base64 is 40058",
        image_raw("_-__", "x"),
        40058,
        &param("image.base64 is not valid base64"),
    );
    t.add(
        "a GIF is 40005",
        image(b"GIF89a\x01\0\x01\0\0\0\0"),
        40005,
        "invalid file type",
    );
    t.add(
        "a GIF with a wrong md5 is 40005 before 301019",
        image_raw(&image_body(b"GIF89a....").base64, "x"),
        40005,
        "invalid file type",
    );
    let mut at_limit = PNG.to_vec();
    at_limit.resize(2 * 1024 * 1024, 0);
    t.ok("a 2 MiB picture is accepted", image(&at_limit));
    at_limit.push(0);
    t.add(
        "a picture one byte over 2 MiB is 40009",
        image(&at_limit),
        40009,
        "invalid image size",
    );
    t.add(
        "the official placeholder image is not a picture",
        include_str!("examples/doc_image_placeholder.json"),
        40005,
        "invalid file type",
    );
}

fn news_rules(t: &mut Table) {
    t.add(
        "no articles is 45008",
        news(json!([])),
        45008,
        "article size out of limit",
    );
    t.add(
        "absent articles is 45008",
        json!({"msgtype": "news", "news": {}}),
        45008,
        "article size out of limit",
    );
    t.ok("8 articles are accepted", news(rows(8, &article())));
    t.add(
        "9 articles are 45008",
        news(rows(9, &article())),
        45008,
        "article size out of limit",
    );
    t.add(
        "an article without title is 41016",
        news(json!([{"url": "https://example.com"}])),
        41016,
        "missing title",
    );
    t.add(
        "an article with an empty title is 41016",
        news(json!([{"title": "", "url": "u"}])),
        41016,
        "missing title",
    );
    t.add(
        "an article without url is 41010",
        news(json!([{"title": "t"}])),
        41010,
        "missing url",
    );
    t.add(
        "the second article without url is 41010",
        news(json!([article(), {"title": "t", "picurl": "p"}])),
        41010,
        "missing url",
    );
    t.ok(
        "an article title over 128 bytes is truncated, not refused",
        news(json!([{"title": zh(300), "url": "u"}])),
    );
    t.ok(
        "a description over 512 bytes is truncated, not refused",
        news(json!([{"title": "t", "description": zh(600), "url": "u"}])),
    );
    for (field, limit) in [("title", 128), ("description", 512)] {
        for bytes in [limit - 1, limit, limit + 1] {
            let mut article = article();
            article[field] = Value::from(zh(bytes));
            t.ok(
                &format!("an article {field} of {bytes} Chinese bytes is accepted"),
                news(json!([article])),
            );
        }
    }
    t.ok(
        "an article without description and picurl is accepted",
        news(json!([{"title": "t", "url": "u"}])),
    );
    t.add(
        "nine articles without titles are 45008 first",
        news(rows(9, &json!({}))),
        45008,
        "article size out of limit",
    );
}

fn media_rules(t: &mut Table) {
    for kind in ["file", "voice"] {
        t.ok(
            &format!("{kind} with a media_id is accepted"),
            json!({"msgtype": kind, kind: {"media_id": "3a8asd892asd8asd"}}),
        );
        t.add(
            &format!("{kind} without media_id is 41006"),
            json!({"msgtype": kind, kind: {}}),
            41006,
            "media_id missing",
        );
        t.add(
            &format!("{kind} with an empty media_id is 41006"),
            json!({"msgtype": kind, kind: {"media_id": ""}}),
            41006,
            "media_id missing",
        );
    }
    for field in ["title", "pic_media_id", "appid", "page"] {
        t.add(
            &format!("miniprogram without {field} is 40058"),
            miniprogram(json!({field: null})),
            40058,
            &missing(&format!("miniprogram.{field}")),
        );
    }
    t.ok(
        "a miniprogram title of 63 Chinese bytes is accepted",
        miniprogram(json!({"title": zh(63)})),
    );
    t.ok(
        "a miniprogram title of 64 Chinese bytes is accepted",
        miniprogram(json!({"title": zh(64)})),
    );
    t.add(
        "a miniprogram title of 65 Chinese bytes is 40058",
        miniprogram(json!({"title": zh(65)})),
        40058,
        &exceed("miniprogram.title", 64),
    );
}

fn card_rules(t: &mut Table) {
    t.add(
        "a card without card_type is 42031",
        text_notice(json!({"card_type": null})),
        42031,
        &missing("template_card.card_type"),
    );
    t.add(
        "a TEXT_NOTICE card is 42031",
        text_notice(json!({"card_type": "TEXT_NOTICE"})),
        42031,
        &param("template_card.card_type expect text_notice or news_notice"),
    );
    t.add(
        "a button_interaction card is 42031",
        text_notice(json!({"card_type": "button_interaction"})),
        42031,
        &param("template_card.card_type expect text_notice or news_notice"),
    );
    t.ok("a minimal text_notice is accepted", text_notice(json!({})));
    t.ok(
        "a text_notice with only sub_title_text is accepted",
        text_notice(json!({"main_title": null, "sub_title_text": "副标题"})),
    );
    t.add(
        "a text_notice with no title at all is 40058",
        text_notice(json!({"main_title": {"desc": "d"}})),
        40058,
        &missing("template_card.main_title.title"),
    );
    t.add(
        "a news_notice without main_title is 40058",
        news_notice(json!({"main_title": null, "sub_title_text": "x"})),
        40058,
        &missing("template_card.main_title.title"),
    );
    t.add(
        "a card without card_action is 42045",
        text_notice(json!({"card_action": null})),
        42045,
        &missing("template_card.card_action"),
    );
    t.add(
        "a card_action without type is 42045",
        text_notice(json!({"card_action": {"url": "u"}})),
        42045,
        &missing("template_card.card_action.type"),
    );
    for kind in [0, 3, -1] {
        t.add(
            &format!("card_action type {kind} is 42045"),
            text_notice(json!({"card_action": {"type": kind, "url": "u"}})),
            42045,
            &param("template_card.card_action.type expect value in [1, 2]"),
        );
    }
    t.add(
        "card_action type 1 without url is 42028",
        text_notice(json!({"card_action": {"type": 1}})),
        42028,
        &missing("template_card.card_action.url"),
    );
    t.add(
        "card_action type 1 with an empty url is 42028",
        text_notice(json!({"card_action": {"type": 1, "url": ""}})),
        42028,
        &missing("template_card.card_action.url"),
    );
    t.add(
        "card_action type 2 without appid is 42030",
        text_notice(json!({"card_action": {"type": 2, "pagepath": "p"}})),
        42030,
        &missing("template_card.card_action.appid"),
    );
    t.ok(
        "card_action type 2 with appid alone is accepted",
        text_notice(json!({"card_action": {"type": 2, "appid": "wx1"}})),
    );
    t.ok("a minimal news_notice is accepted", news_notice(json!({})));
    t.add(
        "a news_notice without card_image is 42044",
        news_notice(json!({"card_image": null})),
        42044,
        &missing("template_card.card_image.url"),
    );
    t.add(
        "a card_image without url is 42044",
        news_notice(json!({"card_image": {"aspect_ratio": 1.5}})),
        42044,
        &missing("template_card.card_image.url"),
    );
    t.add(
        "a news_notice with only image_text_area is still 42044",
        news_notice(json!({"card_image": null, "image_text_area": {"image_url": "i"}})),
        42044,
        &missing("template_card.card_image.url"),
    );
    for ratio in [1.3, 1.7, 2.25] {
        t.ok(
            &format!("aspect_ratio {ratio} is accepted"),
            news_notice(json!({"card_image": {"url": "u", "aspect_ratio": ratio}})),
        );
    }
    for ratio in [1.29, 2.26, 0.0, -2.0] {
        t.add(
            &format!("aspect_ratio {ratio} is 40058"),
            news_notice(json!({"card_image": {"url": "u", "aspect_ratio": ratio}})),
            40058,
            &param("template_card.card_image.aspect_ratio expect value in [1.3, 2.25]"),
        );
    }
    t.ok("news_notice fields on a text_notice are ignored", text_notice(json!({"card_image": {"aspect_ratio": 9}, "vertical_content_list": rows(9, &json!({}))})));
    t.ok(
        "text_notice fields on a news_notice are ignored",
        news_notice(json!({"emphasis_content": {"title": "100"}, "sub_title_text": "x"})),
    );
    t.add(
        "image_text_area without image_url is 40058",
        news_notice(json!({"image_text_area": {"title": "t"}})),
        40058,
        &missing("template_card.image_text_area.image_url"),
    );
    t.add(
        "image_text_area type 1 without url is 42028",
        news_notice(json!({"image_text_area": {"type": 1, "image_url": "i"}})),
        42028,
        &missing("template_card.image_text_area.url"),
    );
    t.add(
        "image_text_area type 2 without appid is 42030",
        news_notice(json!({"image_text_area": {"type": 2, "image_url": "i"}})),
        42030,
        &missing("template_card.image_text_area.appid"),
    );
    t.add(
        "image_text_area type 5 is 40058",
        news_notice(json!({"image_text_area": {"type": 5, "image_url": "i"}})),
        40058,
        &param("template_card.image_text_area.type expect value in [0, 2]"),
    );
    let vertical = json!({"title": "惊喜红包等你来拿"});
    t.ok(
        "4 vertical rows are accepted",
        news_notice(json!({"vertical_content_list": rows(4, &vertical)})),
    );
    t.ok(
        "an empty vertical list is accepted",
        news_notice(json!({"vertical_content_list": []})),
    );
    t.add(
        "5 vertical rows are 42036",
        news_notice(json!({"vertical_content_list": rows(5, &vertical)})),
        42036,
        &size("template_card.vertical_content_list", 0, 4),
    );
    t.add(
        "a vertical row without title is 42033",
        news_notice(json!({"vertical_content_list": [vertical, {"desc": "d"}]})),
        42033,
        &missing("template_card.vertical_content_list[1].title"),
    );
    let row = json!({"keyname": "邀请人", "value": "张三"});
    t.ok(
        "6 horizontal rows are accepted",
        text_notice(json!({"horizontal_content_list": rows(6, &row)})),
    );
    t.ok(
        "an empty horizontal list is accepted",
        text_notice(json!({"horizontal_content_list": []})),
    );
    t.add(
        "7 horizontal rows are 42035",
        text_notice(json!({"horizontal_content_list": rows(7, &row)})),
        42035,
        &size("template_card.horizontal_content_list", 0, 6),
    );
    t.add(
        "7 horizontal rows on a news_notice are 42035",
        news_notice(json!({"horizontal_content_list": rows(7, &row)})),
        42035,
        &size("template_card.horizontal_content_list", 0, 6),
    );
    t.add(
        "a horizontal row without keyname is 42027",
        text_notice(json!({"horizontal_content_list": [{"value": "v"}]})),
        42027,
        &missing("template_card.horizontal_content_list[0].keyname"),
    );
    t.add(
        "a type-1 row without url is 42028",
        text_notice(json!({"horizontal_content_list": [row, {"keyname": "k", "type": 1}]})),
        42028,
        &missing("template_card.horizontal_content_list[1].url"),
    );
    t.add(
        "a type-2 row without media_id is 42029",
        text_notice(json!({"horizontal_content_list": [{"keyname": "k", "type": 2}]})),
        42029,
        &missing("template_card.horizontal_content_list[0].media_id"),
    );
    t.add(
        "a type-3 row without userid is 42050",
        text_notice(json!({"horizontal_content_list": [{"keyname": "k", "type": 3}]})),
        42050,
        &missing("template_card.horizontal_content_list[0].userid"),
    );
    t.ok(
        "a type-3 row with userid is accepted",
        text_notice(
            json!({"horizontal_content_list": [{"keyname": "k", "type": 3, "userid": "zhangsan"}]}),
        ),
    );
    t.add(
        "a type-4 row is 40058",
        text_notice(json!({"horizontal_content_list": [{"keyname": "k", "type": 4}]})),
        40058,
        &param("template_card.horizontal_content_list[0].type expect value in [0, 3]"),
    );
    let jump = json!({"type": 1, "url": "https://work.weixin.qq.com", "title": "企业微信官网"});
    t.ok(
        "3 jumps are accepted",
        text_notice(json!({"jump_list": rows(3, &jump)})),
    );
    t.ok(
        "an empty jump list is accepted",
        text_notice(json!({"jump_list": []})),
    );
    t.add(
        "4 jumps are 42042",
        text_notice(json!({"jump_list": rows(4, &jump)})),
        42042,
        &size("template_card.jump_list", 0, 3),
    );
    t.add(
        "a jump without title is 42033",
        text_notice(json!({"jump_list": [{"type": 1, "url": "u"}]})),
        42033,
        &missing("template_card.jump_list[0].title"),
    );
    t.add(
        "a type-1 jump without url is 42028",
        text_notice(json!({"jump_list": [{"type": 1, "title": "t"}]})),
        42028,
        &missing("template_card.jump_list[0].url"),
    );
    t.add(
        "a type-2 jump without appid is 42030",
        text_notice(json!({"jump_list": [{"type": 2, "title": "t"}]})),
        42030,
        &missing("template_card.jump_list[0].appid"),
    );
    t.ok(
        "a type-0 jump needs no url",
        text_notice(json!({"jump_list": [{"title": "t"}]})),
    );
    t.add(
        "a type-3 jump is 40058",
        text_notice(json!({"jump_list": [{"type": 3, "title": "t"}]})),
        40058,
        &param("template_card.jump_list[0].type expect value in [0, 2]"),
    );
    t.add(
        "a type-1 quote without url is 42028",
        text_notice(json!({"quote_area": {"type": 1, "quote_text": "q"}})),
        42028,
        &missing("template_card.quote_area.url"),
    );
    t.add(
        "a type-2 quote without appid is 42030",
        text_notice(json!({"quote_area": {"type": 2}})),
        42030,
        &missing("template_card.quote_area.appid"),
    );
    t.ok(
        "a type-0 quote needs no url",
        text_notice(json!({"quote_area": {"type": 0, "quote_text": "q"}})),
    );
    t.ok(
        "desc_color 3 is accepted",
        text_notice(json!({"source": {"desc": "企业微信", "desc_color": 3}})),
    );
    t.add(
        "desc_color 4 is 40058",
        text_notice(json!({"source": {"desc_color": 4}})),
        40058,
        &param("template_card.source.desc_color expect value in [0, 3]"),
    );
    t.add(
        "card_type is checked before card_action",
        text_notice(json!({"card_type": "x", "card_action": null})),
        42031,
        &param("template_card.card_type expect text_notice or news_notice"),
    );
    t.add(
        "card_action is checked before the lists",
        text_notice(json!({"card_action": null, "jump_list": rows(9, &jump)})),
        42045,
        &missing("template_card.card_action"),
    );
}

fn chatid_rules(t: &mut Table) {
    t.ok(
        "100 chat ids are accepted",
        with(text("x"), json!({"chatid": ids(100)})),
    );
    t.add(
        "101 chat ids are 40058",
        with(text("x"), json!({"chatid": ids(101)})),
        40058,
        &size("chatid", 1, 100),
    );
    t.add(
        "101 ids are counted before duplicates are removed",
        with(text("x"), json!({"chatid": vec!["wrkA"; 101].join("|")})),
        40058,
        &size("chatid", 1, 100),
    );
    t.ok(
        "empty pieces of chatid are not counted",
        with(text("x"), json!({"chatid": format!("{}||", ids(100))})),
    );
    for special in ["@all_group", "@all_blackboard", "@all"] {
        t.ok(
            &format!("chatid {special} is accepted"),
            with(text("x"), json!({"chatid": special})),
        );
    }
    t.ok(
        "a userid chatid is accepted",
        with(text("x"), json!({"chatid": "zhangsan"})),
    );
    t.ok(
        "post_id with several targets is ignored, not refused",
        with(text("x"), json!({"chatid": "a|b", "post_id": "bpk1"})),
    );
    t.ok(
        "visible_to_user with a broadcast is ignored, not refused",
        with(
            markdown("x"),
            json!({"chatid": "@all", "visible_to_user": "zhangsan"}),
        ),
    );
}

fn precedence(t: &mut Table) {
    t.add(
        "msgtype is checked before field types",
        json!({"msgtype": "TEXT", "text": {"content": 5}}),
        40008,
        "invalid message type",
    );
    t.add(
        "field types are checked before required fields",
        json!({"msgtype": "text", "chatid": 5, "text": {"content": ""}}),
        40058,
        &param("chatid invalid type: integer `5`, expected a string"),
    );
    t.add(
        "required fields are checked before chatid",
        with(text(""), json!({"chatid": ids(101)})),
        44004,
        "empty content",
    );
    t.add(
        "lengths are checked before chatid",
        with(text(&zh(5121)), json!({"chatid": ids(101)})),
        40058,
        &exceed("text.content", 5120),
    );
    t.add(
        "chatid is checked before the md5",
        with(
            image_raw(&image_body(PNG).base64, "bad"),
            json!({"chatid": ids(101)}),
        ),
        40058,
        &size("chatid", 1, 100),
    );
    t.add(
        "empty markdown content comes before attachment errors",
        json!({"msgtype": "markdown", "markdown": {"content": "", "attachments": [{}]}}),
        44004,
        "empty content",
    );
    t.add(
        "a long markdown is refused before its attachments",
        json!({"msgtype": "markdown", "markdown": {"content": zh(4097), "attachments": [{}]}}),
        40058,
        &exceed("markdown.content", 4096),
    );
}

fn examples(t: &mut Table) {
    for (name, body) in EXAMPLES {
        t.ok(&format!("the example {name} is accepted"), *body);
    }
}

/// Every JSON example of the official document and the spec (the image example with real data,
/// since its placeholders are not a picture).
const EXAMPLES: &[(&str, &str)] = &[
    ("doc_curl_text", include_str!("examples/doc_curl_text.json")),
    ("doc_text", include_str!("examples/doc_text.json")),
    ("doc_markdown", include_str!("examples/doc_markdown.json")),
    (
        "doc_markdown_v2",
        include_str!("examples/doc_markdown_v2.json"),
    ),
    ("doc_news", include_str!("examples/doc_news.json")),
    (
        "doc_miniprogram",
        include_str!("examples/doc_miniprogram.json"),
    ),
    ("doc_file", include_str!("examples/doc_file.json")),
    ("doc_voice", include_str!("examples/doc_voice.json")),
    ("spec_text", include_str!("examples/spec_text.json")),
    ("spec_markdown", include_str!("examples/spec_markdown.json")),
    ("spec_news", include_str!("examples/spec_news.json")),
    ("spec_file", include_str!("examples/spec_file.json")),
    ("spec_voice", include_str!("examples/spec_voice.json")),
    (
        "spec_miniprogram",
        include_str!("examples/spec_miniprogram.json"),
    ),
    (
        "spec_text_notice",
        include_str!("examples/spec_text_notice.json"),
    ),
    (
        "spec_news_notice",
        include_str!("examples/spec_news_notice.json"),
    ),
    (
        "spec_passive_text",
        include_str!("examples/spec_passive_text.json"),
    ),
    (
        "spec_passive_markdown",
        include_str!("examples/spec_passive_markdown.json"),
    ),
];

fn table() -> Table {
    let mut t = Table::default();
    envelope_and_msgtype(&mut t);
    wrong_types(&mut t);
    object_fields(&mut t);
    text_rules(&mut t);
    markdown_rules(&mut t);
    image_rules(&mut t);
    news_rules(&mut t);
    media_rules(&mut t);
    card_rules(&mut t);
    chatid_rules(&mut t);
    precedence(&mut t);
    examples(&mut t);
    t
}

#[test]
fn every_case_gets_wecoms_errcode_and_errmsg() {
    let table = table();
    let failures: Vec<String> = table
        .0
        .iter()
        .filter_map(|case| {
            let (code, text) = answer(&case.body);
            (code != case.code || text != case.text).then(|| {
                format!(
                    "{}\n    expected {} {:?}\n    got      {} {:?}",
                    case.name, case.code, case.text, code, text
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        table.0.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_has_at_least_150_distinctly_named_cases() {
    let table = table();
    let mut names: Vec<&str> = table.0.iter().map(|case| case.name.as_str()).collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "case names must be unique");
    // Printed so that `cargo test -- --nocapture` shows the size of the suite.
    println!("conformance table: {count} cases");
    assert!(count >= 150, "only {count} cases");
}

#[test]
fn every_example_serializes_back_to_equivalent_json() {
    for (name, body) in EXAMPLES {
        let original: Value = serde_json::from_str(body).unwrap();
        let accepted = parse_send(body.as_bytes()).unwrap().request;
        assert_eq!(serde_json::to_value(&accepted).unwrap(), original, "{name}");
        // The derived serde model agrees with the validator.
        let derived: SendRequest = serde_json::from_str(body).unwrap();
        assert_eq!(derived, accepted, "{name}");
    }
}

#[test]
fn the_official_image_example_round_trips_through_the_wire_model() {
    let body = include_str!("examples/doc_image_placeholder.json");
    let request: SendRequest = serde_json::from_str(body).unwrap();
    let original: Value = serde_json::from_str(body).unwrap();
    assert_eq!(serde_json::to_value(&request).unwrap(), original);
}

#[test]
fn a_valid_image_fills_the_decoded_picture() {
    let valid = parse_send(&serde_json::to_vec(&image(PNG)).unwrap()).unwrap();
    let picture = valid.image.unwrap();
    assert_eq!(picture.bytes, PNG);
    assert_eq!(picture.format.mime(), "image/png");
    assert!(
        parse_send(&serde_json::to_vec(&text("x")).unwrap())
            .unwrap()
            .image
            .is_none()
    );
}

#[test]
fn news_titles_and_descriptions_are_truncated_on_a_char_boundary() {
    let body =
        news(json!([{"title": zh(300), "description": format!("a{}", zh(600)), "url": "u"}]));
    let valid = parse_send(&serde_json::to_vec(&body).unwrap()).unwrap();
    let Message::News { news } = valid.request.message else {
        panic!("not news");
    };
    let article = &news.articles[0];
    assert_eq!(article.title, "中".repeat(42), "128 bytes cut back to 126");
    assert_eq!(
        article.description.as_deref(),
        Some(format!("a{}", "中".repeat(170)).as_str()),
        "511 bytes"
    );
}

/// The title and description WeCom keeps of an article whose fields are `bytes` long.
fn kept(title_bytes: usize, description_bytes: usize) -> (usize, usize) {
    let body = news(
        json!([{"title": zh(title_bytes), "description": zh(description_bytes),
        "url": "https://example.com"}]),
    );
    let valid = parse_send(&serde_json::to_vec(&body).unwrap()).unwrap();
    let Message::News { news } = valid.request.message else {
        panic!("not news");
    };
    let article = &news.articles[0];
    let description = article.description.as_deref().unwrap_or_default();
    (article.title.len(), description.len())
}

#[test]
fn news_fields_at_their_byte_limits_are_kept_whole_and_one_byte_more_is_cut() {
    // zh(n) ends in ASCII padding unless n is a multiple of 3: 128 = 42 中 + "aa".
    assert_eq!(kept(127, 511), (127, 511));
    assert_eq!(kept(128, 512), (128, 512));
    // 129 and 513 bytes are all Chinese (43 and 171 中): cut back to the last whole character.
    assert_eq!(kept(129, 513), (126, 510));
}

#[test]
fn the_upload_reply_of_the_official_document_parses_with_created_at_as_a_string() {
    let doc = r#"{
       "errcode": 0,
       "errmsg": "ok",
       "type": "file",
       "media_id": "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0",
       "created_at": "1380000000"
    }"#;
    let reply: hookpit_protocol::UploadReply = serde_json::from_str(doc).unwrap();
    assert_eq!(reply.created_at.as_deref(), Some("1380000000"));
    let compact: Value = serde_json::from_str(&reply.to_json()).unwrap();
    assert_eq!(compact, serde_json::from_str::<Value>(doc).unwrap());
    assert_eq!(
        reply,
        hookpit_protocol::UploadReply::ok(
            "file",
            "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0",
            1_380_000_000
        )
    );
}

#[test]
fn a_text_at_the_limit_is_stored_in_full() {
    let content = zh(5120);
    let valid = parse_send(&serde_json::to_vec(&text(&content)).unwrap()).unwrap();
    let Message::Text { text } = valid.request.message else {
        panic!("not text");
    };
    assert_eq!(text.content, content);
    assert_eq!(hookpit_protocol::display_text(&text.content).len(), 2046);
}

/// The table's bodies are the seeds of the `parse_send` fuzz target, and the content of its
/// markdown and markdown_v2 bodies the seeds of the two renderers' targets: with
/// `$HOOKPIT_FUZZ_SEEDS` set (`fuzz/seeds.sh`) they are written to `<it>/<target>/`; without it,
/// the committed ones in `fuzz/seeds/` must match them, so the seeds never fall behind the cases. Bodies over 1 KiB and contents
/// of fewer than 8 distinct characters (the cases at the byte limits, long runs of one character)
/// are left out of parse_send's and the renderers' seeds: the fuzzer grows long inputs itself.
#[test]
fn the_fuzz_seeds_are_the_cases() {
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let slug: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        seed(target, &slug, bytes);
    };
    for case in table().0 {
        if case.body.len() <= 1024 {
            write("parse_send", &case.name, &case.body);
        }
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&case.body) else {
            continue;
        };
        for (msgtype, target) in [
            ("markdown", "render_markdown"),
            ("markdown_v2", "render_markdown_v2"),
        ] {
            let content = body.get(msgtype).and_then(|message| message.get("content"));
            let Some(Value::String(content)) = content else {
                continue;
            };
            let mut characters: Vec<char> = content.chars().collect();
            characters.sort_unstable();
            characters.dedup();
            if characters.len() >= 8 {
                write(target, &case.name, content.as_bytes());
            }
        }
    }
}

/// Writes one fuzz seed under `$HOOKPIT_FUZZ_SEEDS`, or checks that the committed one in
/// `fuzz/seeds/` has exactly these bytes.
fn seed(target: &str, name: &str, bytes: &[u8]) {
    if let Some(root) = std::env::var_os("HOOKPIT_FUZZ_SEEDS") {
        let folder = std::path::Path::new(&root).join(target);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(name), bytes).unwrap();
        return;
    }
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
        .join(name);
    let found = std::fs::read(&committed).unwrap_or_default();
    assert!(
        found == bytes,
        "{} is missing or out of date: run fuzz/seeds.sh and commit fuzz/seeds",
        committed.display()
    );
}
