//! Callbacks against receivers Hookpit did not write, unmodified Python from PyPI:
//! - wechatpy's `WeChatCrypto` (a widely used WXBizMsgCrypt) verifies the callback URL, decrypts
//!   callbacks in both formats and encrypts a passive reply that Hookpit must read;
//! - Tencent's own JavaScript library, @wecom/crypto (npm), decrypts a JSON callback and
//!   encrypts a passive reply in the JSON envelope;
//! - a bot on the wecom-bot-svr framework (Flask and wx-crypt) reads the XML payloads' fields,
//!   answers passively (its replies ASCII-escaped, `&#25910;`), pushes a second message to the
//!   hard-wired `https://qyapi.weixin.qq.com` through the capture proxy, and answers events.
//!
//! The programs are in `tests/peers/`; `scripts/test` installs their pinned packages.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hookpit_server::store::{DEMO_BOT_ID, DEMO_CURL_GROUP, DEMO_GROUP};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::admin::get;
use crate::callback_delivery::callback_when;
use crate::callbacks::{BOT_NAME, configure, write};
use crate::support::TestServer;
use crate::support::receiver::{KEY, TOKEN};

/// A program of `tests/peers/` running, with the lines it prints on stdout.
struct Peer {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Peer {
    /// Starts `script` with `args` and `env`; returns once it printed a line for which `ready`
    /// holds, with that line.
    async fn start(
        script: &str,
        args: &[&str],
        env: &[(&str, String)],
        ready: fn(&str) -> bool,
    ) -> (Peer, String) {
        let path = format!("{}/tests/peers/{script}", env!("CARGO_MANIFEST_DIR"));
        let program = if script.ends_with(".mjs") {
            "node"
        } else {
            "python3"
        };
        let mut child = Command::new(program)
            .arg(&path)
            .args(args)
            .envs(env.iter().map(|(name, value)| (name, value)))
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("{program} {script}: {error} (scripts/test installs it)")
            });
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut peer = Peer { child, lines };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let line = tokio::time::timeout_at(deadline, peer.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("{script} is not ready after 20 s"))
                .unwrap_or_else(|| panic!("{script} exited (are its packages installed?)"));
            if ready(&line) {
                return (peer, line);
            }
        }
    }

    /// The next line printed (at most 10 s).
    async fn next_line(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(10), self.lines.recv())
            .await
            .expect("the peer handled a request within 10 s")
            .expect("the peer is running")
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wechatpy_receiver.py`: its URL, and its JSON lines.
struct Wechatpy {
    peer: Peer,
    url: String,
}

impl Wechatpy {
    /// Starts the receiver for `format` (`xml` or `json`), answering callbacks with `reply`.
    async fn start(format: &str, reply: Option<&str>) -> Wechatpy {
        let mut args = vec![TOKEN, KEY, format];
        args.extend(reply);
        let (peer, port) = Peer::start("wechatpy_receiver.py", &args, &[], |line| {
            line.trim().parse::<u16>().is_ok()
        })
        .await;
        Wechatpy {
            peer,
            url: format!("http://127.0.0.1:{}/wecom", port.trim()),
        }
    }

    /// The next JSON line the receiver printed.
    async fn next(&mut self) -> Value {
        let line = self.peer.next_line().await;
        serde_json::from_str(&line).unwrap_or(Value::String(line))
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
    let entry = callback_when(&server, id, "delivered").await;
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

/// The bot messages of `chatid` (oldest first) once there are `n` of them (at most 10 s): kind
/// and content.
async fn bot_messages(server: &TestServer, chatid: &str, n: usize) -> Vec<(String, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let said: Vec<(String, String)> = server
            .messages_in(chatid)
            .await
            .into_iter()
            .filter(|message| message.from_user.is_none())
            .map(|message| {
                let content = message.content["content"].as_str().unwrap_or_default();
                (message.msgtype.as_str().to_owned(), content.to_owned())
            })
            .collect();
        if said.len() >= n || tokio::time::Instant::now() > deadline {
            return said;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_wecom_bot_svr_bot_answers_passively_pushes_through_the_proxy_and_greets_a_single_chat() {
    let server = TestServer::start_with(|config| {
        config.proxy_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port()
        .to_string();
    let proxy = format!("http://{}", server.server.proxy_addr().unwrap());
    let ca = server.server.ca_path().unwrap().display().to_string();
    let env = [
        ("HTTPS_PROXY", proxy.clone()),
        ("HTTP_PROXY", proxy),
        ("REQUESTS_CA_BUNDLE", ca),
    ];
    let args = [port.as_str(), TOKEN, KEY, server.key()];
    let (mut bot, _) =
        Peer::start("wecom_bot_svr_bot.py", &args, &env, |line| line == "ready").await;
    let url = format!("http://127.0.0.1:{port}/wecom");
    let answer = configure(
        &server,
        DEMO_BOT_ID,
        json!({"url": url, "token": TOKEN, "encoding_aes_key": KEY}),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);

    // The framework reads the XML payload's fields (From/Alias too) and answers passively.
    write(&server, DEMO_GROUP, &format!("@{BOT_NAME} hello")).await;
    assert_eq!(
        bot.next_line().await,
        format!("MSG text group {DEMO_GROUP} zhangsan")
    );
    write(&server, DEMO_GROUP, &format!("@{BOT_NAME} md **x**")).await;
    bot.next_line().await;
    let said = bot_messages(&server, DEMO_GROUP, 2).await;
    assert_eq!(
        said,
        [
            ("text".to_owned(), "收到: hello".to_owned()),
            ("markdown".to_owned(), "收到: md **x**".to_owned()),
        ]
    );

    // A reply in two parts: the first passively, the second pushed by the framework to
    // https://qyapi.weixin.qq.com with the chat id from the callback, captured by the proxy.
    // The framework starts pushing on a thread of its own before it answers the callback,
    // so either part may land first.
    write(&server, DEMO_GROUP, &format!("@{BOT_NAME} two")).await;
    bot.next_line().await;
    let said = bot_messages(&server, DEMO_GROUP, 4).await;
    let mut parts = said[2..].to_vec();
    parts.sort();
    assert_eq!(
        parts,
        [
            ("text".to_owned(), "第一条".to_owned()),
            ("text".to_owned(), "第二条 (pushed)".to_owned()),
        ],
        "{said:?}"
    );

    // Events: the greeting of a single chat is posted there; the framework's empty reply to
    // add_to_chat posts nothing.
    let opened = crate::callbacks::open_single_chat(&server).await;
    let single = opened.body["chatid"]
        .as_str()
        .expect("a single chat")
        .to_owned();
    assert_eq!(
        bot.next_line().await,
        format!("EVENT enter_chat single {single} zhangsan")
    );
    assert_eq!(
        bot_messages(&server, &single, 1).await,
        [("text".to_owned(), "欢迎".to_owned())]
    );
    let chat = format!("/bots/{DEMO_BOT_ID}/chats/{DEMO_CURL_GROUP}");
    assert_eq!(crate::admin::delete(&server, &chat).await.status, 200);
    assert!(
        bot.next_line()
            .await
            .starts_with("EVENT delete_from_chat group")
    );
    assert_eq!(crate::admin::put(&server, &chat).await.status, 200);
    assert!(bot.next_line().await.starts_with("EVENT add_to_chat group"));
    let log = get(&server, "/callbacks?limit=1").await.body;
    let id = log["callbacks"][0]["id"].as_i64().expect("a callback");
    let entry = callback_when(&server, id, "delivered").await;
    assert_eq!(entry["event"], "add_to_chat", "{entry}");
    assert_eq!(entry["status"], "delivered", "{entry}");
    assert!(
        entry["reply"].is_null(),
        "an empty reply posts nothing: {entry}"
    );
    assert!(bot_messages(&server, DEMO_CURL_GROUP, 0).await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn tencents_wecom_crypto_decrypts_a_json_callback_and_its_json_reply_lands_in_the_chat() {
    let server = TestServer::start().await;
    let (mut receiver, port) = Peer::start(
        "wecom_crypto_receiver.mjs",
        &[TOKEN, KEY, "好的 (@wecom/crypto)"],
        &[],
        |line| line.trim().parse::<u16>().is_ok(),
    )
    .await;
    let url = format!(
        "http://127.0.0.1:{}/wecom?robot_callback_format=json",
        port.trim()
    );
    let answer = configure(
        &server,
        DEMO_BOT_ID,
        json!({"url": url, "token": TOKEN, "encoding_aes_key": KEY}),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let verified: Value = serde_json::from_str(&receiver.next_line().await).unwrap();
    assert!(verified["verified"].is_string(), "{verified}");

    write(&server, DEMO_GROUP, &format!("@{BOT_NAME} json please")).await;
    let line: Value = serde_json::from_str(&receiver.next_line().await).unwrap();
    assert_eq!(line["receiveid"], "", "a bot's receiveid is empty: {line}");
    assert_eq!(line["callback"]["msgtype"], "text", "{line}");
    assert_eq!(line["callback"]["chatid"], DEMO_GROUP, "{line}");
    assert_eq!(line["callback"]["from"]["userid"], "zhangsan", "{line}");
    assert_eq!(
        bot_messages(&server, DEMO_GROUP, 1).await,
        [("text".to_owned(), "好的 (@wecom/crypto)".to_owned())]
    );
    server.stop().await;
}
