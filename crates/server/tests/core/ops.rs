//! Operations: health endpoints, Prometheus metrics, start-up checks and the banner.

use hookpit_server::store::DEMO_GROUP;
use hookpit_server::{Config, ServeError, Server};

use crate::support::{TestServer, text};

#[tokio::test]
async fn livez_and_readyz_answer_ok() {
    let server = TestServer::start().await;
    for path in ["/livez", "/readyz"] {
        let response = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.unwrap(), "ok\n");
    }
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_outcomes_by_errcode_and_msgtype_and_report_the_store() {
    let server = TestServer::start().await;
    assert_eq!(server.send(&text(Some(DEMO_GROUP), "a")).await.errcode(), 0);
    assert_eq!(server.send(&text(Some(DEMO_GROUP), "b")).await.errcode(), 0);
    assert_eq!(
        server.send(&text(Some(DEMO_GROUP), "")).await.errcode(),
        44004
    );
    assert_eq!(server.send_as("bad", "{}").await.errcode(), 93000);
    let response = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    for line in [
        r#"hookpit_webhook_requests_total{endpoint="send",errcode="0",msgtype="text",outcome="accepted"} 2"#,
        r#"hookpit_webhook_requests_total{endpoint="send",errcode="44004",msgtype="text",outcome="rejected"} 1"#,
        r#"hookpit_webhook_requests_total{endpoint="send",errcode="93000",msgtype="",outcome="rejected"} 1"#,
        r#"hookpit_request_duration_seconds_count{endpoint="send"} 4"#,
        "hookpit_stored_messages 2",
    ] {
        assert!(body.lines().any(|l| l == line), "missing {line}\n{body}");
    }
    let size: u64 = body
        .lines()
        .find_map(|l| l.strip_prefix("hookpit_store_size_bytes "))
        .expect("store size")
        .parse()
        .unwrap();
    assert!(size > 0);
    server.stop().await;
}

