//! `hookpit send` and `hookpit upload` against a live Hookpit.

use insta::assert_snapshot;
use serde_json::json;

use crate::helpers::{GROUP, PNG, TestServer, amr};

#[tokio::test]
async fn send_text_prints_the_reply_with_json_and_the_server_stores_it() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    let output = hookpit
        .run(
            &[
                "send",
                "--webhook",
                &webhook,
                "text",
                "deploy done",
                "--mention",
                "zhangsan",
                "--chatid",
                GROUP,
                "--json",
            ],
            "",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r#"
    exit: 0
    --- stdout
    {"errcode":0,"errmsg":"ok"}
    --- stderr
    "#);
    let stored = hookpit.messages(GROUP).await;
    assert_eq!(
        stored[0]["content"],
        json!({"content": "deploy done", "mentioned_list": ["zhangsan"]})
    );
}

#[tokio::test]
async fn send_text_reads_stdin_and_takes_the_key_and_base_separately() {
    let hookpit = TestServer::start().await;
    let key = hookpit.server.demo_key().to_owned();
    let base = hookpit.server.base_url().to_owned();
    let output = hookpit
        .run(
            &[
                "send",
                "--key",
                &key,
                "--base",
                &base,
                "--chatid",
                GROUP,
                "text",
                "--mention-mobile",
                "13800001111",
            ],
            "disk almost full\n",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 0
    --- stdout
    --- stderr
    sent 1 message
    ");
    assert_eq!(
        hookpit.messages(GROUP).await[0]["content"],
        json!({"content": "disk almost full", "mentioned_mobile_list": ["13800001111"]})
    );
}

#[tokio::test]
async fn every_message_type_has_a_subcommand() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    hookpit.file("report.md", "**deploy** <font color=\"info\">done</font>\n");
    hookpit.file("table.md", "| host | load |\n|---|---|\n| web-1 | 0.7 |\n");
    hookpit.file("dot.png", PNG);
    hookpit.file("build.log", "line 1\nline 2\n");
    hookpit.file("alert.amr", amr(50));
    hookpit.file(
        "card.json",
        r#"{"card_type":"text_notice","main_title":{"title":"CPU over 90%"},
            "card_action":{"type":1,"url":"https://example.com"}}"#,
    );
    hookpit.file(
        "articles.json",
        r#"{"articles":[{"title":"From a file","url":"https://example.com/f"}]}"#,
    );
    hookpit.file(
        "raw.json",
        r#"{"msgtype":"text","text":{"content":"raw body"}}"#,
    );
    let commands: [&[&str]; 10] = [
        &["markdown", "report.md"],
        &["markdown-v2", "table.md"],
        &["image", "dot.png"],
        &[
            "news",
            "--title",
            "Release 2.0",
            "--url",
            "https://example.com/r",
            "--description",
            "What's new",
            "--title",
            "Second",
            "--url",
            "https://example.com/2",
        ],
        &["news", "articles.json"],
        &["file", "build.log"],
        &["voice", "alert.amr"],
        &["card", "card.json"],
        &["raw", "raw.json"],
        &["markdown", "--content", "inline **markdown**"],
    ];
    for command in commands {
        let mut args = vec!["send", "--webhook", &webhook, "--chatid", GROUP];
        args.extend_from_slice(command);
        let output = hookpit.run(&args, "").await;
        assert_eq!(output.code, 0, "{command:?}: {}", output.snapshot());
    }
    let stored = hookpit.messages(GROUP).await;
    let types: Vec<&str> = stored
        .iter()
        .map(|m| m["msgtype"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "markdown",
            "markdown_v2",
            "image",
            "news",
            "news",
            "file",
            "voice",
            "template_card",
            "text",
            "markdown"
        ]
    );
    assert_eq!(
        stored[3]["content"]["articles"][0]["description"],
        "What's new"
    );
    assert_eq!(stored[3]["content"]["articles"][1]["title"], "Second");
    assert_eq!(stored[4]["content"]["articles"][0]["title"], "From a file");
    assert_eq!(stored[8]["content"]["content"], "raw body");
}

#[tokio::test]
async fn a_whole_url_passed_as_the_key_gets_93000_and_the_hint() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    let base = hookpit.server.base_url().to_owned();
    let output = hookpit
        .run(
            &["send", "--key", &webhook, "--base", &base, "text", "hi"],
            "",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 3
    --- stdout
    --- stderr
    error: errcode 93000: invalid webhook url, hint: [HINT], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=93000
    hint: the key is unknown or the bot was removed. Pass the key, not the whole URL: --key takes the part after `key=` (or use --webhook with the whole URL)
    ");
}

