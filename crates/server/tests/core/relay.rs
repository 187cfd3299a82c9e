//! The relay in front of real WeCom, against a second Hookpit as the upstream (it is
//! WeCom-exact): a burst paced within the upstream's limits and delivered completely, in order,
//! exactly once, across a restart; an upstream that fails for a while; a permanent refusal;
//! files re-uploaded; manual release; retry of a failed message; a held-back queue merged.

use std::time::Duration;

use hookpit_server::clock::Clock as _;
use hookpit_server::config::LimitProfile;
use hookpit_server::store::DEMO_GROUP;
use serde_json::{Value, json};

use crate::support::{TestServer, text};

/// The upstream: a Hookpit with WeCom's internal limits (100 a minute per chat).
async fn upstream() -> TestServer {
    TestServer::start().await
}

/// A Hookpit whose demo bot relays to `upstream_url`, itself without limits (it takes the
/// burst at once; the relay paces it).
async fn relaying(upstream_url: &str, manual: bool) -> TestServer {
    relaying_with(upstream_url, manual, None).await
}

/// [`relaying`], merging a held-back chat's queue within `merge`.
async fn relaying_with(upstream_url: &str, manual: bool, merge: Option<Duration>) -> TestServer {
    let server = TestServer::start_with(|config| config.limits = LimitProfile::Off).await;
    let key = server.key().to_owned();
    let (running, relaunch) = server.split();
    running.shutdown().await.unwrap();
    let spec = if manual {
        format!("{key}={upstream_url},manual")
    } else {
        format!("{key}={upstream_url}")
    };
    relaunch
        .start_with(|config| {
            config.relays = vec![spec];
            config.relay_merge = merge;
        })
        .await
}

