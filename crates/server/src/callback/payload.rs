//! Building a callback when its event happens: the payload WeCom would send (spec §8.6), with
//! every common field a receiver expects, turned into an outbox entry.
//!
//! The payload is fixed at this moment (its `MsgId`, its one-time `get_chat_info` code, its
//! text), so every retry delivers exactly the same callback, as WeCom's do. Only the envelope
//! (encryption, timestamp, nonce) is made anew per attempt (`worker.rs`).

use std::time::Duration;

use hookpit_protocol::callback::{Callback, CallbackBody, CallbackFormat, ChatType, Sender};
use serde_json::Value;

use crate::domain::{CallbackConfig, CallbackJob, ChatInfoCode, Consumer, NewOutboxEntry, User};
use crate::store::random_id;

/// How long a `get_chat_info` code is valid (spec §8.8: 5 minutes).
pub const CHAT_INFO_CODE_TTL: Duration = Duration::from_secs(5 * 60);

/// What a callback's common fields come from.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    /// This Hookpit's base URL (`--public-url` or `http://ADDR`), for `WebhookUrl` and
    /// `GetChatInfoUrl`.
    pub base_url: &'a str,
    /// Unix milliseconds.
    pub now: i64,
}

/// The bot a callback goes to.
#[derive(Debug, Clone)]
pub struct Recipient<'a> {
    pub bot_id: &'a str,
    pub key: &'a str,
    pub config: &'a CallbackConfig,
}

/// Where the event happened.
#[derive(Debug, Clone)]
pub struct Place<'a> {
    pub chatid: &'a str,
    pub chat_type: ChatType,
    /// The blackboard post (replies and posts).
    pub post_id: Option<&'a str>,
}

/// The person who did it; their alias defaults to their userid [U], since Hookpit users have
/// no English name.
pub fn sender(user: &User) -> Sender {
    Sender {
        userid: user.userid.clone(),
        name: user.name.clone(),
        // [U] From/Alias: the userid, as WeCom's alias is an English name Hookpit does not keep.
        alias: user.userid.clone(),
    }
}

/// The outbox entry of one callback: `body` happened at `place`, done by `from`, for `to`.
pub fn entry(
    origin: &Origin<'_>,
    to: &Recipient<'_>,
    place: &Place<'_>,
    from: Sender,
    body: CallbackBody,
) -> NewOutboxEntry {
    let code = random_id("", 32);
    let expires_at = origin
        .now
        .saturating_add(i64::try_from(CHAT_INFO_CODE_TTL.as_millis()).unwrap_or(i64::MAX));
    let event = match &body {
        CallbackBody::Event { event_type } => event_type.as_str(),
        other => other.msgtype(),
    }
    .to_owned();
    let callback = Callback {
        webhook_url: format!("{}/cgi-bin/webhook/send?key={}", origin.base_url, to.key),
        msgid: msgid(),
        chatid: place.chatid.to_owned(),
        post_id: place.post_id.map(str::to_owned),
        chat_type: place.chat_type,
        from,
        get_chat_info_url: format!(
            "{}/cgi-bin/webhook/get_chat_info?code={code}",
            origin.base_url
        ),
        // [U] AppVersion: this Hookpit's version (the field is not in the document's examples).
        app_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        body,
    };
    let format = if to.config.format == "json" {
        CallbackFormat::Json
    } else {
        CallbackFormat::Xml
    };
    let job = CallbackJob {
        event,
        msgid: callback.msgid.clone(),
        format: format.as_str().to_owned(),
        url: to.config.url.clone(),
        plaintext: callback.to_plaintext(format),
        message_id: None,
    };
    NewOutboxEntry {
        consumer: Consumer::Callback,
        bot_id: to.bot_id.to_owned(),
        chatid: place.chatid.to_owned(),
        item: serde_json::to_value(&job).unwrap_or(Value::Null),
        chat_info_code: Some(ChatInfoCode {
            code,
            bot_id: to.bot_id.to_owned(),
            chatid: place.chatid.to_owned(),
            chattype: place.chat_type.as_str().to_owned(),
            expires_at,
        }),
        reference: None,
        due_at: None,
    }
}

/// A message id as WeCom's look: 24 characters of URL-safe Base64 (`0GLL5fDZQF-1ygUp_4ECfAAA`).
fn msgid() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..24)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

/// Whether `text` @-mentions a bot named `name` the way the WeCom client writes it: `@name`
/// at the start or after whitespace, followed by whitespace, punctuation or the end.
pub fn mentions_bot(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let needle = format!("@{name}");
    let mut from = 0;
    while let Some(found) = text[from..].find(&needle) {
        let start = from + found;
        let end = start + needle.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let after_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || (c.is_ascii_punctuation() && c != '_'));
        if before_ok && after_ok {
            return true;
        }
        from = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(format: &str) -> CallbackConfig {
        CallbackConfig {
            bot_id: "bot".to_owned(),
            url: "http://127.0.0.1:9/cb".to_owned(),
            token: "QDG6eK".to_owned(),
            encoding_aes_key: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C".to_owned(),
            format: format.to_owned(),
            verified_at: 0,
        }
    }

    #[test]
    fn an_entry_carries_every_common_field_and_its_code() {
        let config = config("json");
        let origin = Origin {
            base_url: "http://127.0.0.1:8765",
            now: 1_000,
        };
        let to = Recipient {
            bot_id: "bot",
            key: "KEY",
            config: &config,
        };
        let place = Place {
            chatid: "wrkCHAT",
            chat_type: ChatType::Group,
            post_id: None,
        };
        let from = Sender {
            userid: "zhangsan".to_owned(),
            name: "张三".to_owned(),
            alias: "zhangsan".to_owned(),
        };
        let body = CallbackBody::Text {
            content: "@RobotA hello".to_owned(),
        };
        let entry = entry(&origin, &to, &place, from, body.clone());
        let job: CallbackJob = serde_json::from_value(entry.item.clone()).unwrap();
        assert_eq!(job.event, "text");
        assert_eq!(job.format, "json");
        assert_eq!(job.msgid.len(), 24);
        let callback = Callback::parse_json(job.plaintext.as_bytes()).unwrap();
        assert_eq!(callback.msgid, job.msgid);
        assert_eq!(
            callback.webhook_url,
            "http://127.0.0.1:8765/cgi-bin/webhook/send?key=KEY"
        );
        let code = entry.chat_info_code.unwrap();
        assert!(
            callback
                .get_chat_info_url
                .ends_with(&format!("?code={}", code.code))
        );
        assert_eq!(code.expires_at, 1_000 + 300_000);
        assert_eq!(callback.body, body);
        assert_eq!(
            callback.app_version.as_deref(),
            Some(env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn bots_are_mentioned_by_at_name_as_the_client_writes_it() {
        assert!(mentions_bot("@RobotA hello", "RobotA"));
        assert!(mentions_bot("hi @RobotA", "RobotA"));
        assert!(mentions_bot("hi @RobotA, please", "RobotA"));
        assert!(mentions_bot("@告警机器人 在吗", "告警机器人"));
        assert!(!mentions_bot("@RobotAB hello", "RobotA"));
        assert!(!mentions_bot("mail@RobotA", "RobotA"));
        assert!(!mentions_bot("RobotA", "RobotA"));
        assert!(!mentions_bot("@", ""));
    }
}
