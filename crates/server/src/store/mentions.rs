//! Whom a message mentions: inline `<@userid>` in text and markdown, and text's
//! `mentioned_list` and `mentioned_mobile_list`, resolved against the workspace's users.

use hookpit_protocol::Message;

use super::{StoreError, users};
use crate::store::db::Connection;

/// A request's resolved mentions: all of them, and those written inline as `<@userid>` (the
/// only kind a blackboard shows: "mentioned_list 暂不支持小黑板").
pub(super) struct Mentions {
    pub(super) all: Vec<String>,
    pub(super) inline: Vec<String>,
}

/// Resolved mentions: inline `<@userid>` in text and markdown, then `mentioned_list` and
/// `mentioned_mobile_list` (mobiles to userids) of text, keeping known users and `@all`.
pub(super) fn resolve(conn: &Connection, message: &Message) -> Result<Mentions, StoreError> {
    // [U] inline <@userid> on a blackboard is kept: the document drops only the lists there.
    let (inline, lists): (Vec<String>, Vec<String>) = match message {
        Message::Text { text } => {
            let mut lists: Vec<String> = text.mentioned_list.iter().flatten().cloned().collect();
            for mobile in text.mentioned_mobile_list.iter().flatten() {
                if mobile == "@all" {
                    lists.push(mobile.clone());
                } else if let Some(userid) = users::by_mobile(conn, mobile)? {
                    lists.push(userid);
                }
            }
            (inline_mentions(&text.content), lists)
        }
        Message::Markdown { markdown } => (inline_mentions(&markdown.content), Vec::new()),
        _ => (Vec::new(), Vec::new()),
    };
    // Resolved against the workspace: a userid nobody has mentions nobody.
    let known = |ids: Vec<String>| -> Result<Vec<String>, StoreError> {
        let mut resolved: Vec<String> = Vec::with_capacity(ids.len());
        for id in ids {
            if !resolved.contains(&id) && (id == "@all" || users::get(conn, &id)?.is_some()) {
                resolved.push(id);
            }
        }
        Ok(resolved)
    };
    let inline = known(inline)?;
    let mut all = inline.clone();
    for id in known(lists)? {
        if !all.contains(&id) {
            all.push(id);
        }
    }
    Ok(Mentions { all, inline })
}

/// The userids of `<@userid>` in `content`.
fn inline_mentions(content: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        if let Some(end) = rest.find('>') {
            let id = &rest[..end];
            if !id.is_empty() && !id.contains(char::is_whitespace) && !id.contains('<') {
                ids.push(id.to_owned());
            }
            rest = &rest[end + 1..];
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_mentions_are_found_in_order() {
        assert_eq!(
            inline_mentions("<@zhangsan>天气 <@lisi> <@ bad> <@>"),
            vec!["zhangsan", "lisi"]
        );
    }
}