/// The texts the upstream stored in the demo group, oldest first.
async fn upstream_texts(upstream: &TestServer) -> Vec<String> {
    upstream
        .messages_in(DEMO_GROUP)
        .await
        .iter()
        .map(|m| m.content["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Polls until the upstream holds `count` messages in the demo group (at most 10 s).
async fn until_upstream_has(upstream: &TestServer, count: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let texts = upstream_texts(upstream).await;
        if texts.len() >= count {
            return texts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the upstream has {} of {count}",
            texts.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Lets the relay's and the upstream's windows slide by a minute.
fn a_minute_passes(relay: &TestServer, upstream: &TestServer) {
    relay.clock.advance(Duration::from_secs(61));
    upstream.clock.advance(Duration::from_secs(61));
}

/// Polls message `id` until its relay state is `status` (at most 10 s); its item then.
async fn until_relay_status(relay: &TestServer, id: i64, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let path = format!("/messages/{id}");
        let (_, item) = api(relay, reqwest::Method::GET, &path, None).await;
        if item["relay"]["status"] == status {
            return item;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not {status}: {item}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn api(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = server
        .http
        .request(method, server.url(&format!("/api/v1{path}")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_burst_is_paced_within_the_upstreams_limits_and_delivered_in_order_across_a_restart() {
    let upstream = upstream().await;
    let relay = relaying(&upstream.server.webhook_url(), false).await;
    for n in 0..250 {
        let reply = relay
            .send(&text(Some(DEMO_GROUP), &format!("alert {n}")))
            .await;
        assert_eq!(reply.errcode(), 0, "{}", reply.text);
    }
    // The first minute: exactly the upstream's 100, never a 45009.
    until_upstream_has(&upstream, 100).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(upstream_texts(&upstream).await.len(), 100);
    // A restart of the relaying server in the middle of the burst.
    let relay = relay.restart().await;
    a_minute_passes(&relay, &upstream);
    until_upstream_has(&upstream, 200).await;
    a_minute_passes(&relay, &upstream);
    let texts = until_upstream_has(&upstream, 250).await;
    let expected: Vec<String> = (0..250).map(|n| format!("alert {n}")).collect();
    assert_eq!(texts, expected, "complete, in order, exactly once");
    assert!(
        upstream
            .server
            .rejections()
            .iter()
            .all(|r| r.errcode != 45009),
        "the relay never hit the upstream's limit"
    );
    relay.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn an_upstream_that_fails_for_a_while_gets_the_message_after_it_returns() {
    let upstream = upstream().await;
    let relay = relaying(&upstream.server.webhook_url(), false).await;
    upstream
        .server
        .faults()
        .add(
            hookpit_server::fault::parse_spec("http_status=502,times=3").unwrap(),
            upstream.clock.now(),
        )
        .await
        .unwrap();
    assert_eq!(
        relay
            .send(&text(Some(DEMO_GROUP), "survives"))
            .await
            .errcode(),
        0
    );
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Backoff: 1 s, 2 s, 4 s on the relay's clock.
        relay.clock.advance(Duration::from_secs(5));
    }
    assert_eq!(until_upstream_has(&upstream, 1).await, ["survives"]);
    let id = relay.messages().await[0].id;
    let item = until_relay_status(&relay, id, "delivered").await;
    assert_eq!(item["relay"]["attempts"], 4);
    relay.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn connections_the_upstream_drops_are_retried_until_it_answers() {
    let upstream = upstream().await;
    let relay = relaying(&upstream.server.webhook_url(), false).await;
    upstream
        .server
        .faults()
        .add(
            hookpit_server::fault::parse_spec("drop,times=2").unwrap(),
            upstream.clock.now(),
        )
        .await
        .unwrap();
    let reply = relay.send(&text(Some(DEMO_GROUP), "after two drops")).await;
    assert_eq!(reply.errcode(), 0);
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        relay.clock.advance(Duration::from_secs(3));
    }
    assert_eq!(until_upstream_has(&upstream, 1).await, ["after two drops"]);
    let id = relay.messages().await[0].id;
    let item = until_relay_status(&relay, id, "delivered").await;
    assert_eq!(item["relay"]["attempts"], 3, "{item}");
    relay.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn a_permanent_refusal_fails_once_and_a_retry_queues_it_again() {
    let upstream = upstream().await;
    let wrong_key = upstream
        .server
        .webhook_url()
        .replace(upstream.key(), "not-a-key");
    let relay = relaying(&wrong_key, false).await;
    assert_eq!(
        relay
            .send(&text(Some(DEMO_GROUP), "refused"))
            .await
            .errcode(),
        0
    );
    let id = relay.messages().await[0].id;
    let item = until_relay_status(&relay, id, "failed").await;
    assert_eq!(item["relay"]["attempts"], 1, "not retried");
    assert_eq!(item["relay"]["upstream_errcode"], 93000);
    assert!(
        item["relay"]["upstream_errmsg"]
            .as_str()
            .unwrap()
            .starts_with("invalid webhook url")
    );
    relay.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, item) = api(
        &relay,
        reqwest::Method::GET,
        &format!("/messages/{id}"),
        None,
    )
    .await;
    assert_eq!(item["relay"]["attempts"], 1, "still not retried");
    let (status, view) = api(
        &relay,
        reqwest::Method::POST,
        &format!("/messages/{id}/retry"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{view}");
    assert!(
        view["status"] == "queued" || view["status"] == "delivering",
        "{view}"
    );
    // Tried once more, and refused as before.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let path = format!("/messages/{id}");
        let (_, item) = api(&relay, reqwest::Method::GET, &path, None).await;
        if item["relay"]["status"] == "failed" && item["relay"]["attempts"] == 2 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{item}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, refused) = api(
        &relay,
        reqwest::Method::POST,
        &format!("/messages/{id}/release"),
        None,
    )
    .await;
    assert_eq!(status, 409, "a failed message is not held: {refused}");
    relay.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn a_file_is_uploaded_to_the_upstream_and_sent_with_its_media_id() {
    let upstream = upstream().await;
    let relay = relaying(&upstream.server.webhook_url(), false).await;
    let bytes = b"quarterly report, 42 lines".to_vec();
    let media_id = relay.upload_file("report.txt", &bytes).await;
    let body = json!({"chatid": DEMO_GROUP, "msgtype": "file", "file": {"media_id": media_id}});
    assert_eq!(relay.send(&body.to_string()).await.errcode(), 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let forwarded = loop {
        if let Some(message) = upstream.messages_in(DEMO_GROUP).await.pop() {
            break message;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let upstream_id = forwarded.content["media_id"].as_str().unwrap();
    assert_ne!(upstream_id, media_id, "the upstream's own media id");
    let stored = upstream.media(upstream_id).await;
    assert_eq!(stored.filename, "report.txt");
    let stored_bytes = upstream
        .server
        .state()
        .store
        .media_bytes(upstream_id)
        .await
        .unwrap();
    assert_eq!(stored_bytes, Some(bytes));
    relay.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn a_manual_relay_holds_each_message_until_it_is_released() {
    let upstream = upstream().await;
    let relay = relaying(&upstream.server.webhook_url(), true).await;
    assert_eq!(
        relay.send(&text(Some(DEMO_GROUP), "first")).await.errcode(),
        0
    );
    assert_eq!(
        relay
            .send(&text(Some(DEMO_GROUP), "second"))
            .await
            .errcode(),
        0
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        upstream_texts(&upstream).await.is_empty(),
        "nothing leaves unreleased"
    );
    let second = relay.messages().await[1].id;
    let (status, view) = api(
        &relay,
        reqwest::Method::POST,
        &format!("/messages/{second}/release"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(until_upstream_has(&upstream, 1).await, ["second"]);
    let (status, _) = api(
        &relay,
        reqwest::Method::POST,
        &format!("/messages/{second}/release"),
        None,
    )
    .await;
    assert_eq!(status, 409, "released already");
    let (_, queues) = api(&relay, reqwest::Method::GET, "/relay/queues", None).await;
    assert_eq!(queues["queues"][0]["depth"], 1, "{queues}");
    assert_eq!(queues["queues"][0]["mode"], "manual");
    assert!(
        queues["queues"][0]["upstream"]
            .as_str()
            .unwrap()
            .ends_with('…')
    );
    relay.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn the_relay_is_configured_through_the_api_with_its_key_masked() {
    let upstream = upstream().await;
    let relay = TestServer::start().await;
    let (status, config) = api(
        &relay,
        reqwest::Method::PUT,
        "/bots/demo/relay",
        Some(json!({"upstream": upstream.server.webhook_url()})),
    )
    .await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["mode"], "all");
    let shown = config["upstream"].as_str().unwrap();
    assert!(!shown.contains(upstream.key()), "{shown}");
    assert_eq!(
        relay
            .send(&text(Some(DEMO_GROUP), "via api"))
            .await
            .errcode(),
        0
    );
    assert_eq!(until_upstream_has(&upstream, 1).await, ["via api"]);
    let (status, _) = api(
        &relay,
        reqwest::Method::PUT,
        "/bots/demo/relay",
        Some(json!({"upstream": "https://example.com/x"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        api(&relay, reqwest::Method::DELETE, "/bots/demo/relay", None)
            .await
            .0,
        204
    );
    assert_eq!(
        api(&relay, reqwest::Method::GET, "/bots/demo/relay", None)
            .await
            .0,
        404
    );
    let metrics = relay
        .http
        .get(relay.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hookpit_relay_attempts_total{result=\"delivered\",errcode=\"0\"} 1"),
        "{metrics}"
    );
    relay.stop().await;
    upstream.stop().await;
}

#[tokio::test]
async fn a_held_back_queue_is_merged_keeping_every_line_of_every_message() {
    let upstream = upstream().await;
    let relay = relaying_with(
        &upstream.server.webhook_url(),
        false,
        Some(Duration::from_secs(600)),
    )
    .await;
    let alert = |n: usize| format!("alert {n}\nhost web-{n}\n```\ndisk 9{n}%\n```");
    for n in 0..160 {
        let reply = relay.send(&text(Some(DEMO_GROUP), &alert(n))).await;
        assert_eq!(reply.errcode(), 0, "{}", reply.text);
    }
    // The first minute's 100 go one by one: nothing is held back yet.
    until_upstream_has(&upstream, 100).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(upstream_texts(&upstream).await.len(), 100);
    // Then the 60 held back arrive as a few messages, each within 2048 bytes.
    a_minute_passes(&relay, &upstream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let merged = loop {
        let texts = upstream_texts(&upstream).await;
        let carried: usize = texts[100..]
            .iter()
            .map(|text| text.split("\n\n").count())
            .sum();
        if carried >= 60 {
            break texts[100..].to_vec();
        }
        assert!(tokio::time::Instant::now() < deadline, "{carried} of 60");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(merged.len() < 10, "{} messages for 60", merged.len());
    assert!(merged.iter().all(|text| text.len() <= 2048));
    let lines: Vec<String> = merged
        .iter()
        .flat_map(|text| text.split("\n\n"))
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = (100..160).map(alert).collect();
    assert_eq!(lines, expected, "every line of every message, in order");
    // An original that travelled in another's message shows delivered, pointing at it.
    let last = relay.messages().await.last().unwrap().id;
    let item = until_relay_status(&relay, last, "delivered").await;
    let carrier = item["relay"]["carried_by"].as_str().unwrap();
    assert_ne!(carrier, item["request_id"].as_str().unwrap());
    relay.stop().await;
    upstream.stop().await;
}
