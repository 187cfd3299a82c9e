//! Passive replies (spec §8.7): the answer a bot puts in the HTTP response to a callback.
//!
//! The response must be an encrypted envelope in the callback's format; its signature is checked
//! with the bot's Token, it is decrypted, parsed (XML with or without CDATA, numeric character
//! references; JSON with `timestamp` as number or string) and checked with the send API's own
//! rules (`hookpit_protocol::callback::parse_passive_reply`: text and markdown only, mentions,
//! `visible_to_user`, attachment limits). A good reply is posted into the chat the callback came
//! from — the blackboard post too — as the bot, counted in its rate limits. An empty body, or a
//! text with empty content, is "no reply". A bad reply posts nothing; the log says why.

use std::sync::Arc;

use hookpit_protocol::callback::{
    Callback, CallbackCrypto, CallbackFormat, ChatType, ReplyEnvelope, parse_passive_reply,
};
use hookpit_protocol::{ChatTarget, ChatTargets, ValidSend};
use serde_json::{Value, json};

use super::worker::MAX_REPLY_BYTES;
use crate::app::AppState;
use crate::domain::{CallbackJob, MessageLint, OutboxRecord};
use crate::store::{Delivery, StoreError};

/// What became of a response body.
pub struct Reply {
    /// The decrypted reply, for the log.
    pub plaintext: Option<String>,
    /// `null` (no reply), `{"message_id": N}` (posted) or `{"error": "..."}` (refused).
    pub summary: Value,
}

impl Reply {
    fn none() -> Reply {
        Reply {
            plaintext: None,
            summary: Value::Null,
        }
    }

    fn refused(plaintext: Option<String>, error: impl Into<String>) -> Reply {
        Reply {
            plaintext,
            summary: json!({"error": error.into()}),
        }
    }
}

/// Reads the response `body` of the delivered callback `record` and posts its reply, if any.
pub async fn handle(
    state: &AppState,
    record: &OutboxRecord,
    job: &CallbackJob,
    crypto: &CallbackCrypto,
    format: CallbackFormat,
    body: &[u8],
    too_long: bool,
) -> Reply {
    if too_long {
        return Reply::refused(
            None,
            format!("the reply is longer than {MAX_REPLY_BYTES} bytes: nothing was posted"),
        );
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Reply::none();
    }
    let envelope = match ReplyEnvelope::parse(format, body) {
        Ok(envelope) => envelope,
        Err(error) => {
            return Reply::refused(
                None,
                format!(
                    "the reply is not an encrypted {} envelope ({error}); answer an empty body \
                     to send no reply",
                    format.as_str()
                ),
            );
        }
    };
    let plaintext = match crypto.decrypt_message(
        &envelope.msg_signature,
        &envelope.timestamp,
        &envelope.nonce,
        &envelope.encrypt,
    ) {
        Ok(plaintext) => plaintext,
        Err(error) => {
            return Reply::refused(None, format!("the reply cannot be opened: {error}"));
        }
    };
    let shown = Some(String::from_utf8_lossy(&plaintext).into_owned());
    let send = match parse_passive_reply(format, &plaintext) {
        Ok(Some(send)) => send,
        Ok(None) => {
            return Reply {
                plaintext: shown,
                summary: Value::Null,
            };
        }
        Err(error) => return Reply::refused(shown, format!("the reply is refused: {error}")),
    };
    match post(state, record, job, send).await {
        Ok(message_id) => Reply {
            plaintext: shown,
            summary: json!({"message_id": message_id}),
        },
        Err(error) => Reply::refused(shown, error),
    }
}

/// Posts `send` into the chat `job` came from, as the bot; the id of the stored message.
async fn post(
    state: &AppState,
    record: &OutboxRecord,
    job: &CallbackJob,
    mut send: ValidSend,
) -> Result<i64, String> {
    let format = if job.format == "json" {
        CallbackFormat::Json
    } else {
        CallbackFormat::Xml
    };
    let callback = Callback::parse(format, job.plaintext.as_bytes())
        .map_err(|error| format!("the callback it answers is unreadable: {error}"))?;
    let bot = state
        .store
        .get_bot(&record.bot_id)
        .await
        .map_err(|error| format!("the bot is gone: {error}"))?;
    send.targets = ChatTargets(vec![ChatTarget::Id(callback.chatid.clone())]);
    if matches!(
        callback.chat_type,
        ChatType::Blackboard | ChatType::BlackboardReply
    ) {
        send.request.post_id = callback.post_id.clone();
    }
    // The per-user window of a single chat is the user's (as for the webhook, `send.rs`).
    let rate_target = match callback.chat_type {
        ChatType::Single => callback.from.userid.clone(),
        _ => callback.chatid.clone(),
    };
    state
        .limiter
        .check_send(
            &bot.id,
            &ChatTargets(vec![ChatTarget::Id(rate_target)]),
            state.clock.now(),
        )
        .await
        .map_err(|error| {
            format!(
                "{} {}: the reply was not posted",
                error.code(),
                error.text()
            )
        })?;
    let raw = serde_json::to_vec(&send.request).unwrap_or_default();
    let delivery = Delivery {
        request_id: uuid::Uuid::now_v7().to_string(),
        bot_id: bot.id.clone(),
        bot_name: bot.name.clone(),
        request_lints: hookpit_render::lint_request(&raw)
            .into_iter()
            .map(MessageLint::from)
            .collect(),
        raw_body: raw.into(),
        send,
        from_ip: "passive reply".to_owned(),
        reply: String::new(),
        now: state.clock.now_millis(),
        sandbox: false,
        passive: true,
        relay: None,
        // The bot was read by id just now; a deletion racing it is as if it came after.
        key_check: None,
    };
    match state.store.deliver(delivery).await {
        Ok(messages) => {
            state.metrics.add_stored(messages.len());
            let id = messages.first().map_or(0, |message| message.id);
            for message in messages {
                state.announce_message(Arc::new(message));
            }
            Ok(id)
        }
        Err(StoreError::Refused(error)) => Err(format!(
            "{} {}: the reply was not posted",
            error.code(),
            error.text()
        )),
        Err(error) => {
            tracing::error!(error = %error, "callbacks: cannot store a passive reply");
            Err("the reply could not be stored (see the server log)".to_owned())
        }
    }
}