#[tokio::test]
async fn markdown_over_4096_bytes_is_refused_locally_with_40058_and_the_split_hint() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    let long = "x".repeat(4097);
    let output = hookpit
        .run(
            &[
                "send",
                "--webhook",
                &webhook,
                "markdown",
                "--content",
                &long,
            ],
            "",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 2
    --- stdout
    --- stderr
    error: invalid request, errcode 40058: markdown.content exceed max length 4096. invalid Request Parameter
    hint: a field is too long or malformed (the errmsg names it): text ≤ 5120 bytes, markdown ≤ 4096 bytes of UTF-8. Long text or markdown can go out as several messages with --split
    ");
}

#[tokio::test]
async fn without_validation_the_server_refusal_is_printed_as_json_and_exits_3() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    let long = "x".repeat(4097);
    let output = hookpit
        .run(
            &[
                "send",
                "--webhook",
                &webhook,
                "--no-validate",
                "--json",
                "markdown",
                "--content",
                &long,
            ],
            "",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r#"
    exit: 3
    --- stdout
    {"errcode":40058,"errmsg":"markdown.content exceed max length 4096. invalid Request Parameter, hint: [HINT], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=40058"}
    --- stderr
    error: errcode 40058: markdown.content exceed max length 4096. invalid Request Parameter, hint: [HINT], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=40058
    hint: a field is too long or malformed (the errmsg names it): text ≤ 5120 bytes, markdown ≤ 4096 bytes of UTF-8. Long text or markdown can go out as several messages with --split
    "#);
}

#[tokio::test]
async fn split_sends_long_markdown_as_several_messages_each_under_the_limit() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    let report = format!(
        "# Build log\n\n```\n{}```\n",
        "compiling crate\n".repeat(400)
    );
    let output = hookpit
        .run(
            &[
                "send",
                "--webhook",
                &webhook,
                "--chatid",
                GROUP,
                "markdown",
                "-",
                "--split",
            ],
            &report,
        )
        .await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 0
    --- stdout
    --- stderr
    sent 2 messages
    ");
    for message in hookpit.messages(GROUP).await {
        let content = message["content"]["content"].as_str().unwrap();
        assert!(content.len() <= 4096);
        assert!(content.trim_end().ends_with("```"), "{content}");
    }
}

#[tokio::test]
async fn a_rate_limited_send_exits_3_with_the_45009_hint() {
    let hookpit = TestServer::with(|config| config.rate_per_chat = Some(1)).await;
    let webhook = hookpit.webhook();
    let args = [
        "send",
        "--webhook",
        &webhook,
        "--chatid",
        GROUP,
        "--retries",
        "0",
        "text",
        "x",
    ];
    assert_eq!(hookpit.run(&args, "").await.code, 0);
    let output = hookpit.run(&args, "").await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 3
    --- stdout
    --- stderr
    error: errcode 45009: api freq out of limit, hint: [HINT], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=45009
    hint: rate limit: WeCom takes 20 messages per minute per bot (public document; 100 per chat in the internal one). Wait a minute, send less often, or raise --retries
    ");
}

#[tokio::test]
async fn upload_prints_the_media_id_and_json_prints_the_reply() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    hookpit.file("build.log", "line 1\n");
    let output = hookpit
        .run(&["upload", "--webhook", &webhook, "build.log"], "")
        .await;
    assert_eq!((output.code, output.stderr.as_str()), (0, ""));
    let media_id = output.stdout.trim();
    assert!(!media_id.is_empty() && !media_id.contains(char::is_whitespace));
    let output = hookpit
        .run(
            &[
                "upload",
                "--webhook",
                &webhook,
                "--type",
                "voice",
                "build.log",
                "--json",
            ],
            "",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 2
    --- stdout
    --- stderr
    error: invalid request, errcode 40004: invalid media type
    hint: the file is not of its --type: a voice must be AMR (ffmpeg -i in.mp3 -ar 8000 -ac 1 out.amr)
    ");
}

