//! A WeCom bot that answers every text with the same text, and every button click with the
//! value of the button, as passive replies.
//!
//! ```text
//! TOKEN=… ENCODING_AES_KEY=… LISTEN=0.0.0.0:3000 cargo run -p hookpit-client --example echo_bot
//! ```
//!
//! Set the bot's callback URL to `http://HOST:3000/callback` with the same Token and
//! EncodingAESKey; with `?robot_callback_format=json` in the URL, also set `FORMAT=json`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use hookpit_client::callback::{
    CallbackBody, CallbackFormat, CallbackHandler, CallbackQuery, strip_leading_mention,
};
use hookpit_client::message;

type Handler = State<Arc<CallbackHandler>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("TOKEN")?;
    let key = std::env::var("ENCODING_AES_KEY")?;
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let format = match std::env::var("FORMAT").as_deref() {
        Ok("json") => CallbackFormat::Json,
        _ => CallbackFormat::Xml,
    };
    let handler = CallbackHandler::new(&token, &key)?.format(format);
    let app = Router::new()
        .route("/callback", get(verify).post(receive))
        .with_state(Arc::new(handler));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("echo bot: http://{}/callback", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The URL check when the callback URL is saved: answer the decrypted `echostr`.
async fn verify(
    State(handler): Handler,
    Query(query): Query<CallbackQuery>,
) -> Result<String, StatusCode> {
    handler.verify_url(&query).map_err(refuse)
}

/// A message or event: echo texts, answer clicks with the button's value, and everything else
/// with an empty 200 (no reply).
async fn receive(
    State(handler): Handler,
    Query(query): Query<CallbackQuery>,
    body: Bytes,
) -> Result<String, StatusCode> {
    let callback = handler.parse(&query, &body).map_err(refuse)?;
    let answer = match &callback.body {
        CallbackBody::Text { content } => strip_leading_mention(content).to_owned(),
        CallbackBody::Attachment { actions, .. } => match actions.first() {
            Some(action) => format!("you chose {}", action.value),
            None => return Ok(String::new()),
        },
        _ => return Ok(String::new()),
    };
    handler
        .reply_to(&query, message::text(answer))
        .map_err(refuse)
}

/// Logs why a request was refused, with its causes, and answers 400 (WeCom retries non-200s).
fn refuse(error: impl std::error::Error) -> StatusCode {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    eprintln!("refused a callback: {message}");
    StatusCode::BAD_REQUEST
}
