//! `PUT / GET / DELETE /api/v1/bots/{bot_id}/callback`: a bot's callback settings, as in WeCom's
//! bot settings page — URL, Token, EncodingAESKey — saved only after WeCom's URL verification
//! (spec §8.3) succeeds.
//!
//! Verification is a GET of the URL with `msg_signature`, `timestamp`, `nonce` and an encrypted
//! `echostr`; the receiver must answer, within 1 s and with HTTP 200, exactly the decrypted
//! plaintext (no quotes, no JSON, no BOM, no newline). When it does not, the answer says exactly
//! what went wrong — the status, an excerpt of the body, "expected plaintext X" and a hint for
//! the classic mistakes — because that is where bot developers lose hours.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hookpit_protocol::callback::{
    CallbackCrypto, CallbackFormat, CallbackQuery, encoding_aes_key_from_random, token_from_random,
    validate_encoding_aes_key, validate_token,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::worker::random16;
use crate::api::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams};
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::domain::CallbackConfig;

/// WeCom waits this long for the verification answer (spec §8.3).
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(1);
/// Bytes of a wrong answer quoted back.
const EXCERPT: usize = 200;

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_callback, get_callback, delete_callback))
}

/// `PUT` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CallbackSettings)]
struct SetCallback {
    /// Where callbacks are POSTed; `?robot_callback_format=json` on it picks JSON over XML.
    url: String,
    /// 3–32 letters and digits; generated when absent.
    token: Option<String>,
    /// 43 characters (the Base64 of the AES key); generated when absent.
    encoding_aes_key: Option<String>,
}

/// A callback configuration as the API shows it (the admin needs the secrets to configure the
/// receiver; they never reach a log).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CallbackConfig)]
struct ConfigView {
    url: String,
    token: String,
    encoding_aes_key: String,
    /// `xml` or `json`, from the URL.
    format: String,
    /// RFC 3339: when the URL verification that let it be saved passed.
    #[schema(format = DateTime)]
    verified_at: String,
}

impl From<CallbackConfig> for ConfigView {
    fn from(config: CallbackConfig) -> ConfigView {
        ConfigView {
            url: config.url,
            token: config.token,
            encoding_aes_key: config.encoding_aes_key,
            format: config.format,
            verified_at: rfc3339(config.verified_at),
        }
    }
}

/// Sets a bot's callback URL, Token and EncodingAESKey, after WeCom's URL verification.
///
/// Hookpit GETs the URL with an encrypted `echostr`, as WeCom does; the receiver must answer,
/// within 1 s and with HTTP 200, exactly the decrypted plaintext. Token and EncodingAESKey are
/// generated when absent. When the verification fails, nothing is saved and the answer says
/// what went wrong.
#[utoipa::path(
    put,
    path = "/bots/{bot_id}/callback",
    tag = "callbacks",
    operation_id = "set_callback_config",
    params(("bot_id" = String, Path, description = "The bot's id")),
    request_body = SetCallback,
    responses(
        (status = 200, description = "Verified and saved", body = ConfigView),
        (
            status = 400,
            description = "Not an http(s) URL, or an unusable Token or EncodingAESKey",
            body = ErrorBody
        ),
        (status = 404, description = "No such bot", body = ErrorBody),
        (
            status = 422,
            description = "The URL verification failed (`verification_failed`: what went wrong)",
            body = ErrorBody
        ),
    )
)]
async fn set_callback(
    State(state): State<AppState>,
    PathParams(bot_id): PathParams<String>,
    JsonBody(body): JsonBody<SetCallback>,
) -> ApiResult<Json<ConfigView>> {
    // The bot first: a 404 is clearer than a verification that could never matter.
    state.store.get_bot(&bot_id).await?;
    let url = checked_url(&body.url)?;
    let token = match body.token {
        Some(token) => {
            validate_token(&token).map_err(|error| ApiError::bad_request(error.to_string()))?;
            token
        }
        None => token_from_random(random32()),
    };
    let encoding_aes_key = match body.encoding_aes_key {
        Some(key) => {
            validate_encoding_aes_key(&key)
                .map_err(|error| ApiError::bad_request(error.to_string()))?;
            key
        }
        None => encoding_aes_key_from_random(random32()),
    };
    let crypto = CallbackCrypto::new(&token, &encoding_aes_key)
        .map_err(|error| ApiError::bad_request(error.to_string()))?;
    verify(&state, &url, &crypto).await.map_err(|message| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "verification_failed",
            message,
        )
    })?;
    let config = CallbackConfig {
        bot_id: bot_id.clone(),
        format: CallbackFormat::from_url(&url).as_str().to_owned(),
        url,
        token,
        encoding_aes_key,
        verified_at: state.clock.now_millis(),
    };
    let config = state.store.set_callback_config(config).await?;
    tracing::info!(bot = %bot_id, url = %config.url, format = %config.format, "callback URL verified and saved");
    Ok(Json(config.into()))
}

/// A bot's callback settings, secrets included.
#[utoipa::path(
    get,
    path = "/bots/{bot_id}/callback",
    tag = "callbacks",
    operation_id = "get_callback_config",
    params(("bot_id" = String, Path, description = "The bot's id")),
    responses(
        (status = 200, description = "The settings", body = ConfigView),
        (status = 404, description = "No such bot, or it has no callback", body = ErrorBody),
    )
)]
async fn get_callback(
    State(state): State<AppState>,
    PathParams(bot_id): PathParams<String>,
) -> ApiResult<Json<ConfigView>> {
    state.store.get_bot(&bot_id).await?;
    let config = state.store.callback_config(&bot_id).await?.ok_or_else(|| {
        ApiError::not_found(format!("bot {bot_id} has no callback configuration"))
    })?;
    Ok(Json(config.into()))
}

