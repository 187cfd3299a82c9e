//! Wire fidelity of `send`: status, headers, the exact success body, the errmsg suffix, `from ip`,
//! the order of checks, and what is stored.

use crate::support::{TestServer, text};

#[tokio::test]
async fn success_is_the_exact_27_byte_body_with_wecom_headers() {
    let server = TestServer::start().await;
    let reply = server.send(&text(None, "hello world")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text, r#"{"errcode":0,"errmsg":"ok"}"#);
    assert_eq!(reply.header("content-length"), "27");
    assert_eq!(
        reply.header("content-type"),
        "application/json; charset=UTF-8"
    );
    assert_eq!(reply.header("error-code"), "0");
    assert_eq!(reply.header("error-msg"), "ok");
    server.stop().await;
}

#[tokio::test]
async fn an_error_is_http_200_with_the_wecom_suffix_mirrored_in_headers() {
    let server = TestServer::start().await;
    let reply = server
        .send(r#"{"msgtype":"TEXT","text":{"content":"x"}}"#)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.errcode(), 40008);
    let errmsg = reply.errmsg();
    let prefix = "invalid message type, hint: [";
    assert!(errmsg.starts_with(prefix), "{errmsg}");
    let hint = &errmsg[prefix.len()..prefix.len() + 25];
    assert!(hint.bytes().all(|b| b.is_ascii_digit()), "{errmsg}");
    // The hint starts with the server clock's Unix milliseconds.
    assert!(hint.starts_with("1767225600000"), "{errmsg}");
    assert!(
        errmsg.ends_with(
            "], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=40008"
        ),
        "{errmsg}"
    );
    assert_eq!(reply.header("error-code"), "40008");
    assert_eq!(reply.header("error-msg"), errmsg);
    assert_eq!(
        reply.header("content-type"),
        "application/json; charset=UTF-8"
    );
    // Compact JSON, errcode first.
    assert!(
        reply
            .text
            .starts_with(r#"{"errcode":40008,"errmsg":"invalid message type, hint: ["#)
    );
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_or_missing_key_is_93000_before_the_body_is_read() {
    let server = TestServer::start().await;
    let unknown = server.send_as("no-such-key", "not json at all").await;
    assert_eq!(unknown.errcode(), 93000);
    assert_eq!(unknown.error_text(), "invalid webhook url");
    let url = server.url("/cgi-bin/webhook/send");
    let missing = server
        .post_raw(&url, b"{}".to_vec(), "application/json")
        .await;
    assert_eq!(missing.errcode(), 93000);
    server.stop().await;
}

#[tokio::test]
async fn a_form_body_is_40008_and_an_empty_text_is_44004() {
    let server = TestServer::start().await;
    let url = server.server.webhook_url();
    let form = server
        .post_raw(
            &url,
            b"msgtype=text&content=hi".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(form.errcode(), 40008);
    let empty = server.send(&text(None, "")).await;
    assert_eq!(
        (empty.errcode(), empty.error_text()),
        (44004, "empty content".to_owned())
    );
    let long = server.send(&text(None, &"好".repeat(1707))).await;
    assert_eq!(long.errcode(), 40058);
    assert_eq!(
        long.error_text(),
        "text.content exceed max length 5120. invalid Request Parameter"
    );
    assert!(
        server.messages().await.is_empty(),
        "nothing refused is stored"
    );
    server.stop().await;
}

#[tokio::test]
async fn from_ip_is_the_peer_unless_the_proxy_is_trusted() {
    for (trust_proxy, from_ip) in [(false, "127.0.0.1"), (true, "203.0.113.9")] {
        let server = TestServer::start_with(|c| c.trust_proxy = trust_proxy).await;
        let reply = server
            .http
            .post(server.server.webhook_url())
            // The proxy appended the right-most hop; the left one is whatever the client sent.
            .header("x-forwarded-for", "10.0.0.1, 203.0.113.9")
            .body("{}")
            .send()
            .await
            .unwrap();
        let text = reply.text().await.unwrap();
        assert!(text.contains(&format!("from ip: {from_ip},")), "{text}");
        server.stop().await;
    }
}

#[tokio::test]
async fn an_unparseable_forwarded_hop_is_an_unknown_caller() {
    let server = TestServer::start_with(|c| c.trust_proxy = true).await;
    let reply = server
        .http
        .post(server.server.webhook_url())
        .header("x-forwarded-for", "203.0.113.9, not-an-address")
        .body("{}")
        .send()
        .await
        .unwrap();
    let text = reply.text().await.unwrap();
    assert!(text.contains("from ip: unknown,"), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn a_body_larger_than_any_valid_request_is_refused_without_being_stored() {
    let server = TestServer::start().await;
    let huge = vec![b'x'; hookpit_server::webhook::send_body_limit() + 1];
    let url = server.server.webhook_url();
    let reply = server.post_raw(&url, huge, "application/json").await;
    assert_eq!(reply.errcode(), 40058);
    assert!(
        reply.error_text().starts_with("body exceed max length"),
        "{}",
        reply.text
    );
    server.stop().await;
}

#[tokio::test]
async fn every_refusal_is_remembered_with_a_masked_key_and_an_excerpt() {
    let server = TestServer::start().await;
    server.send(r#"{"msgtype":"nope"}"#).await;
    let rejections = server.server.state().rejections.lock().unwrap().clone();
    let last = rejections.back().expect("a rejection");
    assert_eq!(last.errcode, 40008);
    assert_eq!(last.endpoint, "send");
    assert_eq!(last.body_excerpt, r#"{"msgtype":"nope"}"#);
    assert_eq!(last.key, format!("{}…", &server.key()[..4]));
    assert_eq!(last.from_ip, "127.0.0.1");
    server.stop().await;
}

#[tokio::test]
async fn an_accepted_message_keeps_its_raw_body_reply_and_time() {
    let server = TestServer::start().await;
    let body = text(Some(hookpit_server::store::DEMO_GROUP), "kept");
    assert_eq!(server.send(&body).await.errcode(), 0);
    let messages = server.messages().await;
    assert_eq!(messages.len(), 1);
    let detail = server
        .server
        .state()
        .store
        .get_message(messages[0].id)
        .await
        .unwrap();
    assert_eq!(detail.raw_request, body);
    assert_eq!(detail.reply, r#"{"errcode":0,"errmsg":"ok"}"#);
    assert_eq!(detail.from_ip, "127.0.0.1");
    assert_eq!(detail.message.created_at, 1_767_225_600_000);
    assert_eq!(
        detail.message.content,
        serde_json::json!({"content": "kept"})
    );
    server.stop().await;
}

#[tokio::test]
async fn each_stored_message_is_announced_after_commit() {
    let server = TestServer::start().await;
    let mut events = server.server.state().events.subscribe();
    let body = text(
        Some("wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw|wrkSFfCgAAtMxxx4xqDatM5C9IDHFaaa"),
        "two",
    );
    assert_eq!(server.send(&body).await.errcode(), 0);
    let mut ids = Vec::new();
    for _ in 0..2 {
        match events.recv().await.unwrap() {
            hookpit_server::app::Event::Message(message) => ids.push(message.chatid.clone()),
            other => panic!("unexpected event {other:?}"),
        }
    }
    ids.sort();
    assert_eq!(
        ids,
        [
            "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
            "wrkSFfCgAAtMxxx4xqDatM5C9IDHFaaa"
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn arbitrary_bodies_always_get_a_wecom_answer() {
    let server = TestServer::start().await;
    let mut rng = fastrand::Rng::with_seed(7);
    let fragments: [&[u8]; 8] = [
        br#"{"msgtype":"text","text":{"content":"#,
        br#""chatid":"@all""#,
        b"\"\xff\xfe\"",
        b"}}}}",
        b"[[[[",
        br#","mentioned_list":[1,2]"#,
        b"null",
        "\u{0}中文".as_bytes(),
    ];
    for _ in 0..200 {
        let mut body = Vec::new();
        for _ in 0..rng.usize(0..6) {
            body.extend_from_slice(fragments[rng.usize(..fragments.len())]);
        }
        let url = server.server.webhook_url();
        let reply = server
            .post_raw(&url, body.clone(), "application/json")
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("error-code"), reply.errcode().to_string());
        assert_eq!(
            reply.header("error-msg"),
            reply.errmsg(),
            "{:?}",
            String::from_utf8_lossy(&body)
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn another_method_on_a_webhook_url_is_answered_as_a_request_without_a_body() {
    let server = TestServer::start().await;
    let send_url = server.server.webhook_url();
    let get = server.http.get(&send_url).send().await.unwrap();
    assert_eq!(get.status(), 200);
    let body: serde_json::Value = get.json().await.unwrap();
    assert_eq!(body["errcode"], 40008, "{body}");
    // The key still comes first.
    let url = server.url("/cgi-bin/webhook/send?key=nope");
    let put = server.http.put(url).send().await.unwrap();
    let body: serde_json::Value = put.json().await.unwrap();
    assert_eq!(body["errcode"], 93000, "{body}");
    let upload = server
        .http
        .get(server.server.upload_url())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    let body: serde_json::Value = upload.json().await.unwrap();
    assert_eq!(body["errcode"], 44001, "{body}");
    assert!(server.messages().await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_cgi_bin_path_is_a_404_with_93000_in_wecom_shape() {
    let server = TestServer::start().await;
    let url = server.url(&format!("/cgi-bin/webhook/sned?key={}", server.key()));
    let reply = server
        .post_raw(&url, text(None, "x").into_bytes(), "application/json")
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.errcode(), 93000);
    assert_eq!(reply.error_text(), "invalid webhook url");
    assert_eq!(
        reply.header("content-type"),
        "application/json; charset=UTF-8"
    );
    assert_eq!(reply.header("error-code"), "93000");
    assert!(server.messages().await.is_empty());
    let rejections = server.server.state().rejections.lock().unwrap().len();
    assert_eq!(rejections, 1, "remembered for /api/v1/rejections");
    server.stop().await;
}
