//! Every message type through the builders, delivered to a real Hookpit.

use hookpit_client::{Error, MediaKind, SendRequest, Webhook, message};
use serde_json::json;

use crate::helpers::{BLACKBOARD, GROUP, PNG, POST, TestServer};

#[tokio::test]
async fn every_message_type_is_delivered_and_stored_as_sent() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    let file = bot
        .upload_media(MediaKind::File, "report.csv", b"a,b\n1,2\n".to_vec())
        .await
        .unwrap();
    let voice = bot
        .upload_media(MediaKind::Voice, "alert.amr", crate::helpers::amr(50))
        .await
        .unwrap();
    let cover = bot
        .upload_media(MediaKind::Image, "cover.png", PNG.to_vec())
        .await
        .unwrap();
    let requests: Vec<SendRequest> = vec![
        message::text("hello world")
            .mention("zhangsan")
            .mention_mobile("13800001111")
            .into(),
        message::markdown("**deploy** <font color=\"info\">done</font>")
            .chatid(GROUP)
            .into(),
        message::markdown_v2("| host | load |\n|---|---|\n| web-1 | 0.7 |\n").into(),
        message::image(PNG).into(),
        message::news()
            .article("中秋节礼品领取", "https://example.com/gifts")
            .description("今年中秋节公司有豪礼相送")
            .into(),
        message::file(file.media_id.clone()).into(),
        message::voice(voice.media_id.clone()).into(),
        message::text_notice("CPU over 90%")
            .field("host", "web-1")
            .field_file("log", "report.csv", file.media_id.clone())
            .action_url("https://example.com/d/1")
            .into(),
        message::miniprogram(
            "Order #12",
            cover.media_id.clone(),
            "wx8bd80126147dfAAA",
            "/index",
        )
        .into(),
    ];
    for request in &requests {
        let reply = bot.send(request.clone()).await.unwrap();
        assert_eq!((reply.errcode, reply.errmsg.as_str()), (0, "ok"));
    }
    let stored = hookpit.messages(GROUP).await;
    let types: Vec<&str> = stored
        .iter()
        .map(|item| item["msgtype"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        [
            "text",
            "markdown",
            "markdown_v2",
            "image",
            "news",
            "file",
            "voice",
            "template_card",
            "miniprogram"
        ]
    );
    assert_eq!(
        stored[0]["content"],
        json!({"content": "hello world", "mentioned_list": ["zhangsan"],
               "mentioned_mobile_list": ["13800001111"]})
    );
    assert_eq!(stored[1]["chatid"], GROUP);
    assert_eq!(stored[5]["content"], json!({"media_id": file.media_id}));
}

#[tokio::test]
async fn envelope_fields_reach_the_blackboard_post_and_the_visible_members() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    bot.send(message::text("reply").chatid(BLACKBOARD).post_id(POST))
        .await
        .unwrap();
    bot.send(message::markdown("secret").chatid(GROUP).visible_to("lisi"))
        .await
        .unwrap();
    let stored = hookpit.messages(BLACKBOARD).await;
    assert_eq!(stored[0]["post_id"], POST);
    assert_eq!(stored[0]["chat_type"], "blackboard");
    let stored = hookpit.messages(GROUP).await;
    assert_eq!(stored[0]["visible_to"], json!(["lisi"]));
}

#[tokio::test]
async fn the_server_refusal_carries_its_errcode_and_errmsg() {
    let hookpit = TestServer::start().await;
    let wrong_key = Webhook::new("not-a-key").base_url(hookpit.server.base_url());
    let error = wrong_key.send(message::text("hi")).await.unwrap_err();
    let Error::Api { code, errmsg } = &error else {
        panic!("not an API error: {error:?}")
    };
    assert_eq!(*code, 93000);
    assert!(
        errmsg.starts_with("invalid webhook url, hint: ["),
        "{errmsg}"
    );
}

#[tokio::test]
async fn with_validation_off_the_server_answers_for_an_invalid_message() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot().validate(false);
    let error = bot
        .send(message::markdown("x".repeat(4097)))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Api { code: 40058, .. }), "{error:?}");
    let error = bot
        .send_raw(r#"{"msgtype":"TEXT","text":{"content":"hi"}}"#)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(40008));
    assert!(hookpit.messages(GROUP).await.is_empty());
}

#[tokio::test]
async fn a_raw_body_is_sent_byte_for_byte() {
    let hookpit = TestServer::start().await;
    let body = r#"{"msgtype":"text","text":{"content":"raw","extra":1},"unknown":true}"#;
    hookpit.bot().send_raw(body).await.unwrap();
    let stored = hookpit.messages(GROUP).await;
    let id = stored[0]["id"].as_i64().unwrap();
    let one: serde_json::Value = reqwest::get(format!(
        "{}/api/v1/messages/{id}",
        hookpit.server.base_url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(one["raw_request"], body);
}

#[tokio::test]
async fn long_markdown_is_split_into_messages_the_server_accepts() {
    let hookpit = TestServer::start().await;
    let report = format!(
        "# Report\n\n```\n{}```\n\n| a | b |\n|---|---|\n{}",
        "log line\n".repeat(400),
        "| 1 | 2 |\n".repeat(300)
    );
    // 6.6 kB: a code block and a table, each too big to share a message with the other.
    let request: SendRequest = message::markdown(report).chatid(GROUP).into();
    let parts = hookpit_client::split_request(request.clone()).len();
    assert!(parts >= 2, "{parts}");
    let replies = hookpit.bot().send_split(request).await.unwrap();
    assert_eq!(replies.len(), parts);
    let stored = hookpit.messages(GROUP).await;
    assert_eq!(stored.len(), replies.len());
    for item in &stored {
        let content = item["content"]["content"].as_str().unwrap();
        assert!(content.len() <= 4096);
        assert_eq!(content.matches("```").count() % 2, 0, "{content}");
    }
}

#[tokio::test]
async fn the_markdown_helpers_render_as_wecom_shows_them_without_lints() {
    use hookpit_client::markdown::{Color, Table, font, mention};

    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    let line = format!(
        "**deploy** {} {} {}",
        font(Color::Info, "done"),
        font(Color::Comment, "12 s"),
        mention("zhangsan")
    );
    bot.send(message::markdown(line).chatid(GROUP))
        .await
        .unwrap();
    let table = Table::new(["host", "state"])
        .row(["web-1", "ok"])
        .row(["web-2", "disk | cpu"]);
    bot.send(message::markdown_v2(table.to_string()).chatid(GROUP))
        .await
        .unwrap();

    let items = hookpit
        .inbox()
        .messages(&hookpit_client::MessageFilter::new(), 10)
        .await
        .unwrap();
    for item in &items {
        assert!(item.lints.is_empty(), "{}: {:?}", item.msgtype, item.lints);
    }
    let table_html = &items[0].html;
    assert_eq!(table_html.matches("<tr").count(), 3, "{table_html}");
    assert!(table_html.contains("disk | cpu"), "{table_html}");
    assert_eq!(items[1].mentions, ["zhangsan"]);
}
