//! `GET /api/v1/messages?q=`: the search language (text, phrases, fields, exclusions), the same
//! answers before and after the index has caught up, deleted and pruned messages gone from
//! results, and unknown parameters refused.
//!
//! Every search is asked twice, before and after `Store::index_search`, and must answer the
//! same: first mostly from the scan of the unindexed tail, then from the index (which part is
//! where depends on the indexing thread, which is why both must agree). The tail alone, with
//! the thread stopped, is tested next to the query in `store/messages.rs`.

use std::time::Duration;

use hookpit_server::store::{DEMO_BLACKBOARD, DEMO_CURL_GROUP, DEMO_GROUP};
use serde_json::{Value, json};

use crate::admin::{delete, get, items, post, send_text, texts};
use crate::callbacks::write;
use crate::support::TestServer;

/// The texts `q` finds (newest first), asked before and after the index catches up.
async fn search(server: &TestServer, q: &str) -> Vec<String> {
    let path = format!("/messages?q={}", urlencode(q));
    let before = texts(&items(&get(server, &path).await));
    server.server.state().store.index_search().await.unwrap();
    let after = texts(&items(&get(server, &path).await));
    assert_eq!(before, after, "{q}: the index changed the answer");
    after
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn send(server: &TestServer, body: &Value) {
    let reply = server.send(&body.to_string()).await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
}

#[tokio::test]
async fn chinese_words_english_words_and_phrases_are_found_as_substrings() {
    let server = TestServer::start().await;
    for text in [
        "【告警】db-7 磁盘使用率 91%",
        "Disk usage on db-7 is back to 40%",
        "告 警 with a space is not the word",
        "部署完成：版本 3.2 已上线",
        "ramdisk full on cache-1",
    ] {
        send_text(&server, Some(DEMO_GROUP), text).await;
    }
    assert_eq!(
        search(&server, "告警").await,
        ["【告警】db-7 磁盘使用率 91%"]
    );
    assert_eq!(
        search(&server, "disk").await,
        [
            "ramdisk full on cache-1",
            "Disk usage on db-7 is back to 40%"
        ],
        "ASCII case is ignored, and a word may be part of a longer one"
    );
    assert_eq!(
        search(&server, "磁盘使用率 9").await,
        ["【告警】db-7 磁盘使用率 91%"]
    );
    assert_eq!(
        search(&server, "\"版本 3.2 已上线\"").await,
        ["部署完成：版本 3.2 已上线"]
    );
    // Every part must hold; a phrase keeps its words together and in order.
    assert_eq!(
        search(&server, "disk db-7").await,
        ["Disk usage on db-7 is back to 40%"]
    );
    assert!(search(&server, "\"disk 7\"").await.is_empty());
    assert!(search(&server, "\"40% back\"").await.is_empty());
    // Short words are answered too (by a scan): one character, two ASCII ones.
    assert_eq!(search(&server, "：").await, ["部署完成：版本 3.2 已上线"]);
    assert_eq!(
        search(&server, "40").await,
        ["Disk usage on db-7 is back to 40%"]
    );
    // Quotes and LIKE wildcards are literal text.
    assert_eq!(search(&server, "%").await.len(), 2);
    assert!(search(&server, "_").await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_minus_excludes_words_and_fields() {
    let server = TestServer::start().await;
    send_text(&server, Some(DEMO_GROUP), "deploy started").await;
    send_text(&server, Some(DEMO_GROUP), "deploy heartbeat").await;
    send(
        &server,
        &json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {"content": "**deploy** done"}}),
    )
    .await;
    assert_eq!(search(&server, "deploy -heartbeat").await.len(), 2);
    assert_eq!(
        search(&server, "deploy -heartbeat -msgtype:markdown").await,
        ["deploy started"]
    );
    assert_eq!(search(&server, "-deploy").await.len(), 0);
    server.stop().await;
}

#[tokio::test]
async fn msgtype_bot_chat_and_dates_narrow_a_search() {
    let server = TestServer::start().await;
    let (other_key, _) = server.create_bot("夜班机器人", &[DEMO_GROUP], &[]).await;
    send_text(&server, Some(DEMO_GROUP), "alert one").await;
    server.clock.advance(Duration::from_secs(86_400));
    send_text(&server, Some(DEMO_CURL_GROUP), "alert two").await;
    let reply = server
        .send_as(
            &other_key,
            &crate::support::text(Some(DEMO_GROUP), "alert three"),
        )
        .await;
    assert_eq!(reply.errcode(), 0);
    send(
        &server,
        &json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {"content": "alert four"}}),
    )
    .await;

    assert_eq!(
        search(&server, "alert msgtype:markdown").await,
        ["alert four"]
    );
    assert_eq!(search(&server, "bot:夜班机器人").await, ["alert three"]);
    let other_id = items(
        &get(
            &server,
            "/messages?q=bot:%E5%A4%9C%E7%8F%AD%E6%9C%BA%E5%99%A8%E4%BA%BA",
        )
        .await,
    )[0]["bot"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        search(&server, &format!("bot:{other_id}")).await,
        ["alert three"]
    );
    assert_eq!(search(&server, "alert -bot:demo").await, ["alert three"]);
    assert_eq!(
        search(&server, &format!("chat:{DEMO_CURL_GROUP}")).await,
        ["alert two"]
    );
    // A chat by its name (the demo group is 吃货群), quoted or not.
    assert_eq!(search(&server, "alert chat:\"吃货群\"").await.len(), 3);
    // Messages were sent on 2026-01-01 and 2026-01-02 (UTC).
    assert_eq!(
        search(&server, "alert before:2026-01-02").await,
        ["alert one"]
    );
    assert_eq!(search(&server, "alert after:2026-01-02").await.len(), 3);
    assert_eq!(
        search(
            &server,
            "after:2026-01-01T12:00:00Z before:2026-01-03 msgtype:text"
        )
        .await,
        ["alert three", "alert two"]
    );
    server.stop().await;
}

