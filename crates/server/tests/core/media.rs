//! `upload_media` (spec §4) and the use of media ids in messages: part selection, size, format
//! and duration rules, bot scope and the 3-day expiry.

use std::time::Duration;

use hookpit_server::store::DEMO_GROUP;
use serde_json::json;

use crate::support::{PNG_1X1, TestServer, amr};

fn file_message(media_id: &str) -> String {
    json!({"chatid": DEMO_GROUP, "msgtype": "file", "file": {"media_id": media_id}}).to_string()
}

#[tokio::test]
async fn an_upload_is_stored_on_disk_and_usable_by_its_bot() {
    let server = TestServer::start().await;
    let media_id = server.upload_file("report.pdf", b"%PDF-1.4 data").await;
    let media = server.media(&media_id).await;
    assert_eq!(media.filename, "report.pdf");
    assert_eq!(media.size, 13);
    assert_eq!(media.expires_at - media.created_at, 3 * 24 * 3600 * 1000);
    // A file in `--data` on SQLite, a row on PostgreSQL.
    let stored_bytes = server
        .server
        .state()
        .store
        .media_bytes(&media_id)
        .await
        .unwrap();
    assert_eq!(stored_bytes.as_deref(), Some(&b"%PDF-1.4 data"[..]));
    assert_eq!(server.send(&file_message(&media_id)).await.errcode(), 0);
    let stored = server.messages_in(DEMO_GROUP).await;
    assert_eq!(stored[0].content, json!({"media_id": media_id}));
    server.stop().await;
}

#[tokio::test]
async fn the_part_named_media_wins_else_the_first_part_with_a_filename() {
    let server = TestServer::start().await;
    let url = format!(
        "{}&type=file",
        server
            .server
            .state()
            .webhook_url(server.key())
            .replace("/send?", "/upload_media?")
    );
    let form = reqwest::multipart::Form::new()
        .text("note", "a field without filename")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"first file".to_vec()).file_name("first.txt"),
        )
        .part(
            "media",
            reqwest::multipart::Part::bytes(b"the media part".to_vec()).file_name("media.txt"),
        );
    let reply: serde_json::Value = server
        .http
        .post(&url)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let media = server.media(reply["media_id"].as_str().unwrap()).await;
    assert_eq!(media.filename, "media.txt");

    let reply = server
        .upload_as(
            server.key(),
            "file",
            "file",
            "a.xlsx",
            b"sheet bytes".to_vec(),
        )
        .await;
    assert_eq!(
        reply.errcode(),
        0,
        "a part named `file` is accepted, as WeCom does"
    );
    server.stop().await;
}

#[tokio::test]
async fn uploads_without_data_or_with_a_bad_type_are_refused() {
    let server = TestServer::start().await;
    let base = format!(
        "{}/cgi-bin/webhook/upload_media?key={}",
        server.server.base_url(),
        server.key()
    );
    // Content type set by hand without a boundary: the classic client bug.
    let reply = server
        .post_raw(
            &format!("{base}&type=file"),
            b"raw".to_vec(),
            "multipart/form-data",
        )
        .await;
    assert_eq!(
        (reply.errcode(), reply.error_text()),
        (44001, "empty media data".to_owned())
    );
    let form_without_file = reqwest::multipart::Form::new().text("media", "no filename");
    let reply = server
        .http
        .post(format!("{base}&type=file"))
        .multipart(form_without_file)
        .send()
        .await
        .unwrap();
    let json: serde_json::Value = reply.json().await.unwrap();
    // A part named `media` counts even without a filename; its 11 bytes are a valid file.
    assert_eq!(json["errcode"], 0);
    let empty = reqwest::multipart::Form::new().text("other", "x");
    let reply = server
        .http
        .post(format!("{base}&type=file"))
        .multipart(empty)
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.json::<serde_json::Value>().await.unwrap()["errcode"],
        44001
    );

    for kind in ["", "FILE", "image", "video"] {
        let reply = server
            .upload_as(server.key(), kind, "media", "a", b"123456".to_vec())
            .await;
        assert_eq!(reply.errcode(), 40005, "type {kind:?}");
    }
    let reply = server
        .upload_as("nope", "file", "media", "a", b"123456".to_vec())
        .await;
    assert_eq!(reply.errcode(), 93000);
    server.stop().await;
}

#[tokio::test]
async fn size_format_and_duration_rules_apply() {
    let server = TestServer::start().await;
    let upload = |kind: &'static str, bytes: Vec<u8>| {
        server.upload_as(server.key(), kind, "media", "x", bytes)
    };
    assert_eq!(upload("file", b"12345".to_vec()).await.errcode(), 40006);
    assert_eq!(upload("file", b"123456".to_vec()).await.errcode(), 0);
    assert_eq!(
        upload("voice", b"ID3 not amr at all".to_vec())
            .await
            .errcode(),
        40004
    );
    assert_eq!(upload("voice", amr(3001)).await.errcode(), 45007);
    let voice = upload("voice", amr(3000)).await;
    assert_eq!(voice.errcode(), 0);
    let media_id = voice.json()["media_id"].as_str().unwrap().to_owned();
    let media = server.media(&media_id).await;
    assert_eq!(media.voice_duration_ms, Some(60_000));
    assert_eq!(
        upload("voice", vec![0; 2 * 1024 * 1024 + 1])
            .await
            .errcode(),
        45001
    );
    let big = upload("file", vec![b'x'; 20 * 1024 * 1024 + 1]).await;
    assert_eq!(
        (big.errcode(), big.error_text()),
        (45001, "media size out of limit".to_owned())
    );
    assert_eq!(
        upload("file", vec![b'x'; 20 * 1024 * 1024]).await.errcode(),
        0
    );
    server.stop().await;
}

