//! The routing matrix: each `chatid` form × each chat kind, with the `visible_to_user` and
//! `post_id` rules (spec §2.1 and the official document).

use hookpit_server::domain::{ChatKind, MessageQuery, NewChat};
use hookpit_server::store::{DEMO_BLACKBOARD, DEMO_CURL_GROUP, DEMO_GROUP, DEMO_POST};
use serde_json::json;

use crate::support::{TestServer, text};

fn sorted(messages: &[hookpit_server::domain::StoredMessage]) -> Vec<(String, ChatKind)> {
    let mut chats: Vec<(String, ChatKind)> = messages
        .iter()
        .map(|m| (m.chatid.clone(), m.chat_kind))
        .collect();
    chats.sort_by(|a, b| a.0.cmp(&b.0));
    chats
}

/// Sends and returns (errcode, the messages it stored).
async fn send(
    server: &TestServer,
    body: &str,
) -> (i64, Vec<hookpit_server::domain::StoredMessage>) {
    let before = server.messages().await.len();
    let reply = server.send(body).await;
    (reply.errcode(), server.messages().await.split_off(before))
}

fn markdown(chatid: &str) -> String {
    json!({"chatid": chatid, "msgtype": "markdown", "markdown": {"content": "**md**"}}).to_string()
}

#[tokio::test]
async fn the_specials_reach_the_bots_chats_of_the_right_kinds() {
    let server = TestServer::start().await;
    let group = |id: &str| (id.to_owned(), ChatKind::Group);
    let board = (DEMO_BLACKBOARD.to_owned(), ChatKind::Blackboard);

    // Absent chatid = @all_group; for text that includes blackboards.
    let (code, stored) = send(&server, &text(None, "default")).await;
    assert_eq!(code, 0);
    assert_eq!(
        sorted(&stored),
        [board.clone(), group(DEMO_GROUP), group(DEMO_CURL_GROUP)]
    );
    let (_, stored) = send(&server, &text(Some("@all_group"), "x")).await;
    assert_eq!(stored.len(), 3);
    // markdown: @all_group is groups only, @all_blackboard blackboards only, @all both.
    let (_, stored) = send(&server, &markdown("@all_group")).await;
    assert_eq!(sorted(&stored), [group(DEMO_GROUP), group(DEMO_CURL_GROUP)]);
    let (_, stored) = send(&server, &markdown("@all_blackboard")).await;
    assert_eq!(sorted(&stored), std::slice::from_ref(&board));
    let (_, stored) = send(&server, &markdown("@all")).await;
    assert_eq!(stored.len(), 3);
    // A type blackboards do not take skips them in a broadcast.
    let news = json!({"chatid": "@all", "msgtype": "news",
        "news": {"articles": [{"title": "t", "url": "https://example.com"}]}});
    let (_, stored) = send(&server, &news.to_string()).await;
    assert_eq!(sorted(&stored), [group(DEMO_GROUP), group(DEMO_CURL_GROUP)]);
    // image: "@all 表示对所有群广播" (groups only); @all_blackboard reaches its blackboards.
    let picture = hookpit_protocol::validate::image_body(crate::support::PNG_1X1);
    let image = |chatid: &str| {
        json!({"chatid": chatid, "msgtype": "image",
            "image": {"base64": picture.base64, "md5": picture.md5}})
        .to_string()
    };
    let (_, stored) = send(&server, &image("@all")).await;
    assert_eq!(sorted(&stored), [group(DEMO_GROUP), group(DEMO_CURL_GROUP)]);
    let (_, stored) = send(&server, &image("@all_blackboard")).await;
    assert_eq!(sorted(&stored), std::slice::from_ref(&board));
    // Broadcasts never carry visible_to_user.
    let body = json!({"chatid": "@all_group", "visible_to_user": "zhangsan", "msgtype": "text",
        "text": {"content": "x"}});
    let (_, stored) = send(&server, &body.to_string()).await;
    assert!(stored.iter().all(|m| m.visible_to.is_empty()));
    server.stop().await;
}

/// A request to several chats stores one message per chat (on SQLite a run of groups by one
/// statement, `message_row::insert_copies`): each is announced with the id it was stored under,
/// ids increase in the order the copies are announced, and every chat counts its copy.
/// A chat named by two targets of one request gets one copy; one special's kinds never overlap.
#[tokio::test]
async fn a_chat_named_twice_in_one_request_gets_one_copy() {
    let server = TestServer::start().await;
    let group = |id: &str| (id.to_owned(), ChatKind::Group);
    let board = (DEMO_BLACKBOARD.to_owned(), ChatKind::Blackboard);
    let twice = format!("{DEMO_GROUP}|@all_group|{DEMO_GROUP}|@all");
    let (code, stored) = send(&server, &text(Some(&twice), "once each")).await;
    assert_eq!(code, 0);
    assert_eq!(
        sorted(&stored),
        [board.clone(), group(DEMO_GROUP), group(DEMO_CURL_GROUP)]
    );
    let (code, stored) = send(&server, &text(Some("@all"), "one special")).await;
    assert_eq!(code, 0);
    assert_eq!(
        sorted(&stored),
        [board, group(DEMO_GROUP), group(DEMO_CURL_GROUP)]
    );
}