/// Removes a bot's callback settings (it is called back no more).
#[utoipa::path(
    delete,
    path = "/bots/{bot_id}/callback",
    tag = "callbacks",
    operation_id = "delete_callback_config",
    params(("bot_id" = String, Path, description = "The bot's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such bot, or it has no callback", body = ErrorBody),
    )
)]
async fn delete_callback(
    State(state): State<AppState>,
    PathParams(bot_id): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.get_bot(&bot_id).await?;
    state.store.delete_callback_config(&bot_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An absolute http(s) URL, as WeCom's settings take.
fn checked_url(url: &str) -> ApiResult<String> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|error| ApiError::bad_request(format!("url is not a URL: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ApiError::bad_request(
            "url must be an http:// or https:// URL with a host",
        ));
    }
    Ok(url.trim().to_owned())
}

/// Runs WeCom's URL verification against `url`; the sentence saying what went wrong otherwise.
async fn verify(state: &AppState, url: &str, crypto: &CallbackCrypto) -> Result<(), String> {
    // WeCom's echostr decrypts to a long number.
    let expected = fastrand::u64(1_000_000_000_000_000..10_000_000_000_000_000).to_string();
    let echostr = crypto
        .encrypt(expected.as_bytes(), random16())
        .map_err(|error| format!("cannot build the echostr: {error}"))?;
    let timestamp = (state.clock.now_millis() / 1000).to_string();
    let nonce = fastrand::u64(1_000_000_000..10_000_000_000).to_string();
    let query = CallbackQuery {
        msg_signature: crypto.signature(&timestamp, &nonce, &echostr),
        timestamp,
        nonce,
        echostr: Some(echostr.clone()),
    };
    let client = reqwest::Client::builder()
        .timeout(VERIFY_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Hookpit/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
    let response = client
        .get(query.append_to(url))
        .send()
        .await
        .map_err(|error| {
            if error.is_timeout() {
                "the URL did not answer within 1 s (WeCom's limit for the verification)".to_owned()
            } else if error.is_connect() {
                format!(
                    "cannot connect to {url}: is the receiver running and reachable from Hookpit?"
                )
            } else {
                format!("the request to {url} failed: {}", error.without_url())
            }
        })?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|error| {
        if error.is_timeout() {
            "the URL did not finish its answer within 1 s".to_owned()
        } else {
            format!("the answer could not be read: {}", error.without_url())
        }
    })?;
    let text = String::from_utf8_lossy(&body);
    if status != 200 {
        return Err(format!(
            "the URL answered HTTP {status} (expected 200 with the decrypted echostr); body: {}",
            excerpt(&text)
        ));
    }
    if text == expected {
        return Ok(());
    }
    Err(format!(
        "expected plaintext {expected:?}, got {}{}",
        excerpt(&text),
        hint(&text, &expected, &echostr)
    ))
}

/// The first [`EXCERPT`] bytes of `text`, quoted.
fn excerpt(text: &str) -> String {
    let mut end = text.len().min(EXCERPT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = if end < text.len() { "…" } else { "" };
    format!("{:?}{more}", &text[..end])
}

/// What the classic mistakes look like, said plainly.
fn hint(text: &str, expected: &str, echostr: &str) -> &'static str {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        " — the body is empty: answer the decrypted echostr"
    } else if trimmed == expected {
        " — the right value, but with a BOM, spaces or a newline around it: answer it alone"
    } else if trimmed.trim_matches('"') == expected {
        " — the right value in quotes: answer the plaintext itself, not a JSON string"
    } else if trimmed.starts_with('{') || trimmed.starts_with('<') {
        " — answer the plaintext itself, not JSON or XML"
    } else if trimmed == echostr || trimmed == urlencoded(echostr) {
        " — that is the encrypted echostr: decrypt it first"
    } else {
        " — decrypt echostr with the EncodingAESKey (AES-256-CBC, PKCS#7 with a 32-byte block) \
         and answer the message part"
    }
}

fn urlencoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn random32() -> [u8; 32] {
    let mut bytes = [0_u8; 32];
    for byte in &mut bytes {
        *byte = fastrand::u8(..);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_verification_mistakes_get_their_hint() {
        let expected = "1234567890";
        let echostr = "ab+c/d==";
        assert!(hint("", expected, echostr).contains("empty"));
        assert!(hint("1234567890\n", expected, echostr).contains("newline"));
        assert!(hint("\u{feff}1234567890", expected, echostr).contains("BOM"));
        assert!(hint("\"1234567890\"", expected, echostr).contains("quotes"));
        assert!(hint("{\"echostr\":\"1\"}", expected, echostr).contains("not JSON"));
        assert!(hint("ab+c/d==", expected, echostr).contains("encrypted echostr"));
        assert!(hint("ab%2Bc%2Fd%3D%3D", expected, echostr).contains("encrypted echostr"));
        assert!(hint("nope", expected, echostr).contains("32-byte block"));
    }

    #[test]
    fn only_absolute_http_urls_are_taken() {
        assert!(checked_url("http://127.0.0.1:9000/cb?robot_callback_format=json").is_ok());
        assert!(checked_url("https://bot.example/cb").is_ok());
        assert!(checked_url("ftp://bot.example/cb").is_err());
        assert!(checked_url("/cb").is_err());
        assert!(checked_url("javascript:alert(1)").is_err());
    }

    #[test]
    fn excerpts_cut_on_a_character_boundary() {
        let long = "好".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("ok"), "\"ok\"");
    }
}