#[tokio::test]
async fn image_uploads_need_the_flag_and_a_picture() {
    use hookpit_server::config::ExtraUploadType;
    let server = TestServer::start_with(|c| c.upload_types = vec![ExtraUploadType::Image]).await;
    let png = server
        .upload_as(server.key(), "image", "media", "p.png", PNG_1X1.to_vec())
        .await;
    assert_eq!(png.errcode(), 0);
    assert_eq!(png.json()["type"], "image");
    let gif = server
        .upload_as(
            server.key(),
            "image",
            "media",
            "p.gif",
            b"GIF89a......".to_vec(),
        )
        .await;
    assert_eq!(gif.errcode(), 40004);
    server.stop().await;
}

#[tokio::test]
async fn unknown_foreign_wrong_kind_and_expired_media_ids_are_40007() {
    let server = TestServer::start().await;
    let (other_key, _) = server.create_bot("other", &[DEMO_GROUP], &[]).await;
    let mine = server.upload_file("mine.txt", b"my bytes").await;
    let invalid = |reply: crate::support::Reply| (reply.errcode(), reply.error_text());
    let expected = (40007, "invalid media_id".to_owned());

    assert_eq!(
        invalid(server.send(&file_message("no-such-media")).await),
        expected
    );
    assert_eq!(
        invalid(server.send_as(&other_key, &file_message(&mine)).await),
        expected
    );
    let voice_body = json!({"msgtype": "voice", "voice": {"media_id": mine}}).to_string();
    assert_eq!(
        invalid(server.send(&voice_body).await),
        expected,
        "a file is not a voice"
    );

    // Valid until 3 days have passed, refused from then on.
    let unused = server.upload_file("unused.txt", b"never sent").await;
    server.clock.advance(Duration::from_secs(3 * 24 * 3600 - 1));
    assert_eq!(server.send(&file_message(&mine)).await.errcode(), 0);
    server.clock.advance(Duration::from_secs(1));
    assert_eq!(invalid(server.send(&file_message(&mine)).await), expected);

    // Pruning forgets the unused upload and its file, but keeps what a stored message shows
    // until that message is gone.
    let state = server.server.state();
    let pruned = hookpit_server::ops::prune(state).await.unwrap();
    assert_eq!(pruned.media, 1);
    assert!(state.store.get_media(&unused).await.unwrap().is_none());
    assert!(state.store.media_bytes(&unused).await.unwrap().is_none());
    assert!(state.store.media_bytes(&mine).await.unwrap().is_some());
    state.store.clear_messages().await.unwrap();
    let pruned = hookpit_server::ops::prune(state).await.unwrap();
    assert_eq!(pruned.media, 1);
    assert!(state.store.media_bytes(&mine).await.unwrap().is_none());
    server.stop().await;
}

#[tokio::test]
async fn an_upload_larger_than_the_file_cap_is_answered_with_45001() {
    let server = TestServer::start().await;
    let huge = vec![b'x'; hookpit_protocol::limit::UPLOAD_FILE_MAX_BYTES + 1024 * 1024];
    let reply = server
        .upload_as(server.key(), "file", "media", "huge.bin", huge)
        .await;
    assert_eq!(reply.errcode(), 45001);
    server.stop().await;
}

#[tokio::test]
async fn video_uploads_need_their_flag_and_the_sandbox_accepts_any_key_for_uploads() {
    use hookpit_server::config::ExtraUploadType;
    let server = TestServer::start_with(|c| {
        c.upload_types = vec![ExtraUploadType::Video];
        c.accept_any_key = true;
    })
    .await;
    let mp4 = b"\0\0\0\x18ftypmp42 movie".to_vec();
    let video = server
        .upload_as("prod-key", "video", "media", "m.mp4", mp4)
        .await;
    assert_eq!(video.errcode(), 0, "{}", video.text);
    assert_eq!(video.json()["type"], "video");
    let bot = server
        .server
        .state()
        .store
        .bot_by_key("prod-key")
        .await
        .unwrap();
    assert!(bot.is_some(), "the sandbox made a bot for the upload's key");
    let image = server
        .upload_as("prod-key", "image", "media", "p.png", PNG_1X1.to_vec())
        .await;
    assert_eq!(image.errcode(), 40005, "image is not enabled");
    server.stop().await;
}

#[tokio::test]
async fn every_byte_of_an_acknowledged_upload_is_stored_however_fast_it_is_read_back() {
    let server = TestServer::start().await;
    // Several chunks each (the last one is what a write still in flight would lose), each file
    // different, downloaded as soon as the upload is acknowledged.
    for n in 0..12u8 {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8 ^ n).collect();
        let media_id = server.upload_file(&format!("part-{n}.bin"), &bytes).await;
        let stored = server
            .server
            .state()
            .store
            .media_bytes(&media_id)
            .await
            .unwrap()
            .expect("the bytes of an acknowledged upload");
        assert_eq!(stored.len(), bytes.len(), "file {n}");
        assert!(stored == bytes, "file {n}: other bytes");
    }
}