#[tokio::test]
async fn from_mention_has_and_unread_select_what_they_say() {
    let server = TestServer::start().await;
    let answer = write(&server, DEMO_GROUP, "收到，马上处理").await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    send_text(&server, Some(DEMO_GROUP), "<@lisi> 请处理").await;
    send(
        &server,
        &json!({"chatid": DEMO_GROUP, "msgtype": "text",
                "text": {"content": "全员注意", "mentioned_list": ["@all"]}}),
    )
    .await;
    let media_id = server.upload_file("report.txt", b"report").await;
    send(
        &server,
        &json!({"chatid": DEMO_GROUP, "msgtype": "file", "file": {"media_id": media_id}}),
    )
    .await;
    send(
        &server,
        &json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {
            "content": "审批", "attachments": [{"callback_id": "c1", "actions": [
                {"name": "ok", "text": "同意", "type": "button", "value": "1",
                 "replace_text": "已同意"}]}]}}),
    )
    .await;
    send(
        &server,
        &json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {"content": "无按钮"}}),
    )
    .await;

    assert_eq!(search(&server, "from:zhangsan").await, ["收到，马上处理"]);
    assert_eq!(search(&server, "from:张三").await, ["收到，马上处理"]);
    assert_eq!(search(&server, "mention:lisi").await, ["<@lisi> 请处理"]);
    assert_eq!(search(&server, "mention:李四").await, ["<@lisi> 请处理"]);
    assert_eq!(search(&server, "mention:all").await, ["全员注意"]);
    assert_eq!(search(&server, "has:buttons").await, ["审批"]);
    assert_eq!(
        search(&server, "msgtype:markdown -has:buttons").await,
        ["无按钮"]
    );
    let files = items(&get(&server, "/messages?q=has:file").await);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["msgtype"], "file");
    assert!(search(&server, "has:image").await.is_empty());

    // Read the chat, then one more message: only that one is unread.
    let read = post(&server, &format!("/chats/{DEMO_GROUP}/read"), &json!({})).await;
    assert_eq!(read.status, 204, "{:?}", read.body);
    send_text(&server, Some(DEMO_GROUP), "新消息").await;
    send_text(&server, Some(DEMO_BLACKBOARD), "黑板上的").await;
    assert_eq!(search(&server, "is:unread").await, ["黑板上的", "新消息"]);
    assert_eq!(
        search(&server, &format!("is:unread chat:{DEMO_GROUP}")).await,
        ["新消息"]
    );
    assert_eq!(
        search(&server, "-is:unread 请处理").await,
        ["<@lisi> 请处理"]
    );
    server.stop().await;
}

