//! Every example of the official document (and the spec's template-card examples), sent verbatim
//! to the demo workspace and read back from the store. Placeholder media ids are replaced by
//! real uploads, and the image placeholder by a real PNG; nothing else is changed.

use hookpit_protocol::validate::image_body;
use hookpit_server::store::{DEMO_CURL_GROUP, DEMO_GROUP};
use serde_json::{Value, json};

use crate::support::{PNG_1X1, TestServer, amr};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol/tests/examples/");

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("{EXAMPLES}{name}.json")).expect("example file")
}

/// Sends `body`, expects success, and returns the messages it stored.
async fn accepted(server: &TestServer, body: &str) -> Vec<hookpit_server::domain::StoredMessage> {
    let before = server.messages().await.len();
    let reply = server.send(body).await;
    assert_eq!(reply.errcode(), 0, "{body}\n{}", reply.text);
    server.messages().await.split_off(before)
}

fn chats(messages: &[hookpit_server::domain::StoredMessage]) -> Vec<&str> {
    let mut chats: Vec<&str> = messages.iter().map(|m| m.chatid.as_str()).collect();
    chats.sort_unstable();
    chats
}

#[tokio::test]
async fn the_curl_example_lands_in_its_group() {
    let server = TestServer::start().await;
    let stored = accepted(&server, &example("doc_curl_text")).await;
    assert_eq!(chats(&stored), [DEMO_CURL_GROUP]);
    assert_eq!(stored[0].content, json!({"content": "hello world"}));
    server.stop().await;
}

