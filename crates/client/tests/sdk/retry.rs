//! Retries and the client-side limiter: a stub that refuses on demand, and Hookpit's own limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use hookpit_client::{Error, RateLimits, RetryPolicy, Webhook, message};

use crate::helpers::{GROUP, TestServer};

/// A webhook stub that gives `script`'s answers in turn, then success; counts the calls.
struct Stub {
    url: String,
    calls: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Script {
    answers: Arc<Vec<(StatusCode, &'static str)>>,
    calls: Arc<AtomicUsize>,
}

async fn answer(State(script): State<Script>) -> (StatusCode, &'static str) {
    let call = script.calls.fetch_add(1, Ordering::SeqCst);
    script
        .answers
        .get(call)
        .copied()
        .unwrap_or((StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#))
}

async fn stub(answers: Vec<(StatusCode, &'static str)>) -> Stub {
    let calls = Arc::new(AtomicUsize::new(0));
    let script = Script {
        answers: Arc::new(answers),
        calls: Arc::clone(&calls),
    };
    let app = Router::new()
        .route("/cgi-bin/webhook/send", post(answer))
        .with_state(script);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Stub { url, calls }
}

const RATE_LIMITED: (StatusCode, &str) = (
    StatusCode::OK,
    r#"{"errcode":45009,"errmsg":"api freq out of limit, hint: [1], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=45009"}"#,
);

/// Retries after a millisecond, so the tests take no time.
fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .initial_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(4))
}

#[tokio::test]
async fn a_45009_is_retried_and_the_send_then_succeeds() {
    let stub = stub(vec![RATE_LIMITED]).await;
    let bot = Webhook::new("k").base_url(&stub.url).retry(fast());
    let reply = bot.send(message::text("hi")).await.unwrap();
    assert_eq!(reply.errcode, 0);
    assert_eq!(stub.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn retries_stop_at_the_maximum_and_return_the_last_refusal() {
    let stub = stub(vec![RATE_LIMITED; 5]).await;
    let bot = Webhook::new("k")
        .base_url(&stub.url)
        .retry(fast().max_retries(2));
    let error = bot.send(message::text("hi")).await.unwrap_err();
    assert_eq!(error.code(), Some(45009));
    assert_eq!(stub.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_system_error_and_a_503_are_retried_but_a_bad_key_is_not() {
    let stub = stub(vec![
        (StatusCode::OK, r#"{"errcode":-1,"errmsg":"system error"}"#),
        (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
    ])
    .await;
    let bot = Webhook::new("k").base_url(&stub.url).retry(fast());
    bot.send(message::text("hi")).await.unwrap();
    assert_eq!(stub.calls.load(Ordering::SeqCst), 3);

    let refusing = self::stub(vec![(
        StatusCode::OK,
        r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
    )])
    .await;
    let bot = Webhook::new("k").base_url(&refusing.url).retry(fast());
    let error = bot.send(message::text("hi")).await.unwrap_err();
    assert_eq!(error.code(), Some(93000));
    assert_eq!(refusing.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn network_retries_can_be_turned_off_to_avoid_duplicates() {
    let stub = stub(vec![(StatusCode::BAD_GATEWAY, "bad gateway")]).await;
    let bot = Webhook::new("k")
        .base_url(&stub.url)
        .retry(fast().network(false));
    let error = bot.send(message::text("hi")).await.unwrap_err();
    assert!(
        matches!(error, Error::Status { status: 502, .. }),
        "{error:?}"
    );
    assert_eq!(stub.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    // Bind then drop: the port is free and nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bot = Webhook::new("k")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(RetryPolicy::none());
    let error = bot.send(message::text("hi")).await.unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    assert!(error.is_network());
}

#[tokio::test]
async fn hookpit_refuses_the_third_send_in_a_minute_with_45009_when_limited_to_two() {
    let hookpit = TestServer::with(|config| config.rate_per_chat = Some(2)).await;
    let bot = hookpit.bot();
    for _ in 0..2 {
        bot.send(message::text("x").chatid(GROUP)).await.unwrap();
    }
    let error = bot
        .send(message::text("x").chatid(GROUP))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(45009));
}

#[tokio::test]
async fn the_client_side_limiter_holds_the_send_that_would_get_45009() {
    let hookpit = TestServer::with(|config| config.rate_per_chat = Some(2)).await;
    let bot = hookpit
        .bot()
        .rate_limit(RateLimits::new(2, 10_000, Duration::from_secs(60)));
    for _ in 0..2 {
        bot.send(message::text("x").chatid(GROUP)).await.unwrap();
    }
    // The third send waits for the window instead of being refused.
    let third = tokio::time::timeout(
        Duration::from_millis(300),
        bot.send(message::text("x").chatid(GROUP)),
    )
    .await;
    assert!(third.is_err(), "the limiter let a third send through");
    // Another chat has its own window.
    let other = "wrkSFfCgAAtMxxx4xqDatM5C9IDHFaaa";
    bot.send(message::text("x").chatid(other)).await.unwrap();
    assert_eq!(hookpit.messages(GROUP).await.len(), 2);
    assert_eq!(hookpit.messages(other).await.len(), 1);
}
