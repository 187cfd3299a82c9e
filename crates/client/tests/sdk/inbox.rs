//! The inbox client against a live Hookpit: waits that end when the message lands, time out
//! with what did arrive, count, filter; the list, clear, rejections and the admin token.

use std::time::Duration;

use hookpit_client::protocol::MsgType;
use hookpit_client::{Inbox, InboxError, MessageFilter, MessageItem, Webhook, message};
use hookpit_server::config::LimitProfile;

use crate::helpers::{BLACKBOARD, GROUP, TestServer};

/// Long enough for a loaded CI machine; a passing wait ends as soon as its message lands.
const PATIENCE: Duration = Duration::from_secs(20);

/// The text of each item, in order.
fn texts(items: &[MessageItem]) -> Vec<&str> {
    items
        .iter()
        .map(|item| item.text().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn wait_for_ends_when_a_message_sent_after_it_started_lands() {
    let hookpit = TestServer::start().await;
    let inbox = hookpit.inbox();
    let filter = MessageFilter::new().contains("deploy done");
    let waiting = tokio::spawn({
        let inbox = inbox.clone();
        let filter = filter.clone();
        async move { inbox.wait_for(&filter, PATIENCE).await }
    });
    // A short wait of its own that finds nothing: meanwhile the first wait is under way.
    let nothing = inbox.wait_for(&filter, Duration::from_millis(200)).await;
    assert!(nothing.is_err_and(|error| error.is_timeout()));
    assert!(!waiting.is_finished());
    hookpit
        .bot()
        .send(
            message::text("Deploy done: web-1")
                .chatid(GROUP)
                .mention("zhangsan"),
        )
        .await
        .unwrap();
    let item = waiting.await.unwrap().unwrap();
    assert_eq!(item.text(), Some("Deploy done: web-1"));
    assert_eq!(
        (
            item.bot.as_ref().map(|bot| bot.id.as_str()),
            item.chatid.as_str(),
            item.msgtype.as_str()
        ),
        (Some("demo"), GROUP, "text")
    );
    assert_eq!(item.chat_type, "group");
    assert_eq!(item.mentions, ["zhangsan"]);
    assert!(item.html.contains("Deploy done"), "{}", item.html);
    assert!(item.id > 0 && item.created_at.ends_with('Z'), "{item:?}");
}

#[tokio::test]
async fn wait_for_counts_a_message_stored_before_it_started() {
    let hookpit = TestServer::start().await;
    hookpit
        .bot()
        .send(message::text("already there").chatid(GROUP))
        .await
        .unwrap();
    let item = hookpit
        .inbox()
        .wait_for(&MessageFilter::new(), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(item.text(), Some("already there"));
}

#[tokio::test]
async fn a_wait_that_sees_no_match_times_out_with_the_distinct_error() {
    let hookpit = TestServer::start().await;
    hookpit
        .bot()
        .send(message::text("something else").chatid(GROUP))
        .await
        .unwrap();
    let filter = MessageFilter::new().chatid(GROUP).contains("deploy");
    let error = hookpit
        .inbox()
        .wait_for(&filter, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    let InboxError::TimedOut {
        waited,
        wanted,
        found,
        ..
    } = &error
    else {
        panic!("not a timeout: {error:?}")
    };
    assert!(*waited >= Duration::from_millis(300), "{waited:?}");
    assert_eq!((*wanted, found.len()), (1, 0));
    let waited = Duration::from_millis(u64::try_from(waited.as_millis()).unwrap());
    assert_eq!(
        error.to_string().replace(&format!("{waited:?}"), "[T]"),
        format!(
            "timed out after [T]: 0 of 1 message (chatid {GROUP}, containing \"deploy\") arrived"
        )
    );
}

#[tokio::test]
async fn wait_for_count_returns_the_first_n_oldest_first_once_all_arrived() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    bot.send(message::text("one").chatid(GROUP)).await.unwrap();
    let waiting = tokio::spawn({
        let inbox = hookpit.inbox();
        async move {
            inbox
                .wait_for_count(&MessageFilter::new().msgtype(MsgType::Text), 3, PATIENCE)
                .await
        }
    });
    for text in ["two", "three", "four"] {
        bot.send(message::text(text).chatid(GROUP)).await.unwrap();
    }
    let items = waiting.await.unwrap().unwrap();
    assert_eq!(texts(&items), ["one", "two", "three"]);
}

#[tokio::test]
async fn a_count_that_is_not_reached_times_out_with_the_messages_that_did_arrive() {
    let hookpit = TestServer::start().await;
    hookpit
        .bot()
        .send(message::text("only one").chatid(GROUP))
        .await
        .unwrap();
    let error = hookpit
        .inbox()
        .wait_for_count(&MessageFilter::new(), 2, Duration::from_millis(200))
        .await
        .unwrap_err();
    let InboxError::TimedOut { wanted, found, .. } = error else {
        panic!("not a timeout: {error:?}")
    };
    assert_eq!((wanted, texts(&found)), (2, vec!["only one"]));
}

#[tokio::test]
async fn chatid_msgtype_and_contains_filters_skip_every_other_message() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    bot.send(message::text("release 2.0 to the group").chatid(GROUP))
        .await
        .unwrap();
    bot.send(message::markdown("**release 2.0** notes").chatid(BLACKBOARD))
        .await
        .unwrap();
    bot.send(message::markdown("**hotfix** to the group").chatid(GROUP))
        .await
        .unwrap();
    let inbox = hookpit.inbox();
    let wait = |filter: MessageFilter| {
        let inbox = inbox.clone();
        async move { inbox.wait_for(&filter, Duration::ZERO).await.unwrap() }
    };
    let markdown_in_group = wait(
        MessageFilter::new()
            .chatid(GROUP)
            .msgtype(MsgType::Markdown),
    );
    assert_eq!(
        markdown_in_group.await.text(),
        Some("**hotfix** to the group")
    );
    let on_blackboard = wait(MessageFilter::new().chatid(BLACKBOARD)).await;
    assert_eq!(
        (on_blackboard.chat_type.as_str(), on_blackboard.text()),
        ("blackboard", Some("**release 2.0** notes"))
    );
    let release_markdown = wait(
        MessageFilter::new()
            .msgtype(MsgType::Markdown)
            .contains("RELEASE"),
    );
    assert_eq!(release_markdown.await.chatid, BLACKBOARD);
}

#[tokio::test]
async fn a_wait_after_the_latest_id_ignores_what_was_already_stored() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    let inbox = hookpit.inbox();
    assert_eq!(inbox.latest_id().await.unwrap(), 0);
    bot.send(message::text("deploy 1").chatid(GROUP))
        .await
        .unwrap();
    let mark = inbox.latest_id().await.unwrap();
    let filter = MessageFilter::new().after(mark).contains("deploy");
    let error = inbox
        .wait_for(&filter, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    bot.send(message::text("deploy 2").chatid(GROUP))
        .await
        .unwrap();
    let item = inbox.wait_for(&filter, PATIENCE).await.unwrap();
    assert_eq!((item.id, item.text()), (mark + 1, Some("deploy 2")));
}

#[tokio::test]
async fn wait_until_returns_the_first_message_the_predicate_accepts() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    bot.send(message::text("no mention").chatid(GROUP))
        .await
        .unwrap();
    bot.send(message::text("for lisi").chatid(GROUP).mention("lisi"))
        .await
        .unwrap();
    let item = hookpit
        .inbox()
        .wait_until(&MessageFilter::new(), PATIENCE, |item| {
            item.mentions.iter().any(|userid| userid == "lisi")
        })
        .await
        .unwrap();
    assert_eq!(item.text(), Some("for lisi"));
    let error = hookpit
        .inbox()
        .wait_until(
            &MessageFilter::new().chatid(GROUP),
            Duration::ZERO,
            |item| item.mentions.is_empty() && item.text() == Some("for lisi"),
        )
        .await
        .unwrap_err();
    assert!(
        error.to_string().ends_with(&format!(
            "0 of 1 message (chatid {GROUP}, matching the predicate) arrived"
        )),
        "{error}"
    );
}

#[tokio::test]
async fn a_wait_for_a_key_that_has_no_bot_yet_ends_when_its_first_message_creates_it() {
    let hookpit = TestServer::with(|config| config.accept_any_key = true).await;
    let filter = MessageFilter::new().key("ci-key-1");
    let waiting = tokio::spawn({
        let inbox = hookpit.inbox();
        async move { inbox.wait_for(&filter, PATIENCE).await }
    });
    hookpit
        .bot()
        .send(message::text("from the demo bot").chatid(GROUP))
        .await
        .unwrap();
    Webhook::new("ci-key-1")
        .base_url(hookpit.server.base_url())
        .send(message::text("from a sandbox bot"))
        .await
        .unwrap();
    let item = waiting.await.unwrap().unwrap();
    assert_eq!(item.text(), Some("from a sandbox bot"));
    assert_eq!(
        item.bot.map(|bot| bot.name).as_deref(),
        Some("sandbox ci-k…")
    );
}

#[tokio::test]
async fn a_count_larger_than_one_answer_keeps_polling_past_the_first_hundred() {
    let hookpit = TestServer::with(|config| config.limits = LimitProfile::Off).await;
    let bot = hookpit.bot();
    for n in 1..=130 {
        bot.send(message::text(format!("message {n}")).chatid(GROUP))
            .await
            .unwrap();
    }
    let items = hookpit
        .inbox()
        .wait_for_count(&MessageFilter::new().contains("message 12"), 2, PATIENCE)
        .await
        .unwrap();
    assert_eq!(texts(&items), ["message 12", "message 120"]);
    let everything = hookpit
        .inbox()
        .wait_for_count(&MessageFilter::new(), 130, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        everything.last().and_then(MessageItem::text),
        Some("message 130")
    );
}

#[tokio::test]
async fn messages_lists_newest_first_with_a_limit_a_text_search_and_a_mark() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    for text in ["alpha", "beta", "Gamma", "delta"] {
        bot.send(message::text(text).chatid(GROUP)).await.unwrap();
    }
    let inbox = hookpit.inbox();
    let all = inbox.messages(&MessageFilter::new(), 50).await.unwrap();
    assert_eq!(texts(&all), ["delta", "Gamma", "beta", "alpha"]);
    let two = inbox.messages(&MessageFilter::new(), 2).await.unwrap();
    assert_eq!(texts(&two), ["delta", "Gamma"]);
    let with_a = inbox
        .messages(&MessageFilter::new().contains("GA"), 50)
        .await
        .unwrap();
    assert_eq!(texts(&with_a), ["Gamma"]);
    let after_beta = inbox
        .messages(&MessageFilter::new().after(all[2].id), 50)
        .await
        .unwrap();
    assert_eq!(texts(&after_beta), ["delta", "Gamma"]);
    let unknown_key = inbox
        .messages(&MessageFilter::new().key("no-such-key"), 50)
        .await
        .unwrap();
    assert!(unknown_key.is_empty());
}

