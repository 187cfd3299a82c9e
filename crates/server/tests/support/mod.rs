//! Test harness: a real server on `127.0.0.1:0` with its own temporary data directory and a
//! manual clock, driven over HTTP with plain `reqwest`, read back through its store.

#![allow(dead_code)]

pub mod events;
pub mod receiver;
pub mod redis;

use std::path::PathBuf;
use std::time::SystemTime;

use hookpit_server::domain::{MessageQuery, StoredMessage};
use hookpit_server::testing::Sandbox;
use hookpit_server::{Config, RunningServer};
use serde_json::Value;

/// A running server (the shared [`Sandbox`]: port 0, a temporary data directory, a manual
/// clock) and an HTTP client to drive it.
pub struct TestServer {
    sandbox: Sandbox,
    pub http: reqwest::Client,
}

impl std::ops::Deref for TestServer {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// Two servers started at once on one PostgreSQL `database`, as instances behind a load
/// balancer.
pub async fn two_instances(database: &str) -> (TestServer, TestServer) {
    let on = |database: String| TestServer::start_with(move |c| c.database = Some(database));
    tokio::join!(on(database.to_owned()), on(database.to_owned()))
}

/// What [`TestServer::split`] keeps to start again.
pub struct Relaunch(hookpit_server::testing::Relaunch);

impl Relaunch {
    /// A new server on the same data directory and clock.
    pub async fn start(self) -> TestServer {
        TestServer::of(self.0.start().await)
    }

    /// [`Relaunch::start`] with the configuration changed by `adjust`.
    pub async fn start_with(self, adjust: impl FnOnce(&mut Config)) -> TestServer {
        TestServer::of(self.0.start_with(adjust).await)
    }
}

/// A webhook answer, as received.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// The JSON body.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// `errcode` of the body.
    pub fn errcode(&self) -> i64 {
        self.json()["errcode"].as_i64().expect("errcode")
    }

    /// `errmsg` of the body.
    pub fn errmsg(&self) -> String {
        self.json()["errmsg"].as_str().expect("errmsg").to_owned()
    }

    /// The text of `errmsg` before `, hint:`.
    pub fn error_text(&self) -> String {
        let errmsg = self.errmsg();
        errmsg
            .split(", hint: [")
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default()
    }
}

