//! Property tests: rendering never panics and never produces markup of the message's own, for
//! any content built from the characters that matter to markdown and HTML.

use hookpit_protocol::Message;
use hookpit_render::{Context, render};
use proptest::prelude::*;
use serde_json::json;

use crate::checker::violations;

/// Text dense in markup: angle brackets, quotes, entities, markdown punctuation (list markers
/// included), schemes, CJK.
fn markup() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "([<>&\"'`*#\\[\\]()@|!=:/ \\n\\t-]|[0-9]\\. |font|color|info|<@|javascript:|https://|script|on|字){0,60}",
    )
    .expect("a valid regex")
}

proptest! {
    #[test]
    fn any_content_renders_to_inert_html(content in markup(), url in markup()) {
        let messages = [
            json!({"msgtype": "text", "text": {"content": content, "mentioned_list": [url]}}),
            json!({"msgtype": "markdown", "markdown": {"content": content}}),
            json!({"msgtype": "markdown_v2", "markdown_v2": {"content": content}}),
            json!({"msgtype": "news", "news": {"articles": [{"title": content, "url": url, "picurl": url}]}}),
            json!({"msgtype": "template_card", "template_card": {"card_type": "text_notice",
                "main_title": {"title": content}, "card_action": {"type": 1, "url": url},
                "jump_list": [{"type": 1, "title": content, "url": url}]}}),
        ];
        for message in messages {
            let message: Message = serde_json::from_value(message).expect("the message parses");
            let html = render(&message, &Context::offline()).html;
            prop_assert!(violations(&html).is_empty(), "{content:?} {url:?}\n{html}\n{:?}", violations(&html));
        }
    }
}
