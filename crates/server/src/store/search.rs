//! The search language of `GET /api/v1/messages?q=`: its parser, the n-grams the search index
//! holds (`indexer.rs`), and the exact match every candidate must pass.
//!
//! # Syntax
//! Whitespace-separated parts, all of which must hold (AND):
//! - `word`, `"a phrase"`: the text occurs in some string of the content, ignoring ASCII case
//!   (a substring: `disk` finds `ramdisk`, `告警` finds `【告警】`). This is the match of the SDK's
//!   `MessageItem::contains`, so that a client-side wait and a server-side list agree.
//! - `msgtype:markdown` (the send API's names, or `mixed`), `bot:ID-or-name`, `chat:ID-or-name`,
//!   `from:USERID-or-name` (a person's message), `mention:USERID-or-name` (`mention:all` for
//!   `@all`), `has:file|image|buttons`, `is:unread` (past the chat's read mark),
//!   `before:DATE` (created before that day, UTC), `after:DATE` (on or after it); a `DATE` is
//!   `YYYY-MM-DD` or an RFC 3339 time. A value may be quoted: `chat:"Ops team"`.
//! - `-` before any part excludes what it matches: `-heartbeat`, `-msgtype:text`.
//!
//! A `name:value` whose name is not one of these is plain text (`error:disk`, `http://x`); a
//! known name with a value it cannot take is an error (`msgtype:foo`, `before:yesterday`).
//!
//! # Why n-grams of hashes
//! FTS5's own trigram tokenizer cannot find a 2-character word, and two-character words are
//! most of written Chinese (`告警`, `磁盘`). So the text is cut into n-grams here: every trigram,
//! and every bigram holding a non-ASCII character. Each n-gram is hashed to a 6-letter token that
//! FTS5's `ascii` tokenizer keeps whole. A term of 3 or more characters then selects the messages
//! holding all of its trigrams, a CJK term of 2 its bigram: a superset of the true matches
//! (hashes collide, n-grams may sit apart), which [`Search::matches_text`] then checks exactly.
//! Nothing is ever missed: every n-gram of a substring is an n-gram of the text. A term of one
//! character, or of two ASCII ones, selects nothing in the index; when a query has no other
//! term, it is answered by a scan (`messages.rs`).

use serde_json::Value;

use crate::domain::{MessageType, StoredMessage};
use hookpit_protocol::{MsgType, searchable_text};

#[cfg(test)]
use super::search_tokens::index_tokens;
use super::search_tokens::{query_grams, token};

/// Parts a query may have: far more than anyone types, few enough that a query stays cheap.
const MAX_PARTS: usize = 32;

/// Tokens of the index a query asks for at most: a long phrase is checked exactly anyway, and
/// each token costs a doclist merge in FTS5.
const MAX_QUERY_TOKENS: usize = 12;

/// A parsed `q`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Search {
    /// Text that must occur, ASCII-lowercased.
    pub include: Vec<String>,
    /// Text that must not occur, ASCII-lowercased.
    pub exclude: Vec<String>,
    /// Fields, each with whether it is negated.
    pub fields: Vec<(Field, bool)>,
}

/// A `name:value` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    MsgType(MessageType),
    Bot(String),
    Chat(String),
    From(String),
    Mention(String),
    Has(Has),
    Unread,
    /// Created before this Unix millisecond.
    Before(i64),
    /// Created at or after this Unix millisecond.
    After(i64),
}

/// What `has:` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Has {
    /// A `file` message.
    File,
    /// An `image` message, or a person's message with a picture.
    Image,
    /// A markdown message with button attachments, or a template card with buttons.
    Buttons,
}

impl Has {
    /// The message types that can have it (a filter SQL can apply before the exact check).
    pub fn msgtypes(self) -> &'static [&'static str] {
        match self {
            Has::File => &["file"],
            Has::Image => &["image", "mixed"],
            Has::Buttons => &["markdown", "template_card"],
        }
    }

    /// Whether `message` has it.
    pub fn holds(self, message: &StoredMessage) -> bool {
        let non_empty = |key: &str| {
            message
                .content
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|list| !list.is_empty())
        };
        match self {
            Has::File => message.msgtype == MsgType::File,
            Has::Image => {
                message.msgtype == MsgType::Image
                    || (message.msgtype == MessageType::Mixed
                        && message
                            .content
                            .get("items")
                            .and_then(Value::as_array)
                            .is_some_and(|items| items.iter().any(|item| item["type"] == "image")))
            }
            Has::Buttons => {
                (message.msgtype == MsgType::Markdown && non_empty("attachments"))
                    || (message.msgtype == MsgType::TemplateCard && non_empty("button_list"))
            }
        }
    }
}

