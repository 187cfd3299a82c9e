//! A Hookpit per test, and the fixtures the tests send.

use hookpit_client::{Inbox, RetryPolicy, Webhook};
use hookpit_server::config::ExtraUploadType;
use hookpit_server::testing::{Relaunch, Sandbox};
use hookpit_server::{Config, RunningServer};
use serde_json::Value;

/// A Hookpit on `127.0.0.1:0` with its own data directory, gone when the test ends (the
/// server's shared [`Sandbox`]).
pub struct TestServer {
    pub server: RunningServer,
    http: reqwest::Client,
    // Holds the data directory (removed when dropped).
    _rest: Relaunch,
}

impl TestServer {
    /// A server with the default configuration plus `image` uploads (for miniprogram covers).
    pub async fn start() -> TestServer {
        TestServer::with(|_| {}).await
    }

    /// A server whose configuration `configure` adjusts.
    pub async fn with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let sandbox = Sandbox::start_with(|config| {
            config.upload_types = vec![ExtraUploadType::Image];
            configure(config);
        })
        .await;
        let (server, rest) = sandbox.split();
        TestServer {
            server,
            http: reqwest::Client::new(),
            _rest: rest,
        }
    }

    /// The demo bot through the SDK, without retries so that a failure shows at once.
    pub fn bot(&self) -> Webhook {
        Webhook::new(self.server.demo_key())
            .base_url(self.server.base_url())
            .retry(RetryPolicy::none())
    }

    /// The server's inbox API through the SDK.
    pub fn inbox(&self) -> Inbox {
        Inbox::new(self.server.base_url())
    }

    /// The messages the demo bot delivered to `chatid`, oldest first. (A message to
    /// `@all_group` is stored once per group it reaches.)
    pub async fn messages(&self, chatid: &str) -> Vec<Value> {
        let url = format!("{}/api/v1/messages", self.server.base_url());
        let page: Value = self
            .http
            .get(url)
            .query(&[
                ("key", self.server.demo_key()),
                ("chatid", chatid),
                ("limit", "500"),
            ])
            .send()
            .await
            .expect("list messages")
            .json()
            .await
            .expect("message list is JSON");
        let mut messages = page["messages"].as_array().cloned().unwrap_or_default();
        messages.reverse();
        messages
    }
}

/// The group of the official examples, which the demo bot is in.
pub const GROUP: &str = "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw";
/// The demo blackboard and its post.
pub const BLACKBOARD: &str = "wrkSFfCgAAbLackBoardDemo4xqDatM5";
pub const POST: &str = "bpkSFfCgAAWeiHNo2p6lJbG3_F2xxxxx";

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// An AMR-NB voice of `frames` 20 ms frames (mode 12.2 kbit/s).
pub fn amr(frames: usize) -> Vec<u8> {
    let mut bytes = b"#!AMR\n".to_vec();
    for _ in 0..frames {
        bytes.push(7 << 3 | 0b100);
        bytes.extend_from_slice(&[0_u8; 31]);
    }
    bytes
}