#[tokio::test]
async fn a_listed_text_is_matched_as_written_not_as_the_servers_search_syntax() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    for text in [
        "disk is full",
        "disk full on db-1",
        "-x msgtype:text before:soon",
        "say \"hi\" twice",
        "say hi",
    ] {
        bot.send(message::text(text).chatid(GROUP)).await.unwrap();
    }
    let inbox = hookpit.inbox();
    let found = |text: &'static str| {
        let inbox = inbox.clone();
        async move {
            let items = inbox
                .messages(&MessageFilter::new().contains(text), 50)
                .await
                .unwrap();
            texts(&items)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    // Two words in this order, not each word anywhere.
    assert_eq!(found("disk full").await, ["disk full on db-1"]);
    // A `-`, a field name and a value that is no date are text, not an exclusion, a filter and
    // a 400.
    assert_eq!(
        found("-x msgtype:text before:soon").await,
        ["-x msgtype:text before:soon"]
    );
    // Quotes cannot be quoted for the server: this side filters.
    assert_eq!(found("\"hi\"").await, ["say \"hi\" twice"]);
}

#[tokio::test]
async fn clear_deletes_every_message_says_how_many_and_ids_go_on_increasing() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    bot.send(message::text("one").chatid(GROUP)).await.unwrap();
    bot.send(message::text("two").chatid(BLACKBOARD))
        .await
        .unwrap();
    let inbox = hookpit.inbox();
    let before = inbox.latest_id().await.unwrap();
    assert_eq!(inbox.clear().await.unwrap(), 2);
    assert!(
        inbox
            .messages(&MessageFilter::new(), 50)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(inbox.clear().await.unwrap(), 0);
    bot.send(message::text("three").chatid(GROUP))
        .await
        .unwrap();
    let item = inbox
        .wait_for(&MessageFilter::new(), Duration::ZERO)
        .await
        .unwrap();
    assert!(item.id > before, "{} <= {before}", item.id);
}

