//! The directory the tests render against, and helpers to render a request's JSON.

use hookpit_protocol::SendRequest;
use hookpit_render::{ChatKind, Context, MediaInfo, MemoryMedia, MemoryUsers, Rendered, render};

/// The users of the official examples.
pub fn users() -> MemoryUsers {
    MemoryUsers::new()
        .with("zhangsan", "张三", "13800001111")
        .with("lisi", "李四", "13800002222")
        .with("wangqing", "王青", "")
}

/// The media ids of the official examples, as uploads of this server.
pub fn media() -> MemoryMedia {
    MemoryMedia::new()
        .with(
            "3a8asd892asd8asd",
            MediaInfo {
                filename: "wework.txt".into(),
                size: 6,
                download_url: "/api/v1/media/3a8asd892asd8asd".into(),
                voice_duration_ms: None,
            },
        )
        .with(
            "MEDIA_ID",
            MediaInfo {
                filename: "voice.amr".into(),
                size: 8_410,
                download_url: "/api/v1/media/MEDIA_ID".into(),
                voice_duration_ms: Some(5_360),
            },
        )
        .with(
            "MEDIAID",
            MediaInfo {
                filename: "企业微信.apk".into(),
                size: 312_475_648,
                download_url: "/api/v1/media/MEDIAID".into(),
                voice_duration_ms: None,
            },
        )
}

/// Parses a whole send request as WeCom receives it and renders its message.
pub fn render_json(json: &str, chat: ChatKind, image_url: Option<&str>) -> Rendered {
    let request: SendRequest = serde_json::from_str(json).expect("the example parses");
    let users = users();
    let media = media();
    let context = Context {
        users: &users,
        media: &media,
        image_url,
        chat,
    };
    render(&request.message, &context)
}

/// The HTML with a line break before each block-level tag, then the lints: readable snapshots.
///
/// Message text never contains a raw `<`, so breaking lines before tags cannot change what a
/// snapshot says about the text.
pub fn snapshot_text(rendered: &Rendered) -> String {
    let mut html = String::new();
    for (index, piece) in rendered.html.split('<').enumerate() {
        if index > 0 {
            let block = [
                "div",
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "p>",
                "blockquote",
                "ul",
                "ol",
                "li",
                "table",
                "thead",
                "tbody",
                "tr",
                "pre",
                "hr",
                "button",
                "a ",
                "img",
            ]
            .iter()
            .any(|tag| piece.starts_with(tag));
            if block && !html.is_empty() {
                html.push('\n');
            }
            html.push('<');
        }
        html.push_str(piece);
    }
    let mut text = format!("{html}\n\n--- lints ---\n");
    for lint in &rendered.lints {
        text.push_str(&format!("{}: {}\n", lint.code, lint.message));
    }
    text
}
