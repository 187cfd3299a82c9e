//! Coalescing (`--relay-merge WINDOW`, off by default): when a chat's queue is held back by its
//! limit, the text or markdown messages waiting in it are forwarded as one message, within
//! WeCom's byte limits, so that a storm of alerts arrives as a few messages instead of none.
//!
//! Only whole messages are joined, in order, separated by a blank line: nothing is ever cut, so
//! no code block or table is split. Messages join only when everything but their content is the
//! same (type, `chatid`, `visible_to_user`, `post_id`, and for text the mention lists, which are
//! united): the merged message reaches exactly the people each original would have.

use hookpit_protocol::limit::{MARKDOWN_CONTENT_MAX_BYTES, TEXT_DISPLAY_MAX_BYTES};
use serde_json::Value;

/// What a merged message carries: its body, and which of the candidates it holds (a prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub body: Vec<u8>,
    /// How many of the candidates (from the first) are in `body`.
    pub count: usize,
}

/// Joins as many of `bodies` (raw request bodies, in queue order) as fit, from the first.
/// `None` when fewer than two can be joined: the first is then sent alone, unchanged.
pub fn merge(bodies: &[Vec<u8>]) -> Option<Merged> {
    let first = parse(bodies.first()?)?;
    let (kind, limit) = match first.msgtype.as_str() {
        // Text shows at most 2048 bytes (longer is cut in the client), markdown 4096.
        "text" => ("text", TEXT_DISPLAY_MAX_BYTES),
        "markdown" => ("markdown", MARKDOWN_CONTENT_MAX_BYTES),
        _ => return None,
    };
    let mut content = first.content.clone();
    let mut mentioned = first.mentioned.clone();
    let mut mobiles = first.mobiles.clone();
    let mut count = 1;
    for body in &bodies[1..] {
        let Some(next) = parse(body) else { break };
        if next.msgtype != first.msgtype || next.envelope != first.envelope {
            break;
        }
        let joined = format!("{content}\n\n{}", next.content);
        if joined.len() > limit {
            break;
        }
        content = joined;
        union(&mut mentioned, &next.mentioned);
        union(&mut mobiles, &next.mobiles);
        count += 1;
    }
    if count < 2 {
        return None;
    }
    let mut body = first.raw.clone();
    let message = body.get_mut(kind)?.as_object_mut()?;
    message.insert("content".to_owned(), Value::String(content));
    if kind == "text" {
        for (field, list) in [
            ("mentioned_list", mentioned),
            ("mentioned_mobile_list", mobiles),
        ] {
            if !list.is_empty() {
                message.insert(field.to_owned(), Value::from(list));
            }
        }
    }
    Some(Merged {
        body: serde_json::to_vec(&body).ok()?,
        count,
    })
}

/// The parts of a body that decide whether it may join another.
struct Candidate {
    raw: Value,
    msgtype: String,
    content: String,
    /// `chatid`, `visible_to_user`, `post_id` and the markdown's other fields, as sent.
    envelope: Vec<Value>,
    mentioned: Vec<String>,
    mobiles: Vec<String>,
}

fn parse(body: &[u8]) -> Option<Candidate> {
    let raw: Value = serde_json::from_slice(body).ok()?;
    let msgtype = raw.get("msgtype")?.as_str()?.to_owned();
    let message = raw.get(&msgtype)?.as_object()?;
    let content = message.get("content")?.as_str()?.to_owned();
    let list = |field: &str| -> Vec<String> {
        message
            .get(field)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    // A markdown with buttons (attachments) or short names stands alone: its extras belong to
    // it, not to the messages around it.
    let extras = message.keys().any(|key| {
        !matches!(
            key.as_str(),
            "content" | "mentioned_list" | "mentioned_mobile_list"
        )
    });
    if extras {
        return None;
    }
    let envelope = ["chatid", "visible_to_user", "post_id"]
        .iter()
        .map(|field| raw.get(*field).cloned().unwrap_or(Value::Null))
        .collect();
    Some(Candidate {
        mentioned: list("mentioned_list"),
        mobiles: list("mentioned_mobile_list"),
        raw,
        msgtype,
        content,
        envelope,
    })
}

fn union(into: &mut Vec<String>, more: &[String]) {
    for item in more {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    fn text(content: &str) -> Vec<u8> {
        body(json!({"chatid": "wrk1", "msgtype": "text", "text": {"content": content}}))
    }

    #[test]
    fn consecutive_texts_join_with_every_line_kept_and_mentions_united() {
        let bodies = vec![
            body(json!({"chatid": "wrk1", "msgtype": "text",
                        "text": {"content": "disk full\nweb-1", "mentioned_list": ["zhangsan"]}})),
            body(json!({"chatid": "wrk1", "msgtype": "text",
                        "text": {"content": "cpu high", "mentioned_list": ["lisi", "zhangsan"]}})),
            text("memory low"),
        ];
        let merged = merge(&bodies).unwrap();
        assert_eq!(merged.count, 3);
        let value: Value = serde_json::from_slice(&merged.body).unwrap();
        assert_eq!(
            value["text"]["content"],
            "disk full\nweb-1\n\ncpu high\n\nmemory low"
        );
        assert_eq!(value["text"]["mentioned_list"], json!(["zhangsan", "lisi"]));
        assert_eq!(value["chatid"], "wrk1");
    }

    #[test]
    fn joining_stops_at_the_limit_and_at_a_different_kind_or_audience() {
        let long = "x".repeat(1500);
        assert_eq!(
            merge(&[text(&long), text(&long)]),
            None,
            "2048 bytes at most"
        );
        let other_audience = body(json!({"chatid": "wrk1", "visible_to_user": "lisi",
                                         "msgtype": "text", "text": {"content": "b"}}));
        assert_eq!(merge(&[text("a"), other_audience]), None);
        let markdown =
            body(json!({"chatid": "wrk1", "msgtype": "markdown", "markdown": {"content": "m"}}));
        assert_eq!(merge(&[text("a"), markdown.clone()]), None);
        assert_eq!(merge(&[text("a"), text("b"), markdown]).unwrap().count, 2);
        let buttons = body(
            json!({"chatid": "wrk1", "msgtype": "markdown", "markdown": {
            "content": "m", "attachments": [{"callback_id": "c", "actions": []}]}}),
        );
        assert_eq!(
            merge(&[buttons.clone(), buttons]),
            None,
            "buttons stand alone"
        );
        assert_eq!(merge(&[text("alone")]), None);
    }

    #[test]
    fn a_markdown_table_or_code_block_is_never_cut() {
        let table = "| a | b |\n|---|---|\n| 1 | 2 |";
        let code = "```\nlet x = 1;\n```";
        let bodies: Vec<Vec<u8>> = [table, code]
            .iter()
            .map(|content| {
                body(json!({"chatid": "wrk1", "msgtype": "markdown", "markdown": {"content": content}}))
            })
            .collect();
        let merged: Value = serde_json::from_slice(&merge(&bodies).unwrap().body).unwrap();
        assert_eq!(merged["markdown"]["content"], format!("{table}\n\n{code}"));
    }
}
