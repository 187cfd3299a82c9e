//! The fast write path keeps every answer exact: the in-memory key map follows bot changes
//! with no stale window, a picture is stored once yet its raw request comes back byte for byte,
//! and request ids are time-ordered strings.

use hookpit_server::domain::BotPatch;
use hookpit_server::store::DEMO_GROUP;
use serde_json::json;

use crate::support::{TestServer, text};

#[tokio::test]
async fn a_key_answers_as_its_bot_is_renamed_and_stops_the_moment_it_is_deleted() {
    let server = TestServer::start().await;
    let store = &server.server.state().store;
    let (key, id) = server.create_bot("before", &[DEMO_GROUP], &[]).await;
    // Created: usable at once.
    let reply = server.send_as(&key, &text(None, "one")).await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    store
        .update_bot(
            &id,
            BotPatch {
                name: Some("after".to_owned()),
            },
        )
        .await
        .unwrap();
    assert_eq!(server.send_as(&key, &text(None, "two")).await.errcode(), 0);
    let names: Vec<String> = server
        .messages_in(DEMO_GROUP)
        .await
        .into_iter()
        .map(|m| m.bot_name)
        .collect();
    assert_eq!(names, ["before", "after"]);
    store.delete_bot(&id).await.unwrap();
    assert_eq!(
        server.send_as(&key, &text(None, "x")).await.errcode(),
        93000
    );
    assert!(store.bot_identity(&key).await.unwrap().is_none());
    server.stop().await;
}

