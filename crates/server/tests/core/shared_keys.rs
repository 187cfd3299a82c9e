//! On a store several instances share, each keeps its webhook keys in memory (`key_map.rs`),
//! and what it stores is still exact: a bot deleted, renamed or created through one instance
//! is seen by the next send through another, even while that one's map is trusted.

use std::time::Duration;

use hookpit_server::domain::BotPatch;
use hookpit_server::store::DEMO_GROUP;
use hookpit_server::testing::Postgres;

use crate::support::{TestServer, text, two_instances};

/// The bot names of the demo group's messages, oldest first.
async fn names_in_demo_group(server: &TestServer) -> Vec<String> {
    server
        .messages_in(DEMO_GROUP)
        .await
        .into_iter()
        .map(|m| m.bot_name)
        .collect()
}

#[tokio::test]
async fn a_bot_changed_through_one_instance_is_what_the_next_send_through_another_stores() {
    let pg = Postgres::start();
    let (a, b) = two_instances(&pg.database()).await;
    let store_a = &a.server.state().store;

    // Made on a: b's map lacks it, asks the database, and the send is stored.
    let (key, id) = a.create_bot("first", &[DEMO_GROUP], &[]).await;
    let reply = b.send_as(&key, &text(None, "one")).await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    // Sent again, so that b's map holds the key and a batch has just confirmed it.
    assert_eq!(b.send_as(&key, &text(None, "two")).await.errcode(), 0);
    assert_eq!(b.send_as(&key, &text(None, "three")).await.errcode(), 0);

    // Renamed on a: the very next message through b carries the new name.
    store_a
        .update_bot(
            &id,
            BotPatch {
                name: Some("renamed".to_owned()),
            },
        )
        .await
        .unwrap();
    assert_eq!(b.send_as(&key, &text(None, "four")).await.errcode(), 0);
    assert_eq!(
        names_in_demo_group(&b).await,
        ["first", "first", "first", "renamed"]
    );

    // Deleted on a: b refuses the key at once (its map still trusted), storing nothing.
    store_a.delete_bot(&id).await.unwrap();
    let reply = b.send_as(&key, &text(None, "after the deletion")).await;
    assert_eq!(reply.errcode(), 93000, "{}", reply.text);
    assert_eq!(names_in_demo_group(&a).await.len(), 4);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn once_the_trust_window_passes_a_deleted_key_is_refused_before_its_body_is_judged() {
    let pg = Postgres::start();
    let (a, b) = two_instances(&pg.database()).await;
    let (key, id) = a.create_bot("short-lived", &[DEMO_GROUP], &[]).await;
    assert_eq!(b.send_as(&key, &text(None, "warm")).await.errcode(), 0);
    a.server.state().store.delete_bot(&id).await.unwrap();
    // No batch on b confirms its map meanwhile: after the window it is reloaded.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let reply = b.send_as(&key, "{not json").await;
    assert_eq!(reply.errcode(), 93000, "{}", reply.text);
    a.stop().await;
    b.stop().await;
}