#[tokio::test]
async fn send_miniprogram_uploads_the_cover_as_an_image_and_sends_the_card() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    hookpit.file("cover.png", PNG);
    let output = hookpit
        .run(
            &[
                "send",
                "--webhook",
                &webhook,
                "--chatid",
                GROUP,
                "miniprogram",
                "--title",
                "Order #12 shipped",
                "--appid",
                "wx8bd80126147dfAAA",
                "--page",
                "/pages/order?id=12",
                "--cover",
                "cover.png",
            ],
            "",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 0
    --- stdout
    --- stderr
    sent 1 message
    ");
    let stored = hookpit.messages(GROUP).await;
    let card = &stored[0]["content"];
    assert_eq!(stored[0]["msgtype"], "miniprogram");
    assert_eq!(
        (&card["title"], &card["appid"], &card["page"]),
        (
            &json!("Order #12 shipped"),
            &json!("wx8bd80126147dfAAA"),
            &json!("/pages/order?id=12")
        )
    );
    let media_id = card["pic_media_id"].as_str().unwrap();
    assert!(!media_id.is_empty() && media_id != "MEDIA_ID", "{media_id}");
}

#[tokio::test]
async fn send_miniprogram_takes_a_media_id_and_the_documents_example_answers_0() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    // The official document's example, placeholder cover and all (the demo workspace has it).
    let output = hookpit
        .run(
            &[
                "send",
                "--webhook",
                &webhook,
                "--chatid",
                GROUP,
                "miniprogram",
                "--title",
                "小程序测试消息",
                "--pic-media-id",
                "MEDIA_ID",
                "--appid",
                "wx8bd80126147dfAAA",
                "--pagepath",
                "/path/index.html",
                "--json",
            ],
            "",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r#"
    exit: 0
    --- stdout
    {"errcode":0,"errmsg":"ok"}
    --- stderr
    "#);
    assert_eq!(
        hookpit.messages(GROUP).await[0]["content"]["pic_media_id"],
        "MEDIA_ID"
    );
}

#[test]
fn send_miniprogram_needs_a_cover() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = crate::helpers::run_in(
        dir.path(),
        &[
            "send",
            "--key",
            "k",
            "miniprogram",
            "--title",
            "t",
            "--appid",
            "wx1",
            "--page",
            "/",
        ],
        "",
    );
    assert_snapshot!(output.snapshot(), @r"
    exit: 2
    --- stdout
    --- stderr
    error: the following required arguments were not provided:
      --cover <FILE>

    Usage: hookpit send miniprogram --title <TITLE> --appid <APPID> --page <PATH> --cover <FILE>

    For more information, try '--help'.
    ");
}

#[tokio::test]
async fn an_image_upload_to_a_server_without_image_uploads_gets_40005_and_names_the_flag() {
    let hookpit = TestServer::with(|config| config.upload_types.clear()).await;
    let webhook = hookpit.webhook();
    hookpit.file("cover.png", PNG);
    let output = hookpit
        .run(
            &[
                "upload",
                "--webhook",
                &webhook,
                "--type",
                "image",
                "cover.png",
            ],
            "",
        )
        .await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 3
    --- stdout
    --- stderr
    error: errcode 40005: invalid file type, hint: [HINT], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=40005
    hint: a picture must be JPG or PNG, and an upload's --type one the server takes: WeCom's public bots take file and voice; image (a mini-program cover) and video are of its internal document, which a Hookpit takes when started with `hookpit serve --upload-types image` (or image,video)
    ");
}

#[tokio::test]
async fn the_documents_placeholder_media_ids_answer_0_in_the_demo_workspace() {
    let hookpit = TestServer::start().await;
    let webhook = hookpit.webhook();
    // What `hookpit lint` warns about is what the demo workspace answers: every placeholder id.
    for placeholder in hookpit_render::PLACEHOLDER_MEDIA_IDS {
        let body = format!(
            r#"{{"chatid":"{GROUP}","msgtype":"file","file":{{"media_id":"{placeholder}"}}}}"#
        );
        hookpit.file("any.json", body);
        let output = hookpit
            .run(&["send", "--webhook", &webhook, "raw", "any.json"], "")
            .await;
        assert_eq!(output.code, 0, "{placeholder}: {}", output.snapshot());
    }
    // The voice example's id is the cover's too: a picture that also has a duration.
    hookpit.file(
        "voice.json",
        format!(r#"{{"chatid":"{GROUP}","msgtype":"voice","voice":{{"media_id":"MEDIA_ID"}}}}"#),
    );
    let output = hookpit
        .run(&["send", "--webhook", &webhook, "raw", "voice.json"], "")
        .await;
    assert_eq!(output.code, 0, "{}", output.snapshot());
}