#[tokio::test]
async fn the_copies_of_a_request_are_announced_with_the_ids_they_are_stored_under() {
    let server = TestServer::start().await;
    let mut events = server.server.state().events.subscribe();
    let count = |chatid: &str| {
        server.stored_integer(&format!(
            "SELECT message_count FROM chats WHERE chatid = '{chatid}'"
        ))
    };
    let chats = [DEMO_GROUP, DEMO_BLACKBOARD, DEMO_CURL_GROUP];
    let before = chats.map(count);
    // Groups and a blackboard (whose copy is inserted on its own) in two orders, and groups alone.
    let requests = [
        (
            text(
                Some(&format!("{DEMO_GROUP}|{DEMO_BLACKBOARD}|{DEMO_CURL_GROUP}")),
                "a",
            ),
            3,
        ),
        // Markdown's @all_group is the groups alone.
        (markdown("@all_group"), 2),
        (
            text(
                Some(&format!("{DEMO_CURL_GROUP}|{DEMO_GROUP}|{DEMO_BLACKBOARD}")),
                "b",
            ),
            3,
        ),
    ];
    let mut announced = Vec::new();
    for (body, targets) in &requests {
        assert_eq!(server.send(body).await.errcode(), 0, "{body}");
        let mut ids = Vec::new();
        for _ in 0..*targets {
            match events.recv().await.unwrap() {
                hookpit_server::app::Event::Message(message) => {
                    ids.push(message.id);
                    announced.push(message);
                }
                other => panic!("unexpected event {other:?}"),
            }
        }
        assert!(
            ids.windows(2).all(|pair| pair[0] < pair[1]),
            "{body}: {ids:?}"
        );
    }
    let stored = server.messages().await;
    for message in &announced {
        let row = stored
            .iter()
            .find(|m| m.id == message.id)
            .unwrap_or_else(|| panic!("message {} announced, not stored", message.id));
        assert_eq!(row.chatid, message.chatid);
        assert_eq!(row.chat_kind, message.chat_kind);
        assert_eq!(row.content, message.content);
        assert_eq!(row.post_id, message.post_id);
        assert_eq!(row.request_id, message.request_id);
    }
    let after = chats.map(count);
    assert_eq!(
        [
            after[0] - before[0],
            after[1] - before[1],
            after[2] - before[2]
        ],
        [3, 2, 3]
    );
    server.stop().await;
}

