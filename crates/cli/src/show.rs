//! How stored messages and refused calls print: one line each, for people reading a terminal or
//! a CI log (`--json` prints the API's items instead).

use hookpit_client::{MessageItem, Rejection};
use serde_json::Value;

/// Characters of content shown on a message's line.
const EXCERPT_CHARS: usize = 80;

/// `#ID  TIME  CHAT  BOT  TYPE  EXCERPT`, then what else matters to a test: mentions, the
/// members who alone see it, the post it replies to, and display lints.
pub fn message_line(item: &MessageItem) -> String {
    let mut line = format!(
        "#{}  {}  {}  {}  {}  {}",
        item.id,
        item.created_at,
        item.chatid,
        author(item),
        item.msgtype,
        excerpt(item)
    );
    for userid in &item.mentions {
        line.push_str(&format!("  @{userid}"));
    }
    if !item.visible_to.is_empty() {
        line.push_str(&format!("  [visible to {}]", item.visible_to.join(", ")));
    }
    if let Some(post) = &item.post_id {
        line.push_str(&format!("  [post {post}]"));
    }
    if !item.lints.is_empty() {
        let codes: Vec<&str> = item.lints.iter().map(|lint| lint.code.as_str()).collect();
        line.push_str(&format!("  [lints: {}]", codes.join(", ")));
    }
    line
}

/// The bot's name, or the name of the person who wrote the message.
fn author(item: &MessageItem) -> &str {
    match &item.bot {
        Some(bot) => &bot.name,
        None => item
            .extra
            .get("from")
            .and_then(|from| from.get("name").or_else(|| from.get("userid")))
            .and_then(Value::as_str)
            .unwrap_or("?"),
    }
}

/// `TIME  ENDPOINT  key KEY  errcode N: ERRMSG`, without the errmsg's `hint: [...]` tail.
pub fn rejection_line(rejection: &Rejection) -> String {
    let errmsg = rejection
        .errmsg
        .split_once(", hint: [")
        .map_or(rejection.errmsg.as_str(), |(head, _)| head);
    format!(
        "{}  {}  key {}  errcode {}: {errmsg}",
        rejection.at, rejection.endpoint, rejection.key, rejection.errcode
    )
}

/// What the message says, on one line: the text of text and markdown, the first title of news,
/// a card's main title, and so on.
fn excerpt(item: &MessageItem) -> String {
    let content = &item.content;
    let string = |pointer: &str| content.pointer(pointer).and_then(Value::as_str);
    let text = match item.msgtype.as_str() {
        "text" | "markdown" | "markdown_v2" => item.text().unwrap_or_default().to_owned(),
        "news" => {
            let articles = content
                .get("articles")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let title = string("/articles/0/title").unwrap_or_default();
            match articles {
                0 | 1 => title.to_owned(),
                n => format!("{title} (+{} more)", n - 1),
            }
        }
        "image" => format!(
            "{} picture, {} bytes",
            string("/format").unwrap_or("a"),
            content.get("size").and_then(Value::as_u64).unwrap_or(0)
        ),
        "file" | "voice" => format!("media {}", string("/media_id").unwrap_or_default()),
        "template_card" => string("/main_title/title")
            .or_else(|| string("/card_type"))
            .unwrap_or_default()
            .to_owned(),
        "miniprogram" => string("/title").unwrap_or_default().to_owned(),
        _ => first_string(content).unwrap_or_default().to_owned(),
    };
    one_line(&text, EXCERPT_CHARS)
}

fn first_string(value: &Value) -> Option<&str> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text),
        Value::Array(items) => items.iter().find_map(first_string),
        Value::Object(map) => map.values().find_map(first_string),
        _ => None,
    }
}

/// `text` with each run of whitespace as one space, cut to `max` characters with `…`.
fn one_line(text: &str, max: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(msgtype: &str, content: Value) -> MessageItem {
        serde_json::from_value(json!({
            "id": 3, "request_id": "r", "bot": {"id": "demo", "name": "演示机器人"},
            "chatid": "wrkG", "chat_type": "group", "msgtype": msgtype, "content": content,
            "mentions": ["zhangsan"], "visible_to": [], "created_at": "2025-01-06T11:22:39.128Z",
            "lints": [{"code": "text_cut_for_display", "message": "..."}]
        }))
        .unwrap()
    }

    #[test]
    fn a_text_line_has_the_id_time_chat_bot_type_excerpt_mentions_and_lints() {
        let line = message_line(&item("text", json!({"content": "disk\n  almost full"})));
        assert_eq!(
            line,
            "#3  2025-01-06T11:22:39.128Z  wrkG  演示机器人  text  disk almost full  @zhangsan  \
             [lints: text_cut_for_display]"
        );
    }

    #[test]
    fn excerpts_name_what_each_type_shows() {
        let cases = [
            (
                "news",
                json!({"articles": [{"title": "A"}, {"title": "B"}]}),
                "A (+1 more)",
            ),
            (
                "image",
                json!({"md5": "x", "format": "image/png", "size": 67}),
                "image/png picture, 67 bytes",
            ),
            ("file", json!({"media_id": "m1"}), "media m1"),
            (
                "template_card",
                json!({"card_type": "text_notice", "main_title": {"title": "CPU"}}),
                "CPU",
            ),
            (
                "template_card",
                json!({"card_type": "news_notice"}),
                "news_notice",
            ),
            ("miniprogram", json!({"title": "Order #12"}), "Order #12"),
        ];
        for (msgtype, content, expected) in cases {
            assert_eq!(excerpt(&item(msgtype, content)), expected, "{msgtype}");
        }
    }

    #[test]
    fn long_text_is_cut_to_80_characters() {
        let cut = excerpt(&item("markdown", json!({"content": "字".repeat(100)})));
        assert_eq!(cut.chars().count(), 80);
        assert!(cut.ends_with('…'));
    }
}
