//! `GET /api/v1/messages` (filters, pagination, visibility), one message with its request,
//! clearing, pictures, media downloads, and the chat list's unread counts.

use std::collections::HashSet;

use hookpit_server::store::{DEMO_BLACKBOARD, DEMO_BOT_ID, DEMO_GROUP};
use serde_json::json;

use crate::admin::{delete, get, items, post, send_text, texts};
use crate::support::{PNG_1X1, TestServer};

#[tokio::test]
async fn messages_are_listed_newest_first_as_documented_items() {
    let server = TestServer::start().await;
    send_text(&server, Some(DEMO_GROUP), "first").await;
    send_text(&server, Some(DEMO_GROUP), "second <@zhangsan>").await;
    let list = items(&get(&server, &format!("/messages?chatid={DEMO_GROUP}")).await);
    assert_eq!(texts(&list), ["second <@zhangsan>", "first"]);
    let item = &list[0];
    assert_eq!(item["chatid"], DEMO_GROUP);
    assert_eq!(item["chat_type"], "group");
    assert_eq!(item["msgtype"], "text");
    assert_eq!(item["bot"]["id"], DEMO_BOT_ID);
    assert_eq!(item["visible_to"], json!([]));
    assert_eq!(item["mentions"], json!(["zhangsan"]));
    assert_eq!(item["created_at"], "2026-01-01T00:00:00.000Z");
    assert!(item["request_id"].as_str().is_some_and(|id| !id.is_empty()));
    let html = item["html"].as_str().unwrap();
    assert!(
        html.contains("hp-msg-text") && html.contains("张三"),
        "{html}"
    );
    assert_eq!(item["lints"], json!([]));
}

#[tokio::test]
async fn lints_of_the_raw_body_are_kept_with_the_message() {
    let server = TestServer::start().await;
    let body = json!({"chatid": DEMO_GROUP, "msgtype": "markdown",
        "markdown": {"content": "**hi**", "mentioned_list": ["zhangsan"]}});
    assert_eq!(server.send(&body.to_string()).await.errcode(), 0);
    let list = items(&get(&server, "/messages").await);
    let codes: Vec<&str> = list[0]["lints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|lint| lint["code"].as_str())
        .collect();
    assert_eq!(codes, ["mention_list_ignored"]);
    let message = list[0]["lints"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("markdown.mentioned_list"), "{message}");
    // The same lints after a restart, in the detail view too.
    let server = server.restart().await;
    let id = items(&get(&server, "/messages").await)[0]["id"]
        .as_i64()
        .unwrap();
    let detail = get(&server, &format!("/messages/{id}")).await;
    assert_eq!(detail.body["lints"][0]["code"], "mention_list_ignored");
}

#[tokio::test]
async fn filters_by_key_chat_type_and_text_combine() {
    let server = TestServer::start().await;
    let (other_key, _) = server.create_bot("other", &[DEMO_GROUP], &[]).await;
    send_text(&server, Some(DEMO_GROUP), "apple pie").await;
    send_text(&server, Some(DEMO_BLACKBOARD), "apple tart").await;
    let reply = server
        .send(&json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {"content": "**apple** juice"}}).to_string())
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    let other = server
        .send_as(
            &other_key,
            &crate::support::text(Some(DEMO_GROUP), "apple from another bot"),
        )
        .await;
    assert_eq!(other.errcode(), 0);

    let demo_key = server.key().to_owned();
    let by_chat_and_type = items(
        &get(
            &server,
            &format!("/messages?chatid={DEMO_GROUP}&msgtype=text"),
        )
        .await,
    );
    assert_eq!(
        texts(&by_chat_and_type),
        ["apple from another bot", "apple pie"]
    );
    let by_key = items(&get(&server, &format!("/messages?key={demo_key}&msgtype=text")).await);
    assert_eq!(texts(&by_key), ["apple tart", "apple pie"]);
    let searched = items(&get(&server, "/messages?q=juice").await);
    assert_eq!(searched.len(), 1);
    assert_eq!(searched[0]["msgtype"], "markdown");
    // LIKE wildcards are literal in q.
    assert!(items(&get(&server, "/messages?q=%25").await).is_empty());
    assert!(items(&get(&server, "/messages?key=no-such-key").await).is_empty());
}

#[tokio::test]
async fn bad_filters_are_400s() {
    let server = TestServer::start().await;
    for query in ["msgtype=Text", "limit=0", "limit=100000", "before=abc"] {
        let answer = get(&server, &format!("/messages?{query}")).await;
        assert_eq!(answer.status, 400, "{query}: {:?}", answer.body);
        assert_eq!(answer.code(), "bad_request");
    }
    assert_eq!(get(&server, "/messages/abc").await.status, 400);
    assert_eq!(get(&server, "/messages/999").await.status, 404);
}

