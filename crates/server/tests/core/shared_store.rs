//! Several instances on one PostgreSQL database (`--database`): each sees what any other
//! stored, the demo workspace is created once however many start at once, limits hold across
//! them with Redis, uploads are served by any of them, the live events of each carry what any
//! did (and a resumed stream replays what it missed), and an outage of PostgreSQL is answered
//! with -1 (nothing acknowledged) until it is back, without a restart. Each test starts its own
//! cluster.

use std::time::Duration;

use futures_util::future::join_all;
use hookpit_server::store::{DEMO_BOT_ID, DEMO_GROUP};

use crate::support::events::{last_event_id, read_until, streamed_texts};
use crate::support::redis::Redis;
use crate::support::{TestServer, text, two_instances};
use hookpit_server::testing::Postgres;

async fn on(database: &str, redis: Option<&Redis>) -> TestServer {
    let database = database.to_owned();
    let redis = redis.map(Redis::url);
    TestServer::start_with(move |c| {
        c.database = Some(database);
        c.redis = redis;
    })
    .await
}

/// The texts stored in the demo group, oldest first.
async fn texts_in_demo_group(server: &TestServer) -> Vec<String> {
    server
        .messages_in(DEMO_GROUP)
        .await
        .iter()
        .map(|m| m.content["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn instances_started_at_once_share_one_workspace_and_see_each_others_writes() {
    let pg = Postgres::start();
    let database = pg.database();
    let (a, b) = two_instances(&database).await;
    // The demo workspace exists once, as on a single instance.
    let alone = TestServer::start_with(|c| c.database = None).await;
    let demo_bots = "SELECT COUNT(*) FROM bots WHERE is_demo = 1";
    assert_eq!(a.stored_integer(demo_bots), alone.stored_integer(demo_bots));
    let chats = "SELECT COUNT(*) FROM chats";
    assert_eq!(a.stored_integer(chats), alone.stored_integer(chats));
    alone.stop().await;

    // A bot created on one instance sends through the other at once.
    let (key, _) = a.create_bot("made on a", &[DEMO_GROUP], &[]).await;
    let reply = b
        .send_as(&key, &text(Some(DEMO_GROUP), "sent through b"))
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    // What one stored, the other lists.
    assert_eq!(b.send(&text(Some(DEMO_GROUP), "from b")).await.errcode(), 0);
    assert_eq!(a.send(&text(Some(DEMO_GROUP), "from a")).await.errcode(), 0);
    for server in [&a, &b] {
        let texts = texts_in_demo_group(server).await;
        assert_eq!(
            texts,
            ["sent through b", "from b", "from a"],
            "oldest first"
        );
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn media_uploaded_through_one_instance_is_sent_and_downloaded_through_another() {
    let pg = Postgres::start();
    let database = pg.database();
    let (a, b) = two_instances(&database).await;
    let media_id = a.upload_file("report.pdf", b"%PDF-1.4 shared").await;
    let body = format!(
        r#"{{"chatid": "{DEMO_GROUP}", "msgtype": "file", "file": {{"media_id": "{media_id}"}}}}"#
    );
    let reply = b.send(&body).await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    let download = b
        .http
        .get(b.url(&format!("/api/v1/media/{media_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"%PDF-1.4 shared");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn with_redis_exactly_100_of_150_sends_spread_over_instances_are_stored() {
    let pg = Postgres::start();
    let database = pg.database();
    let redis = Redis::start();
    let (a, b) = tokio::join!(on(&database, Some(&redis)), on(&database, Some(&redis)));
    let sends = (0..150).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        async move {
            server
                .send(&text(Some(DEMO_GROUP), &format!("spread {i}")))
                .await
                .errcode()
        }
    });
    let codes = join_all(sends).await;
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 100, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == 45009).count(),
        50,
        "{codes:?}"
    );
    assert_eq!(a.messages_in(DEMO_GROUP).await.len(), 100, "one store");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn while_postgres_is_down_sends_get_minus_1_and_it_recovers_without_a_restart() {
    let pg = Postgres::start();
    let server = on(&pg.database(), None).await;
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "before"))
            .await
            .errcode(),
        0
    );

    pg.pause();
    for i in 0..3 {
        let reply = server
            .send(&text(Some(DEMO_GROUP), &format!("during {i}")))
            .await;
        assert_eq!(reply.errcode(), -1, "nothing acknowledged: {}", reply.text);
    }
    let ready = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);

    pg.resume();
    let mut code = -2;
    for _ in 0..50 {
        code = server
            .send(&text(Some(DEMO_GROUP), "after"))
            .await
            .errcode();
        if code == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(code, 0, "accepted again once PostgreSQL is back");
    // Every session of the read pool broke with the restart: reads at once, as many as the
    // pool has sessions, all answer (none fails once before its session is reopened).
    let reads = (0..16).map(|_| async {
        let page = server.http.get(server.url("/api/v1/messages?limit=1"));
        page.send().await.unwrap().status().as_u16()
    });
    assert_eq!(join_all(reads).await, [200; 16]);
    let ready = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let texts = texts_in_demo_group(&server).await;
    assert_eq!(
        texts,
        ["before", "after"],
        "every acknowledged message, and only those"
    );
    assert_eq!(DEMO_BOT_ID, server.messages().await[0].bot_id);
    server.stop().await;
}

#[tokio::test]
async fn an_event_stream_on_one_instance_carries_what_another_did_and_catches_up_by_id() {
    let pg = Postgres::start();
    let database = pg.database();
    let (a, b) = two_instances(&database).await;
    let open = |last: Option<i64>| {
        let request = b.http.get(b.url("/api/v1/events"));
        let request = match last {
            Some(id) => request.header("Last-Event-ID", id.to_string()),
            None => request,
        };
        request.send()
    };
    let mut stream = open(None).await.unwrap();
    read_until(&mut stream, "hookpit events").await;
    assert_eq!(a.send(&text(Some(DEMO_GROUP), "from a")).await.errcode(), 0);
    let seen = read_until(&mut stream, "from a").await;
    let last = last_event_id(&seen).expect("message events carry their id");

    // Dropped: what a accepts meanwhile is replayed when the stream resumes after `last`.
    drop(stream);
    for n in 0..3 {
        let missed = text(Some(DEMO_GROUP), &format!("missed {n}"));
        assert_eq!(a.send(&missed).await.errcode(), 0);
    }
    let mut resumed = open(Some(last)).await.unwrap();
    let seen = read_until(&mut resumed, "missed 2").await;
    assert_eq!(streamed_texts(&seen), ["missed 0", "missed 1", "missed 2"]);

    // Live again, this instance's own messages included, each once, in commit order.
    assert_eq!(b.send(&text(Some(DEMO_GROUP), "from b")).await.errcode(), 0);
    assert_eq!(
        a.send(&text(Some(DEMO_GROUP), "a again")).await.errcode(),
        0
    );
    let seen = read_until(&mut resumed, "a again").await;
    assert_eq!(streamed_texts(&seen), ["from b", "a again"]);

    // What is not stored travels too: a call refused by a is listed and streamed by b.
    assert_eq!(
        a.send_as("no-such-key", &text(None, "x")).await.errcode(),
        93000
    );
    let seen = read_until(&mut resumed, "event: rejection").await;
    assert!(seen.contains("93000"), "{seen}");
    let listed: serde_json::Value = b
        .http
        .get(b.url("/api/v1/rejections"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["rejections"][0]["errcode"], 93000, "{listed}");

    // Clearing through a empties b's inbox.
    let cleared = a
        .http
        .delete(a.url("/api/v1/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 200);
    read_until(&mut resumed, "event: cleared").await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn retention_runs_on_one_instance_at_a_time_and_passes_on_when_it_stops() {
    let pg = Postgres::start();
    let database = pg.database();
    let keeping_two = |database: String| {
        TestServer::start_with(move |c| {
            c.database = Some(database);
            c.max_messages = Some(2);
        })
    };
    let (a, b) = tokio::join!(keeping_two(database.clone()), keeping_two(database));
    let stored = "SELECT COUNT(*) FROM message_rows";
    // Each instance's maintenance makes a first pass as it starts, so either may lead already;
    // if neither does, asking makes `a` the leader. Exactly one leads.
    let a_leads = a.server.state().store.lead().await.unwrap();
    let b_leads = b.server.state().store.lead().await.unwrap();
    assert_ne!(a_leads, b_leads, "exactly one leader");
    let (leader, follower) = if a_leads { (a, b) } else { (b, a) };
    for n in 0..3 {
        let body = text(Some(DEMO_GROUP), &format!("old {n}"));
        assert_eq!(leader.send(&body).await.errcode(), 0);
    }
    prune(&leader).await;
    assert_eq!(leader.stored_integer(stored), 2);
    for n in 0..3 {
        let body = text(Some(DEMO_GROUP), &format!("new {n}"));
        assert_eq!(follower.send(&body).await.errcode(), 0);
    }
    assert_eq!(
        prune(&follower).await.messages,
        0,
        "the follower deletes nothing"
    );
    assert_eq!(follower.stored_integer(stored), 5);
    assert_eq!(prune(&leader).await.messages, 3);

    // The leader stops: its session ends, and the other takes over at its next pass.
    leader.stop().await;
    let after = text(Some(DEMO_GROUP), "after the leader");
    assert_eq!(follower.send(&after).await.errcode(), 0);
    let took_over = tokio::time::timeout(Duration::from_secs(10), async {
        while prune(&follower).await.messages != 1 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(took_over.is_ok(), "the follower never took over retention");
    assert_eq!(follower.stored_integer(stored), 2);
    follower.stop().await;
}

/// One maintenance pass of `server`.
async fn prune(server: &TestServer) -> hookpit_server::ops::Pruned {
    hookpit_server::ops::prune(server.server.state())
        .await
        .unwrap()
}
