//! Callbacks against a receiver Hookpit did not write: wechatpy's `WeChatCrypto` (a widely used
//! Python implementation of WeCom's WXBizMsgCrypt), unmodified, verifies the callback URL,
//! decrypts each callback in both formats and encrypts a passive reply that Hookpit must read.
//! `scripts/test` installs wechatpy.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hookpit_server::store::{DEMO_BOT_ID, DEMO_GROUP};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::admin::get;
use crate::callbacks::{BOT_NAME, configure, write};
use crate::support::TestServer;
use crate::support::receiver::{KEY, TOKEN};

/// `wechatpy_receiver.py` running, with the JSON lines it prints.
struct Wechatpy {
    child: Child,
    url: String,
    lines: mpsc::UnboundedReceiver<Value>,
}

impl Wechatpy {
    /// Starts the receiver for `format` (`xml` or `json`), answering callbacks with `reply`.
    async fn start(format: &str, reply: Option<&str>) -> Wechatpy {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/api/wechatpy_receiver.py"
        );
        let mut command = Command::new("python3");
        command.arg(script).args([TOKEN, KEY, format]);
        command.args(reply);
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (scripts/test installs wechatpy)");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let (port_tx, port_rx) = tokio::sync::oneshot::channel::<String>();
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let mut lines = stdout.lines();
            let port = lines.next().and_then(Result::ok).unwrap_or_default();
            let _ = port_tx.send(port);
            for line in lines.map_while(Result::ok) {
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let port = tokio::time::timeout(Duration::from_secs(20), port_rx)
            .await
            .expect("the receiver starts within 20 s")
            .unwrap_or_default();
        assert!(
            port.trim().parse::<u16>().is_ok(),
            "wechatpy_receiver.py did not start (is wechatpy installed?): {port:?}"
        );
        Wechatpy {
            child,
            url: format!("http://127.0.0.1:{}/wecom", port.trim()),
            lines,
        }
    }

    /// The next line the receiver printed (at most 10 s).
    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), self.lines.recv())
            .await
            .expect("the receiver handled a request within 10 s")
            .expect("the receiver is running")
    }
}

impl Drop for Wechatpy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo bot calls back to `receiver`; the save succeeds only if wechatpy's
/// `check_signature` accepted the verification and Hookpit accepted its answer.
async fn configure_for(server: &TestServer, receiver: &mut Wechatpy, format: &str) {
    // WeCom's way of choosing the format: a query parameter on the callback URL.
    let url = match format {
        "json" => format!("{}?robot_callback_format=json", receiver.url),
        _ => receiver.url.clone(),
    };
    let body = json!({"url": url, "token": TOKEN, "encoding_aes_key": KEY});
    let answer = configure(server, DEMO_BOT_ID, body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let verified = receiver.next().await;
    assert!(verified["verified"].is_string(), "{verified}");
}

#[tokio::test]
async fn wechatpy_verifies_the_url_and_decrypts_an_xml_callback_and_its_reply_lands_in_the_chat() {
    let server = TestServer::start().await;
    let mut receiver = Wechatpy::start("xml", Some("收到 from wechatpy")).await;
    configure_for(&server, &mut receiver, "xml").await;

    let written = write(&server, DEMO_GROUP, &format!("@{BOT_NAME} 告警 check")).await;
    assert_eq!(written.status, 201, "{:?}", written.body);
    let line = receiver.next().await;
    let callback = &line["callback"];
    assert_eq!(callback["MsgType"], "text", "{line}");
    assert_eq!(callback["ChatId"], DEMO_GROUP, "{line}");
    assert_eq!(callback["ChatType"], "group", "{line}");
    assert_eq!(callback["From"]["UserId"], "zhangsan", "{line}");
    let content = callback["Text"]["Content"].as_str().unwrap_or_default();
    assert!(content.ends_with("告警 check"), "{line}");
    assert!(
        callback["WebhookUrl"]
            .as_str()
            .is_some_and(|url| url.contains("/cgi-bin/webhook/send?key=")),
        "{line}"
    );

    // wechatpy's encrypted envelope is read, and the reply is posted as the bot.
    let id = written.body["callbacks"][0]["id"]
        .as_i64()
        .expect("a callback");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let entry = loop {
        let entry = get(&server, &format!("/callbacks/{id}")).await.body;
        if entry["status"] == "delivered" {
            break entry;
        }
        assert!(tokio::time::Instant::now() < deadline, "{entry}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let message_id = entry["reply"]["message_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("the reply was posted: {entry}"));
    let posted = get(&server, &format!("/messages/{message_id}")).await.body;
    assert_eq!(posted["chatid"], DEMO_GROUP, "{posted}");
    assert_eq!(posted["bot"]["id"], DEMO_BOT_ID, "{posted}");
    assert_eq!(
        posted["content"]["content"], "收到 from wechatpy",
        "{posted}"
    );
    server.stop().await;
}

#[tokio::test]
async fn wechatpy_decrypts_a_json_callback() {
    let server = TestServer::start().await;
    let mut receiver = Wechatpy::start("json", None).await;
    configure_for(&server, &mut receiver, "json").await;

    let written = write(&server, DEMO_GROUP, &format!("@{BOT_NAME} hello json")).await;
    assert_eq!(written.status, 201, "{:?}", written.body);
    let line = receiver.next().await;
    let callback = &line["callback"];
    assert_eq!(callback["msgtype"], "text", "{line}");
    assert_eq!(callback["chatid"], DEMO_GROUP, "{line}");
    assert_eq!(callback["from"]["userid"], "zhangsan", "{line}");
    let content = callback["text"]["content"].as_str().unwrap_or_default();
    assert!(content.ends_with("hello json"), "{line}");
    server.stop().await;
}