impl Search {
    /// Parses `q`; the error says what is wrong, for a 400.
    pub fn parse(q: &str) -> Result<Search, String> {
        let mut search = Search::default();
        let parts = split(q);
        if parts.len() > MAX_PARTS {
            return Err(format!("q has more than {MAX_PARTS} parts"));
        }
        for (negated, part) in parts {
            match field(&part)? {
                Some(field) => search.fields.push((field, negated)),
                None => {
                    let text = unquote(&part).to_ascii_lowercase();
                    if text.is_empty() {
                        continue;
                    }
                    if negated {
                        search.exclude.push(text);
                    } else {
                        search.include.push(text);
                    }
                }
            }
        }
        Ok(search)
    }

    /// Whether the content's searchable text ([`searchable_text`], lowercased) passes the
    /// text parts.
    pub fn matches_text(&self, text: &str) -> bool {
        self.include.iter().all(|term| text.contains(term.as_str()))
            && !self.exclude.iter().any(|term| text.contains(term.as_str()))
    }

    /// Whether some part is checked on each row ([`Search::matches`]) rather than by SQL: a text
    /// part, or `has:`.
    pub fn checks_rows(&self) -> bool {
        !self.include.is_empty()
            || !self.exclude.is_empty()
            || self.fields.iter().any(|(f, _)| matches!(f, Field::Has(_)))
    }

    /// Whether `message` passes every part SQL does not check: the text, and `has:`.
    pub fn matches(&self, message: &StoredMessage) -> bool {
        let has = self.fields.iter().all(|(field, negated)| match field {
            Field::Has(has) => has.holds(message) != *negated,
            _ => true,
        });
        has && (self.include.is_empty() && self.exclude.is_empty()
            || self.matches_text(&searchable_text(&message.content).to_ascii_lowercase()))
    }

