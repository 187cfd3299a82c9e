//! Callbacks, configured and fired: the URL verification, and every event in both formats with
//! the fields WeCom documents, sent to a receiver built on the SDK's `callback` module.

use hookpit_protocol::callback::{CallbackBody, CallbackFormat, ChatType, EventType, MixedItem};
use hookpit_server::store::{DEMO_BLACKBOARD, DEMO_BOT_ID, DEMO_GROUP, DEMO_POST};
use serde_json::{Value, json};

use crate::admin::{Answer, call, delete, get, post};
use crate::support::receiver::{KEY, Receiver, TOKEN};
use crate::support::{PNG_1X1, TestServer};

/// The demo bot's name, as people @-mention it.
pub const BOT_NAME: &str = "演示机器人";

/// `PUT /api/v1/bots/{bot}/callback` with `body`.
pub async fn configure(server: &TestServer, bot: &str, body: Value) -> Answer {
    call(
        server,
        reqwest::Method::PUT,
        &format!("/bots/{bot}/callback"),
        Some(&body.to_string()),
    )
    .await
}

/// The demo bot calls back to `receiver` with the test credentials.
pub async fn configure_demo(server: &TestServer, receiver: &Receiver) {
    let answer = configure(
        server,
        DEMO_BOT_ID,
        json!({"url": receiver.url, "token": TOKEN, "encoding_aes_key": KEY}),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
}

/// `zhangsan` writes `content` in `chatid`.
pub async fn write(server: &TestServer, chatid: &str, content: &str) -> Answer {
    post(
        server,
        &format!("/chats/{chatid}/messages"),
        &json!({"from": "zhangsan", "msgtype": "text", "text": {"content": content}}),
    )
    .await
}

/// zhangsan's single chat with the demo bot (opening it fires `enter_chat`).
pub async fn open_single_chat(server: &TestServer) -> Answer {
    post(
        server,
        &format!("/bots/{DEMO_BOT_ID}/single-chats"),
        &json!({"userid": "zhangsan"}),
    )
    .await
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn saving_a_callback_verifies_the_url_and_generates_what_is_missing() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Json).await;
    configure_demo(&server, &receiver).await;
    let saved = get(&server, &format!("/bots/{DEMO_BOT_ID}/callback")).await;
    assert_eq!(saved.status, 200);
    assert_eq!(saved.body["url"], receiver.url);
    assert_eq!(saved.body["token"], TOKEN);
    assert_eq!(saved.body["encoding_aes_key"], KEY);
    assert_eq!(saved.body["format"], "json");
    assert_eq!(saved.body["verified_at"], "2026-01-01T00:00:00.000Z");

    // Without token and key, Hookpit makes them; the receiver then cannot decrypt the echostr,
    // which is what the verification finds.
    let generated = configure(&server, DEMO_BOT_ID, json!({"url": receiver.url})).await;
    assert_eq!(generated.status, 422, "{:?}", generated.body);
    assert_eq!(generated.code(), "verification_failed");

    assert_eq!(
        delete(&server, &format!("/bots/{DEMO_BOT_ID}/callback"))
            .await
            .status,
        204
    );
    assert_eq!(
        get(&server, &format!("/bots/{DEMO_BOT_ID}/callback"))
            .await
            .status,
        404
    );
    server.stop().await;
}

