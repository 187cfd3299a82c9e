//! Uploads, and the calls that upload then send.

use crate::helpers::{GROUP, PNG, TestServer, amr};
use hookpit_client::{Error, MediaKind, message};

#[tokio::test]
async fn send_file_uploads_then_sends_the_media_id() {
    let hookpit = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.log");
    std::fs::write(&path, "line 1\nline 2\n").unwrap();
    hookpit.bot().send_file(&path).await.unwrap();
    let stored = hookpit.messages(GROUP).await;
    assert_eq!(stored[0]["msgtype"], "file");
    let media_id = stored[0]["content"]["media_id"].as_str().unwrap();
    let download = reqwest::get(format!(
        "{}/api/v1/media/{media_id}",
        hookpit.server.base_url()
    ))
    .await
    .unwrap();
    assert_eq!(download.text().await.unwrap(), "line 1\nline 2\n");
}

#[tokio::test]
async fn send_voice_uploads_an_amr_and_sends_it() {
    let hookpit = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alert.amr");
    std::fs::write(&path, amr(100)).unwrap();
    hookpit.bot().send_voice(&path).await.unwrap();
    assert_eq!(hookpit.messages(GROUP).await[0]["msgtype"], "voice");
}

#[tokio::test]
async fn send_image_from_a_path_or_bytes_computes_base64_and_md5() {
    let hookpit = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dot.png");
    std::fs::write(&path, PNG).unwrap();
    let bot = hookpit.bot();
    bot.send_image(&path).await.unwrap();
    bot.send_image_bytes(PNG).await.unwrap();
    let stored = hookpit.messages(GROUP).await;
    assert_eq!(stored.len(), 2);
    let expected = message::image(PNG).into_request().message.body_json();
    for item in &stored {
        assert_eq!(item["content"]["md5"], expected["md5"]);
    }
}

#[tokio::test]
async fn the_upload_reply_carries_type_media_id_and_created_at() {
    let hookpit = TestServer::start().await;
    let uploaded = hookpit
        .bot()
        .upload_media(MediaKind::File, "a.txt", b"hello world".to_vec())
        .await
        .unwrap();
    assert_eq!(uploaded.reply.kind.as_deref(), Some("file"));
    assert_eq!(
        uploaded.reply.media_id.as_deref(),
        Some(uploaded.media_id.as_str())
    );
    let created_at: u64 = uploaded.reply.created_at.unwrap().parse().unwrap();
    assert!(created_at > 1_700_000_000);
}

#[tokio::test]
async fn an_upload_wecom_would_refuse_fails_locally_and_the_server_agrees() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    let local = bot
        .upload_media(MediaKind::Voice, "x.mp3", b"ID3\x04 not amr".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(local, Error::Invalid(_)), "{local:?}");
    let remote = bot
        .validate(false)
        .upload_media(MediaKind::Voice, "x.mp3", b"ID3\x04 not amr".to_vec())
        .await
        .unwrap_err();
    assert_eq!(local.code(), remote.code());
    assert!(matches!(remote, Error::Api { .. }));
}

#[tokio::test]
async fn a_missing_file_fails_with_its_path_before_anything_is_sent() {
    let hookpit = TestServer::start().await;
    let error = hookpit
        .bot()
        .send_file("no/such/file.pdf")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Read { path, .. } if path.ends_with("file.pdf")),
        "{error:?}"
    );
    assert_eq!(error.code(), None);
    assert!(hookpit.messages(GROUP).await.is_empty());
}
