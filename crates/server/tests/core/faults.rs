//! Fault injection: every effect and trigger, WeCom's errmsg format, the rejection list and the
//! metrics, and which rules a restart keeps.

use std::time::{Duration, Instant};

use hookpit_server::store::DEMO_GROUP;
use serde_json::{Value, json};

use crate::support::{TestServer, text};

async fn add(server: &TestServer, rule: Value) -> Value {
    let response = server
        .http
        .post(server.url("/api/v1/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

async fn errcodes(server: &TestServer, sends: usize) -> Vec<i64> {
    let mut codes = Vec::new();
    for n in 0..sends {
        codes.push(
            server
                .send(&text(Some(DEMO_GROUP), &format!("n{n}")))
                .await
                .errcode(),
        );
    }
    codes
}

#[tokio::test]
async fn an_injected_errcode_is_wecoms_exact_answer_listed_and_counted_and_not_stored() {
    let server = TestServer::start().await;
    let rule = add(&server, json!({"effect": {"errcode": 45009}, "times": 2})).await;
    assert_eq!(rule["source"], "api");
    let reply = server.send(&text(Some(DEMO_GROUP), "lost alert")).await;
    assert_eq!(reply.errcode(), 45009);
    let errmsg = reply.errmsg();
    let hint = errmsg
        .strip_prefix("api freq out of limit, hint: [")
        .and_then(|rest| rest.split_once(']'))
        .map(|(hint, _)| hint)
        .unwrap_or_else(|| panic!("{errmsg}"));
    assert_eq!(hint.len(), 25);
    assert!(errmsg.ends_with(
        "from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=45009"
    ));
    assert_eq!(reply.header("error-code"), "45009");
    assert_eq!(errcodes(&server, 2).await, [45009, 0]);
    assert_eq!(
        server.messages().await.len(),
        1,
        "only the call after the fault is stored"
    );

    let rejections: Value = server
        .http
        .get(server.url("/api/v1/rejections"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rejections["rejections"][0]["injected"], true);
    assert_eq!(rejections["rejections"][0]["errcode"], 45009);
    let metrics = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hookpit_faults_injected_total{effect=\"errcode\"} 2"),
        "{metrics}"
    );
    let listed: Value = server
        .http
        .get(server.url("/api/v1/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["faults"][0]["injected"], 2);
    assert_eq!(listed["faults"][0]["matched"], 3);
    server.stop().await;
}

#[tokio::test]
async fn a_gateway_status_a_delay_a_drop_and_a_hang_behave_as_they_say() {
    let server = TestServer::start().await;
    let url = server.server.webhook_url();
    let body = text(Some(DEMO_GROUP), "x");

    add(&server, json!({"effect": {"http_status": 502}, "times": 1})).await;
    let gateway = server
        .http
        .post(&url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(gateway.status().as_u16(), 502);
    assert!(
        gateway
            .text()
            .await
            .unwrap()
            .contains("<title>502 Bad Gateway</title>")
    );

    add(&server, json!({"effect": {"delay_ms": 300}, "times": 1})).await;
    let started = Instant::now();
    assert_eq!(server.send(&body).await.errcode(), 0);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(server.messages().await.len(), 1, "a delayed call is stored");

    add(&server, json!({"effect": {"drop": true}, "times": 1})).await;
    let dropped = server.http.post(&url).body(body.clone()).send().await;
    assert!(dropped.is_err(), "no answer: {dropped:?}");

    add(&server, json!({"effect": {"hang": true}, "times": 1})).await;
    let hung = server
        .http
        .post(&url)
        .body(body.clone())
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(hung.unwrap_err().is_timeout());
    // Afterwards calls are answered normally.
    assert_eq!(server.send(&body).await.errcode(), 0);
    server.stop().await;
}

#[tokio::test]
async fn rules_match_by_endpoint_msgtype_and_chat() {
    let server = TestServer::start().await;
    add(
        &server,
        json!({"match": {"endpoint": "send", "msgtype": "markdown", "chatid": DEMO_GROUP},
               "effect": {"errcode": 40058}}),
    )
    .await;
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "text passes"))
            .await
            .errcode(),
        0
    );
    let markdown =
        json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {"content": "**no**"}});
    let refused = server.send(&markdown.to_string()).await;
    assert_eq!(refused.errcode(), 40058);
    assert!(
        refused
            .error_text()
            .starts_with("markdown.content exceed max length 4096")
    );
    let elsewhere = json!({"msgtype": "markdown", "markdown": {"content": "**yes**"}});
    assert_eq!(server.send(&elsewhere.to_string()).await.errcode(), 0);
    let upload = server
        .upload_as(
            server.key(),
            "file",
            "media",
            "a.txt",
            b"hello world".to_vec(),
        )
        .await;
    assert_eq!(upload.errcode(), 0, "uploads are another endpoint");
    server.stop().await;
}

#[tokio::test]
async fn every_nth_and_a_seeded_probability_are_repeatable() {
    let server = TestServer::start_with(|config| {
        config.limits = hookpit_server::config::LimitProfile::Off;
    })
    .await;
    add(&server, json!({"effect": {"errcode": -1}, "every": 3})).await;
    assert_eq!(errcodes(&server, 6).await, [0, 0, -1, 0, 0, -1]);
    let cleared: Value = server
        .http
        .delete(server.url("/api/v1/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["deleted"], 1);

    let rule = json!({"effect": {"errcode": 45033}, "probability": 0.5, "seed": 7});
    add(&server, rule.clone()).await;
    let first = errcodes(&server, 20).await;
    server
        .http
        .delete(server.url("/api/v1/faults"))
        .send()
        .await
        .unwrap();
    add(&server, rule).await;
    let second = errcodes(&server, 20).await;
    assert_eq!(first, second);
    assert!(first.contains(&45033) && first.contains(&0), "{first:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_time_window_ends_on_the_servers_clock() {
    let server = TestServer::start().await;
    add(
        &server,
        json!({"effect": {"errcode": 93000}, "until": "60s"}),
    )
    .await;
    assert_eq!(errcodes(&server, 1).await, [93000]);
    server.clock.advance(Duration::from_secs(61));
    assert_eq!(errcodes(&server, 1).await, [0]);
    server.stop().await;
}

#[tokio::test]
async fn a_restart_clears_runtime_rules_and_brings_back_the_flags() {
    let server = TestServer::start_with(|config| {
        config.faults = vec!["errcode=301019,msgtype=image".to_owned()];
    })
    .await;
    add(
        &server,
        json!({"effect": {"errcode": 45009}, "match": {"msgtype": "text"}}),
    )
    .await;
    let listed: Value = server
        .http
        .get(server.url("/api/v1/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 2);
    assert_eq!(listed["faults"][0]["source"], "flag");
    let server = server.restart().await;
    let listed: Value = server
        .http
        .get(server.url("/api/v1/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let faults = listed["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1);
    assert_eq!(faults[0]["effect"], json!({"errcode": 301019}));
    assert_eq!(errcodes(&server, 1).await, [0]);
    server.stop().await;
}

#[tokio::test]
async fn a_bad_rule_or_flag_is_refused_with_its_reason() {
    let server = TestServer::start().await;
    for (rule, reason) in [
        (
            json!({"effect": {"errcode": 12345}}),
            "not in Hookpit's catalogue",
        ),
        (json!({"effect": {"http_status": 200}}), "error status"),
        (
            json!({"effect": {"errcode": 45009}, "probability": 2}),
            "between 0 and 1",
        ),
        (
            json!({"effect": {"errcode": 45009}, "match": {"endpoint": "sned"}}),
            "send, upload_media",
        ),
    ] {
        let response = server
            .http
            .post(server.url("/api/v1/faults"))
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{rule}");
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains(reason), "{body}");
    }
    server.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = hookpit_server::Config::new(dir.path());
    config.faults = vec!["colour=red".to_owned()];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = hookpit_server::Server::builder(config)
        .listener(listener)
        .start()
        .await;
    let error = refused.unwrap_err().to_string();
    assert!(error.contains("--fault \"colour=red\""), "{error}");
}