#[tokio::test]
async fn a_non_loopback_listener_without_an_admin_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let refused = Server::builder(Config::new(dir.path()))
        .listener(listener)
        .start()
        .await;
    match refused {
        Err(ServeError::Config(message)) => assert!(message.contains("--admin-token"), "{message}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
    assert!(
        !dir.path().join("hookpit.db").exists(),
        "refused before the store is opened"
    );

    let mut config = Config::new(dir.path());
    config.admin_token = Some("t0ken".to_owned());
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let server = Server::builder(config)
        .listener(listener)
        .start()
        .await
        .expect("starts with a token");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_banner_prints_the_demo_webhook_and_the_inbox() {
    let server = TestServer::start().await;
    let addr = server.server.addr();
    assert_eq!(
        server.server.banner(),
        format!(
            "webhook: http://{addr}/cgi-bin/webhook/send?key={}\ninbox: http://{addr}/\n\
             try: curl 'http://{addr}/cgi-bin/webhook/send?key=633a31f6-xxxx-xxxx-xxxx-0ec1eefaaaaa' \
             -H 'Content-Type: application/json' -d '{{\"chatid\": \"wrkSFfCgAAtMxxx4xqDatM5C9IDHFaaa\", \
             \"msgtype\": \"text\", \"text\": {{\"content\": \"hello world\"}}}}'",
            server.key()
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn the_public_url_replaces_the_address_in_printed_urls() {
    let server =
        TestServer::start_with(|c| c.public_url = Some("https://hooks.example.com/".into())).await;
    assert_eq!(
        server.server.webhook_url(),
        format!(
            "https://hooks.example.com/cgi-bin/webhook/send?key={}",
            server.key()
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_send_finish_and_keeps_its_message() {
    let server = TestServer::start().await;
    let body = text(Some(DEMO_GROUP), "in flight during shutdown");
    let (head, tail) = body.as_bytes().split_at(10);
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    sender.send(Ok(head.to_vec())).await.unwrap();
    let request = server
        .http
        .post(server.server.webhook_url())
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        ))
        .send();
    let request = tokio::spawn(request);
    // Wait until the handler is running (it is then waiting for the rest of the body).
    let state = server.server.state().clone();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while state.metrics.in_flight() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the request reaches the handler");

    let (running, relaunch) = server.split();
    let shutdown = tokio::spawn(running.shutdown());
    tokio::task::yield_now().await;
    assert!(
        !shutdown.is_finished(),
        "shutdown waits for the in-flight request"
    );
    sender.send(Ok(tail.to_vec())).await.unwrap();
    drop(sender);
    let response = request.await.unwrap().expect("answered, not cut off");
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"errcode":0,"errmsg":"ok"}"#
    );
    shutdown.await.unwrap().expect("clean shutdown");

    let server = relaunch.start().await;
    let stored = server.messages().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].content["content"], "in flight during shutdown");
    server.stop().await;
}

#[tokio::test]
async fn a_taken_address_is_reported_with_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.listen = taken.local_addr().unwrap();
    match Server::builder(config).start().await {
        Err(error @ ServeError::Bind { .. }) => {
            assert_eq!(
                error.to_string(),
                format!("cannot listen on {}", taken.local_addr().unwrap())
            );
        }
        other => panic!("expected a bind error, got {other:?}"),
    }
}

#[tokio::test]
async fn metrics_tell_the_build_uptime_memory_and_rejections() {
    let server = TestServer::start().await;
    assert_eq!(server.send_as("nokey", "{}").await.errcode(), 93000);
    let text = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for prefix in [
        "hookpit_build_info{version=\"",
        "hookpit_uptime_seconds ",
        "hookpit_resident_memory_bytes ",
        "hookpit_pruned_total{what=\"messages\"} 0",
        "hookpit_webhook_rejected_total 1",
    ] {
        assert!(
            text.lines().any(|line| line.starts_with(prefix)),
            "no {prefix}\n{text}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn an_embedded_server_waits_for_what_its_senders_sent() {
    use hookpit_server::domain::MessageQuery;
    use std::time::Duration;
    let server = TestServer::start().await;
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "early"))
            .await
            .errcode(),
        0
    );
    let query = MessageQuery {
        chatid: Some(DEMO_GROUP.to_owned()),
        ..MessageQuery::default()
    };
    let sender = {
        let url = server.server.webhook_url();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            reqwest::Client::new()
                .post(url)
                .body(text(Some(DEMO_GROUP), "late"))
                .send()
                .await
                .unwrap();
        })
    };
    let found = server
        .server
        .wait_for(query.clone(), 2, Duration::from_secs(5))
        .await
        .unwrap();
    let texts: Vec<&str> = found
        .iter()
        .map(|m| m.content["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["early", "late"]);
    sender.await.unwrap();
    let late = server
        .server
        .wait_until(query.clone(), Duration::from_secs(1), |m| {
            m.content["content"] == "late"
        })
        .await
        .unwrap();
    assert_eq!(late.content["content"], "late");
    let missing = server
        .server
        .wait_for(query, 3, Duration::from_millis(200))
        .await;
    assert!(
        matches!(
            &missing,
            Err(hookpit_server::embedded::WaitError::TimedOut { found: 2, .. })
        ),
        "{missing:?}"
    );
    assert_eq!(server.send_as("nokey", "{}").await.errcode(), 93000);
    assert_eq!(server.server.rejections()[0].errcode, 93000);
    assert_eq!(server.server.clear().await.unwrap(), 2);
    assert!(server.server.faults().list().await.unwrap().is_empty());
    server.stop().await;
}

#[test]
fn the_access_log_names_the_request_and_never_the_whole_key() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // A current-thread runtime: the server's request tasks log on this thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let server = TestServer::start_with(|config| config.access_log = true).await;
            let key = server.key().to_owned();
            assert_eq!(
                server
                    .send(&text(Some(DEMO_GROUP), "logged"))
                    .await
                    .errcode(),
                0
            );
            let log = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
            let line = log
                .lines()
                .find(|line| line.contains("hookpit::access"))
                .unwrap_or_else(|| panic!("{log}"));
            assert!(line.contains("method=POST"), "{line}");
            assert!(line.contains("path=/cgi-bin/webhook/send"), "{line}");
            assert!(line.contains("status=200"), "{line}");
            assert!(!log.contains(&key), "the key is a secret: {log}");
            // Refusals are at debug, not info: a rate-limited sender does not flood the log.
            assert_eq!(server.send_as("nokey", "{}").await.errcode(), 93000);
            let log = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
            assert!(!log.contains("webhook refused"), "{log}");
            server.stop().await;
        });
    });
}