#[tokio::test]
async fn visible_to_user_applies_to_exactly_one_group_or_one_blackboard_for_text_and_markdown() {
    let server = TestServer::start().await;
    let with = |chatid: &str, msgtype: &str, body: serde_json::Value| {
        let mut request =
            json!({"chatid": chatid, "visible_to_user": "zhangsan|lisi", "msgtype": msgtype});
        request[msgtype] = body;
        request.to_string()
    };
    let (_, stored) = send(&server, &with(DEMO_GROUP, "text", json!({"content": "g"}))).await;
    assert_eq!(stored[0].visible_to, ["zhangsan", "lisi"]);
    let (_, stored) = send(
        &server,
        &with(DEMO_BLACKBOARD, "markdown", json!({"content": "b"})),
    )
    .await;
    assert_eq!(stored[0].visible_to, ["zhangsan", "lisi"]);
    let picture = hookpit_protocol::validate::image_body(crate::support::PNG_1X1);
    let image = json!({"base64": picture.base64, "md5": picture.md5});
    let (_, stored) = send(&server, &with(DEMO_BLACKBOARD, "image", image)).await;
    assert!(
        stored[0].visible_to.is_empty(),
        "images on a blackboard are for everyone"
    );
    let two = format!("{DEMO_GROUP}|{DEMO_CURL_GROUP}");
    let (_, stored) = send(&server, &with(&two, "text", json!({"content": "2"}))).await;
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|m| m.visible_to.is_empty()));

    // Read back as users: lisi sees the restricted group message, wangqing does not.
    let as_user = |user: &str| MessageQuery {
        chatid: Some(DEMO_GROUP.to_owned()),
        as_user: Some(user.to_owned()),
        ..MessageQuery::default()
    };
    assert_eq!(server.query(as_user("lisi")).await.len(), 2);
    assert_eq!(server.query(as_user("wangqing")).await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_blackboard_message_makes_a_post_or_replies_to_the_given_one() {
    let server = TestServer::start().await;
    let store = &server.server.state().store;
    let reply_body = json!({"chatid": DEMO_BLACKBOARD, "post_id": DEMO_POST, "msgtype": "text",
        "text": {"content": "a reply"}});
    let (code, stored) = send(&server, &reply_body.to_string()).await;
    assert_eq!(code, 0);
    assert_eq!(stored[0].post_id.as_deref(), Some(DEMO_POST));

    let (_, stored) = send(&server, &text(Some(DEMO_BLACKBOARD), "标题行\n正文")).await;
    let new_post = stored[0].post_id.clone().expect("a new post");
    assert!(new_post.starts_with("bpk"));
    let posts = store
        .list_posts_with_replies(DEMO_BLACKBOARD)
        .await
        .unwrap();
    let made = posts
        .iter()
        .find(|p| p.post_id == new_post)
        .expect("post listed");
    assert_eq!(made.title, "标题行");
    assert_eq!(made.message_id, Some(stored[0].id));
    let demo = posts.iter().find(|p| p.post_id == DEMO_POST).unwrap();
    assert_eq!(demo.reply_count, 1);

    // post_id with two targets is ignored: the blackboard gets a new post.
    let two = json!({"chatid": format!("{DEMO_BLACKBOARD}|{DEMO_GROUP}"), "post_id": DEMO_POST,
        "msgtype": "text", "text": {"content": "x"}});
    let (_, stored) = send(&server, &two.to_string()).await;
    let board = stored.iter().find(|m| m.chatid == DEMO_BLACKBOARD).unwrap();
    assert_ne!(board.post_id.as_deref(), Some(DEMO_POST));
    let group = stored.iter().find(|m| m.chatid == DEMO_GROUP).unwrap();
    assert_eq!(group.post_id, None);

    // An empty post_id is no post_id: a new post.
    let empty = json!({"chatid": DEMO_BLACKBOARD, "post_id": "", "msgtype": "text",
        "text": {"content": "fresh"}});
    let (code, stored) = send(&server, &empty.to_string()).await;
    assert_eq!(code, 0);
    assert!(
        stored[0]
            .post_id
            .as_deref()
            .is_some_and(|id| id.starts_with("bpk"))
    );

    // A post id that is not a post of this blackboard is refused; nothing is stored.
    let wrong = json!({"chatid": DEMO_BLACKBOARD, "post_id": "bpkNoSuchPost", "msgtype": "text",
        "text": {"content": "x"}});
    let (code, stored) = send(&server, &wrong.to_string()).await;
    assert_eq!(code, 40058);
    assert!(stored.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn blackboards_refuse_types_they_do_not_take_and_drop_mentions() {
    let server = TestServer::start().await;
    let v2 = json!({"chatid": DEMO_BLACKBOARD, "msgtype": "markdown_v2", "markdown_v2": {"content": "x"}});
    let (code, stored) = send(&server, &v2.to_string()).await;
    assert_eq!(code, 40008);
    assert!(stored.is_empty());
    // A reply to a post is still a blackboard message: same refusal.
    let v2_reply = json!({"chatid": DEMO_BLACKBOARD, "post_id": DEMO_POST,
        "msgtype": "markdown_v2", "markdown_v2": {"content": "x"}});
    let (code, stored) = send(&server, &v2_reply.to_string()).await;
    assert_eq!(code, 40008);
    assert!(stored.is_empty());
    let news_reply = json!({"chatid": DEMO_BLACKBOARD, "post_id": DEMO_POST, "msgtype": "news",
        "news": {"articles": [{"title": "t", "url": "https://example.com"}]}});
    assert_eq!(send(&server, &news_reply.to_string()).await.0, 40008);
    let mention = json!({"chatid": DEMO_BLACKBOARD, "msgtype": "text",
        "text": {"content": "hi <@zhangsan>", "mentioned_list": ["lisi"]}});
    let (_, stored) = send(&server, &mention.to_string()).await;
    assert_eq!(
        stored[0].mentions,
        ["zhangsan"],
        "mention lists are not supported on blackboards; inline mentions are"
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_ids_and_chats_without_the_bot_are_93008_and_store_nothing() {
    let server = TestServer::start().await;
    let store = &server.server.state().store;
    let now = 1_767_225_600_000;
    store
        .create_chat(
            ChatKind::Group,
            NewChat {
                chatid: Some("wrkOther".into()),
                name: "o".into(),
                members: vec![],
            },
            now,
        )
        .await
        .unwrap();
    for chatid in [
        "wrkNoSuchChat",
        "wrkOther",
        &format!("{DEMO_GROUP}|wrkOther"),
    ] {
        let (code, stored) = send(&server, &text(Some(chatid), "x")).await;
        assert_eq!(code, 93008, "{chatid}");
        assert!(stored.is_empty(), "all or nothing: {chatid}");
    }
    // A bot in no blackboard cannot reach @all_blackboard.
    let (key, _) = server.create_bot("lonely", &["wrkOther"], &[]).await;
    let reply = server.send_as(&key, &markdown("@all_blackboard")).await;
    assert_eq!(reply.errcode(), 93008);
    assert_eq!(reply.error_text(), "robot not in chat");
    assert_eq!(server.send_as(&key, &text(None, "mine")).await.errcode(), 0);
    assert_eq!(server.messages_in("wrkOther").await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_bot_removed_from_every_chat_has_an_invalid_webhook_url_for_broadcasts() {
    let server = TestServer::start().await;
    let (key, id) = server
        .create_bot("removed", &[DEMO_GROUP], &["zhangsan"])
        .await;
    let store = &server.server.state().store;
    store.set_bot_chat(&id, DEMO_GROUP, false).await.unwrap();
    let reply = server.send_as(&key, &text(None, "anyone?")).await;
    assert_eq!(
        (reply.errcode(), reply.error_text()),
        (93000, "invalid webhook url".to_owned())
    );
    // Its subscription scope still reaches users in single chats.
    let reply = server.send_as(&key, &text(Some("zhangsan"), "hi")).await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    server.stop().await;
}

#[tokio::test]
async fn a_userid_and_a_single_chat_id_both_reach_the_single_chat() {
    let server = TestServer::start().await;
    let (code, stored) = send(&server, &text(Some("zhangsan"), "hi")).await;
    assert_eq!(code, 0);
    let chatid = stored[0].chatid.clone();
    assert!(chatid.starts_with("wok"));
    assert_eq!(stored[0].chat_kind, ChatKind::Single);
    let (code, stored) = send(&server, &text(Some(&chatid), "again")).await;
    assert_eq!(code, 0);
    assert_eq!(stored[0].chatid, chatid);
    // visible_to_user does not apply to single chats; only zhangsan sees them at all.
    let lisi = MessageQuery {
        chatid: Some(chatid.clone()),
        as_user: Some("lisi".into()),
        ..MessageQuery::default()
    };
    assert!(server.query(lisi).await.is_empty());
    // Another bot cannot use this bot's single-chat id.
    let (key, _) = server.create_bot("other", &[DEMO_GROUP], &[]).await;
    assert_eq!(
        server
            .send_as(&key, &text(Some(&chatid), "x"))
            .await
            .errcode(),
        93008
    );
    server.stop().await;
}

#[tokio::test]
async fn the_sandbox_accepts_any_key_and_any_chat_id() {
    let server = TestServer::start_with(|c| c.accept_any_key = true).await;
    // (Not one of the official document's keys: the demo bot answers those.)
    let key = "5e8a1c2b-9c1d-4bc4-97a0-0ec2sifa5bbb";
    let reply = server
        .send_as(key, &text(None, "from production code"))
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    let bot = server
        .server
        .state()
        .store
        .bot_by_key(key)
        .await
        .unwrap()
        .expect("bot made");
    assert_eq!(bot.chats.len(), 1);
    assert_eq!(server.messages_in(&bot.chats[0]).await.len(), 1);
    assert_eq!(
        server
            .send_as(key, &text(Some("wrkFromProd"), "x"))
            .await
            .errcode(),
        0
    );
    assert_eq!(server.messages_in("wrkFromProd").await.len(), 1);
    // An empty key is still 93000.
    assert_eq!(server.send_as("", &text(None, "x")).await.errcode(), 93000);
    server.stop().await;
}

#[tokio::test]
async fn mentions_resolve_userids_mobiles_and_inline_ids_against_the_workspace() {
    let server = TestServer::start().await;
    let body = json!({"chatid": DEMO_GROUP, "msgtype": "text", "text": {
        "content": "<@lisi> <@ghost> hi",
        "mentioned_list": ["nobody", "zhangsan"],
        "mentioned_mobile_list": ["13800001111", "13999999999"]}});
    let (code, stored) = send(&server, &body.to_string()).await;
    assert_eq!(code, 0);
    assert_eq!(stored[0].mentions, ["lisi", "zhangsan", "wangqing"]);
    let md = json!({"chatid": DEMO_GROUP, "msgtype": "markdown",
        "markdown": {"content": "<@wangqing> 请查收"}});
    let (_, stored) = send(&server, &md.to_string()).await;
    assert_eq!(stored[0].mentions, ["wangqing"]);
    server.stop().await;
}
