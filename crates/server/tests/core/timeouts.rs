//! Connections that never finish: a header that never ends, an idle keep-alive connection, a
//! body that stalls, an event stream nobody reads. Each is closed within its limit (set short
//! here) instead of being held.

use std::time::Duration;

use hookpit_server::store::DEMO_GROUP;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestServer, parse_raw, text};

const SHORT: Duration = Duration::from_millis(400);

async fn with_short_timeouts() -> TestServer {
    TestServer::start_with(|config| {
        config.header_timeout = SHORT;
        config.body_timeout = SHORT;
        config.write_timeout = Duration::from_secs(1);
    })
    .await
}

/// Reads until the server closes the connection; the bytes it sent before.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let mut answer = Vec::new();
    tokio::time::timeout(within, async {
        let mut buf = [0_u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server closes the connection in time");
    answer
}

/// Polls `/metrics` until `hookpit_http_connections` is at most `at_most` (the poll's own
/// connection counts too).
async fn wait_for_connections(server: &TestServer, at_most: f64, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let open = server.metric("hookpit_http_connections").await;
        if open <= at_most {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{open} connections still open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_header_that_never_ends_is_closed_within_the_header_timeout() {
    let server = with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.server.addr()).await.unwrap();
    stream
        .write_all(b"POST /cgi-bin/webhook/send HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(started.elapsed() >= SHORT / 2);
    server.stop().await;
}

#[tokio::test]
async fn five_thousand_half_sent_headers_are_not_held() {
    let server = with_short_timeouts().await;
    let addr = server.server.addr();
    let mut streams = Vec::with_capacity(5000);
    for _ in 0..5000 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /livez HTTP/1.1\r\nHo")
            .await
            .unwrap();
        streams.push(stream);
    }
    assert!(server.metric("hookpit_http_connections").await >= 1.0);
    // Only the poll's own connection is left once the timeout has passed.
    wait_for_connections(&server, 1.0, Duration::from_secs(20)).await;
    drop(streams);
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let server = with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.server.addr()).await.unwrap();
    stream
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_stalls_gets_wecoms_minus_1_and_the_connection_closes() {
    let server = with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.server.addr()).await.unwrap();
    let head = format!(
        "POST /cgi-bin/webhook/send?key={} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"msgtype\":",
        server.key()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = parse_raw(&read_until_closed(&mut stream, Duration::from_secs(5)).await);
    assert_eq!(answer.status, 200, "{}", answer.head);
    assert!(answer.head.contains("error-code: -1"), "{}", answer.head);
    assert!(answer.body.contains("\"errcode\":-1"), "{}", answer.body);
    assert!(server.messages().await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn an_upload_that_stalls_mid_form_gets_minus_1() {
    let server = with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.server.addr()).await.unwrap();
    let head = format!(
        "POST /cgi-bin/webhook/upload_media?key={}&type=file HTTP/1.1\r\nHost: x\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n\
         --b\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.txt\"\r\n\r\nsome",
        server.key()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = parse_raw(&read_until_closed(&mut stream, Duration::from_secs(5)).await);
    assert!(answer.body.contains("\"errcode\":-1"), "{}", answer.body);
    server.stop().await;
}

#[tokio::test]
async fn an_upload_cut_off_mid_form_is_a_broken_body_not_an_empty_one() {
    let server = with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.server.addr()).await.unwrap();
    let head = format!(
        "POST /cgi-bin/webhook/upload_media?key={}&type=file HTTP/1.1\r\nHost: x\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n\
         --b\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.txt\"\r\n\r\nsome",
        server.key()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The sender goes away: its side of the connection ends 900 bytes early.
    stream.shutdown().await.unwrap();
    let _ = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let rejection = loop {
        if let Some(rejection) = server.server.rejections().pop() {
            break rejection;
        }
        assert!(tokio::time::Instant::now() < deadline, "no rejection");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(rejection.errcode, -1, "not 44001: the form had data");
    server.stop().await;
}

#[tokio::test]
async fn an_event_stream_nobody_reads_is_dropped() {
    let server = TestServer::start_with(|config| {
        config.write_timeout = Duration::from_secs(1);
        // Hundreds of messages to one chat, faster than WeCom's 100 a minute.
        config.limits = hookpit_server::config::LimitProfile::Off;
    })
    .await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    // A small window, so the server's writes back up quickly.
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(server.server.addr()).await.unwrap();
    stream
        .write_all(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    // The stream is open once its first line arrived; then it is never read again.
    let mut first = [0_u8; 64];
    let _ = stream.read(&mut first).await.unwrap();
    assert!(server.metric("hookpit_http_connections").await >= 2.0);
    // Enough events to fill the socket buffers on both sides (megabytes on Linux) and hyper's.
    let long = "x".repeat(5000);
    for _ in 0..40 {
        for _ in 0..50 {
            assert_eq!(
                server.send(&text(Some(DEMO_GROUP), &long)).await.errcode(),
                0
            );
        }
        if server.metric("hookpit_http_connections").await <= 1.0 {
            break;
        }
    }
    wait_for_connections(&server, 1.0, Duration::from_secs(10)).await;
    drop(stream);
    server.stop().await;
}