#[tokio::test]
async fn generated_credentials_follow_wecoms_rules() {
    // A receiver that echoes whatever it is asked to verify cannot exist without the key, so
    // the generated ones are checked through a failed verification's absence of a 400.
    let server = TestServer::start().await;
    let answer = configure(
        &server,
        DEMO_BOT_ID,
        json!({"url": "http://127.0.0.1:9/cb", "token": "ab"}),
    )
    .await;
    assert_eq!(answer.status, 400, "a 2-character token is refused");
    let answer = configure(
        &server,
        DEMO_BOT_ID,
        json!({"url": "http://127.0.0.1:9/cb", "encoding_aes_key": "short"}),
    )
    .await;
    assert_eq!(
        answer.status, 400,
        "a key that is not 43 characters is refused"
    );
    let answer = configure(&server, DEMO_BOT_ID, json!({"url": "ftp://x/cb"})).await;
    assert_eq!(answer.status, 400);
    let answer = configure(&server, "nobot", json!({"url": "http://127.0.0.1:9/cb"})).await;
    assert_eq!(answer.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn a_failed_verification_says_exactly_what_went_wrong() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Xml).await;
    let body = json!({"url": receiver.url, "token": TOKEN, "encoding_aes_key": KEY});
    for (status, answer, expected) in [
        (200, "{\"echostr\":\"x\"}", "not JSON or XML"),
        (500, "oops", "HTTP 500"),
        (200, "", "body is empty"),
    ] {
        receiver.verify_wrongly(status, answer);
        let refused = configure(&server, DEMO_BOT_ID, body.clone()).await;
        assert_eq!(refused.status, 422);
        let message = refused.body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{message}");
    }
    let nobody = configure(
        &server,
        DEMO_BOT_ID,
        json!({"url": "http://127.0.0.1:9/cb", "token": TOKEN, "encoding_aes_key": KEY}),
    )
    .await;
    assert!(
        nobody.body["message"]
            .as_str()
            .unwrap()
            .contains("cannot connect")
    );
    assert_eq!(
        get(&server, &format!("/bots/{DEMO_BOT_ID}/callback"))
            .await
            .status,
        404
    );
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_that_answers_the_verification_too_slowly_is_refused() {
    let server = TestServer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // Accepts and never answers.
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let refused = configure(
        &server,
        DEMO_BOT_ID,
        json!({"url": format!("http://{addr}/cb"), "token": TOKEN, "encoding_aes_key": KEY}),
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("within 1 s")
    );
    server.stop().await;
}

/// Checks the fields every callback carries.
fn assert_common(
    callback: &hookpit_protocol::callback::Callback,
    server: &TestServer,
    chatid: &str,
) {
    assert_eq!(callback.webhook_url, server.server.webhook_url());
    assert_eq!(callback.msgid.len(), 24);
    assert_eq!(callback.chatid, chatid);
    assert!(
        callback
            .get_chat_info_url
            .starts_with(&server.url("/cgi-bin/webhook/get_chat_info?code=")),
        "{}",
        callback.get_chat_info_url
    );
    assert!(callback.app_version.is_some());
}

async fn every_event_reaches_the_bot(format: CallbackFormat) {
    let server = TestServer::start().await;
    let receiver = Receiver::start(format).await;
    configure_demo(&server, &receiver).await;

    // A group message that mentions the bot calls back; one that does not, does not.
    let plain = write(&server, DEMO_GROUP, "hello everyone").await;
    assert_eq!(plain.status, 201, "{:?}", plain.body);
    assert_eq!(plain.body["callbacks"], json!([]));
    let mention = write(&server, DEMO_GROUP, &format!("@{BOT_NAME} hello robot")).await;
    assert_eq!(mention.body["callbacks"][0]["bot_id"], DEMO_BOT_ID);
    assert_eq!(mention.body["message"]["from"]["userid"], "zhangsan");
    let text = &receiver.wait_for(1).await[0];
    assert_common(&text.callback, &server, DEMO_GROUP);
    assert_eq!(text.callback.chat_type, ChatType::Group);
    assert_eq!(text.callback.from.userid, "zhangsan");
    assert_eq!(text.callback.from.name, "张三");
    assert_eq!(text.callback.from.alias, "zhangsan");
    assert_eq!(
        text.callback.body,
        CallbackBody::Text {
            content: format!("@{BOT_NAME} hello robot")
        }
    );
    // The envelope is in the configured format.
    match format {
        CallbackFormat::Xml => assert!(
            text.body.starts_with("<xml><Encrypt><![CDATA["),
            "{}",
            text.body
        ),
        CallbackFormat::Json => assert!(text.body.starts_with("{\"encrypt\":"), "{}", text.body),
    }
    assert!(text.query.contains("msg_signature=") && text.query.contains("nonce="));

    // A picture in a group calls back nothing (single chats only).
    let picture = post(
        &server,
        &format!("/chats/{DEMO_GROUP}/messages"),
        &json!({"from": "zhangsan", "msgtype": "image", "image": {"base64": base64(PNG_1X1)}}),
    )
    .await;
    assert_eq!(picture.status, 201, "{:?}", picture.body);
    assert_eq!(picture.body["callbacks"], json!([]));

    // Blackboards: a new post, then a reply to a post.
    write(&server, DEMO_BLACKBOARD, &format!("@{BOT_NAME} new post")).await;
    let reply = post(
        &server,
        &format!("/chats/{DEMO_BLACKBOARD}/messages"),
        &json!({"from": "zhangsan", "msgtype": "text", "post_id": DEMO_POST,
                "text": {"content": format!("@{BOT_NAME} a reply")}}),
    )
    .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let received = receiver.wait_for(3).await;
    assert_eq!(received[1].callback.chat_type, ChatType::Blackboard);
    assert!(received[1].callback.post_id.is_some());
    assert_eq!(received[2].callback.chat_type, ChatType::BlackboardReply);
    assert_eq!(received[2].callback.post_id.as_deref(), Some(DEMO_POST));

    // Opening the single chat: enter_chat; then text, a picture and a mixed message.
    let opened = open_single_chat(&server).await;
    assert_eq!(opened.status, 200, "{:?}", opened.body);
    assert_eq!(opened.body["callbacks"][0]["status"], "pending");
    let single = opened.body["chatid"].as_str().unwrap().to_owned();
    write(&server, &single, "hi in private").await;
    post(
        &server,
        &format!("/chats/{single}/messages"),
        &json!({"from": "zhangsan", "msgtype": "image", "image": {"base64": base64(PNG_1X1)}}),
    )
    .await;
    let mixed = post(
        &server,
        &format!("/chats/{single}/messages"),
        &json!({"from": "zhangsan", "msgtype": "mixed", "mixed": {"items": [
            {"type": "text", "content": "look"}, {"type": "image", "base64": base64(PNG_1X1)}]}}),
    )
    .await;
    assert_eq!(mixed.body["message"]["msgtype"], "mixed");
    let received = receiver.wait_for(7).await;
    assert_eq!(
        received[3].callback.body,
        CallbackBody::Event {
            event_type: EventType::EnterChat
        }
    );
    assert_common(&received[3].callback, &server, &single);
    assert_eq!(received[3].callback.chat_type, ChatType::Single);
    assert_eq!(
        received[4].callback.body,
        CallbackBody::Text {
            content: "hi in private".to_owned()
        }
    );
    let CallbackBody::Image { image_url } = &received[5].callback.body else {
        panic!("{:?}", received[5].callback.body);
    };
    // The picture is where the callback says, without the admin token (WeCom's are public).
    let downloaded = reqwest::get(image_url).await.unwrap();
    assert_eq!(downloaded.status().as_u16(), 200);
    assert_eq!(downloaded.bytes().await.unwrap().as_ref(), PNG_1X1);
    let CallbackBody::Mixed { items } = &received[6].callback.body else {
        panic!("{:?}", received[6].callback.body);
    };
    assert_eq!(
        items[0],
        MixedItem::Text {
            content: "look".to_owned()
        }
    );
    assert!(
        matches!(&items[1], MixedItem::Image { image_url } if image_url.contains("/pictures/"))
    );

    // The bot leaves and rejoins a group: delete_from_chat, add_to_chat (by lisi).
    let left = delete(
        &server,
        &format!("/bots/{DEMO_BOT_ID}/chats/{DEMO_GROUP}?by=lisi"),
    )
    .await;
    assert_eq!(left.status, 200, "{:?}", left.body);
    let joined =
        crate::admin::put(&server, &format!("/bots/{DEMO_BOT_ID}/chats/{DEMO_GROUP}")).await;
    assert_eq!(joined.body["callbacks"].as_array().unwrap().len(), 1);
    // Joining again changes nothing, so nothing is called back.
    let again =
        crate::admin::put(&server, &format!("/bots/{DEMO_BOT_ID}/chats/{DEMO_GROUP}")).await;
    assert_eq!(again.body["callbacks"], json!([]));
    let received = receiver.wait_for(9).await;
    assert_eq!(
        received[7].callback.body,
        CallbackBody::Event {
            event_type: EventType::DeleteFromChat
        }
    );
    assert_eq!(received[7].callback.from.userid, "lisi");
    assert_eq!(
        received[8].callback.body,
        CallbackBody::Event {
            event_type: EventType::AddToChat
        }
    );
    // Every callback had its own MsgId.
    let mut ids: Vec<String> = received.iter().map(|r| r.callback.msgid.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9);
    server.stop().await;
}

#[tokio::test]
async fn every_event_reaches_the_bot_in_xml() {
    every_event_reaches_the_bot(CallbackFormat::Xml).await;
}

#[tokio::test]
async fn every_event_reaches_the_bot_in_json() {
    every_event_reaches_the_bot(CallbackFormat::Json).await;
}

#[tokio::test]
async fn a_click_on_a_button_calls_back_the_clicked_action_and_is_remembered_for_that_person() {
    let server = TestServer::start().await;
    let receiver = Receiver::start(CallbackFormat::Json).await;
    configure_demo(&server, &receiver).await;
    let markdown = json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {
    "content": "请选择你需要的尺码",
    "attachments": [{"callback_id": "button_two_row", "actions": [
        {"name": "button_1", "text": "S", "type": "button", "value": "S", "replace_text": "你已选择S"},
        {"name": "button_2", "text": "M", "type": "button", "value": "M", "replace_text": "你已选择M"}
    ]}]}});
    assert_eq!(server.send(&markdown.to_string()).await.errcode(), 0);
    let id = server.messages().await[0].id;
    let click = post(
        &server,
        &format!("/messages/{id}/actions"),
        &json!({"user": "lisi", "callback_id": "button_two_row", "name": "button_2"}),
    )
    .await;
    assert_eq!(click.status, 201, "{:?}", click.body);
    assert_eq!(click.body["callbacks"][0]["bot_id"], DEMO_BOT_ID);
    let received = &receiver.wait_for(1).await[0];
    assert_eq!(received.callback.from.userid, "lisi");
    let CallbackBody::Attachment {
        callback_id,
        actions,
    } = &received.callback.body
    else {
        panic!("{:?}", received.callback.body);
    };
    assert_eq!(callback_id, "button_two_row");
    assert_eq!(actions.len(), 1);
    assert_eq!(
        (actions[0].name.as_str(), actions[0].value.as_str()),
        ("button_2", "M")
    );
    // The JSON key is `callbackid`, as WeCom's.
    let plaintext = hookpit_client::CallbackHandler::new(TOKEN, KEY)
        .unwrap()
        .format(CallbackFormat::Json)
        .decrypt(
            &hookpit_protocol::callback::CallbackQuery::parse(&received.query).unwrap(),
            received.body.as_bytes(),
        )
        .unwrap();
    let plaintext: Value = serde_json::from_slice(&plaintext).unwrap();
    assert_eq!(plaintext["attachment"]["callbackid"], "button_two_row");

    // lisi now sees the choice; zhangsan still sees the buttons.
    let as_lisi = get(
        &server,
        &format!("/messages?as_user=lisi&chatid={DEMO_GROUP}"),
    )
    .await;
    assert_eq!(
        as_lisi.body["messages"][0]["chosen"],
        json!({"button_two_row": "button_2"})
    );
    let as_zhangsan = get(
        &server,
        &format!("/messages?as_user=zhangsan&chatid={DEMO_GROUP}"),
    )
    .await;
    assert!(as_zhangsan.body["messages"][0].get("chosen").is_none());

    // A button that is not there is a bad request.
    let wrong = post(
        &server,
        &format!("/messages/{id}/actions"),
        &json!({"user": "lisi", "callback_id": "button_two_row", "name": "button_9"}),
    )
    .await;
    assert_eq!(wrong.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn people_write_only_where_they_are_members_and_only_what_wecom_takes() {
    let server = TestServer::start().await;
    let stranger = post(
        &server,
        "/users",
        &json!({"userid": "stranger", "name": "路人"}),
    )
    .await;
    assert_eq!(stranger.status, 201);
    let refused = post(
        &server,
        &format!("/chats/{DEMO_GROUP}/messages"),
        &json!({"from": "stranger", "msgtype": "text", "text": {"content": "hi"}}),
    )
    .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    for body in [
        json!({"from": "zhangsan", "msgtype": "text", "text": {"content": "  "}}),
        json!({"from": "zhangsan", "msgtype": "image", "image": {"base64": base64(b"GIF89a....")}}),
        json!({"from": "zhangsan", "msgtype": "voice"}),
        json!({"from": "nobody", "msgtype": "text", "text": {"content": "hi"}}),
    ] {
        let answer = post(&server, &format!("/chats/{DEMO_GROUP}/messages"), &body).await;
        assert_eq!(answer.status, 400, "{body}: {:?}", answer.body);
    }
    let unknown = write(&server, "wrkNoSuchChat", "hi").await;
    assert_eq!(unknown.status, 404);
    // What was written counts in the chat like any message.
    let before = get(&server, &format!("/chats/{DEMO_GROUP}")).await.body["message_count"]
        .as_u64()
        .unwrap();
    write(&server, DEMO_GROUP, "counted").await;
    let after = get(&server, &format!("/chats/{DEMO_GROUP}")).await.body["message_count"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before + 1);
    server.stop().await;
}