#[tokio::test]
async fn searches_page_with_the_cursor_like_any_list() {
    let server = TestServer::start().await;
    for n in 0..7 {
        send_text(&server, Some(DEMO_GROUP), &format!("告警 {n}")).await;
        send_text(&server, Some(DEMO_GROUP), &format!("noise {n}")).await;
    }
    server.server.state().store.index_search().await.unwrap();
    let mut seen = Vec::new();
    let mut path = "/messages?q=%E5%91%8A%E8%AD%A6&limit=3".to_owned();
    loop {
        let page = get(&server, &path).await;
        seen.extend(texts(&items(&page)));
        match page.body["next_cursor"].as_i64() {
            Some(cursor) => {
                path = format!("/messages?q=%E5%91%8A%E8%AD%A6&limit=3&before={cursor}")
            }
            None => break,
        }
    }
    let wanted: Vec<String> = (0..7).rev().map(|n| format!("告警 {n}")).collect();
    assert_eq!(seen, wanted);
    server.stop().await;
}

#[tokio::test]
async fn cleared_and_pruned_messages_disappear_from_results() {
    let server = TestServer::start().await;
    for n in 0..5 {
        send_text(&server, Some(DEMO_GROUP), &format!("backup {n} 完成")).await;
    }
    assert_eq!(search(&server, "backup").await.len(), 5);
    let store = &server.server.state().store;
    assert_eq!(store.prune(None, Some(2)).await.unwrap(), 3);
    assert_eq!(
        search(&server, "backup").await,
        ["backup 4 完成", "backup 3 完成"]
    );
    assert_eq!(search(&server, "完成").await.len(), 2);
    let cleared = delete(&server, "/messages").await;
    assert_eq!(cleared.status, 200);
    assert!(search(&server, "backup").await.is_empty());
    // New messages after a clear are found, old ones never come back.
    send_text(&server, Some(DEMO_GROUP), "backup 5 完成").await;
    assert_eq!(search(&server, "backup").await, ["backup 5 完成"]);
    // And the same after a restart.
    let server = server.restart().await;
    assert_eq!(search(&server, "完成").await, ["backup 5 完成"]);
    server.stop().await;
}

#[tokio::test]
async fn unknown_parameters_and_bad_searches_are_400s() {
    let server = TestServer::start().await;
    for query in [
        "chat=x",
        "text=hello",
        "cursor=3",
        "q=msgtype:nope",
        "q=has:video",
        "q=is:starred",
        "q=before:soon",
        "q=chat:",
    ] {
        let answer = get(&server, &format!("/messages?{query}")).await;
        assert_eq!(answer.status, 400, "{query}: {:?}", answer.body);
        assert_eq!(answer.code(), "bad_request", "{query}");
    }
    let message = get(&server, "/messages?chat=x").await.body["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("chat"), "{message}");
    // The token parameters of the access guard are not unknown.
    assert_eq!(get(&server, "/messages?access_token=t").await.status, 200);
    assert_eq!(get(&server, "/messages?token=t").await.status, 200);
    // A name the language does not know is text.
    send_text(&server, Some(DEMO_GROUP), "error:disk quota").await;
    assert_eq!(search(&server, "error:disk").await, ["error:disk quota"]);
    server.stop().await;
}

#[tokio::test]
async fn a_match_far_behind_many_newer_messages_is_found_whatever_the_case_or_escaping() {
    let server =
        TestServer::start_with(|c| c.limits = hookpit_server::config::LimitProfile::Off).await;
    send_text(
        &server,
        Some(DEMO_GROUP),
        "Backup FAILED: \"nightly\" run, path C:\\dumps",
    )
    .await;
    // More than a chunk of PostgreSQL's scan (1,000) and an index batch of SQLite's.
    for n in 0..1_200 {
        send_text(&server, Some(DEMO_GROUP), &format!("routine heartbeat {n}")).await;
    }
    let wanted = ["Backup FAILED: \"nightly\" run, path C:\\dumps"];
    // Quotes are never part of a term; a backslash is (JSON escapes it in the stored content).
    for q in ["backup failed", "nightly", "c:\\dumps", "FAILED"] {
        assert_eq!(search(&server, q).await, wanted, "{q}");
    }
    assert_eq!(
        search(&server, "\"heartbeat 119\"").await.len(),
        11,
        "119 and 1190–1199"
    );
}
