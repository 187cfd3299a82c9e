//! `POST /cgi-bin/webhook/send?key=KEY`.
//!
//! Checks run in WeCom's order (spec §6, documented on [`hookpit_protocol::parse_send`]):
//! key (93000; the body is then read and discarded, see `body.rs`) → body read, capped, timed
//! and within the memory budget (40058 too large, -1 busy or stalled) → the protocol crate's validation (40008, 44004, 40058, ...)
//! → media ids (40007) → identical body in flight (45033) → rate limits (45009) → routing and
//! storage in one write (93008, 93005). `errcode 0` is sent only after the commit that holds
//! the messages, which carry the lints of the raw body (`hookpit_render::lint_request`), found
//! here because the stored content no longer holds the fields they are about.
//!
//! Any method is answered, as WeCom answers a GET to a POST API: as a request without a body
//! (WeCom's global error catalogue, 40058/40063: "接口要求请求方式为POST时，实际调用中使用了GET方式
//! ... 获取不到请求体参数"), so a webhook URL opened in a browser gets a WeCom answer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hookpit_protocol::reply::SEND_OK_BODY;
use hookpit_protocol::{ChatTarget, ChatTargets, ErrorCode, ValidSend, parse_send};

use super::body::BodyReader;
use super::query::WebhookQuery;
use super::reply::{Call, send_body_limit};
use crate::app::AppState;
use crate::domain::MessageLint;
use crate::fault;
use crate::http::KeepWaiting;
use crate::store::{Delivery, KeyCheck, StoreError};

/// The send endpoint, for any method.
// [U] a method other than POST: answered as a request without a body (40008 after the key).
pub(super) async fn send(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: WebhookQuery,
    keep: Option<Extension<KeepWaiting>>,
    body: Body,
) -> Response {
    let key = query.key;
    let mut call = Call::new(&state, "send", peer, &headers, key);

    let mut reader = BodyReader::new(body, state.config.body_timeout);

    // 0. The key, before the body is read (the body is then drained, so the sender reads this).
    let bot = match super::resolve_bot(&state, &call.key, call.now).await {
        Ok(bot) => bot,
        Err(error) => return reader.finish(call.refuse(&state, &error, b"")).await,
    };

    // The body stays within the memory budget until this call is answered.
    let (body, _held) = match reader.read_all(send_body_limit(), &state.body_budget).await {
        Ok(read) => read,
        Err(error) => {
            // [U] A body too large to hold any valid request: 40058 in WeCom's length wording.
            let too_large = ErrorCode::exceed_max_length("body", send_body_limit());
            return super::refuse_unread(&state, call, &mut reader, error, too_large).await;
        }
    };

    // 1–8.
    let send = match parse_send(&body) {
        Ok(send) => send,
        Err(error) => {
            call.label = sniff_msgtype(&body);
            return call.refuse(&state, &error, &body);
        }
    };
    call.label = send.msgtype().as_str().to_owned();

    // An injected fault, once the call is known to be well-formed.
    let chatids: Vec<String> = send
        .targets
        .iter()
        .map(|target| target.as_str().to_owned())
        .collect();
    let fault_call = fault::Call {
        key: &call.key,
        bot_id: &bot.id,
        endpoint: "send",
        msgtype: &call.label,
        chatids: &chatids,
    };
    if let Some(effect) = state.faults.decide(&fault_call, state.clock.now()).await {
        super::injected::may_hang(&effect, keep.as_ref().map(|Extension(keep)| keep));
        call = match super::injected::apply(&state, call, effect, &body).await {
            super::injected::After::Answered(response) => return response,
            super::injected::After::Proceed(call) => call,
        };
    }

    // 9.
    if let Err(error) = check_media(&state, &bot.id, &send, call.now).await {
        return call.refuse(&state, &error, &body);
    }

    // 10. The identical-body slot is held until this call is answered.
    let _in_flight = match state.limiter.claim_body(&bot.id, &body).await {
        Ok(guard) => guard,
        Err(error) => return call.refuse(&state, &error, &body),
    };
    let rate_targets = match rate_targets(&state, &bot.id, &send.targets).await {
        Ok(targets) => targets,
        Err(error) => return call.refuse(&state, &error, &body),
    };
    if let Err(error) = state
        .limiter
        .check_send(&bot.id, &rate_targets, state.clock.now())
        .await
    {
        return call.refuse(&state, &error, &body);
    }

    // 11. Routing and storage, in one transaction (with the relay's entry, if the bot relays).
    // Time-ordered (UUIDv7): the `requests` primary key appends at the right edge of its B-tree
    // instead of dirtying a random leaf page per request.
    let request_id = uuid::Uuid::now_v7().to_string();
    let relay = state
        .relays
        .entry_for(
            &bot.id,
            &request_id,
            send.request.chatid.as_deref().unwrap_or("@all_group"),
        )
        .map(Box::new);
    let key_check = bot.key_epoch.map(|epoch| KeyCheck {
        key: call.key.clone(),
        epoch,
    });
    let delivery = Delivery {
        key_check,
        request_id,
        bot_id: bot.id,
        bot_name: bot.name,
        send,
        raw_body: body.clone(),
        from_ip: call.from_ip.clone(),
        reply: SEND_OK_BODY.to_owned(),
        now: call.now,
        sandbox: state.config.accept_any_key,
        passive: false,
        relay,
        request_lints: hookpit_render::lint_request(&body)
            .into_iter()
            .map(MessageLint::from)
            .collect(),
    };
    let relaying = delivery.relay.is_some();
    match state.store.deliver(delivery).await {
        Ok(messages) => {
            if relaying {
                state.relay_wakeup.wake();
            }
            state.metrics.add_stored(messages.len());
            for message in messages {
                state.announce_message(Arc::new(message));
            }
            call.succeed(&state, SEND_OK_BODY.to_owned())
        }
        Err(StoreError::Refused(error)) => call.refuse(&state, &error, &body),
        Err(error) => {
            tracing::error!(error = %error, "send: cannot store the message");
            call.refuse(&state, &ErrorCode::SYSTEM_ERROR, &body)
        }
    }
}

