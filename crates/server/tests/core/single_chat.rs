//! Single chats and 93005: the subscription scope, and the 3 proactive messages a bot may send
//! after the user acted in the single chat (official document, 消息发送频率限制).

use hookpit_server::store::{DEMO_BOT_ID, DEMO_GROUP};

use crate::support::{TestServer, text};

const NOT_ALLOWED: &str = "robot not allowed to send single chat message to user";

#[tokio::test]
async fn a_user_outside_the_scope_who_never_opened_a_chat_is_93005() {
    let server = TestServer::start().await;
    let reply = server.send(&text(Some("lisi"), "hi")).await;
    assert_eq!(
        (reply.errcode(), reply.error_text()),
        (93005, NOT_ALLOWED.to_owned())
    );
    assert!(server.messages().await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn after_the_user_opens_a_chat_the_bot_may_send_three_until_the_user_acts_again() {
    let server = TestServer::start().await;
    let store = &server.server.state().store;
    let chat = store
        .open_single_chat(DEMO_BOT_ID, "lisi", 0)
        .await
        .unwrap();
    assert_eq!(chat.quota_remaining, 3);
    for i in 0..3 {
        assert_eq!(
            server
                .send(&text(Some("lisi"), &format!("{i}")))
                .await
                .errcode(),
            0
        );
    }
    assert_eq!(
        server.send(&text(Some("lisi"), "4th")).await.errcode(),
        93005
    );
    // By chat id too.
    assert_eq!(
        server
            .send(&text(Some(&chat.chatid), "4th"))
            .await
            .errcode(),
        93005
    );
    // All or nothing: a request that also names a group stores nothing.
    let both = format!("{DEMO_GROUP}|lisi");
    assert_eq!(server.send(&text(Some(&both), "x")).await.errcode(), 93005);
    assert_eq!(server.messages().await.len(), 3);
    // The user acts again: three more.
    store
        .open_single_chat(DEMO_BOT_ID, "lisi", 0)
        .await
        .unwrap();
    for i in 0..3 {
        assert_eq!(
            server
                .send(&text(Some(&chat.chatid), &format!("again {i}")))
                .await
                .errcode(),
            0
        );
    }
    assert_eq!(
        server.send(&text(Some("lisi"), "7th")).await.errcode(),
        93005
    );
    assert_eq!(server.messages_in(&chat.chatid).await.len(), 6);
    server.stop().await;
}

#[tokio::test]
async fn a_subscribed_user_has_no_quota_until_removed_from_the_scope() {
    let server = TestServer::start().await;
    for i in 0..5 {
        assert_eq!(
            server
                .send(&text(Some("zhangsan"), &format!("{i}")))
                .await
                .errcode(),
            0
        );
    }
    let store = &server.server.state().store;
    store
        .set_subscription(DEMO_BOT_ID, "zhangsan", false)
        .await
        .unwrap();
    assert_eq!(
        server.send(&text(Some("zhangsan"), "out")).await.errcode(),
        93005
    );
    server.stop().await;
}

#[tokio::test]
async fn a_failed_request_does_not_spend_the_quota() {
    let server = TestServer::start().await;
    let store = &server.server.state().store;
    store
        .open_single_chat(DEMO_BOT_ID, "lisi", 0)
        .await
        .unwrap();
    // lisi is allowed but the second target is not: nothing is stored, no quota is spent.
    assert_eq!(
        server
            .send(&text(Some("lisi|wrkNoSuchChat"), "x"))
            .await
            .errcode(),
        93008
    );
    for i in 0..3 {
        assert_eq!(
            server
                .send(&text(Some("lisi"), &format!("{i}")))
                .await
                .errcode(),
            0
        );
    }
    server.stop().await;
}
