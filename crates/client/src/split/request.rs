//! [`split_request`]: a send request too long for one message, as several requests.

use hookpit_protocol::limit::{
    MARKDOWN_CONTENT_MAX_BYTES, MARKDOWN_V2_CONTENT_MAX_BYTES, TEXT_DISPLAY_MAX_BYTES,
};
use hookpit_protocol::{Message, SendRequest};

use super::{Syntax, split};

/// The requests [`Webhook::send_split`](crate::Webhook::send_split) sends: text over the 2048
/// bytes WeCom displays and markdown over 4096 bytes are split (see [`split`](crate::split));
/// text mentions go with the first chunk only, so people are notified once. Anything else is
/// returned as is.
///
/// # Examples
/// ```
/// use hookpit_client::{message, split_request};
///
/// let long = "line of a long build log\n".repeat(200); // 5000 bytes
/// let requests = split_request(message::text(long).mention("zhangsan").into());
/// assert_eq!(requests.len(), 3);
/// ```
pub fn split_request(request: SendRequest) -> Vec<SendRequest> {
    let (content, max, syntax) = match &request.message {
        Message::Text { text } => (&text.content, TEXT_DISPLAY_MAX_BYTES, Syntax::Text),
        Message::Markdown { markdown } => (
            &markdown.content,
            MARKDOWN_CONTENT_MAX_BYTES,
            Syntax::Markdown,
        ),
        Message::MarkdownV2 { markdown_v2 } => (
            &markdown_v2.content,
            MARKDOWN_V2_CONTENT_MAX_BYTES,
            Syntax::Markdown,
        ),
        _ => return vec![request],
    };
    if content.len() <= max {
        return vec![request];
    }
    let chunks = split(content, max, syntax);
    let count = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut part = request.clone();
            match &mut part.message {
                Message::Text { text } => {
                    text.content = chunk.text;
                    if i > 0 {
                        text.mentioned_list = None;
                        text.mentioned_mobile_list = None;
                    }
                }
                Message::Markdown { markdown } => {
                    markdown.content = chunk.text;
                    // Buttons belong under the last part, after the whole content.
                    if i + 1 < count {
                        markdown.attachments = None;
                    }
                }
                Message::MarkdownV2 { markdown_v2 } => markdown_v2.content = chunk.text,
                _ => {}
            }
            part
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message;

    #[test]
    fn long_text_is_split_with_mentions_on_the_first_part_only() {
        let request: SendRequest = message::text("0123456789\n".repeat(400))
            .mention("zhangsan")
            .chatid("g")
            .into();
        let parts = split_request(request);
        assert_eq!(parts.len(), 3);
        for (i, part) in parts.iter().enumerate() {
            let Message::Text { text } = &part.message else {
                panic!("not text")
            };
            assert!(text.content.len() <= TEXT_DISPLAY_MAX_BYTES);
            assert_eq!(text.mentioned_list.is_some(), i == 0);
            assert_eq!(part.chatid.as_deref(), Some("g"));
        }
    }

    #[test]
    fn markdown_buttons_go_under_the_last_part() {
        let request: SendRequest = message::markdown("line\n".repeat(1000))
            .button("c", "n", "t", "v", "r")
            .into();
        let parts = split_request(request);
        assert_eq!(parts.len(), 2);
        let attachments: Vec<bool> = parts
            .iter()
            .map(|part| match &part.message {
                Message::Markdown { markdown } => markdown.attachments.is_some(),
                _ => false,
            })
            .collect();
        assert_eq!(attachments, vec![false, true]);
    }
}
