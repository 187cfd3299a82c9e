//! Rate limits (spec §5) and the identical-body rule, with the server's clock moved by hand:
//! no test waits for a minute to pass.

use std::time::Duration;

use hookpit_server::config::LimitProfile;
use hookpit_server::store::{DEMO_BOT_ID, DEMO_CURL_GROUP, DEMO_GROUP};

use crate::support::{TestServer, text};

/// Sends `n` distinct texts to `chatid`, asserting each is accepted.
async fn send_n(server: &TestServer, chatid: Option<&str>, n: usize, tag: &str) {
    for i in 0..n {
        let reply = server.send(&text(chatid, &format!("{tag} {i}"))).await;
        assert_eq!(reply.errcode(), 0, "{tag} {i}: {}", reply.text);
    }
}

#[tokio::test]
async fn the_public_profile_allows_20_per_minute_per_bot_in_a_sliding_window() {
    let server = TestServer::start_with(|c| c.limits = LimitProfile::Public).await;
    send_n(&server, Some(DEMO_GROUP), 10, "early").await;
    server.clock.advance(Duration::from_secs(30));
    send_n(&server, Some(DEMO_CURL_GROUP), 10, "late").await;
    let over = server.send(&text(Some(DEMO_GROUP), "one too many")).await;
    assert_eq!(
        (over.errcode(), over.error_text()),
        (45009, "api freq out of limit".to_owned())
    );
    assert_eq!(
        server.messages().await.len(),
        20,
        "the refused message is not stored"
    );
    // 31 s later the first 10 have left the window, the last 10 have not.
    server.clock.advance(Duration::from_secs(31));
    send_n(&server, Some(DEMO_GROUP), 10, "again").await;
    assert_eq!(
        server.send(&text(Some(DEMO_GROUP), "x")).await.errcode(),
        45009
    );
    server.stop().await;
}

#[tokio::test]
async fn the_internal_profile_allows_100_per_minute_per_chat() {
    let server = TestServer::start().await;
    send_n(&server, Some(DEMO_GROUP), 100, "g").await;
    assert_eq!(
        server.send(&text(Some(DEMO_GROUP), "101")).await.errcode(),
        45009
    );
    // Another chat has its own window.
    assert_eq!(
        server
            .send(&text(Some(DEMO_CURL_GROUP), "other"))
            .await
            .errcode(),
        0
    );
    // A request naming a full chat among others is refused whole and charges nothing.
    let both = format!("{DEMO_CURL_GROUP}|{DEMO_GROUP}");
    assert_eq!(
        server.send(&text(Some(&both), "both")).await.errcode(),
        45009
    );
    assert_eq!(server.messages_in(DEMO_CURL_GROUP).await.len(), 1);
    server.clock.advance(Duration::from_secs(60));
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "next minute"))
            .await
            .errcode(),
        0
    );
    server.stop().await;
}

#[tokio::test]
async fn the_internal_profile_allows_100_broadcasts_and_100_per_single_chat_user_per_minute() {
    let server = TestServer::start().await;
    send_n(&server, None, 100, "broadcast").await;
    assert_eq!(
        server.send(&text(Some("@all"), "101")).await.errcode(),
        45009
    );
    // Broadcasts and direct sends are counted apart.
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "direct"))
            .await
            .errcode(),
        0
    );

    send_n(&server, Some("zhangsan"), 100, "single").await;
    assert_eq!(
        server.send(&text(Some("zhangsan"), "101")).await.errcode(),
        45009
    );
    server.stop().await;
}

#[tokio::test]
async fn a_userid_and_its_single_chat_id_share_one_per_user_window() {
    let server = TestServer::start().await;
    let first = server.send(&text(Some("zhangsan"), "open")).await;
    assert_eq!(first.errcode(), 0, "{}", first.text);
    let single = server.messages().await[0].chatid.clone();
    assert!(single.starts_with("wok"), "{single}");
    // Alternating the two spellings of the same user cannot double the window.
    for i in 1..100 {
        let chatid = if i % 2 == 0 {
            "zhangsan"
        } else {
            single.as_str()
        };
        let reply = server.send(&text(Some(chatid), &format!("m{i}"))).await;
        assert_eq!(reply.errcode(), 0, "{i}: {}", reply.text);
    }
    for chatid in ["zhangsan", single.as_str()] {
        assert_eq!(
            server.send(&text(Some(chatid), "101st")).await.errcode(),
            45009,
            "{chatid}"
        );
    }
    // Both spellings in one request are one target: charged once, delivered once.
    server.clock.advance(Duration::from_secs(60));
    let both = format!("zhangsan|{single}");
    assert_eq!(server.send(&text(Some(&both), "both")).await.errcode(), 0);
    assert_eq!(server.messages_in(&single).await.len(), 101);
    server.stop().await;
}

#[tokio::test]
async fn overrides_replace_the_profiles_numbers() {
    let server = TestServer::start_with(|c| {
        c.rate_per_bot = Some(3);
    })
    .await;
    send_n(&server, Some(DEMO_GROUP), 2, "a").await;
    send_n(&server, Some(DEMO_CURL_GROUP), 1, "b").await;
    assert_eq!(
        server.send(&text(Some("zhangsan"), "4th")).await.errcode(),
        45009
    );
    server.stop().await;
}

#[tokio::test]
async fn a_second_identical_body_in_flight_is_45033() {
    let server = TestServer::start().await;
    let body = text(Some(DEMO_GROUP), "same");
    let state = server.server.state();
    // Hold the slot the first request would hold while it is being stored.
    let first = state
        .limiter
        .claim_body(DEMO_BOT_ID, body.as_bytes())
        .await
        .unwrap();
    let second = server.send(&body).await;
    assert_eq!(
        (second.errcode(), second.error_text()),
        (45033, "api concurrent out of limit".to_owned())
    );
    // Another body, or the same body for another bot, is not affected.
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "different"))
            .await
            .errcode(),
        0
    );
    drop(first);
    assert_eq!(server.send(&body).await.errcode(), 0);
    // Sequential identical bodies are fine: only concurrency is refused.
    assert_eq!(server.send(&body).await.errcode(), 0);
    server.stop().await;
}

#[tokio::test]
async fn concurrent_identical_bodies_are_either_stored_or_refused_with_45033() {
    let server = TestServer::start().await;
    let body = text(Some(DEMO_GROUP), "burst");
    let replies = futures_util::future::join_all((0..16).map(|_| server.send(&body))).await;
    let accepted = replies.iter().filter(|r| r.errcode() == 0).count();
    let refused = replies.iter().filter(|r| r.errcode() == 45033).count();
    assert_eq!(accepted + refused, 16, "only 0 or 45033");
    assert!(accepted >= 1);
    assert_eq!(server.messages().await.len(), accepted);
    server.stop().await;
}

#[tokio::test]
async fn profile_off_disables_every_limit_and_the_identical_body_rule() {
    let server = TestServer::start_with(|c| c.limits = LimitProfile::Off).await;
    send_n(&server, Some(DEMO_GROUP), 150, "free").await;
    let body = text(Some(DEMO_GROUP), "same");
    let state = server.server.state();
    let held = state
        .limiter
        .claim_body(DEMO_BOT_ID, body.as_bytes())
        .await
        .unwrap();
    assert!(held.is_none());
    assert_eq!(server.send(&body).await.errcode(), 0);
    server.stop().await;
}