    /// The FTS5 query selecting candidates from the index, if any term can use it.
    pub fn index_query(&self) -> Option<String> {
        let mut tokens: Vec<String> = Vec::new();
        for term in &self.include {
            let grams: Vec<u32> = query_grams(term);
            tokens.extend(spread(&grams, MAX_QUERY_TOKENS).into_iter().map(token));
        }
        tokens.sort();
        tokens.dedup();
        if tokens.is_empty() {
            return None;
        }
        let tokens = spread(&tokens, MAX_QUERY_TOKENS * 2);
        Some(
            tokens
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

/// At most `n` of `items`, evenly spread and keeping the first and the last.
fn spread<T: Clone>(items: &[T], n: usize) -> Vec<T> {
    if items.len() <= n {
        return items.to_vec();
    }
    (0..n)
        .map(|i| items[i * (items.len() - 1) / (n - 1)].clone())
        .collect()
}

/// The parts of `q`, each with whether a `-` negates it; quotes keep spaces inside a part.
fn split(q: &str) -> Vec<(bool, String)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in q.chars() {
        if c == '"' {
            quoted = !quoted;
            current.push(c);
        } else if c.is_whitespace() && !quoted {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
        .into_iter()
        .map(|part| match part.strip_prefix('-') {
            Some(rest) if !rest.is_empty() => (true, rest.to_owned()),
            // A lone `-` is text like any other.
            _ => (false, part),
        })
        .collect()
}

/// `text` without its quotes (`"a b"` → `a b`; quotes inside are dropped too).
fn unquote(text: &str) -> String {
    text.chars().filter(|c| *c != '"').collect()
}

/// The field of `part`, `None` when it is text.
fn field(part: &str) -> Result<Option<Field>, String> {
    let Some((name, value)) = part.split_once(':') else {
        return Ok(None);
    };
    let known = [
        "msgtype", "bot", "chat", "from", "mention", "has", "is", "before", "after",
    ];
    if !known.contains(&name) {
        return Ok(None);
    }
    let value = unquote(value);
    if value.is_empty() {
        return Err(format!("{name}: needs a value"));
    }
    let field = match name {
        "msgtype" => Field::MsgType(
            MessageType::from_wire(&value)
                .ok_or_else(|| format!("msgtype:{value} is not a WeCom message type"))?,
        ),
        "bot" => Field::Bot(value),
        "chat" => Field::Chat(value),
        "from" => Field::From(value),
        "mention" => Field::Mention(value),
        "has" => Field::Has(match value.as_str() {
            "file" => Has::File,
            "image" => Has::Image,
            "buttons" => Has::Buttons,
            _ => {
                return Err(format!(
                    "has:{value}: expected has:file, has:image or has:buttons"
                ));
            }
        }),
        "is" => match value.as_str() {
            "unread" => Field::Unread,
            _ => return Err(format!("is:{value}: expected is:unread")),
        },
        "before" => Field::Before(date(&value)?),
        _ => Field::After(date(&value)?),
    };
    Ok(Some(field))
}

/// Unix milliseconds of `YYYY-MM-DD` (its first millisecond, UTC) or of an RFC 3339 time.
fn date(value: &str) -> Result<i64, String> {
    let bad = || format!("{value:?} is not a date (YYYY-MM-DD) or an RFC 3339 time");
    let text = if value.len() == 10 {
        format!("{value}T00:00:00Z")
    } else {
        value.to_owned()
    };
    let time = humantime::parse_rfc3339_weak(&text).map_err(|_| bad())?;
    let millis = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| bad())?
        .as_millis();
    i64::try_from(millis).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn words_phrases_and_exclusions_are_lowercased_terms() {
        let search = Search::parse(r#"Disk "build #42"  -heartbeat 告警 - x"#).unwrap();
        assert_eq!(search.include, ["disk", "build #42", "告警", "-", "x"]);
        assert_eq!(search.exclude, ["heartbeat"]);
        assert!(search.fields.is_empty());
    }

    #[test]
    fn fields_parse_and_may_be_negated_or_quoted() {
        let search = Search::parse(
            r#"msgtype:markdown -bot:ci chat:"Ops team" from:lisi mention:all has:buttons
               is:unread before:2026-12-01 after:2026-11-30T12:00:00Z"#,
        )
        .unwrap();
        assert_eq!(
            search.fields,
            [
                (Field::MsgType(MessageType::Push(MsgType::Markdown)), false),
                (Field::Bot("ci".to_owned()), true),
                (Field::Chat("Ops team".to_owned()), false),
                (Field::From("lisi".to_owned()), false),
                (Field::Mention("all".to_owned()), false),
                (Field::Has(Has::Buttons), false),
                (Field::Unread, false),
                (Field::Before(1_796_083_200_000), false),
                (Field::After(1_796_040_000_000), false),
            ]
        );
    }

    #[test]
    fn unknown_names_are_text_and_bad_values_are_errors() {
        let search = Search::parse("error:disk http://example.com").unwrap();
        assert_eq!(search.include, ["error:disk", "http://example.com"]);
        for bad in [
            "msgtype:foo",
            "has:video",
            "is:read",
            "before:yesterday",
            "after:2026-13-01",
            "chat:",
        ] {
            assert!(Search::parse(bad).is_err(), "{bad}");
        }
        assert!(Search::parse(&"a ".repeat(MAX_PARTS + 1)).is_err());
    }

    #[test]
    fn every_indexed_term_finds_the_tokens_of_a_text_holding_it() {
        let text = "【告警】服务器 DB-7 磁盘使用率 91% request 12345\n";
        let tokens: BTreeSet<String> = index_tokens(text).split(' ').map(str::to_owned).collect();
        for term in ["告警", "磁盘使用率", "db-7", "request 12345", "91%", "】服"] {
            let search = Search::parse(&format!("\"{term}\"")).unwrap();
            let query = search.index_query().expect(term);
            for wanted in query.split(' ') {
                assert!(
                    tokens.contains(wanted.trim_matches('"')),
                    "{term}: {wanted}"
                );
            }
        }
    }

    #[test]
    fn short_ascii_terms_cannot_use_the_index() {
        assert_eq!(Search::parse("ok a").unwrap().index_query(), None);
        assert!(Search::parse("ok disk").unwrap().index_query().is_some());
    }

    #[test]
    fn long_phrases_ask_for_a_bounded_number_of_tokens() {
        let search = Search::parse(&format!("\"{}\"", "abcdefghij".repeat(10))).unwrap();
        let query = search.index_query().unwrap();
        assert!(query.split(' ').count() <= MAX_QUERY_TOKENS, "{query}");
    }

    #[test]
    fn the_exact_match_is_a_case_insensitive_substring_with_exclusions() {
        let search = Search::parse("DISK -heartbeat").unwrap();
        assert!(search.matches_text("ramdisk full"));
        assert!(!search.matches_text("ramdisk heartbeat"));
        assert!(!search.matches_text("dis k"));
    }
}