#[tokio::test]
async fn the_text_example_reaches_the_group_and_zhangsans_single_chat() {
    let server = TestServer::start().await;
    let stored = accepted(&server, &example("doc_text")).await;
    assert_eq!(stored.len(), 2);
    let group = stored
        .iter()
        .find(|m| m.chatid == DEMO_GROUP)
        .expect("group message");
    // Two targets: post_id and visible_to_user take no effect.
    assert!(group.visible_to.is_empty());
    assert_eq!(group.post_id, None);
    assert_eq!(group.mentions, ["zhangsan", "wangqing", "@all"]);
    let single = stored
        .iter()
        .find(|m| m.chatid != DEMO_GROUP)
        .expect("single message");
    assert_eq!(single.chat_kind, hookpit_server::domain::ChatKind::Single);
    assert_eq!(
        single.content["content"],
        "<@zhangsan>广州今日天气：29度，大部分多云，降雨概率：60%"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_markdown_example_is_visible_to_zhangsan_only() {
    let server = TestServer::start().await;
    let stored = accepted(&server, &example("doc_markdown")).await;
    assert_eq!(chats(&stored), [DEMO_GROUP]);
    assert_eq!(stored[0].visible_to, ["zhangsan"]);
    // The chat is a group, so the blackboard post id is ignored.
    assert_eq!(stored[0].post_id, None);
    assert_eq!(stored[0].mentions, ["zhangsan", "lisi"]);
    assert_eq!(
        stored[0].content["attachments"][0]["actions"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    server.stop().await;
}

#[tokio::test]
async fn the_markdown_v2_news_and_image_examples_are_stored() {
    let server = TestServer::start().await;
    for name in ["doc_markdown_v2", "doc_news"] {
        let stored = accepted(&server, &example(name)).await;
        assert_eq!(chats(&stored), [DEMO_GROUP], "{name}");
        assert_eq!(stored[0].visible_to, ["zhangsan"], "{name}");
    }
    let picture = image_body(PNG_1X1);
    let mut image: Value = serde_json::from_str(&example("doc_image_placeholder")).unwrap();
    image["image"] = json!({"base64": picture.base64, "md5": picture.md5});
    let stored = accepted(&server, &image.to_string()).await;
    assert_eq!(chats(&stored), [DEMO_GROUP]);
    assert_eq!(stored[0].content["format"], "image/png");
    assert_eq!(stored[0].content["size"], PNG_1X1.len());
    let (mime, bytes) = server
        .server
        .state()
        .store
        .message_picture(stored[0].id, 0)
        .await
        .unwrap();
    assert_eq!((mime.as_str(), bytes.as_slice()), ("image/png", PNG_1X1));
    server.stop().await;
}

#[tokio::test]
async fn the_file_voice_and_miniprogram_examples_work_with_uploaded_media() {
    use hookpit_server::config::ExtraUploadType;
    let server = TestServer::start_with(|c| c.upload_types = vec![ExtraUploadType::Image]).await;
    let file = server.upload_file("wework.txt", b"mytext").await;
    let voice = server
        .upload_as(server.key(), "voice", "media", "v.amr", amr(50))
        .await;
    let voice = voice.json()["media_id"].as_str().unwrap().to_owned();
    let picture = server
        .upload_as(server.key(), "image", "media", "p.png", PNG_1X1.to_vec())
        .await;
    assert_eq!(picture.errcode(), 0, "{}", picture.text);
    let picture = picture.json()["media_id"].as_str().unwrap().to_owned();

    let cases = [
        ("doc_file", "3a8asd892asd8asd", &file),
        ("doc_voice", "MEDIA_ID", &voice),
        ("doc_miniprogram", "MEDIA_ID", &picture),
    ];
    for (name, placeholder, media_id) in cases {
        let body = example(name).replace(placeholder, media_id);
        let stored = accepted(&server, &body).await;
        // No chatid: @all_group, the demo bot's two groups (none of these types go to blackboards).
        assert_eq!(chats(&stored), [DEMO_GROUP, DEMO_CURL_GROUP], "{name}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_template_card_examples_are_stored() {
    let server = TestServer::start().await;
    let file = server.upload_file("企业微信.apk", b"apk bytes").await;
    for name in ["spec_text_notice", "spec_news_notice"] {
        let body = example(name).replace("MEDIAID", &file);
        let stored = accepted(&server, &body).await;
        assert_eq!(stored.len(), 2, "{name}");
        assert_eq!(stored[0].msgtype, hookpit_protocol::MsgType::TemplateCard);
        assert_eq!(stored[0].content["main_title"]["title"], "欢迎使用企业微信");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_upload_example_of_the_document_is_accepted_byte_for_byte() {
    let server = TestServer::start().await;
    let body = "---------------------------acebdf13572468\r\n\
        Content-Disposition: form-data; name=\"media\";filename=\"wework.txt\"; filelength=6\r\n\
        Content-Type: application/octet-stream\r\n\r\n\
        mytext\r\n\
        ---------------------------acebdf13572468--\r\n";
    let url = format!(
        "{}/cgi-bin/webhook/upload_media?key={}&type=file",
        server.server.base_url(),
        server.key()
    );
    let reply = server
        .post_raw(
            &url,
            body.as_bytes().to_vec(),
            "multipart/form-data; boundary=-------------------------acebdf13572468",
        )
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
    let json = reply.json();
    assert_eq!(json["type"], "file");
    assert_eq!(json["created_at"], "1767225600");
    let media_id = json["media_id"].as_str().unwrap();
    let media = server.media(media_id).await;
    assert_eq!((media.filename.as_str(), media.size), ("wework.txt", 6));
    // Key order as on the wire: errcode, errmsg, then the extra fields.
    assert_eq!(
        reply.text,
        format!(
            r#"{{"errcode":0,"errmsg":"ok","type":"file","media_id":"{media_id}","created_at":"1767225600"}}"#
        )
    );
    server.stop().await;
}

/// The document's own examples, with nothing replaced: the placeholder media ids are the demo
/// workspace's placeholders, and the document's keys are the demo bot's.
#[tokio::test]
async fn the_documents_examples_answer_0_verbatim_with_its_own_keys() {
    let server = TestServer::start().await;
    for key in hookpit_server::store::DEMO_DOCUMENT_KEYS {
        let reply = server.send_as(key, &example("doc_curl_text")).await;
        assert_eq!(reply.errcode(), 0, "{key}: {}", reply.text);
    }
    for name in [
        "doc_file",
        "doc_voice",
        "doc_miniprogram",
        "spec_text_notice",
        "spec_news_notice",
    ] {
        let body = example(name);
        let reply = server
            .send_as(hookpit_server::store::DEMO_DOCUMENT_KEYS[2], &body)
            .await;
        assert_eq!(reply.errcode(), 0, "{name}: {}", reply.text);
    }
    // The image example's DATA and MD5 cannot be a picture: WeCom refuses it.
    let image = server.send(&example("doc_image_placeholder")).await;
    assert_ne!(image.errcode(), 0);
    // A placeholder never expires.
    server
        .clock
        .advance(std::time::Duration::from_secs(10 * 24 * 3600));
    assert_eq!(server.send(&example("doc_file")).await.errcode(), 0);
    hookpit_server::ops::prune(server.server.state())
        .await
        .unwrap();
    assert_eq!(server.send(&example("doc_voice")).await.errcode(), 0);
    server.stop().await;
}

#[tokio::test]
async fn no_demo_answers_none_of_the_documents_public_keys() {
    let server = TestServer::start().await;
    let (running, relaunch) = server.split();
    running.shutdown().await.unwrap();
    let server = relaunch.start_with(|config| config.no_demo = true).await;
    for key in hookpit_server::store::DEMO_DOCUMENT_KEYS {
        assert_eq!(
            server
                .send_as(key, &example("doc_curl_text"))
                .await
                .errcode(),
            93000,
            "{key}"
        );
    }
    assert!(server.server.banner().contains("no demo workspace"));
    server.stop().await;
    let fresh = TestServer::start_with(|config| config.no_demo = true).await;
    let bots = fresh.server.state().store.list_bots().await.unwrap();
    assert!(bots.is_empty(), "{bots:?}");
    fresh.stop().await;
}

/// The README's quick start, pasted: its curl (the official document's, with the host changed)
/// against a spawned server, through bash and curl.
#[tokio::test]
async fn the_readme_quick_start_curl_works_when_pasted() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let (_, section) = readme.split_once("## Quick start").expect("a quick start");
    let (_, block) = section.split_once("```sh\n").expect("a sh block");
    let (block, _) = block.split_once("\n```").expect("closed");
    let curl: String = block
        .lines()
        .skip_while(|line| !line.starts_with("curl "))
        .take_while(|line| !line.starts_with("# {"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(curl.contains("127.0.0.1:8765"), "{curl}");
    let server = TestServer::start().await;
    let curl = curl.replace("127.0.0.1:8765", &server.server.addr().to_string());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(curl)
            .output()
    })
    .await
    .unwrap()
    .expect("bash and curl run");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        r#"{"errcode":0,"errmsg":"ok"}"#,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(server.messages_in(DEMO_CURL_GROUP).await.len(), 1);
    server.stop().await;
}
