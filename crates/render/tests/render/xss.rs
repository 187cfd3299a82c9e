//! The XSS corpus: every payload in every string field of every message type, with a user
//! directory and uploads whose names are payloads too. The output must pass the strict
//! [`checker`](crate::checker): no tag, attribute, URL or style but the renderer's own.

use hookpit_protocol::Message;
use hookpit_render::{ChatKind, Context, MediaInfo, MemoryMedia, MemoryUsers, render};
use serde_json::{Value, json};

use crate::checker::violations;

/// Script tags, event handlers, script URLs (mixed case, entity-encoded, with control
/// characters), broken HTML, CSS injection through font colours, and markdown that builds links
/// and images from all of those.
pub const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<body onload=alert(1)>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)' autofocus '",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\u{1}javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;vascript:alert(1)",
    "javascript&#58;alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "VbScRiPt:msgbox(1)",
    "//evil.example/x",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "</div></span></a></button><script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=\"x\" <!-- onerror=alert(1) -->",
    "<style>*{background:url(javascript:alert(1))}</style>",
    "<font color=\"red;background:url(javascript:alert(1))\">x</font>",
    "<font color=\"info\" onmouseover=\"alert(1)\">x</font>",
    "<font color=info style=\"position:fixed\">x</font>",
    "<font color=\"info\"><script>alert(1)</script></font>",
    "<font color=\"warning\">**<img src=x onerror=alert(1)>**",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](https://ok.example/\" onmouseover=\"alert(1))",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    "![x](javascript:alert(1))",
    "![x\" onerror=\"alert(1)](https://ok.example/p.png)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "<@zhangsan\" onclick=\"alert(1)>",
    "<@evil><script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "| <script>alert(1)</script> | x |\n| --- | --- |\n| [a](javascript:x) | b |",
    "> <img src=x onerror=alert(1)>\n>> <svg onload=alert(1)>",
    "# <script>alert(1)</script>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "\u{0}<script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "#2EAB49;background:url(javascript:alert(1))",
];

/// Every message type with `payload` in every string field, and every `type` a card block has.
fn messages(payload: &str) -> Vec<Value> {
    let p = payload;
    let target = |kind: i64| json!({"type": kind, "url": p, "appid": p, "pagepath": p, "title": p});
    vec![
        json!({"msgtype": "text", "text": {"content": format!("{p}<@evil>{p}"),
            "mentioned_list": [p, "evil", "@all"], "mentioned_mobile_list": [p]}}),
        json!({"msgtype": "markdown", "markdown": {"content": format!("{p}\n# {p}\n> {p}\n**{p}**\n<font color=\"info\">{p}</font>"),
            "attachments": [{"callback_id": p, "actions": [{"name": p, "text": p, "type": p, "value": p,
                "replace_text": p, "border_color": p, "text_color": p}]}]}}),
        json!({"msgtype": "markdown_v2", "markdown_v2": {"content": format!("{p}\n\n- {p}\n\n[{p}]({p})\n\n![{p}]({p})")}}),
        json!({"msgtype": "image", "image": {"base64": p, "md5": p}}),
        json!({"msgtype": "news", "news": {"articles": [
            {"title": p, "description": p, "url": p, "picurl": p},
            {"title": p, "description": p, "url": p, "picurl": p}]}}),
        json!({"msgtype": "file", "file": {"media_id": p}}),
        json!({"msgtype": "file", "file": {"media_id": "evil"}}),
        json!({"msgtype": "voice", "voice": {"media_id": p}}),
        json!({"msgtype": "voice", "voice": {"media_id": "evil"}}),
        json!({"msgtype": "miniprogram", "miniprogram": {"title": p, "pic_media_id": "evil", "appid": p, "page": p}}),
        json!({"msgtype": "miniprogram", "miniprogram": {"title": p, "pic_media_id": p, "appid": p, "page": p}}),
        json!({"msgtype": "template_card", "template_card": {
            "card_type": p,
            "source": {"icon_url": p, "desc": p, "desc_color": 2},
            "main_title": {"title": p, "desc": p},
            "emphasis_content": {"title": p, "desc": p},
            "quote_area": {"type": 1, "url": p, "title": p, "quote_text": p},
            "sub_title_text": p,
            "horizontal_content_list": [
                {"keyname": p, "value": p},
                {"keyname": p, "value": p, "type": 1, "url": p},
                {"keyname": p, "value": p, "type": 2, "media_id": "evil"},
                {"keyname": p, "value": p, "type": 2, "media_id": p},
                {"keyname": p, "value": "", "type": 3, "userid": "evil"},
                {"keyname": p, "value": p, "type": 3, "userid": p}],
            "jump_list": [target(0), target(1), target(2)],
            "card_action": target(1)}}),
        json!({"msgtype": "template_card", "template_card": {
            "card_type": "news_notice",
            "source": {"icon_url": p, "desc": p},
            "main_title": {"title": p, "desc": p},
            "card_image": {"url": p, "aspect_ratio": 9.9},
            "image_text_area": {"type": 2, "url": p, "appid": p, "pagepath": p, "title": p, "desc": p, "image_url": p},
            "quote_area": {"type": 2, "appid": p, "pagepath": p, "title": p, "quote_text": p},
            "vertical_content_list": [{"title": p, "desc": p}],
            "card_action": target(2)}}),
    ]
}

