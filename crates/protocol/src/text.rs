//! Text helpers: byte-based cuts (WeCom counts and cuts UTF-8 bytes, never characters), and the
//! searchable text of a stored message's content.

use serde_json::Value;

use crate::limit::TEXT_DISPLAY_MAX_BYTES;

/// The longest prefix of `text` that fits in `max_bytes` bytes and ends on a char boundary.
///
/// WeCom truncates news titles and descriptions this way, and displays at most 2048 bytes of a
/// text message; cutting inside a multi-byte character would produce invalid UTF-8.
pub fn truncate_utf8(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    // A char is at most 4 bytes, so a boundary is found within 3 steps back.
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What WeCom displays of a `text` message: the first 2048 bytes, cut on a char boundary.
///
/// Content up to 5120 bytes is accepted and stored in full; only the display is truncated
/// (spec §2.2).
pub fn display_text(content: &str) -> &str {
    truncate_utf8(content, TEXT_DISPLAY_MAX_BYTES)
}

/// Whether [`display_text`] cuts `content`.
pub fn is_display_truncated(content: &str) -> bool {
    content.len() > TEXT_DISPLAY_MAX_BYTES
}

/// Every string of a message's `content` JSON, one per line: what the inbox search
/// (`GET /api/v1/messages?q=`) and the SDK's `MessageItem::contains` match against, so that a
/// server-side list and a client-side wait agree. Text, markdown, article titles and
/// descriptions, card fields and URLs all count.
pub fn searchable_text(content: &Value) -> String {
    fn walk(value: &Value, out: &mut String) {
        match value {
            Value::String(text) => {
                out.push_str(text);
                out.push('\n');
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            Value::Object(map) => map.values().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    walk(content, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_returned_whole() {
        assert_eq!(truncate_utf8("hello", 10), "hello");
        assert_eq!(truncate_utf8("hello", 5), "hello");
    }

    #[test]
    fn ascii_is_cut_at_the_exact_byte() {
        assert_eq!(truncate_utf8("hello", 3), "hel");
        assert_eq!(truncate_utf8("hello", 0), "");
    }

    #[test]
    fn a_chinese_character_is_never_split() {
        // Each of these characters is 3 bytes.
        let text = "中秋节";
        assert_eq!(truncate_utf8(text, 3), "中");
        assert_eq!(truncate_utf8(text, 4), "中");
        assert_eq!(truncate_utf8(text, 5), "中");
        assert_eq!(truncate_utf8(text, 6), "中秋");
        assert_eq!(truncate_utf8(text, 2), "");
    }

    #[test]
    fn a_four_byte_emoji_is_never_split() {
        assert_eq!(truncate_utf8("a😀b", 4), "a");
        assert_eq!(truncate_utf8("a😀b", 5), "a😀");
    }

    #[test]
    fn display_text_keeps_at_most_2048_bytes() {
        let content = "字".repeat(1000); // 3000 bytes
        let shown = display_text(&content);
        assert_eq!(shown.len(), 2046);
        assert!(is_display_truncated(&content));
        assert!(!is_display_truncated(shown));
    }
}