/// With `HOOKPIT_TEST_LOG=FILTER` (e.g. `warn`), the servers' logs go to the test's stderr: what
/// a 500 says in "see the server log".
fn log_if_asked() {
    if let Ok(filter) = std::env::var("HOOKPIT_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// 2026-01-01T00:00:00Z: a fixed start so tests never depend on the real date.
pub fn epoch() -> SystemTime {
    hookpit_server::testing::epoch()
}

impl TestServer {
    fn of(sandbox: Sandbox) -> TestServer {
        TestServer {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    /// A server with default settings.
    pub async fn start() -> TestServer {
        log_if_asked();
        TestServer::of(Sandbox::start().await)
    }

    /// A server whose configuration `adjust` changes.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        log_if_asked();
        TestServer::of(Sandbox::start_with(adjust).await)
    }

    /// Shuts the server down (flushing the store) and starts a new one on the same data
    /// directory and clock.
    pub async fn restart(self) -> TestServer {
        TestServer::of(self.sandbox.restart().await)
    }

    /// Takes the running server out, keeping what is needed to start another on the same data
    /// directory and clock (for tests that shut down concurrently with requests).
    pub fn split(self) -> (RunningServer, Relaunch) {
        let (server, relaunch) = self.sandbox.split();
        (server, Relaunch(relaunch))
    }

    /// Shuts down.
    pub async fn stop(self) {
        self.sandbox.stop().await;
    }

    /// The one integer `sql` answers, read straight from the store's database (SQLite's file or
    /// the PostgreSQL database the sandbox runs on): for tests of what is physically stored.
    pub fn stored_integer(&self, sql: &str) -> i64 {
        match &self.config().database {
            Some(url) => {
                let (url, sql) = (url.clone(), sql.to_owned());
                // The blocking client runs a runtime of its own: not on this test's.
                std::thread::spawn(move || {
                    let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
                    let row = client.query_one(sql.as_str(), &[]).unwrap();
                    match row.columns()[0].type_() {
                        &::postgres::types::Type::INT4 => i64::from(row.get::<_, i32>(0)),
                        _ => row.get::<_, i64>(0),
                    }
                })
                .join()
                .unwrap()
            }
            None => rusqlite::Connection::open(self.data_dir().join("hookpit.db"))
                .unwrap()
                .query_row(sql, [], |row| row.get(0))
                .unwrap(),
        }
    }

    pub fn data_path(&self) -> PathBuf {
        self.data_dir().to_owned()
    }

    pub fn key(&self) -> &str {
        self.server.demo_key()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// Posts `body` to the demo bot's send URL.
    pub async fn send(&self, body: &str) -> Reply {
        self.send_as(self.key(), body).await
    }

    /// Posts `body` to the send URL of `key`.
    pub async fn send_as(&self, key: &str, body: &str) -> Reply {
        let url = format!("{}/cgi-bin/webhook/send?key={key}", self.server.base_url());
        self.post_raw(&url, body.as_bytes().to_vec(), "application/json")
            .await
    }

    /// Posts `bytes` to `url` with `content_type`.
    pub async fn post_raw(&self, url: &str, bytes: Vec<u8>, content_type: &str) -> Reply {
        let response = self
            .http
            .post(url)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("request");
        Reply::from(response).await
    }

    /// Uploads `bytes` as the part `part` named `filename` for `key` with `type`.
    pub async fn upload_as(
        &self,
        key: &str,
        kind: &str,
        part: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        let url = format!(
            "{}/cgi-bin/webhook/upload_media?key={key}&type={kind}",
            self.server.base_url()
        );
        let form = reqwest::multipart::Form::new().part(
            part.to_owned(),
            reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()),
        );
        let response = self
            .http
            .post(url)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        Reply::from(response).await
    }

    /// Uploads a file for the demo bot; returns its media id.
    pub async fn upload_file(&self, filename: &str, bytes: &[u8]) -> String {
        let reply = self
            .upload_as(self.key(), "file", "media", filename, bytes.to_vec())
            .await;
        assert_eq!(reply.errcode(), 0, "{}", reply.text);
        reply.json()["media_id"]
            .as_str()
            .expect("media_id")
            .to_owned()
    }

    /// The stored upload `media_id` (expired or not).
    pub async fn media(&self, media_id: &str) -> hookpit_server::domain::Media {
        self.server
            .state()
            .store
            .get_media(media_id)
            .await
            .expect("media lookup")
            .unwrap_or_else(|| panic!("media {media_id} is stored"))
    }

    /// Every stored message, oldest first.
    pub async fn messages(&self) -> Vec<StoredMessage> {
        self.query(MessageQuery::default()).await
    }

    /// Messages matching `query` (limit defaulted to 100 000), oldest first.
    pub async fn query(&self, mut query: MessageQuery) -> Vec<StoredMessage> {
        if query.limit == 0 {
            query.limit = 100_000;
        }
        query.ascending = true;
        self.server
            .state()
            .store
            .list_messages(query)
            .await
            .expect("list messages")
    }

    /// Messages of one chat, oldest first.
    pub async fn messages_in(&self, chatid: &str) -> Vec<StoredMessage> {
        self.query(MessageQuery {
            chatid: Some(chatid.to_owned()),
            ..MessageQuery::default()
        })
        .await
    }

    /// Creates a bot in `chats` with `subscription`; returns its key and id.
    pub async fn create_bot(
        &self,
        name: &str,
        chats: &[&str],
        subscription: &[&str],
    ) -> (String, String) {
        let bot = self
            .server
            .state()
            .store
            .create_bot(
                hookpit_server::domain::NewBot {
                    name: name.to_owned(),
                    key: None,
                    chats: chats.iter().map(|c| (*c).to_owned()).collect(),
                    subscription: subscription.iter().map(|u| (*u).to_owned()).collect(),
                },
                self.clock.now_millis(),
            )
            .await
            .expect("create bot");
        (bot.key, bot.id)
    }
}

use hookpit_server::clock::Clock as _;

impl Reply {
    async fn from(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        Reply {
            status,
            headers,
            text,
        }
    }
}

/// A text message body for `chatid` (none when `None`).
pub fn text(chatid: Option<&str>, content: &str) -> String {
    let mut body = serde_json::json!({"msgtype": "text", "text": {"content": content}});
    if let Some(chatid) = chatid {
        body["chatid"] = Value::from(chatid);
    }
    body.to_string()
}

/// The smallest valid PNG (1×1, transparent).
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// An AMR-NB file of `frames` 20 ms frames (mode 7, 32 bytes each).
pub fn amr(frames: usize) -> Vec<u8> {
    let mut bytes = b"#!AMR\n".to_vec();
    for _ in 0..frames {
        bytes.push(7 << 3 | 0b100);
        bytes.extend_from_slice(&[0_u8; 31]);
    }
    bytes
}

/// An HTTP answer read off a raw socket.
#[derive(Debug)]
pub struct RawReply {
    /// The status code of the first response line.
    pub status: u16,
    /// The head, as sent.
    pub head: String,
    /// The body, as sent (not de-chunked).
    pub body: String,
}

impl RawReply {
    /// The JSON body.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.head, self.body))
    }

    /// `errcode` of the body.
    pub fn errcode(&self) -> i64 {
        self.json()["errcode"].as_i64().expect("errcode")
    }
}

/// Sends `head` (the request line and headers, without the blank line; `Connection: close` is
/// added) and then ALL of `body` before reading anything, as naive clients (curl, Python's
/// http.client) do, then reads the answer to the end of the connection.
///
/// # Errors
/// Any socket error: a server that closed while the body was still being written makes the
/// write fail (a broken pipe or a reset), or the read fail with a reset.
pub async fn write_all_then_read(
    addr: std::net::SocketAddr,
    head: &str,
    body: &[u8],
) -> std::io::Result<RawReply> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    Ok(parse_raw(&answer))
}

/// Splits a raw HTTP/1.1 answer into status, head and body.
pub fn parse_raw(answer: &[u8]) -> RawReply {
    let text = String::from_utf8_lossy(answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    RawReply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

impl TestServer {
    /// The value of the un-labelled gauge or counter `name` in `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body");
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no metric {name}"))
            .parse()
            .expect("a number")
    }
}
