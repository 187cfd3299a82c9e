//! Delivering callbacks as WeCom does: retries that keep the MsgId, a queue that survives a
//! restart, passive replies posted into the chat (or refused with a reason), get_chat_info
//! codes, the single-chat window, and receivers that misbehave.

use std::time::Duration;

use hookpit_client::message;
use hookpit_protocol::callback::{CallbackBody, CallbackFormat, PassiveReply};
use hookpit_server::store::{DEMO_BOT_ID, DEMO_CURL_GROUP, DEMO_GROUP};
use serde_json::{Value, json};

use crate::admin::get;
use crate::callbacks::{BOT_NAME, configure_demo, open_single_chat, write};
use crate::support::events::read_until;
use crate::support::receiver::{Answer, Receiver};
use crate::support::{TestServer, text, two_instances};

/// The callback log entry `id`, once its status is `status` (at most 10 s).
pub async fn callback_when(server: &TestServer, id: i64, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let entry = get(server, &format!("/callbacks/{id}")).await.body;
        if entry["status"] == status {
            return entry;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "callback {id} is {}, not {status}: {entry}",
            entry["status"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until callback `id` has made `n` attempts.
async fn attempts(server: &TestServer, id: i64, n: usize) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let entry = get(server, &format!("/callbacks/{id}")).await.body;
        if entry["attempts"].as_array().map_or(0, Vec::len) >= n {
            return entry;
        }
        assert!(tokio::time::Instant::now() < deadline, "{entry}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes to the bot in the demo group; returns the callback's id.
async fn mention(server: &TestServer, content: &str) -> i64 {
    let written = write(server, DEMO_GROUP, &format!("@{BOT_NAME} {content}")).await;
    assert_eq!(written.status, 201, "{:?}", written.body);
    written.body["callbacks"][0]["id"]
        .as_i64()
        .expect("a callback")
}

fn reply(draft: impl Into<PassiveReply>) -> Answer {
    Answer::Reply(draft.into())
}

#[tokio::test]
async fn one_chats_callbacks_arrive_one_at_a_time_in_order_while_other_chats_go_on() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Json).await;
    configure_demo(&server, &receiver).await;
    // The first callback is answered slowly: the demo group's next one waits for it, the other
    // group's does not.
    receiver.answer([Answer::Slowly(Duration::from_millis(600))]);
    mention(&server, "first").await;
    mention(&server, "second").await;
    let other = write(&server, DEMO_CURL_GROUP, &format!("@{BOT_NAME} elsewhere")).await;
    assert_eq!(other.status, 201, "{:?}", other.body);
    let received = receiver.wait_for(3).await;
    let order: Vec<(String, String)> = received
        .iter()
        .map(|received| {
            let content = match &received.callback.body {
                CallbackBody::Text { content } => content.clone(),
                other => format!("{other:?}"),
            };
            (received.callback.chatid.clone(), content)
        })
        .collect();
    let said = |chat: &str, text: &str| (chat.to_owned(), format!("@{BOT_NAME} {text}"));
    assert_eq!(
        order,
        [
            said(DEMO_GROUP, "first"),
            said(DEMO_CURL_GROUP, "elsewhere"),
            said(DEMO_GROUP, "second"),
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_failed_attempt_is_retried_with_the_same_msgid_then_given_up_after_three() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    configure_demo(&server, &receiver).await;
    receiver.answer([
        Answer::Status(500),
        Answer::Status(502),
        Answer::Status(503),
    ]);
    let id = mention(&server, "are you there").await;
    let first = attempts(&server, id, 1).await;
    assert_eq!(first["status"], "pending");
    assert_eq!(first["attempts"][0]["http_status"], 500);
    // Retries wait on the server's clock: 1 s, then 3 s.
    server.clock.advance(Duration::from_secs(1));
    attempts(&server, id, 2).await;
    server.clock.advance(Duration::from_secs(3));
    let failed = callback_when(&server, id, "failed").await;
    assert_eq!(failed["attempts"].as_array().unwrap().len(), 3);
    assert!(
        failed["attempts"][2]["error"]
            .as_str()
            .unwrap()
            .contains("HTTP 503")
    );
    let received = receiver.wait_for(3).await;
    assert!(
        received
            .iter()
            .all(|r| r.callback.msgid == received[0].callback.msgid)
    );
    // Each attempt is its own envelope: a fresh nonce.
    assert_ne!(received[0].query, received[1].query);
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_that_times_out_is_retried_and_then_delivered() {
    let server = TestServer::start_with(|config| {
        config.callback_timeout = Duration::from_millis(300);
    })
    .await;
    let receiver = Receiver::start(CallbackFormat::Json).await;
    configure_demo(&server, &receiver).await;
    receiver.answer([Answer::Slowly(Duration::from_secs(2))]);
    let id = mention(&server, "slow").await;
    let first = attempts(&server, id, 1).await;
    assert!(
        first["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("no answer within")
    );
    server.clock.advance(Duration::from_secs(1));
    let delivered = callback_when(&server, id, "delivered").await;
    assert_eq!(delivered["attempts"][1]["http_status"], 200);
    let received = receiver.wait_for(2).await;
    assert_eq!(received[0].callback.msgid, received[1].callback.msgid);
    server.stop().await;
}

#[tokio::test]
async fn a_callback_pending_at_shutdown_is_delivered_after_the_restart() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    configure_demo(&server, &receiver).await;
    receiver.answer([Answer::Status(500)]);
    let id = mention(&server, "survive").await;
    attempts(&server, id, 1).await;
    let server = server.restart().await;
    server.clock.advance(Duration::from_secs(1));
    callback_when(&server, id, "delivered").await;
    assert_eq!(receiver.wait_for(2).await.len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_passive_text_reply_is_posted_into_the_chat_as_the_bot() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    configure_demo(&server, &receiver).await;
    receiver.answer([reply(message::text("hello <@zhangsan>"))]);
    let id = mention(&server, "hi").await;
    let entry = callback_when(&server, id, "delivered").await;
    let message_id = entry["reply"]["message_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("posted: {entry}"));
    let posted = get(&server, &format!("/messages/{message_id}")).await.body;
    assert_eq!(posted["chatid"], DEMO_GROUP, "{posted} {entry}");
    assert_eq!(posted["bot"]["id"], DEMO_BOT_ID);
    assert_eq!(posted["content"]["content"], "hello <@zhangsan>");
    assert_eq!(posted["mentions"], json!(["zhangsan"]));
    // The log shows the decrypted request and reply side by side.
    assert!(
        entry["request"]["plaintext"]
            .as_str()
            .unwrap()
            .contains("<MsgType>")
    );
    assert!(
        entry["response"]["plaintext"]
            .as_str()
            .unwrap()
            .contains("hello")
    );
    server.stop().await;
}

#[tokio::test]
async fn a_passive_markdown_reply_keeps_its_buttons() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Json).await;
    configure_demo(&server, &receiver).await;
    let markdown: PassiveReply = serde_json::from_value::<hookpit_protocol::SendRequest>(json!({
        "msgtype": "markdown",
        "markdown": {"content": "choose", "attachments": [{"callback_id": "cb", "actions": [
            {"name": "yes", "text": "Yes", "type": "button", "value": "1"}]}]}
    }))
    .unwrap()
    .try_into()
    .unwrap();
    receiver.answer([Answer::Reply(markdown)]);
    let id = mention(&server, "menu").await;
    let entry = callback_when(&server, id, "delivered").await;
    let message_id = entry["reply"]["message_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("posted: {entry}"));
    let posted = get(&server, &format!("/messages/{message_id}")).await.body;
    assert_eq!(posted["msgtype"], "markdown");
    assert_eq!(posted["content"]["attachments"][0]["callback_id"], "cb");
    assert!(
        posted["html"]
            .as_str()
            .unwrap()
            .contains("data-name=\"yes\"")
    );
    server.stop().await;
}

#[tokio::test]
async fn a_bad_reply_posts_nothing_and_says_why() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    configure_demo(&server, &receiver).await;
    let before = server.messages().await.len();
    receiver.answer([
        Answer::Raw("this is not an envelope".to_owned()),
        Answer::Raw(
            "<xml><Encrypt><![CDATA[AAAA]]></Encrypt><MsgSignature><![CDATA[bad]]></MsgSignature>\
             <TimeStamp>1</TimeStamp><Nonce><![CDATA[n]]></Nonce></xml>"
                .to_owned(),
        ),
        Answer::Raw("x".repeat(10 * 1024 * 1024)),
    ]);
    let mut reasons = Vec::new();
    for content in ["one", "two", "three"] {
        let id = mention(&server, content).await;
        let entry = callback_when(&server, id, "delivered").await;
        reasons.push(
            entry["reply"]["error"]
                .as_str()
                .expect("refused")
                .to_owned(),
        );
    }
    assert!(
        reasons[0].contains("not an encrypted xml envelope"),
        "{}",
        reasons[0]
    );
    assert!(reasons[1].contains("cannot be opened"), "{}", reasons[1]);
    assert!(reasons[2].contains("longer than"), "{}", reasons[2]);
    // Only the three messages zhangsan wrote.
    assert_eq!(server.messages().await.len(), before + 3);
    server.stop().await;
}

#[tokio::test]
async fn an_empty_reply_and_an_empty_text_are_no_reply() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Json).await;
    configure_demo(&server, &receiver).await;
    receiver.answer([Answer::Nothing]);
    let id = mention(&server, "quiet").await;
    let entry = callback_when(&server, id, "delivered").await;
    assert_eq!(entry["reply"], Value::Null);
    server.stop().await;
}

#[tokio::test]
async fn get_chat_info_answers_once_within_five_minutes() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    configure_demo(&server, &receiver).await;
    mention(&server, "who is here").await;
    mention(&server, "and now").await;
    let received = receiver.wait_for(2).await;
    let url = received[0].callback.get_chat_info_url.clone();
    let info: Value = server
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["errcode"], 0, "{info}");
    assert_eq!(info["errmsg"], "ok");
    assert_eq!(info["chatid"], DEMO_GROUP);
    assert_eq!(info["chattype"], "group");
    assert_eq!(info["name"], "吃货群");
    assert!(
        info["members"]
            .as_array()
            .unwrap()
            .contains(&json!({"userid": "zhangsan", "alias": "zhangsan", "name": "张三"}))
    );
    let again: Value = server
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["errcode"], 42022, "{again}");
    // The second code expires after 5 minutes.
    server.clock.advance(Duration::from_secs(301));
    let late = received[1].callback.get_chat_info_url.clone();
    let expired: Value = server
        .http
        .get(&late)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(expired["errcode"], 40029, "{expired}");
    let none: Value = server
        .http
        .get(server.url("/cgi-bin/webhook/get_chat_info?code=nope"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["errcode"], 40029);
    server.stop().await;
}

#[tokio::test]
async fn a_person_writing_in_a_single_chat_opens_the_three_message_window() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Json).await;
    configure_demo(&server, &receiver).await;
    // lisi is not in the demo bot's subscription scope.
    let opened = crate::admin::post(
        &server,
        &format!("/bots/{DEMO_BOT_ID}/single-chats"),
        &json!({"userid": "lisi"}),
    )
    .await;
    let single = opened.body["chatid"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(
            server
                .send(&text(Some(&single), "proactive"))
                .await
                .errcode(),
            0
        );
    }
    assert_eq!(
        server
            .send(&text(Some(&single), "one too many"))
            .await
            .errcode(),
        93005
    );
    // lisi writes: the window opens again, and the passive reply spends none of it.
    receiver.answer([Answer::Nothing, reply(message::text("I read you"))]);
    let written = crate::admin::post(
        &server,
        &format!("/chats/{single}/messages"),
        &json!({"from": "lisi", "msgtype": "text", "text": {"content": "hello bot"}}),
    )
    .await;
    assert_eq!(written.status, 201, "{:?}", written.body);
    let again = crate::admin::post(
        &server,
        &format!("/chats/{single}/messages"),
        &json!({"from": "lisi", "msgtype": "text", "text": {"content": "reply please"}}),
    )
    .await;
    let id = again.body["callbacks"][0]["id"].as_i64().unwrap();
    let entry = callback_when(&server, id, "delivered").await;
    assert!(entry["reply"]["message_id"].is_i64(), "{entry}");
    for _ in 0..3 {
        assert_eq!(
            server
                .send(&text(Some(&single), "proactive"))
                .await
                .errcode(),
            0
        );
    }
    assert_eq!(
        server
            .send(&text(Some(&single), "one too many"))
            .await
            .errcode(),
        93005
    );
    // Opening the chat (enter_chat) also opens it.
    let _ = open_single_chat(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_that_never_answers_costs_only_a_failed_attempt() {
    let server = TestServer::start_with(|config| {
        config.callback_timeout = Duration::from_millis(300);
    })
    .await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    configure_demo(&server, &receiver).await;
    // From now on the URL accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    server
        .server
        .state()
        .store
        .set_callback_config(hookpit_server::domain::CallbackConfig {
            bot_id: DEMO_BOT_ID.to_owned(),
            url: format!("http://{addr}/cb"),
            token: crate::support::receiver::TOKEN.to_owned(),
            encoding_aes_key: crate::support::receiver::KEY.to_owned(),
            format: "xml".to_owned(),
            verified_at: 0,
        })
        .await
        .unwrap();
    let id = mention(&server, "anyone?").await;
    let entry = attempts(&server, id, 1).await;
    assert!(
        entry["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("no answer")
    );
    // The webhook and the inbox are not held up meanwhile.
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "still fine"))
            .await
            .errcode(),
        0
    );
    server.stop().await;
}

