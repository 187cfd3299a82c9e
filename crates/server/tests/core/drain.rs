//! The sender always reads its answer: a call refused before its body is read (wrong key, a body
//! too large, a bad upload type) still reads the body to its end, so a client that writes the
//! whole body before reading (curl, Python's http.client) gets the errcode instead of a broken
//! pipe.

use hookpit_protocol::limit::UPLOAD_FILE_MAX_BYTES;
use hookpit_server::store::DEMO_GROUP;

use crate::support::{TestServer, text, write_all_then_read};

/// A multipart form of one file part `bytes` long.
fn form(bytes: usize) -> (String, Vec<u8>) {
    let boundary = "------------------------hookpitdrain";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.resize(body.len() + bytes, b'x');
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_wrong_or_missing_key_with_a_large_body_is_answered_after_the_body() {
    let server = TestServer::start().await;
    let addr = server.server.addr();
    // Larger than the socket buffers on both sides can absorb.
    let body = vec![b'x'; 16 * 1024 * 1024];
    for target in [
        "/cgi-bin/webhook/send?key=not-a-key",
        "/cgi-bin/webhook/send",
    ] {
        let reply = write_all_then_read(addr, &format!("POST {target} HTTP/1.1"), &body)
            .await
            .unwrap_or_else(|e| panic!("{target}: the sender could not read its answer: {e}"));
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(reply.errcode(), 93000, "{target}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_send_body_over_4_mib_is_answered_with_40058_after_the_body() {
    let server = TestServer::start().await;
    let body = vec![b'x'; 6 * 1024 * 1024];
    let head = format!("POST /cgi-bin/webhook/send?key={} HTTP/1.1", server.key());
    let reply = write_all_then_read(server.server.addr(), &head, &body)
        .await
        .expect("the sender reads its answer");
    assert_eq!(reply.errcode(), 40058);
    assert!(
        reply.json()["errmsg"]
            .as_str()
            .unwrap()
            .starts_with("body exceed max length 4194304")
    );
    server.stop().await;
}

#[tokio::test]
async fn an_upload_over_the_cap_and_a_bad_upload_type_are_answered_after_the_body() {
    let server = TestServer::start().await;
    let addr = server.server.addr();
    let key = server.key().to_owned();
    let (content_type, huge) = form(UPLOAD_FILE_MAX_BYTES + 4 * 1024 * 1024);
    let head = format!(
        "POST /cgi-bin/webhook/upload_media?key={key}&type=file HTTP/1.1\r\nContent-Type: {content_type}"
    );
    let reply = write_all_then_read(addr, &head, &huge)
        .await
        .expect("a 24 MiB upload is answered");
    assert_eq!(reply.errcode(), 45001);

    let (content_type, small) = form(1024 * 1024);
    for (query, errcode) in [
        (format!("key={key}&type=picture"), 40005),
        ("key=wrong&type=file".to_owned(), 93000),
    ] {
        let head = format!(
            "POST /cgi-bin/webhook/upload_media?{query} HTTP/1.1\r\nContent-Type: {content_type}"
        );
        let reply = write_all_then_read(addr, &head, &small)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(reply.errcode(), errcode, "{query}");
    }
    // Nothing refused leaves a file behind.
    let left: Vec<_> = std::fs::read_dir(server.data_dir().join("tmp"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    server.stop().await;
}

#[tokio::test]
async fn after_a_drained_refusal_the_connection_still_serves_the_next_request() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    let addr = server.server.addr();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let refused = vec![b'x'; 600 * 1024];
    let accepted = text(Some(DEMO_GROUP), "after the drain");
    let mut request = format!(
        "POST /cgi-bin/webhook/send?key=wrong HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
        refused.len()
    )
    .into_bytes();
    request.extend_from_slice(&refused);
    request.extend_from_slice(
        format!(
            "POST /cgi-bin/webhook/send?key={} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{accepted}",
            server.key(),
            accepted.len()
        )
        .as_bytes(),
    );
    stream.write_all(&request).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 2, "{answer}");
    assert!(answer.contains("\"errcode\":93000"), "{answer}");
    assert!(
        answer.ends_with("{\"errcode\":0,\"errmsg\":\"ok\"}"),
        "{answer}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_body_past_the_drain_cap_is_answered_and_the_connection_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    let addr = server.server.addr();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Announce far more than the cap, send a little over it, then read: the answer is there
    // and the server has closed instead of reading on forever.
    let head = format!(
        "POST /cgi-bin/webhook/send?key=wrong HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
        1024_u64 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'x'; 1024 * 1024];
    for _ in 0..(hookpit_server::webhook::DRAIN_CAP / chunk.len() + 2) {
        if stream.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.contains("\"errcode\":93000"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    server.stop().await;
}
