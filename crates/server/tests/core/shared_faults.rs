//! Fault rules shared by several instances through Redis (`--redis`): a rule added through one
//! instance applies to calls on the other, triggers count the calls of both, either lists and
//! deletes them, and an unreachable Redis never costs a webhook call its answer. Each test starts
//! its own `redis-server` and two instances on it.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use hookpit_server::config::LimitProfile;
use hookpit_server::store::DEMO_GROUP;
use serde_json::{Value, json};

use crate::support::redis::Redis;
use crate::support::{TestServer, text};

async fn on_redis(redis: &Redis) -> TestServer {
    on_redis_with(redis, &[]).await
}

/// An instance on `redis` with `--fault` rules `flags`, without rate limits (the tests send
/// more than a minute's worth to one chat).
async fn on_redis_with(redis: &Redis, flags: &[&str]) -> TestServer {
    let url = redis.url();
    let flags: Vec<String> = flags.iter().map(|flag| (*flag).to_owned()).collect();
    TestServer::start_with(move |c| {
        c.redis = Some(url);
        c.faults = flags;
        c.limits = LimitProfile::Off;
    })
    .await
}

/// `method` `/api/v1/faults…` on `server`: the status and the JSON body (`null` when empty).
async fn faults(
    server: &TestServer,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = server.url(&format!("/api/v1/faults{path}"));
    let request = match method {
        "GET" => server.http.get(url),
        "POST" => server.http.post(url).json(&body.unwrap_or(Value::Null)),
        "DELETE" => server.http.delete(url),
        other => panic!("{other}"),
    };
    let response = request.send().await.expect("the admin API answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, json)
}

async fn add(server: &TestServer, rule: Value) -> Value {
    let (status, body) = faults(server, "POST", "", Some(rule)).await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn listed(server: &TestServer) -> Vec<Value> {
    let (status, body) = faults(server, "GET", "", None).await;
    assert_eq!(status, 200, "{body}");
    body["faults"].as_array().expect("a list").clone()
}

/// One text to the demo group through each of `servers` in turn, one after another; the
/// errcodes.
async fn in_turn(servers: &[&TestServer], n: usize, tag: &str) -> Vec<i64> {
    let mut codes = Vec::new();
    for i in 0..n {
        let server = servers[i % servers.len()];
        let reply = server
            .send(&text(Some(DEMO_GROUP), &format!("{tag} {i}")))
            .await;
        codes.push(reply.errcode());
    }
    codes
}

#[tokio::test]
async fn a_rule_added_through_one_instance_applies_to_the_very_next_call_on_the_other() {
    let redis = Redis::start();
    let (a, b) = (on_redis(&redis).await, on_redis(&redis).await);
    // `b` has answered a call before the rule exists: whatever it keeps must not hide the rule.
    assert_eq!(in_turn(&[&b], 1, "before").await, [0]);
    let rule = add(&a, json!({"effect": {"errcode": 45009}, "times": 3})).await;
    assert_eq!(rule["id"], 1001, "shared ids start above the --fault ones");
    assert_eq!(rule["source"], "api");
    // Counted across both: b, b, a fault; then neither.
    assert_eq!(
        in_turn(&[&b, &b, &a, &a, &b], 5, "after").await,
        [45009, 45009, 45009, 0, 0]
    );
    for server in [&a, &b] {
        let rules = listed(server).await;
        assert_eq!(rules.len(), 1);
        assert_eq!(
            (&rules[0]["matched"], &rules[0]["injected"]),
            (&json!(5), &json!(3))
        );
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn times_5_injects_exactly_5_of_40_concurrent_calls_spread_over_two_instances() {
    let redis = Redis::start();
    let (a, b) = (on_redis(&redis).await, on_redis(&redis).await);
    add(&b, json!({"effect": {"errcode": -1}, "times": 5})).await;
    let sends = (0..40).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        async move {
            server
                .send(&text(Some(DEMO_GROUP), &format!("spread {i}")))
                .await
                .errcode()
        }
    });
    let codes = join_all(sends).await;
    let injected = codes.iter().filter(|code| **code == -1).count();
    assert_eq!(injected, 5, "{codes:?}");
    let stored = a.messages_in(DEMO_GROUP).await.len() + b.messages_in(DEMO_GROUP).await.len();
    assert_eq!(stored, 35, "the faulted calls are not stored");
    let rules = listed(&a).await;
    assert_eq!(
        (&rules[0]["matched"], &rules[0]["injected"]),
        (&json!(40), &json!(5))
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn every_3rd_call_and_a_seeded_probability_pick_what_one_instance_would() {
    let redis = Redis::start();
    let (a, b) = (on_redis(&redis).await, on_redis(&redis).await);
    add(&a, json!({"effect": {"errcode": -1}, "every": 3})).await;
    assert_eq!(
        in_turn(&[&a, &b], 6, "every").await,
        [0, 0, -1, 0, 0, -1],
        "the cluster's 3rd and 6th calls"
    );
    faults(&b, "DELETE", "", None).await;

    let rule = json!({"effect": {"errcode": 45033}, "probability": 0.5, "seed": 7});
    let alone = TestServer::start_with(|c| c.limits = LimitProfile::Off).await;
    add(&alone, rule.clone()).await;
    let one_instance = in_turn(&[&alone], 20, "seeded").await;
    add(&b, rule).await;
    let two_instances = in_turn(&[&a, &b], 20, "seeded").await;
    assert_eq!(two_instances, one_instance);
    assert!(
        one_instance.contains(&45033) && one_instance.contains(&0),
        "{one_instance:?}"
    );
    alone.stop().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn either_instance_lists_and_deletes_the_same_rules() {
    let redis = Redis::start();
    let (a, b) = (on_redis(&redis).await, on_redis(&redis).await);
    let first = add(
        &a,
        json!({"effect": {"errcode": 45009}, "match": {"msgtype": "markdown"}}),
    )
    .await;
    let second = add(&b, json!({"effect": {"http_status": 502}, "until": "60s"})).await;
    let ids = |rules: Vec<Value>| -> Vec<Value> { rules.iter().map(|r| r["id"].clone()).collect() };
    assert_eq!(
        ids(listed(&a).await),
        [first["id"].clone(), second["id"].clone()]
    );
    assert_eq!(
        ids(listed(&b).await),
        [first["id"].clone(), second["id"].clone()]
    );
    assert!(listed(&a).await[1]["until_at"].is_string());

    let id = second["id"].as_u64().unwrap();
    assert_eq!(faults(&a, "DELETE", &format!("/{id}"), None).await.0, 204);
    assert_eq!(faults(&b, "DELETE", &format!("/{id}"), None).await.0, 404);
    assert_eq!(ids(listed(&b).await), [first["id"].clone()]);
    // Deleted on `a`, gone on `b` at once: its text is not refused with a 502.
    assert_eq!(in_turn(&[&b], 1, "after delete").await, [0]);

    let (status, cleared) = faults(&b, "DELETE", "", None).await;
    assert_eq!((status, &cleared["deleted"]), (200, &json!(1)));
    assert!(listed(&a).await.is_empty());
    let markdown =
        json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {"content": "ok"}});
    assert_eq!(a.send(&markdown.to_string()).await.errcode(), 0);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn fault_flags_stay_each_instances_own_and_are_tried_first() {
    let redis = Redis::start();
    let a = on_redis_with(&redis, &["errcode=93000,times=1"]).await;
    let b = on_redis(&redis).await;
    add(&b, json!({"effect": {"errcode": 45009}, "times": 2})).await;
    let on_a: Vec<Value> = listed(&a)
        .await
        .iter()
        .map(|r| r["source"].clone())
        .collect();
    assert_eq!(on_a, ["flag", "api"]);
    assert_eq!(listed(&b).await.len(), 1, "a's flag is not b's");
    // a's flag fires first (and the shared rule does not count that call), then the shared.
    assert_eq!(
        in_turn(&[&a, &a, &b, &a], 4, "flags").await,
        [93000, 45009, 45009, 0]
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn with_redis_down_calls_are_answered_by_the_flags_alone_and_shared_rules_return_with_it() {
    let mut redis = Redis::start();
    let a = on_redis_with(&redis, &["errcode=45033,msgtype=markdown"]).await;
    let b = on_redis(&redis).await;
    add(
        &a,
        json!({"effect": {"errcode": 45009}, "match": {"msgtype": "text"}}),
    )
    .await;
    assert_eq!(in_turn(&[&b, &a], 2, "up").await, [45009, 45009]);
    let markdown =
        json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {"content": "m"}});

    redis.stop();
    let started = Instant::now();
    // Answered, neither refused nor hung because of Redis: the shared rule is suspended.
    assert_eq!(in_turn(&[&b, &a, &b], 3, "down").await, [0, 0, 0]);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        a.send(&markdown.to_string()).await.errcode(),
        45033,
        "the flag still holds"
    );
    let (status, body) = faults(&b, "GET", "", None).await;
    assert_eq!(
        (status, &body["code"]),
        (503, &json!("unavailable")),
        "{body}"
    );
    let (status, _) = faults(&a, "POST", "", Some(json!({"effect": {"drop": true}}))).await;
    assert_eq!(status, 503);
    let readyz = b.http.get(b.url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status().as_u16(), 200);
    let said = readyz.text().await.unwrap();
    assert!(said.starts_with("degraded: Redis unavailable"), "{said}");
    assert!(b.metric("hookpit_redis_fallbacks_total").await >= 1.0);

    redis.restart();
    tokio::time::sleep(hookpit_server::cluster::RETRY_AFTER + Duration::from_millis(100)).await;
    // The restarted Redis is empty: the rule `b` saw before is gone, not applied from memory.
    assert_eq!(in_turn(&[&b], 1, "back").await, [0]);
    add(&b, json!({"effect": {"errcode": 45009}, "times": 1})).await;
    assert_eq!(in_turn(&[&a, &b], 2, "shared again").await, [45009, 0]);
    assert_eq!(b.metric("hookpit_redis_up").await, 1.0);
    a.stop().await;
    b.stop().await;
}