/// Step 9: every media id the message refers to must be an unexpired upload of this bot, of the
/// kind the field takes (WeCom: "media_id只能是对应上传文件的机器人可以使用", valid 3 days).
async fn check_media(
    state: &AppState,
    bot_id: &str,
    send: &ValidSend,
    now: i64,
) -> Result<(), ErrorCode> {
    for need in send.media_needs() {
        let media = match state.store.get_media(&need.media_id).await {
            Ok(media) => media,
            Err(error) => {
                tracing::error!(error = %error, "send: cannot look up media");
                return Err(ErrorCode::SYSTEM_ERROR);
            }
        };
        let usable = media.is_some_and(|media| {
            media.bot_id == bot_id
                && (media.placeholder || (media.expires_at > now && need.accepts(media.kind)))
        });
        if !usable {
            return Err(ErrorCode::INVALID_MEDIA_ID);
        }
    }
    Ok(())
}

/// The targets as the rate limits count them: a single-chat id becomes its user's id, so that
/// alternating a userid and its single-chat id spends one per-user window, not two (WeCom:
/// "每个消息推送给每个特定用户发送单聊消息不能超过100条/分钟").
///
/// Only ids shaped like single-chat ids (`wok...`, the shape of WeCom's and of ours) are looked
/// up, in one read, so group sends cost nothing extra.
async fn rate_targets(
    state: &AppState,
    bot_id: &str,
    targets: &ChatTargets,
) -> Result<ChatTargets, ErrorCode> {
    let single_ids: Vec<String> = targets
        .iter()
        .filter_map(|target| match target {
            ChatTarget::Id(id) if crate::store::looks_like_single_chat_id(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    if single_ids.is_empty() {
        return Ok(targets.clone());
    }
    let users: HashMap<String, String> =
        match state.store.single_chat_users(bot_id, single_ids).await {
            Ok(users) => users,
            Err(error) => {
                tracing::error!(error = %error, "send: cannot look up single chats");
                return Err(ErrorCode::SYSTEM_ERROR);
            }
        };
    // [U] the per-user window is the user's, whichever spelling `chatid` uses.
    let mut normalized: Vec<ChatTarget> = Vec::with_capacity(targets.0.len());
    for target in targets {
        let target = match target {
            ChatTarget::Id(id) => ChatTarget::Id(users.get(id).unwrap_or(id).clone()),
            special => special.clone(),
        };
        if !normalized.contains(&target) {
            normalized.push(target);
        }
    }
    Ok(ChatTargets(normalized))
}

/// The msgtype of a refused body, for the metrics: one of the nine names, or `""` (so a sender
/// cannot grow the label set).
fn sniff_msgtype(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        msgtype: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_slice::<Head<'_>>(body)
        .ok()
        .and_then(|head| head.msgtype)
        .and_then(|name| hookpit_protocol::MsgType::from_wire(&name))
        .map(|msgtype| msgtype.as_str().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_msgtypes_become_metric_labels() {
        assert_eq!(sniff_msgtype(br#"{"msgtype":"text","text":{}}"#), "text");
        assert_eq!(sniff_msgtype(br#"{"msgtype":"TEXT"}"#), "");
        assert_eq!(sniff_msgtype(b"not json"), "");
    }
}
