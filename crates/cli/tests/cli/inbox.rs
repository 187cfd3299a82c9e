//! `hookpit wait`, `hookpit messages` and `hookpit clear` against a live Hookpit: the whole
//! output of each (times and request ids redacted; message ids are stable in a fresh server).

use hookpit_client::message;
use insta::assert_snapshot;

use crate::helpers::{GROUP, TestServer};

/// A body the server refuses with 44004 (empty content).
const EMPTY_TEXT: &str = r#"{"msgtype":"text","text":{"content":""}}"#;

#[tokio::test]
async fn wait_prints_the_message_as_soon_as_it_is_stored() {
    let hookpit = TestServer::start().await;
    let base = hookpit.server.base_url().to_owned();
    let args = [
        "wait",
        "--base",
        &base,
        "--contains",
        "deploy done",
        "--timeout",
        "20s",
    ];
    let (output, ()) = tokio::join!(hookpit.run(&args, ""), async {
        hookpit.send(message::text("unrelated").chatid(GROUP)).await;
        hookpit
            .send(
                message::text("Deploy done: web-1")
                    .chatid(GROUP)
                    .mention("zhangsan"),
            )
            .await;
    });
    assert_snapshot!(output.snapshot(), @r"
    exit: 0
    --- stdout
    #2  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  text  Deploy done: web-1  @zhangsan
    --- stderr
    ");
}

#[tokio::test]
async fn wait_counts_messages_stored_before_it_started_unless_since_start() {
    let hookpit = TestServer::start().await;
    hookpit
        .send(message::markdown("**build #42** passed").chatid(GROUP))
        .await;
    let base = hookpit.server.base_url().to_owned();
    let found = hookpit
        .run(&["wait", "--base", &base, "--msgtype", "markdown"], "")
        .await;
    assert_snapshot!(found.snapshot(), @r"
    exit: 0
    --- stdout
    #1  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  markdown  **build #42** passed
    --- stderr
    ");
    let new_only = hookpit
        .run(
            &[
                "wait",
                "--base",
                &base,
                "--since-start",
                "--timeout",
                "200ms",
            ],
            "",
        )
        .await;
    assert_snapshot!(new_only.snapshot(), @r"
    exit: 5
    --- stdout
    --- stderr
    error: timed out after 200ms: 0 of 1 message (after #1) arrived
    hint: nothing was stored after #1: is the sender posting to [BASE]/cgi-bin/webhook/send?key=KEY (with --accept-any-key, any key)?
    ");
}

#[tokio::test]
async fn a_timeout_exits_5_and_tells_what_else_is_stored_and_what_was_refused() {
    let hookpit = TestServer::start().await;
    hookpit
        .send(message::text("deploy started").chatid(GROUP))
        .await;
    hookpit.send_refused(EMPTY_TEXT, 44004).await;
    let output = hookpit
        .run_env(
            &["wait", "--contains", "deploy done", "--timeout", "300ms"],
            "",
            &[("HOOKPIT_BASE", hookpit.server.base_url())],
        )
        .await;
    assert_snapshot!(output.snapshot(), @r#"
    exit: 5
    --- stdout
    --- stderr
    error: timed out after 300ms: 0 of 1 message (containing "deploy done") arrived
    note: other messages stored, newest first:
      #1  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  text  deploy started
    note: webhook calls the server refused, newest first:
      [TIME]  send  key [KEY…]  errcode 44004: empty content
    hint: a refused call gets a non-zero errcode, which senders often ignore; every refusal is listed at [BASE]/api/v1/rejections
    "#);
}

#[tokio::test]
async fn wait_count_prints_the_first_n_oldest_first_and_a_short_count_times_out() {
    let hookpit = TestServer::start().await;
    for text in ["one", "two", "three"] {
        hookpit.send(message::text(text).chatid(GROUP)).await;
    }
    let base = hookpit.server.base_url().to_owned();
    let two = hookpit
        .run(
            &["wait", "--base", &base, "--chatid", GROUP, "--count", "2"],
            "",
        )
        .await;
    assert_snapshot!(two.snapshot(), @r"
    exit: 0
    --- stdout
    #1  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  text  one
    #2  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  text  two
    --- stderr
    ");
    let after_one = hookpit
        .run(
            &[
                "wait",
                "--base",
                &base,
                "--after",
                "1",
                "--count",
                "3",
                "--timeout",
                "200ms",
            ],
            "",
        )
        .await;
    assert_snapshot!(after_one.snapshot(), @r"
    exit: 5
    --- stdout
    #2  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  text  two
    #3  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  text  three
    --- stderr
    error: timed out after 200ms: 2 of 3 messages (after #1) arrived
    ");
}

#[tokio::test]
async fn wait_json_prints_one_array_of_the_message_items() {
    let hookpit = TestServer::start().await;
    hookpit
        .send(
            message::text("disk almost full")
                .chatid(GROUP)
                .mention("zhangsan"),
        )
        .await;
    let base = hookpit.server.base_url().to_owned();
    let output = hookpit.run(&["wait", "--base", &base, "--json"], "").await;
    assert_snapshot!(output.snapshot(), @r#"
    exit: 0
    --- stdout
    [
      {
        "id": 1,
        "request_id": "[REQUEST_ID]",
        "bot": {
          "id": "demo",
          "name": "演示机器人"
        },
        "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
        "chat_type": "group",
        "msgtype": "text",
        "content": {
          "content": "disk almost full",
          "mentioned_list": [
            "zhangsan"
          ]
        },
        "visible_to": [],
        "mentions": [
          "zhangsan"
        ],
        "created_at": "[TIME]",
        "html": "<div class=\"hp-msg hp-msg-text\"><div class=\"hp-bubble hp-text\">disk almost full<div class=\"hp-mentions\"><span class=\"hp-mention\" data-userid=\"zhangsan\">@张三</span></div></div></div>",
        "lints": [],
        "from": {
          "id": "demo",
          "kind": "bot",
          "name": "演示机器人"
        }
      }
    ]
    --- stderr
    "#);
    let timed_out = hookpit
        .run(
            &[
                "wait",
                "--base",
                &base,
                "--json",
                "--msgtype",
                "image",
                "--timeout",
                "0",
            ],
            "",
        )
        .await;
    assert_snapshot!(timed_out.snapshot(), @r"
    exit: 5
    --- stdout
    []
    --- stderr
    error: timed out after 0s: 0 of 1 message (msgtype image) arrived
    note: other messages stored, newest first:
      #1  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  text  disk almost full  @zhangsan
    ");
}

#[tokio::test]
async fn messages_json_lists_the_newest_first() {
    let hookpit = TestServer::start().await;
    hookpit.send(message::text("first").chatid(GROUP)).await;
    hookpit
        .send(message::markdown("# second\n\n> quoted").chatid(GROUP))
        .await;
    let base = hookpit.server.base_url().to_owned();
    let output = hookpit
        .run(&["messages", "--base", &base, "--json"], "")
        .await;
    assert_snapshot!(output.snapshot(), @r##"
    exit: 0
    --- stdout
    [
      {
        "id": 2,
        "request_id": "[REQUEST_ID]",
        "bot": {
          "id": "demo",
          "name": "演示机器人"
        },
        "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
        "chat_type": "group",
        "msgtype": "markdown",
        "content": {
          "content": "# second\n\n> quoted"
        },
        "visible_to": [],
        "mentions": [],
        "created_at": "[TIME]",
        "html": "<div class=\"hp-msg hp-msg-markdown\"><div class=\"hp-bubble hp-md\"><h1 class=\"hp-md-h\">second</h1><div class=\"hp-md-line\"><br></div><blockquote class=\"hp-md-quote\"><div class=\"hp-md-line\">quoted</div></blockquote></div></div>",
        "lints": [],
        "from": {
          "id": "demo",
          "kind": "bot",
          "name": "演示机器人"
        }
      },
      {
        "id": 1,
        "request_id": "[REQUEST_ID]",
        "bot": {
          "id": "demo",
          "name": "演示机器人"
        },
        "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
        "chat_type": "group",
        "msgtype": "text",
        "content": {
          "content": "first"
        },
        "visible_to": [],
        "mentions": [],
        "created_at": "[TIME]",
        "html": "<div class=\"hp-msg hp-msg-text\"><div class=\"hp-bubble hp-text\">first</div></div>",
        "lints": [],
        "from": {
          "id": "demo",
          "kind": "bot",
          "name": "演示机器人"
        }
      }
    ]
    --- stderr
    "##);
}

#[tokio::test]
async fn messages_filters_lists_lines_and_says_when_the_limit_hides_more() {
    let hookpit = TestServer::start().await;
    for text in ["disk 91%", "disk 95%", "cpu 80%"] {
        hookpit.send(message::text(text).chatid(GROUP)).await;
    }
    let base = hookpit.server.base_url().to_owned();
    let limited = hookpit
        .run(
            &[
                "messages",
                "--base",
                &base,
                "--contains",
                "DISK",
                "--limit",
                "1",
            ],
            "",
        )
        .await;
    assert_snapshot!(limited.snapshot(), @r"
    exit: 0
    --- stdout
    #2  [TIME]  wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw  演示机器人  text  disk 95%
    --- stderr
    the newest 1 shown; more are stored (--limit N shows more)
    ");
    let none = hookpit
        .run(&["messages", "--base", &base, "--msgtype", "news"], "")
        .await;
    assert_snapshot!(none.snapshot(), @r"
    exit: 0
    --- stdout
    --- stderr
    no messages
    ");
}

#[tokio::test]
async fn clear_deletes_every_message_and_says_how_many() {
    let hookpit = TestServer::start().await;
    hookpit.send(message::text("one").chatid(GROUP)).await;
    hookpit.send(message::text("two").chatid(GROUP)).await;
    let base = hookpit.server.base_url().to_owned();
    let cleared = hookpit.run(&["clear", "--base", &base], "").await;
    assert_snapshot!(cleared.snapshot(), @r"
    exit: 0
    --- stdout
    --- stderr
    deleted 2 messages
    ");
    let again = hookpit.run(&["clear", "--base", &base, "--json"], "").await;
    assert_snapshot!(again.snapshot(), @r#"
    exit: 0
    --- stdout
    {"deleted":0}
    --- stderr
    "#);
    assert!(hookpit.messages(GROUP).await.is_empty());
}

#[tokio::test]
async fn with_an_admin_token_the_inbox_commands_need_it_and_never_print_it() {
    let hookpit =
        TestServer::with(|config| config.admin_token = Some("s3cret-token".to_owned())).await;
    hookpit.send(message::text("hi").chatid(GROUP)).await;
    let base = hookpit.server.base_url().to_owned();
    let refused = hookpit.run(&["messages", "--base", &base], "").await;
    assert_snapshot!(refused.snapshot(), @r"
    exit: 3
    --- stdout
    --- stderr
    error: Hookpit answered HTTP 401 unauthorized: this server requires the admin token: send Authorization: Bearer TOKEN
    hint: pass the server's admin token with --admin-token, HOOKPIT_ADMIN_TOKEN or --admin-token-file
    ");
    let from_env = hookpit
        .run_env(
            &["wait", "--base", &base, "--timeout", "0"],
            "",
            &[("HOOKPIT_ADMIN_TOKEN", "s3cret-token")],
        )
        .await;
    assert_eq!(from_env.code, 0, "{}", from_env.snapshot());
    hookpit.file("token", "s3cret-token\n");
    let from_file = hookpit
        .run(
            &["clear", "--base", &base, "--admin-token-file", "token"],
            "",
        )
        .await;
    assert_snapshot!(from_file.snapshot(), @r"
    exit: 0
    --- stdout
    --- stderr
    deleted 1 message
    ");
    let help = hookpit
        .run_env(
            &["wait", "--help"],
            "",
            &[("HOOKPIT_ADMIN_TOKEN", "s3cret-token")],
        )
        .await;
    assert!(!help.stdout.contains("s3cret"), "{}", help.stdout);
}