#[tokio::test]
async fn the_cursor_walks_every_message_exactly_once() {
    let server = TestServer::start().await;
    for n in 0..23 {
        send_text(&server, Some(DEMO_GROUP), &format!("m{n}")).await;
    }
    let mut seen = Vec::new();
    let mut path = format!("/messages?chatid={DEMO_GROUP}&limit=10");
    let mut pages = 0;
    loop {
        let answer = get(&server, &path).await;
        seen.extend(texts(&items(&answer)));
        pages += 1;
        match answer.body["next_cursor"].as_i64() {
            Some(cursor) => {
                path = format!("/messages?chatid={DEMO_GROUP}&limit=10&before={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..23).rev().map(|n| format!("m{n}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn as_user_hides_what_the_user_may_not_see() {
    let server = TestServer::start().await;
    send_text(&server, Some(DEMO_GROUP), "for everyone").await;
    let reply = server
        .send(&json!({"chatid": DEMO_GROUP, "visible_to_user": "lisi", "msgtype": "text", "text": {"content": "only lisi"}}).to_string())
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    // zhangsan is in the demo bot's subscription scope: a single chat only they see.
    send_text(&server, Some("zhangsan"), "for zhangsan alone").await;

    let as_lisi = texts(&items(&get(&server, "/messages?as_user=lisi").await));
    assert_eq!(as_lisi, ["only lisi", "for everyone"]);
    let as_zhangsan = texts(&items(&get(&server, "/messages?as_user=zhangsan").await));
    assert_eq!(as_zhangsan, ["for zhangsan alone", "for everyone"]);
    let admin = items(&get(&server, "/messages").await);
    assert_eq!(admin.len(), 3);
    let restricted = admin
        .iter()
        .find(|i| i["content"]["content"] == "only lisi")
        .unwrap();
    assert_eq!(restricted["visible_to"], json!(["lisi"]));
    let single = admin.iter().find(|i| i["chat_type"] == "single").unwrap();
    assert_eq!(single["content"]["content"], "for zhangsan alone");
}

#[tokio::test]
async fn one_message_carries_its_raw_request_reply_and_sender_address() {
    let server = TestServer::start().await;
    let body = crate::support::text(Some(DEMO_GROUP), "detail");
    let reply = server.send(&body).await;
    let id = items(&get(&server, "/messages").await)[0]["id"]
        .as_i64()
        .unwrap();
    let detail = get(&server, &format!("/messages/{id}")).await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.body["id"], id);
    assert_eq!(detail.body["content"]["content"], "detail");
    assert_eq!(detail.body["raw_request"], body.as_str());
    assert_eq!(detail.body["reply"], reply.text.as_str());
    assert_eq!(detail.body["from_ip"], "127.0.0.1");
    assert!(detail.body["html"].as_str().unwrap().contains("detail"));
}

#[tokio::test]
async fn clearing_deletes_every_message_and_resets_the_chats() {
    let server = TestServer::start().await;
    send_text(&server, Some(DEMO_GROUP), "a").await;
    send_text(&server, Some(DEMO_GROUP), "b").await;
    let cleared = delete(&server, "/messages").await;
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.body["deleted"], 2);
    assert!(items(&get(&server, "/messages").await).is_empty());
    let chat = get(&server, &format!("/chats/{DEMO_GROUP}")).await;
    assert_eq!(chat.body["message_count"], 0);
    assert_eq!(chat.body["unread"], 0);
}

#[tokio::test]
async fn unread_counts_rise_with_messages_and_drop_when_read() {
    let server = TestServer::start().await;
    send_text(&server, Some(DEMO_GROUP), "a").await;
    server.clock.advance(std::time::Duration::from_secs(1));
    send_text(&server, Some(DEMO_BLACKBOARD), "b").await;
    server.clock.advance(std::time::Duration::from_secs(1));
    send_text(&server, Some(DEMO_GROUP), "c").await;

    let chats = get(&server, "/chats").await.body["chats"]
        .as_array()
        .unwrap()
        .clone();
    // Most recently active first.
    assert_eq!(chats[0]["chatid"], DEMO_GROUP);
    assert_eq!(chats[0]["unread"], 2);
    assert_eq!(chats[0]["message_count"], 2);
    assert_eq!(chats[0]["last_message_at"], "2026-01-01T00:00:02.000Z");
    assert_eq!(chats[1]["chatid"], DEMO_BLACKBOARD);
    assert_eq!(chats[1]["unread"], 1);

    let read = post(&server, &format!("/chats/{DEMO_GROUP}/read"), &json!({})).await;
    assert_eq!(read.status, 204);
    assert_eq!(
        get(&server, &format!("/chats/{DEMO_GROUP}")).await.body["unread"],
        0
    );
    send_text(&server, Some(DEMO_GROUP), "d").await;
    assert_eq!(
        get(&server, &format!("/chats/{DEMO_GROUP}")).await.body["unread"],
        1
    );
    assert_eq!(
        post(&server, "/chats/wrkNope/read", &json!({}))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn an_image_message_serves_its_picture() {
    let server = TestServer::start().await;
    let picture = hookpit_protocol::validate::image_body(PNG_1X1);
    let body = json!({
        "chatid": DEMO_GROUP,
        "msgtype": "image",
        "image": {"base64": picture.base64, "md5": picture.md5},
    });
    let reply = server.send(&body.to_string()).await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    let item = items(&get(&server, "/messages").await)[0].clone();
    let id = item["id"].as_i64().unwrap();
    let url = format!("/api/v1/messages/{id}/image");
    assert!(item["html"].as_str().unwrap().contains(&url));

    let response = server.http.get(server.url(&url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG_1X1);

    let text_id = {
        send_text(&server, Some(DEMO_GROUP), "no picture").await;
        items(&get(&server, "/messages").await)[0]["id"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        get(&server, &format!("/messages/{text_id}/image"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn an_uploaded_file_downloads_as_an_attachment_and_renders_with_its_name() {
    let server = TestServer::start().await;
    let media_id = server
        .upload_file("报告.html", b"<script>alert(1)</script>")
        .await;
    let reply = server
        .send(
            &json!({"chatid": DEMO_GROUP, "msgtype": "file", "file": {"media_id": media_id}})
                .to_string(),
        )
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    let item = items(&get(&server, "/messages").await)[0].clone();
    let html = item["html"].as_str().unwrap();
    assert!(html.contains("报告.html"), "{html}");
    assert!(
        html.contains(&format!("/api/v1/media/{media_id}")),
        "{html}"
    );
    assert_eq!(item["lints"], json!([]));

    let response = server
        .http
        .get(server.url(&format!("/api/v1/media/{media_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("UTF-8''%E6%8A%A5%E5%91%8A.html")
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        b"<script>alert(1)</script>"
    );

    assert_eq!(get(&server, "/media/unknown").await.status, 404);
    assert_eq!(get(&server, "/media/..%2Fhookpit.db").await.status, 404);
}

#[tokio::test]
async fn the_chat_list_answers_every_chat_once() {
    let server = TestServer::start().await;
    let chats = get(&server, "/chats").await.body["chats"]
        .as_array()
        .unwrap()
        .clone();
    let ids: HashSet<&str> = chats
        .iter()
        .map(|c| c["chatid"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), chats.len());
    assert!(ids.contains(DEMO_GROUP) && ids.contains(DEMO_BLACKBOARD));
    let group = chats.iter().find(|c| c["chatid"] == DEMO_GROUP).unwrap();
    assert_eq!(group["bots"], json!([DEMO_BOT_ID]));
    assert_eq!(group["members"], json!(["lisi", "wangqing", "zhangsan"]));
}

#[tokio::test]
async fn a_markdown_item_has_the_documented_shape() {
    let server = TestServer::start().await;
    let reply = server
        .send(&json!({"chatid": DEMO_GROUP, "msgtype": "markdown", "markdown": {"content": "# 标题\n<@lisi> 请看\n| a | b |\n|---|---|\n| 1 | 2 |"}}).to_string())
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    let mut item = items(&get(&server, "/messages").await)[0].clone();
    // Volatile, or owned by the renderer's own snapshot tests (html, lint wording).
    item["request_id"] = json!("[request_id]");
    item["html"] = json!("[html]");
    item["lints"][0]["message"] = json!("[message]");
    insta::assert_json_snapshot!(item, @r##"
    {
      "bot": {
        "id": "demo",
        "name": "演示机器人"
      },
      "chat_type": "group",
      "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
      "content": {
        "content": "# 标题\n<@lisi> 请看\n| a | b |\n|---|---|\n| 1 | 2 |"
      },
      "created_at": "2026-01-01T00:00:00.000Z",
      "from": {
        "id": "demo",
        "kind": "bot",
        "name": "演示机器人"
      },
      "html": "[html]",
      "id": 1,
      "lints": [
        {
          "code": "unsupported_syntax",
          "message": "[message]"
        }
      ],
      "mentions": [
        "lisi"
      ],
      "msgtype": "markdown",
      "request_id": "[request_id]",
      "visible_to": []
    }
    "##);
}

#[tokio::test]
async fn an_upload_is_served_as_octet_stream_whatever_type_the_sender_claimed() {
    let server = TestServer::start().await;
    let form = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(b"alert(document.cookie)".to_vec())
            .file_name("evil.js")
            .mime_str("text/javascript")
            .unwrap(),
    );
    let reply: serde_json::Value = server
        .http
        .post(server.server.upload_url())
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let media_id = reply["media_id"].as_str().expect("uploaded");
    let response = server
        .http
        .get(server.url(&format!("/api/v1/media/{media_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    server.stop().await;
}