/// A directory whose user names, file names and download URLs are payloads as well: they come
/// from the admin API and uploads, which are no more trusted than messages.
pub fn render_all(payload: &str) -> Vec<(Value, String)> {
    let users = MemoryUsers::new()
        .with("evil", payload, "13800000000")
        .with("zhangsan", "张三", "");
    let media = MemoryMedia::new().with(
        "evil",
        MediaInfo {
            filename: payload.to_owned(),
            size: 1,
            download_url: payload.to_owned(),
            voice_duration_ms: Some(1),
        },
    );
    messages(payload)
        .into_iter()
        .flat_map(|json| {
            let message: Message =
                serde_json::from_value(json.clone()).expect("the message parses");
            [ChatKind::Group, ChatKind::Blackboard].map(|chat| {
                let context = Context {
                    users: &users,
                    media: &media,
                    image_url: Some(payload),
                    chat,
                };
                (json.clone(), render(&message, &context).html)
            })
        })
        .collect()
}

#[test]
fn no_payload_in_any_field_produces_markup_of_its_own() {
    let mut failures = Vec::new();
    for payload in PAYLOADS {
        for (json, html) in render_all(payload) {
            let problems = violations(&html);
            if !problems.is_empty() {
                failures.push(format!("{json}\n{html}\n{problems:#?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} unsafe renderings:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn payloads_survive_as_visible_text() {
    // Escaped, not dropped: the reader sees exactly what the sender sent.
    let (_, html) = &render_all("<script>alert(1)</script>")[0];
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
}

#[test]
fn a_font_colour_cannot_carry_css() {
    let message: Message = serde_json::from_value(json!({"msgtype": "markdown", "markdown": {
        "content": "<font color=\"red;background:url(javascript:alert(1))\">x</font>"}}))
    .expect("the message parses");
    let html = render(&message, &Context::offline()).html;
    assert_eq!(
        html,
        "<div class=\"hp-msg hp-msg-markdown\"><div class=\"hp-bubble hp-md\">\
         <div class=\"hp-md-line\">x</div></div></div>"
    );
}

#[test]
fn the_image_url_from_the_context_is_checked_too() {
    let rendered = render_all("javascript:alert(1)");
    let (_, html) = rendered
        .iter()
        .find(|(json, _)| json["msgtype"] == "image")
        .expect("an image message");
    assert!(html.contains("hp-image-missing"), "{html}");
}
