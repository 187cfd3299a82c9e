//! Applying an injected fault (`crate::fault`) to a webhook call: WeCom's answer with the rule's
//! errcode, a gateway's error page, a delay before normal processing, a dropped connection, or
//! no answer at all. Every one but the delay is listed among the rejections as `injected`.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hookpit_protocol::ErrorCode;
use hookpit_protocol::limit::{MARKDOWN_CONTENT_MAX_BYTES, TEXT_CONTENT_MAX_BYTES};

use super::reply::Call;
use crate::app::AppState;
use crate::fault::Effect;
use crate::http::{DropConnection, KeepWaiting};

/// What the call does after its fault.
pub(super) enum After {
    /// It was answered (or will never be).
    Answered(Response),
    /// It goes on as usual (after a delay).
    Proceed(Call),
}

/// Applies `effect` to `call` (a send of `msgtype`, or an upload of that type).
pub(super) async fn apply(state: &AppState, call: Call, effect: Effect, body: &[u8]) -> After {
    state.metrics.fault_injected(effect.name());
    match effect {
        Effect::Delay { delay_ms } => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            After::Proceed(call)
        }
        Effect::Errcode { errcode } => {
            let error = error_of(errcode, &call.label);
            After::Answered(call.refuse_injected(state, &error, body))
        }
        Effect::HttpStatus { http_status } => {
            let status = StatusCode::from_u16(http_status).unwrap_or(StatusCode::BAD_GATEWAY);
            let note = format!("HTTP {status} (injected)");
            call.note_injected(state, &note, body);
            After::Answered(gateway_page(status))
        }
        Effect::Drop { .. } => {
            call.note_injected(state, "connection dropped (injected)", body);
            let mut response = StatusCode::OK.into_response();
            response.extensions_mut().insert(DropConnection);
            After::Answered(response)
        }
        Effect::Hang { .. } => {
            call.note_injected(state, "no answer (injected hang)", body);
            let mut stop = state.shutdown.clone();
            // Until the client gives up (the future is dropped with its connection) or the
            // server stops; the request timeout does not cut it short (`KeepWaiting`).
            let _ = stop.wait_for(|stopped| *stopped).await;
            let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
            response.extensions_mut().insert(DropConnection);
            After::Answered(response)
        }
    }
}

/// Marks a request whose handler may hang on purpose, so that the request timeout lets it.
pub(super) fn may_hang(effect: &Effect, keep: Option<&KeepWaiting>) {
    if matches!(effect, Effect::Hang { .. })
        && let Some(keep) = keep
    {
        keep.set();
    }
}

/// WeCom's error of `errcode`, for a call of `msgtype`: the catalogue's text, or for 40058 the
/// length error of the type's content (its most common cause).
fn error_of(errcode: i64, msgtype: &str) -> ErrorCode {
    if errcode == 40058 {
        return match msgtype {
            "text" => ErrorCode::exceed_max_length("text.content", TEXT_CONTENT_MAX_BYTES),
            "markdown" | "markdown_v2" => ErrorCode::exceed_max_length(
                &format!("{msgtype}.content"),
                MARKDOWN_CONTENT_MAX_BYTES,
            ),
            _ => ErrorCode::invalid_parameter("body", "is not valid"),
        };
    }
    ErrorCode::from_code(errcode).unwrap_or(ErrorCode::SYSTEM_ERROR)
}

/// The page nginx serves when the upstream fails, with its status.
fn gateway_page(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let html = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
         <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_injected_40058_names_the_types_content() {
        assert!(
            error_of(40058, "markdown")
                .text()
                .starts_with("markdown.content exceed max length 4096")
        );
        assert!(
            error_of(40058, "text")
                .text()
                .starts_with("text.content exceed max length 5120")
        );
        assert_eq!(error_of(45009, "text"), ErrorCode::API_FREQ_OUT_OF_LIMIT);
    }
}
