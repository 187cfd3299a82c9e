//! Failures below WeCom's answers: what a network error says (never the key), timeouts, and a
//! custom HTTP client kept whatever the order of the settings.

use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use hookpit_client::{Error, RetryPolicy, Webhook, message};

const KEY: &str = "693a91f6-7e2b-4c11-secret-key";

/// The error, its causes and its Debug form: all that a program could print.
fn everything_said(error: &Error) -> String {
    let mut text = format!("{error:?}\n{error}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A port nothing listens on: bound, then dropped.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_network_error_names_the_url_with_the_key_masked_and_never_the_key() {
    let base = format!("http://127.0.0.1:{}", closed_port());
    let bot = Webhook::new(KEY).base_url(&base).retry(RetryPolicy::none());
    let error = bot.send(message::text("hi")).await.unwrap_err();
    let Error::Network { url, source } = &error else {
        panic!("{error:?}")
    };
    assert!(source.is_connect(), "{source:?}");
    assert_eq!(
        source.url(),
        None,
        "reqwest's copy of the URL holds the key"
    );
    assert_eq!(url, &format!("{base}/cgi-bin/webhook/send?key=693a…"));
    assert_eq!(
        error.to_string(),
        format!("request to {base}/cgi-bin/webhook/send?key=693a… failed")
    );
    let said = everything_said(&error);
    assert!(!said.contains("secret") && !said.contains(KEY), "{said}");

    let upload = bot
        .upload_media(
            hookpit_client::MediaKind::File,
            "a.txt",
            b"hello world".to_vec(),
        )
        .await
        .unwrap_err();
    let said = everything_said(&upload);
    assert!(!said.contains("secret"), "{said}");
    assert!(
        said.contains("/cgi-bin/webhook/upload_media?key=693a…&type=file"),
        "{said}"
    );
}

/// A webhook stub that records the `x-client` header of each call and answers after `delay`
/// when the body asks for it (its text is "slow").
struct Recorder {
    base: String,
    headers: Arc<Mutex<Vec<Option<String>>>>,
}

async fn recorder() -> Recorder {
    async fn answer(
        State(headers): State<Arc<Mutex<Vec<Option<String>>>>>,
        request_headers: HeaderMap,
        body: String,
    ) -> &'static str {
        let value = request_headers
            .get("x-client")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        headers.lock().unwrap().push(value);
        if body.contains("slow") {
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        r#"{"errcode":0,"errmsg":"ok"}"#
    }
    let headers = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/cgi-bin/webhook/send", post(answer))
        .with_state(Arc::clone(&headers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Recorder { base, headers }
}

fn custom_client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-client", "custom".parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_custom_http_client_is_kept_and_timed_out_whichever_is_set_first() {
    let stub = recorder().await;
    let timeout = Duration::from_millis(300);
    let client_then_timeout = Webhook::new("k")
        .http_client(custom_client())
        .timeout(timeout);
    let timeout_then_client = Webhook::new("k")
        .timeout(timeout)
        .http_client(custom_client());
    for bot in [client_then_timeout, timeout_then_client] {
        let bot = bot.base_url(&stub.base).retry(RetryPolicy::none());
        bot.send(message::text("fast")).await.unwrap();
        let started = Instant::now();
        let error = bot.send(message::text("slow")).await.unwrap_err();
        match &error {
            Error::Network { source, .. } => assert!(source.is_timeout(), "{source:?}"),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let seen = stub.headers.lock().unwrap().clone();
    assert_eq!(seen, vec![Some("custom".to_owned()); 4]);
}

#[tokio::test]
async fn a_timeout_names_no_key_either() {
    let stub = recorder().await;
    let bot = Webhook::new(KEY)
        .base_url(&stub.base)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(200));
    let error = bot.send(message::text("slow")).await.unwrap_err();
    let said = everything_said(&error);
    assert!(said.contains("operation timed out"), "{said}");
    assert!(!said.contains("secret"), "{said}");
}
