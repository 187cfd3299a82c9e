//! WeCom's JSON on every webhook path and at every edge: `/cgi-bin` itself, heads too large,
//! repeated parameters, a request that outlives `--request-timeout`, and a call refused because
//! the bodies held at once would exceed `--body-memory`.

use std::time::Duration;

use hookpit_server::store::DEMO_GROUP;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestServer, parse_raw, text};

#[tokio::test]
async fn cgi_bin_itself_answers_in_wecoms_shape() {
    let server = TestServer::start().await;
    for path in [
        "/cgi-bin",
        "/cgi-bin/",
        "/cgi-bin/webhook",
        "/cgi-bin/webhook/",
    ] {
        let reply = server
            .post_raw(&server.url(path), b"{}".to_vec(), "application/json")
            .await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.errcode(), 93000, "{path}: {}", reply.text);
        assert_eq!(reply.header("error-code"), "93000", "{path}");
        assert_eq!(
            reply.header("content-type"),
            "application/json; charset=UTF-8",
            "{path}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn an_over_long_url_or_head_gets_wecoms_json_with_the_http_status() {
    let server = TestServer::start().await;
    let long_url = format!(
        "{}&pad={}",
        server.server.webhook_url(),
        "x".repeat(10 * 1024)
    );
    let reply = server
        .post_raw(
            &long_url,
            text(Some(DEMO_GROUP), "hi").into_bytes(),
            "application/json",
        )
        .await;
    assert_eq!(reply.status, 414);
    assert_eq!(reply.errcode(), 40058, "{}", reply.text);
    assert!(
        reply.error_text().starts_with("url exceed max length 8192"),
        "{}",
        reply.text
    );

    let response = server
        .http
        .post(server.server.webhook_url())
        .header("x-padding", "y".repeat(70 * 1024))
        .body(text(Some(DEMO_GROUP), "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 431);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errcode"], 40058);
    assert!(
        server.messages().await.is_empty(),
        "nothing refused is stored"
    );

    // The admin API answers its own JSON for the same.
    let api = server
        .http
        .get(format!(
            "{}?q={}",
            server.url("/api/v1/messages"),
            "z".repeat(9 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 414);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["code"], "uri_too_long");
    server.stop().await;
}

#[tokio::test]
async fn a_repeated_key_is_no_key() {
    let server = TestServer::start().await;
    let key = server.key().to_owned();
    for query in [
        format!("key={key}&key={key}"),
        format!("key={key}&key=other"),
    ] {
        let url = server.url(&format!("/cgi-bin/webhook/send?{query}"));
        let reply = server
            .post_raw(
                &url,
                text(Some(DEMO_GROUP), "hi").into_bytes(),
                "application/json",
            )
            .await;
        assert_eq!(reply.errcode(), 93000, "{query}");
    }
    let url = server.url(&format!(
        "/cgi-bin/webhook/upload_media?key={key}&type=file&type=file"
    ));
    let form = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(b"hello world".to_vec()).file_name("a.txt"),
    );
    let reply: serde_json::Value = server
        .http
        .post(url)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["errcode"], 40005);
    assert!(server.messages().await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_call_over_the_request_timeout_gets_minus_1_not_an_empty_408() {
    let server = TestServer::start_with(|config| {
        config.request_timeout = Duration::from_millis(500);
        // The sender below pauses less than this between pieces, so only the whole-request
        // timeout can end it.
        config.body_timeout = Duration::from_secs(5);
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.server.addr())
        .await
        .unwrap();
    let head = format!(
        "POST /cgi-bin/webhook/send?key={} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
        server.key()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let trickle = async {
        for _ in 0..40 {
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    trickle.await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let answer = parse_raw(&answer);
    assert_eq!(answer.status, 200, "{}", answer.head);
    assert!(answer.body.contains("\"errcode\":-1"), "{}", answer.body);
    server.stop().await;
}

#[tokio::test]
async fn a_body_beyond_the_memory_budget_is_refused_with_minus_1_and_the_budget_comes_back() {
    let server = TestServer::start_with(|config| config.body_memory_mib = 1).await;
    let addr = server.server.addr();
    let key = server.key().to_owned();

    // A first sender holds 800 KiB of the 1 MiB budget, still sending.
    let mut holder = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /cgi-bin/webhook/send?key={key} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        900 * 1024
    );
    holder.write_all(head.as_bytes()).await.unwrap();
    holder.write_all(&vec![b' '; 800 * 1024]).await.unwrap();
    // Let the server read what was sent.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let big = format!("{}{}", " ".repeat(400 * 1024), text(Some(DEMO_GROUP), "hi"));
    let busy = server
        .post_raw(
            &server.server.webhook_url(),
            big.clone().into_bytes(),
            "application/json",
        )
        .await;
    assert_eq!(busy.errcode(), -1, "{}", busy.text);

    // The first finishes; its share of the budget comes back.
    holder.write_all(&vec![b' '; 100 * 1024]).await.unwrap();
    let mut answer = Vec::new();
    holder.read_to_end(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer).contains("\"errcode\":40008"));
    let fine = server
        .post_raw(
            &server.server.webhook_url(),
            big.into_bytes(),
            "application/json",
        )
        .await;
    assert_eq!(fine.errcode(), 0, "{}", fine.text);
    server.stop().await;
}