#[tokio::test]
async fn a_deleted_key_given_to_a_new_bot_resolves_to_the_new_bot() {
    let server = TestServer::start().await;
    let store = &server.server.state().store;
    let (key, id) = server.create_bot("first", &[DEMO_GROUP], &[]).await;
    store.delete_bot(&id).await.unwrap();
    let second = store
        .create_bot(
            hookpit_server::domain::NewBot {
                name: "second".to_owned(),
                key: Some(key.clone()),
                chats: vec![DEMO_GROUP.to_owned()],
                subscription: Vec::new(),
            },
            0,
        )
        .await
        .unwrap();
    let identity = store.bot_identity(&key).await.unwrap().expect("resolved");
    assert_eq!(identity.id, second.id);
    assert_ne!(identity.id, id);
    assert_eq!(server.send_as(&key, &text(None, "x")).await.errcode(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_sandbox_key_makes_one_bot_and_keeps_resolving_to_it() {
    let server = TestServer::start_with(|c| c.accept_any_key = true).await;
    let key = "sandbox-key-made-once";
    for _ in 0..3 {
        assert_eq!(server.send_as(key, &text(None, "x")).await.errcode(), 0);
    }
    let bots = server.server.state().store.list_bots().await.unwrap();
    let made: Vec<_> = bots.iter().filter(|b| b.key == key).collect();
    assert_eq!(made.len(), 1);
    let identity = server.server.state().store.bot_identity(key).await.unwrap();
    assert_eq!(identity.map(|b| b.id), Some(made[0].id.clone()));
    server.stop().await;
}

#[tokio::test]
async fn bot_keys_are_known_again_after_a_restart() {
    let server = TestServer::start().await;
    let (key, _) = server.create_bot("kept", &[DEMO_GROUP], &[]).await;
    let server = server.restart().await;
    assert_eq!(server.send_as(&key, &text(None, "x")).await.errcode(), 0);
    server.stop().await;
}

/// A picture of `len` bytes that sniffs as PNG.
fn png_of(len: usize) -> Vec<u8> {
    let mut bytes = crate::support::PNG_1X1.to_vec();
    bytes.extend((0..len).map(|i| u8::try_from(i % 251).unwrap_or(0)));
    bytes
}

#[tokio::test]
async fn an_image_is_stored_once_and_its_raw_request_comes_back_byte_for_byte() {
    let server = TestServer::start().await;
    let picture = png_of(30_000);
    let image = hookpit_protocol::validate::image_body(&picture);
    // Spacing of the JSON around the base64 is the sender's and must come back too.
    let body = format!(
        "{{ \"chatid\": \"{DEMO_GROUP}\", \"msgtype\" : \"image\",\n \"image\": {{\"base64\":\"{}\", \"md5\":\"{}\"}} }}",
        image.base64, image.md5
    );
    assert_eq!(server.send(&body).await.errcode(), 0);
    let id = server.messages().await[0].id;
    let store = &server.server.state().store;
    let detail = store.get_message(id).await.unwrap();
    assert_eq!(detail.raw_request, body);
    assert_eq!(store.message_picture(id, 0).await.unwrap().1, picture);
    // On disk, the request row holds the body without the base64.
    let stored = server.stored_integer("SELECT length(raw_body) FROM requests");
    assert_eq!(
        usize::try_from(stored).unwrap(),
        body.len() - image.base64.len()
    );
    server.stop().await;
}

#[tokio::test]
async fn wrapped_base64_is_kept_whole_in_the_raw_request() {
    let server = TestServer::start().await;
    let image = hookpit_protocol::validate::image_body(&png_of(300));
    let wrapped = format!("{}\\n{}", &image.base64[..76], &image.base64[76..]);
    let body = json!({"chatid": DEMO_GROUP, "msgtype": "image",
        "image": {"base64": "PLACEHOLDER", "md5": image.md5}})
    .to_string()
    .replace("PLACEHOLDER", &wrapped);
    assert_eq!(server.send(&body).await.errcode(), 0);
    let id = server.messages().await[0].id;
    let detail = server.server.state().store.get_message(id).await.unwrap();
    assert_eq!(detail.raw_request, body);
    server.stop().await;
}

#[tokio::test]
async fn request_ids_are_strings_that_sort_in_arrival_order() {
    let server = TestServer::start().await;
    for n in 0..20 {
        let reply = server.send(&text(Some(DEMO_GROUP), &format!("m{n}"))).await;
        assert_eq!(reply.errcode(), 0);
    }
    let mut messages = server.messages_in(DEMO_GROUP).await;
    messages.sort_by_key(|m| m.id);
    let ids: Vec<&str> = messages.iter().map(|m| m.request_id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()));
    server.stop().await;
}

#[tokio::test]
async fn a_single_target_request_kept_in_its_message_row_comes_back_byte_for_byte() {
    let server = TestServer::start().await;
    let (key, _) = server
        .create_bot(
            "two groups",
            &[DEMO_GROUP, hookpit_server::store::DEMO_CURL_GROUP],
            &[],
        )
        .await;
    let g = DEMO_GROUP;
    // The first two are spelled the usual way (nothing of them stored: the row rebuilds
    // them); the third holds its content as stored in another key order (cut out on disk);
    // the others spell it otherwise (escapes, spacing, key order) and are kept whole.
    let bodies = [
        format!(
            r#"{{"chatid":"{g}","msgtype":"text","text":{{"content":"disk 91% on db-1\n\"x\""}}}}"#
        ),
        format!(
            r#"{{"chatid":"{g}","msgtype":"markdown","markdown":{{"content":"**磁盘** <@zhangsan>"}}}}"#
        ),
        format!(r#"{{"msgtype":"text","chatid":"{g}","text":{{"content":"folded"}}}}"#),
        format!(
            r#"{{"chatid":"{g}","msgtype":"text","text":{{"content":"\u4e2d\u6587 https:\/\/x"}}}}"#
        ),
        format!(
            "{{ \"chatid\": \"{g}\",\n  \"msgtype\": \"text\", \"text\": {{ \"content\": \"spaced\" }} }}"
        ),
        format!(
            r#"{{"chatid":"{g}","msgtype":"text","text":{{"mentioned_list":["@all"],"content":"hi"}}}}"#
        ),
    ];
    for body in &bodies {
        assert_eq!(server.send_as(&key, body).await.errcode(), 0, "{body}");
    }
    let broadcast = format!(
        r#"{{"chatid":"{g}|{}","msgtype":"text","text":{{"content":"to both"}}}}"#,
        hookpit_server::store::DEMO_CURL_GROUP
    );
    assert_eq!(server.send_as(&key, &broadcast).await.errcode(), 0);
    let mut messages = server.messages().await;
    messages.sort_by_key(|m| m.id);
    let store = &server.server.state().store;
    let wanted = bodies.iter().chain([&broadcast, &broadcast]);
    assert_eq!(messages.len(), bodies.len() + 2);
    for (message, body) in messages.iter().zip(wanted) {
        let detail = store.get_message(message.id).await.unwrap();
        assert_eq!(&detail.raw_request, body);
        assert_eq!(detail.reply, hookpit_protocol::reply::SEND_OK_BODY);
        assert_eq!(detail.from_ip, "127.0.0.1");
    }
    let count = |sql: &str| server.stored_integer(sql);
    // Only the request that reached two chats has a row of its own.
    assert_eq!(count("SELECT COUNT(*) FROM requests"), 1);
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE raw_body IS NOT NULL AND reply IS NULL"),
        6
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE length(raw_body) = 0"),
        2
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE raw_content_at IS NOT NULL"),
        1
    );
    server.stop().await;
}