#[tokio::test]
async fn rejections_list_the_refused_calls_newest_first_with_the_key_masked() {
    let hookpit = TestServer::start().await;
    let unchecked = hookpit.bot().validate(false);
    let error = unchecked
        .send_raw(r#"{"msgtype":"text","text":{"content":""}}"#)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(44004));
    let error = Webhook::new("wrong-key")
        .base_url(hookpit.server.base_url())
        .send(message::text("hi").chatid(GROUP))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(93000));
    let rejections = hookpit.inbox().rejections().await.unwrap();
    let seen: Vec<(i64, &str, &str)> = rejections
        .iter()
        .map(|r| (r.errcode, r.key.as_str(), r.endpoint.as_str()))
        .collect();
    let demo = format!("{}…", &hookpit.server.demo_key()[..4]);
    assert_eq!(
        seen,
        [(93000, "wron…", "send"), (44004, demo.as_str(), "send")]
    );
    assert!(rejections[1].body_excerpt.contains("\"content\":\"\""));
    assert!(rejections[0].errmsg.starts_with("invalid webhook url"));
}

#[tokio::test]
async fn with_an_admin_token_the_inbox_needs_it_and_never_shows_it() {
    let hookpit = TestServer::with(|config| config.admin_token = Some("s3cret".to_owned())).await;
    hookpit
        .bot()
        .send(message::text("hi").chatid(GROUP))
        .await
        .unwrap();
    let error = hookpit
        .inbox()
        .messages(&MessageFilter::new(), 1)
        .await
        .unwrap_err();
    let InboxError::Api { status, code, .. } = &error else {
        panic!("not an API error: {error:?}")
    };
    assert_eq!((*status, code.as_str()), (401, "unauthorized"));
    let wrong = Inbox::new(hookpit.server.base_url()).admin_token("guess");
    assert!(matches!(
        wrong.clear().await,
        Err(InboxError::Api { status: 401, .. })
    ));
    let inbox = hookpit.inbox().admin_token("s3cret");
    let item = inbox
        .wait_for(&MessageFilter::new(), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(item.text(), Some("hi"));
    assert_eq!(inbox.clear().await.unwrap(), 1);
    assert!(!format!("{inbox:?}").contains("s3cret"));
}

#[tokio::test]
async fn a_url_that_is_not_a_hookpit_fails_with_its_status_and_no_server_fails_as_network() {
    let hookpit = TestServer::start().await;
    let not_api = Inbox::new(format!("{}/cgi-bin", hookpit.server.base_url()));
    let error = not_api.clear().await.unwrap_err();
    assert!(
        matches!(
            error,
            InboxError::Status { status: 404, .. }
                | InboxError::Api {
                    status: 404 | 405,
                    ..
                }
        ),
        "{error:?}"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let nobody = Inbox::new(format!("http://127.0.0.1:{port}"));
    let error = nobody
        .wait_for(&MessageFilter::new(), PATIENCE)
        .await
        .unwrap_err();
    assert!(matches!(error, InboxError::Network(_)), "{error:?}");
}
