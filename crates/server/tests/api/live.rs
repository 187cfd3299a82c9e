//! Live parts of the API: the long-poll, the SSE stream, and the rejection log.

use std::time::Duration;

use hookpit_server::config::LimitProfile;
use hookpit_server::store::DEMO_GROUP;
use serde_json::{Value, json};

use crate::admin::{delete, get, send_text};
use crate::support::events::{read_until, streamed_texts};
use crate::support::{TestServer, text};

/// Generous bound for things that should happen at once; only reached if the code is broken.
const PATIENCE: Duration = Duration::from_secs(10);

/// Waits until someone more subscribed to the live events (a long-poll or a stream started).
async fn subscribed(server: &TestServer, before: usize) {
    tokio::time::timeout(PATIENCE, async {
        while server.server.state().events.receiver_count() <= before {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the waiter subscribes");
}

/// Starts a long-poll of `path` and returns once it is subscribed to the live events.
async fn wait_in_background(server: &TestServer, path: &str) -> tokio::task::JoinHandle<Value> {
    let before = server.server.state().events.receiver_count();
    let url = server.url(path);
    let http = server.http.clone();
    let waiter = tokio::spawn(async move {
        http.get(url)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    });
    subscribed(server, before).await;
    waiter
}

#[tokio::test]
async fn a_waiting_long_poll_returns_as_soon_as_a_matching_message_lands() {
    let server = TestServer::start().await;
    let key = server.key().to_owned();
    let waiter = wait_in_background(
        &server,
        &format!("/api/v1/messages/wait?key={key}&chatid={DEMO_GROUP}&timeout_ms=20000"),
    )
    .await;

    // Not matching (another chat), then matching.
    send_text(
        &server,
        Some(hookpit_server::store::DEMO_BLACKBOARD),
        "elsewhere",
    )
    .await;
    send_text(&server, Some(DEMO_GROUP), "arrived").await;
    let answer = tokio::time::timeout(PATIENCE, waiter)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(answer["timed_out"], false);
    let messages = answer["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{answer}");
    assert_eq!(messages[0]["content"]["content"], "arrived");
    assert!(messages[0]["html"].as_str().unwrap().contains("arrived"));
}

#[tokio::test]
async fn a_long_poll_times_out_empty() {
    let server = TestServer::start().await;
    let answer = get(&server, "/messages/wait?timeout_ms=50").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, json!({"messages": [], "timed_out": true}));
}

#[tokio::test]
async fn a_long_poll_after_an_old_id_answers_at_once_with_what_is_stored() {
    let server = TestServer::start().await;
    send_text(&server, Some(DEMO_GROUP), "one").await;
    send_text(&server, Some(DEMO_GROUP), "two").await;
    let answer = get(&server, "/messages/wait?after=0&timeout_ms=20000").await;
    assert_eq!(answer.body["timed_out"], false);
    let contents: Vec<&str> = answer.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"]["content"].as_str().unwrap())
        .collect();
    // Oldest first.
    assert_eq!(contents, ["one", "two"]);
}

#[tokio::test]
async fn a_long_poll_may_name_a_key_that_the_sandbox_creates_later() {
    let server = TestServer::start_with(|config| config.accept_any_key = true).await;
    let waiter = wait_in_background(
        &server,
        "/api/v1/messages/wait?key=prod-key-0001&timeout_ms=20000",
    )
    .await;
    send_text(&server, None, "from the demo bot").await;
    let reply = server
        .send_as("prod-key-0001", &text(None, "from production code"))
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    let answer = tokio::time::timeout(PATIENCE, waiter)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(
        answer["messages"][0]["content"]["content"],
        "from production code"
    );
    assert_eq!(answer["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_event_stream_carries_messages_rejections_and_clears() {
    let server = TestServer::start().await;
    let mut stream = server
        .http
        .get(server.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );

    send_text(&server, Some(DEMO_GROUP), "live one").await;
    let seen = read_until(&mut stream, "live one").await;
    assert!(seen.contains("event: message"), "{seen}");
    let data = seen
        .lines()
        .find(|line| line.starts_with("data:") && line.contains("live one"))
        .unwrap();
    let item: Value = serde_json::from_str(data.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(item["chatid"], DEMO_GROUP);
    assert!(item["html"].as_str().unwrap().contains("live one"));

    let refused = server.send_as("no-such-key", &text(None, "x")).await;
    assert_eq!(refused.errcode(), 93000);
    let seen = read_until(&mut stream, "event: rejection").await;
    assert!(seen.contains("93000"), "{seen}");

    delete(&server, "/messages").await;
    read_until(&mut stream, "event: cleared").await;
}

#[tokio::test]
async fn the_event_stream_ends_when_the_server_shuts_down() {
    let server = TestServer::start().await;
    let mut stream = server
        .http
        .get(server.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    read_until(&mut stream, "hookpit events").await;
    let stopping = tokio::spawn(server.stop());
    let ended = tokio::time::timeout(PATIENCE, async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream did not end");
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("shutdown finished")
        .unwrap();
}

#[tokio::test]
async fn refused_calls_are_listed_newest_first_with_masked_keys() {
    let server = TestServer::start().await;
    let first = server.send_as("abcdefgh-unknown", &text(None, "x")).await;
    assert_eq!(first.errcode(), 93000);
    let second = server.send("{not json").await;
    assert_ne!(second.errcode(), 0);

    let answer = get(&server, "/rejections").await;
    assert_eq!(answer.status, 200);
    let list = answer.body["rejections"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["errcode"], second.errcode());
    assert_eq!(list[0]["body_excerpt"], "{not json");
    assert_eq!(list[1]["errcode"], 93000);
    assert_eq!(list[1]["key"], "abcd…");
    assert_eq!(list[1]["from_ip"], "127.0.0.1");
    assert!(!list[1].to_string().contains("abcdefgh"));

    let limited = get(&server, "/rejections?limit=1").await;
    assert_eq!(limited.body["rejections"].as_array().unwrap().len(), 1);
    assert_eq!(get(&server, "/rejections?limit=0").await.status, 400);
}

#[tokio::test]
async fn a_long_poll_ends_empty_when_the_server_shuts_down() {
    let server = TestServer::start().await;
    let waiter = wait_in_background(&server, "/api/v1/messages/wait?timeout_ms=20000").await;
    let stopping = tokio::spawn(server.stop());
    let answer = tokio::time::timeout(PATIENCE, waiter)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(answer, json!({"messages": [], "timed_out": true}));
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("shutdown finished")
        .unwrap();
}

#[tokio::test]
async fn the_event_stream_outlives_the_request_timeout() {
    // Long enough for the send below to be answered in time on a loaded machine.
    let server =
        TestServer::start_with(|config| config.request_timeout = Duration::from_millis(500)).await;
    let mut stream = server
        .http
        .get(server.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    read_until(&mut stream, "hookpit events").await;
    // Longer than --request-timeout: the timeout bounds answering, not streaming.
    tokio::time::sleep(Duration::from_millis(700)).await;
    send_text(&server, Some(DEMO_GROUP), "still streaming").await;
    read_until(&mut stream, "still streaming").await;
}

#[tokio::test]
async fn a_long_poll_answers_before_the_request_timeout_cuts_it_off() {
    // One second leaves the wait a 500 ms margin to answer in, even on a loaded machine.
    let server =
        TestServer::start_with(|config| config.request_timeout = Duration::from_secs(1)).await;
    let answer = get(&server, "/messages/wait?timeout_ms=60000").await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["timed_out"], true);
}

/// Opens the event stream of `server` with the request `adjust` makes.
async fn open_stream(
    server: &TestServer,
    path: &str,
    adjust: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> reqwest::Response {
    adjust(server.http.get(server.url(path)))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_stream_resumed_after_an_id_replays_what_came_after_it_then_goes_live_without_repeats() {
    let server = TestServer::start_with(|c| c.limits = LimitProfile::Off).await;
    for content in ["one", "two", "three"] {
        send_text(&server, Some(DEMO_GROUP), content).await;
    }
    let ids: Vec<i64> = server
        .messages_in(DEMO_GROUP)
        .await
        .iter()
        .map(|m| m.id)
        .collect();
    let [first, _, third] = ids[ids.len() - 3..] else {
        panic!("three messages: {ids:?}")
    };

    // What EventSource sends when it reconnects.
    let mut resumed = open_stream(&server, "/api/v1/events", |request| {
        request.header("Last-Event-ID", first.to_string())
    })
    .await;
    assert_eq!(resumed.status().as_u16(), 200);
    let seen = read_until(&mut resumed, "three").await;
    assert_eq!(streamed_texts(&seen), ["two", "three"], "{seen}");
    assert!(seen.contains(&format!("id: {third}")), "{seen}");
    send_text(&server, Some(DEMO_GROUP), "four").await;
    let seen = read_until(&mut resumed, "four").await;
    assert_eq!(streamed_texts(&seen), ["four"], "nothing repeated: {seen}");

    // The same with `?after=`, for clients that cannot set headers on their first request.
    let mut after = open_stream(&server, &format!("/api/v1/events?after={first}"), |r| r).await;
    let seen = read_until(&mut after, "four").await;
    assert_eq!(streamed_texts(&seen), ["two", "three", "four"], "{seen}");
}

#[tokio::test]
async fn a_replay_longer_than_one_batch_arrives_whole_and_in_order() {
    let server = TestServer::start_with(|c| c.limits = LimitProfile::Off).await;
    let before = server
        .messages()
        .await
        .iter()
        .map(|m| m.id)
        .max()
        .unwrap_or(0);
    // More than one replayed batch (256).
    let sent: Vec<String> = (0..300).map(|n| format!("m{n:03}")).collect();
    for content in &sent {
        send_text(&server, Some(DEMO_GROUP), content).await;
    }
    let path = format!("/api/v1/events?after={before}");
    let mut stream = open_stream(&server, &path, |r| r).await;
    let seen = read_until(&mut stream, "m299").await;
    assert_eq!(streamed_texts(&seen), sent);
}

#[tokio::test]
async fn a_bad_resume_point_or_an_unknown_parameter_is_a_400() {
    let server = TestServer::start().await;
    let bad_header = open_stream(&server, "/api/v1/events", |request| {
        request.header("Last-Event-ID", "yesterday")
    })
    .await;
    assert_eq!(bad_header.status().as_u16(), 400);
    let text = bad_header.text().await.unwrap();
    assert!(text.contains("Last-Event-ID"), "{text}");
    for path in ["/api/v1/events?after=x", "/api/v1/events?since=3"] {
        let refused = open_stream(&server, path, |r| r).await;
        assert_eq!(refused.status().as_u16(), 400, "{path}");
    }
}
