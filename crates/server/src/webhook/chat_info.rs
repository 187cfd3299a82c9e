//! `GET /cgi-bin/webhook/get_chat_info?code=CODE` (spec §8.8): the chat a callback came from,
//! for the code in its `GetChatInfoUrl` — valid 5 minutes, usable once.
//!
//! Answers `{"errcode":0,"errmsg":"ok","chatid","name","chattype","members":[{userid,alias,name}]}`
//! (`name` for groups and blackboards only, as WeCom's example); an unknown or expired code is
//! 40029 and a used one 42022 `[U]`, in WeCom's errmsg format.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use hookpit_protocol::ErrorCode;
use serde::Serialize;

use super::reply::Call;
use crate::app::AppState;
use crate::store::CodeLookup;

#[derive(Serialize)]
struct ChatInfo {
    errcode: i64,
    errmsg: &'static str,
    chatid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    chattype: String,
    members: Vec<Member>,
}

#[derive(Serialize)]
struct Member {
    userid: String,
    alias: String,
    name: String,
}

/// The endpoint, for any method (as the other webhook endpoints).
pub(super) async fn get_chat_info(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let code = uri.query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "code")
            .map(|(_, value)| value.into_owned())
    });
    let mut call = Call::new(&state, "get_chat_info", peer, &headers, None);
    let fault_call = crate::fault::Call {
        key: "",
        bot_id: "",
        endpoint: "get_chat_info",
        msgtype: "",
        chatids: &[],
    };
    if let Some(effect) = state.faults.decide(&fault_call, state.clock.now()).await {
        // (A hang here is cut off by the request timeout: this endpoint has no body to wait on.)
        call = match super::injected::apply(&state, call, effect, b"").await {
            super::injected::After::Answered(response) => return response,
            super::injected::After::Proceed(call) => call,
        };
    }
    let Some(code) = code.filter(|code| !code.is_empty()) else {
        return call.refuse(&state, &ErrorCode::INVALID_CODE, b"");
    };
    let info = match state.store.take_chat_info_code(&code, call.now).await {
        Ok(CodeLookup::Valid(info)) => info,
        Ok(CodeLookup::Used) => return call.refuse(&state, &ErrorCode::CODE_USED, b""),
        Ok(CodeLookup::Expired | CodeLookup::Unknown) => {
            return call.refuse(&state, &ErrorCode::INVALID_CODE, b"");
        }
        Err(error) => {
            tracing::error!(error = %error, "get_chat_info: cannot read the code");
            return call.refuse(&state, &ErrorCode::SYSTEM_ERROR, b"");
        }
    };
    let chat = match state.store.chat_summary(&info.chatid).await {
        Ok(chat) => chat,
        Err(error) => {
            tracing::info!(error = %error, "get_chat_info: the chat is gone");
            return call.refuse(&state, &ErrorCode::INVALID_CODE, b"");
        }
    };
    let users = state.store.list_users().await.unwrap_or_default();
    let members = chat
        .members
        .iter()
        .map(|userid| Member {
            userid: userid.clone(),
            // [U] alias: the userid (Hookpit users have no English name), as in callbacks.
            alias: userid.clone(),
            name: users
                .iter()
                .find(|user| &user.userid == userid)
                .map_or_else(|| userid.clone(), |user| user.name.clone()),
        })
        .collect();
    let body = ChatInfo {
        errcode: 0,
        errmsg: "ok",
        chatid: chat.chatid,
        name: (info.chattype != "single").then_some(chat.name),
        chattype: info.chattype,
        members,
    };
    let json = serde_json::to_string(&body).unwrap_or_default();
    call.succeed(&state, json)
}
