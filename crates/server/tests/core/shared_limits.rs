//! Rate limits shared by several instances through Redis (`--redis`): the windows and the
//! identical-body rule hold across instances, and an unreachable Redis degrades to
//! per-instance limits without refusing a send. Each test starts its own `redis-server`.
//!
//! The instances here have stores of their own; they share the demo workspace's bot and group
//! ids, which is what the limits are keyed by (as they would be on one shared database).

use std::time::Duration;

use futures_util::future::join_all;
use hookpit_server::store::{DEMO_BOT_ID, DEMO_CURL_GROUP, DEMO_GROUP};

use crate::support::redis::Redis;
use crate::support::{TestServer, text};

async fn on_redis(redis: &Redis) -> TestServer {
    let url = redis.url();
    TestServer::start_with(move |c| c.redis = Some(url)).await
}

/// Sends `n` distinct texts to `chatid`, alternating between `servers`, all at once; returns
/// the errcodes in order.
async fn spread(servers: &[&TestServer], chatid: &str, n: usize, tag: &str) -> Vec<i64> {
    let sends = (0..n).map(|i| {
        let server = servers[i % servers.len()];
        async move {
            server
                .send(&text(Some(chatid), &format!("{tag} {i}")))
                .await
                .errcode()
        }
    });
    join_all(sends).await
}

fn count(codes: &[i64], code: i64) -> usize {
    codes.iter().filter(|c| **c == code).count()
}

async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let response = server.http.get(server.url(path)).send().await.expect(path);
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

#[tokio::test]
async fn two_instances_on_one_redis_accept_exactly_100_of_150_sends_to_one_chat() {
    let redis = Redis::start();
    let (a, b) = (on_redis(&redis).await, on_redis(&redis).await);
    let codes = spread(&[&a, &b], DEMO_GROUP, 150, "spread").await;
    assert_eq!(count(&codes, 0), 100, "{codes:?}");
    assert_eq!(count(&codes, 45009), 50, "{codes:?}");
    let stored = a.messages_in(DEMO_GROUP).await.len() + b.messages_in(DEMO_GROUP).await.len();
    assert_eq!(stored, 100, "only accepted sends are stored");
    // Another chat has its own window, on either instance.
    assert_eq!(
        b.send(&text(Some(DEMO_CURL_GROUP), "other"))
            .await
            .errcode(),
        0
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn without_redis_each_instance_has_a_window_of_its_own() {
    // The control of the test above: the same spread, per-instance limits.
    let (a, b) = (TestServer::start().await, TestServer::start().await);
    let codes = spread(&[&a, &b], DEMO_GROUP, 150, "apart").await;
    assert_eq!(count(&codes, 0), 150, "{codes:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_shared_window_slides_by_each_instances_clock_as_the_local_one_does() {
    let redis = Redis::start();
    let (a, b) = (on_redis(&redis).await, on_redis(&redis).await);
    assert_eq!(count(&spread(&[&a], DEMO_GROUP, 60, "early").await, 0), 60);
    for server in [&a, &b] {
        server.clock.advance(Duration::from_secs(30));
    }
    assert_eq!(count(&spread(&[&b], DEMO_GROUP, 40, "late").await, 0), 40);
    assert_eq!(
        a.send(&text(Some(DEMO_GROUP), "full")).await.errcode(),
        45009
    );
    // An admission at t counts during [t, t + 60 s): one millisecond short, still full.
    for server in [&a, &b] {
        server.clock.advance(Duration::from_millis(29_999));
    }
    assert_eq!(
        b.send(&text(Some(DEMO_GROUP), "not yet")).await.errcode(),
        45009
    );
    for server in [&a, &b] {
        server.clock.advance(Duration::from_millis(1));
    }
    // The first 60 have left the window; the last 40 have not.
    let codes = spread(&[&a, &b], DEMO_GROUP, 61, "again").await;
    assert_eq!(
        (count(&codes, 0), count(&codes, 45009)),
        (60, 1),
        "{codes:?}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_identical_body_in_flight_on_one_instance_is_45033_on_the_other() {
    let redis = Redis::start();
    let (a, b) = (on_redis(&redis).await, on_redis(&redis).await);
    let body = text(Some(DEMO_GROUP), "same");
    // Hold the slot a request on `a` would hold while it is being stored.
    let held = a
        .server
        .state()
        .limiter
        .claim_body(DEMO_BOT_ID, body.as_bytes())
        .await
        .expect("claimed")
        .expect("the rule is on");
    let second = b.send(&body).await;
    assert_eq!(
        (second.errcode(), second.error_text()),
        (45033, "api concurrent out of limit".to_owned())
    );
    assert_eq!(
        b.send(&text(Some(DEMO_GROUP), "different")).await.errcode(),
        0
    );
    drop(held);
    // The release runs on its own task: give it a moment.
    let mut code = -2;
    for _ in 0..50 {
        code = b.send(&body).await.errcode();
        if code == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(code, 0, "released once the first request is answered");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn with_redis_down_sends_are_accepted_under_per_instance_limits_until_it_is_back() {
    let mut redis = Redis::start();
    let (a, b) = (on_redis(&redis).await, on_redis(&redis).await);
    assert_eq!(get(&a, "/readyz").await, (200, "ok\n".to_owned()));
    assert_eq!(
        count(&spread(&[&a, &b], DEMO_GROUP, 100, "shared").await, 0),
        100
    );

    redis.stop();
    // Both instances' shared window is full, but Redis is gone: each falls back to its own,
    // which has seen nothing yet.
    let codes = spread(&[&a], DEMO_GROUP, 101, "alone").await;
    assert_eq!(
        (count(&codes, 0), count(&codes, 45009)),
        (100, 1),
        "{codes:?}"
    );
    let (status, said) = get(&a, "/readyz").await;
    assert_eq!(status, 200, "degraded is still ready: it accepts sends");
    assert!(said.starts_with("degraded: Redis unavailable"), "{said}");
    let (_, metrics) = get(&a, "/metrics").await;
    assert_eq!(metric(&metrics, "hookpit_redis_up"), 0.0);
    assert!(
        metric(&metrics, "hookpit_redis_fallbacks_total") >= 101.0,
        "{metrics}"
    );

    redis.restart();
    // Redis is asked again once RETRY_AFTER has passed since the last failure.
    tokio::time::sleep(hookpit_server::cluster::RETRY_AFTER + Duration::from_millis(100)).await;
    assert_eq!(get(&a, "/readyz").await, (200, "ok\n".to_owned()));
    assert_eq!(get(&b, "/readyz").await, (200, "ok\n".to_owned()));
    // Shared again (the restarted Redis starts empty): `b` fills the window, `a` is refused.
    assert_eq!(
        count(&spread(&[&b], DEMO_CURL_GROUP, 100, "back").await, 0),
        100
    );
    assert_eq!(
        a.send(&text(Some(DEMO_CURL_GROUP), "over")).await.errcode(),
        45009
    );
    let (_, metrics) = get(&a, "/metrics").await;
    assert_eq!(metric(&metrics, "hookpit_redis_up"), 1.0);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_instance_starts_and_accepts_sends_while_its_redis_is_unreachable() {
    let mut redis = Redis::start();
    redis.stop();
    let server = on_redis(&redis).await;
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "hello"))
            .await
            .errcode(),
        0
    );
    let (status, said) = get(&server, "/readyz").await;
    assert_eq!(
        (status, said.starts_with("degraded: ")),
        (200, true),
        "{said}"
    );
    server.stop().await;
}