#[tokio::test]
async fn the_callback_log_lists_by_bot_and_chat() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Json).await;
    configure_demo(&server, &receiver).await;
    let id = mention(&server, "logged").await;
    callback_when(&server, id, "delivered").await;
    let list = get(
        &server,
        &format!("/callbacks?bot_id={DEMO_BOT_ID}&chatid={DEMO_GROUP}"),
    )
    .await;
    let entries = list.body["callbacks"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["event"], "text");
    assert_eq!(entry["format"], "json");
    assert_eq!(entry["msgid"].as_str().unwrap().len(), 24);
    assert!(
        entry["request"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&receiver.url)
    );
    assert!(
        entry["request"]["body"]
            .as_str()
            .unwrap()
            .starts_with("{\"encrypt\"")
    );
    assert_eq!(entry["response"]["status"], 200);
    assert!(entry["message_id"].is_i64());
    let none = get(&server, "/callbacks?chatid=wrkOther").await;
    assert_eq!(none.body["callbacks"], json!([]));
    assert_eq!(get(&server, "/callbacks/999999").await.status, 404);
    assert_eq!(get(&server, "/callbacks?limit=0").await.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn two_instances_on_one_database_deliver_each_callback_once() {
    let pg = hookpit_server::testing::Postgres::start();
    let (a, b) = two_instances(&pg.database()).await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    configure_demo(&a, &receiver).await;
    // Slow answers: both instances' consumers look at the queue while each attempt is running.
    receiver.answer((0..6).map(|_| Answer::Slowly(Duration::from_millis(300))));
    let mut ids = Vec::new();
    for i in 0..6 {
        let server = if i % 2 == 0 { &a } else { &b };
        ids.push(mention(server, &format!("hi {i}")).await);
    }
    for id in &ids {
        callback_when(&a, *id, "delivered").await;
    }
    // Give a second consumer time to deliver again, if it were going to.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let received = receiver.received();
    let mut texts: Vec<String> = received
        .iter()
        .map(|r| format!("{:?}", r.callback))
        .collect();
    assert_eq!(received.len(), 6, "each callback once: {texts:#?}");
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 6, "six different callbacks");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_inbox_on_one_instance_follows_a_callback_queued_and_delivered_through_another() {
    let pg = hookpit_server::testing::Postgres::start();
    let (a, b) = two_instances(&pg.database()).await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    configure_demo(&a, &receiver).await;
    receiver.answer([Answer::Slowly(Duration::from_millis(200))]);
    let mut stream = b.http.get(b.url("/api/v1/events")).send().await.unwrap();
    read_until(&mut stream, "hookpit events").await;

    let id = mention(&a, "seen from b").await;
    // Its message (through b's feed), its queueing on a (announced to b), then its delivery,
    // whichever instance made it.
    let queued = read_until(&mut stream, "\"pending\"").await;
    assert!(queued.contains("seen from b"), "{queued}");
    assert!(queued.contains("event: callback"), "{queued}");
    assert!(queued.contains(&format!("\"id\":{id}")), "{queued}");
    read_until(&mut stream, "\"delivered\"").await;
    a.stop().await;
    b.stop().await;
}
