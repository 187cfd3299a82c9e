//! Durability: what was acknowledged survives a restart, with the same demo key; retention
//! prunes by count and by age.

use std::time::Duration;

use hookpit_server::config::SyncMode;
use hookpit_server::store::{DEMO_BOT_ID, DEMO_GROUP};

use crate::support::{TestServer, text};

#[tokio::test]
async fn a_restart_keeps_messages_bots_media_quotas_and_the_demo_key() {
    let server = TestServer::start_with(|c| c.sync = SyncMode::Full).await;
    let key = server.key().to_owned();
    for i in 0..25 {
        assert_eq!(
            server
                .send(&text(Some(DEMO_GROUP), &format!("m{i}")))
                .await
                .errcode(),
            0
        );
    }
    let media_id = server.upload_file("keep.txt", b"kept bytes").await;
    let (bot_key, _) = server.create_bot("second", &[DEMO_GROUP], &[]).await;
    let store = &server.server.state().store;
    store
        .open_single_chat(DEMO_BOT_ID, "lisi", 0)
        .await
        .unwrap();
    assert_eq!(
        server.send(&text(Some("lisi"), "1 of 3")).await.errcode(),
        0
    );
    let before = server.messages().await;

    let server = server.restart().await;
    assert_eq!(server.key(), key, "the demo key is stable");
    assert_eq!(server.messages().await, before);
    let store = &server.server.state().store;
    assert!(store.get_media(&media_id).await.unwrap().is_some());
    assert_eq!(
        server
            .send(&format!(
                r#"{{"msgtype":"file","file":{{"media_id":"{media_id}"}}}}"#
            ))
            .await
            .errcode(),
        0
    );
    assert_eq!(
        server
            .send_as(&bot_key, &text(None, "second bot"))
            .await
            .errcode(),
        0
    );
    // Two proactive messages were left, and still are.
    assert_eq!(
        server.send(&text(Some("lisi"), "2 of 3")).await.errcode(),
        0
    );
    assert_eq!(
        server.send(&text(Some("lisi"), "3 of 3")).await.errcode(),
        0
    );
    assert_eq!(server.send(&text(Some("lisi"), "4")).await.errcode(), 93005);
    // Ids keep growing after a restart.
    let after = server.messages().await;
    assert!(after.last().unwrap().id > before.last().unwrap().id);
    server.stop().await;
}

#[tokio::test]
async fn retention_keeps_the_newest_max_messages() {
    let server = TestServer::start_with(|c| c.max_messages = Some(10)).await;
    for i in 0..15 {
        assert_eq!(
            server
                .send(&text(Some(DEMO_GROUP), &format!("m{i}")))
                .await
                .errcode(),
            0
        );
    }
    let pruned = hookpit_server::ops::prune(server.server.state())
        .await
        .unwrap();
    assert_eq!(pruned.messages, 5);
    let left: Vec<String> = server
        .messages()
        .await
        .iter()
        .map(|m| m.content["content"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (5..15).map(|i| format!("m{i}")).collect();
    assert_eq!(left, expected);
    let chat = server
        .server
        .state()
        .store
        .chat_summary(DEMO_GROUP)
        .await
        .unwrap();
    assert_eq!(chat.message_count, 10);
    server.stop().await;
}

#[tokio::test]
async fn retention_drops_messages_older_than_max_age() {
    let server = TestServer::start_with(|c| c.max_age = Some(Duration::from_secs(3600))).await;
    assert_eq!(
        server.send(&text(Some(DEMO_GROUP), "old")).await.errcode(),
        0
    );
    server.clock.advance(Duration::from_secs(1800));
    assert_eq!(
        server.send(&text(Some(DEMO_GROUP), "new")).await.errcode(),
        0
    );
    server.clock.advance(Duration::from_secs(1801));
    let pruned = hookpit_server::ops::prune(server.server.state())
        .await
        .unwrap();
    assert_eq!(pruned.messages, 1);
    let left = server.messages().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].content["content"], "new");
    server.stop().await;
}
