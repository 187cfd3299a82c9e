//! The project's own SDK against the server: what its users will do first.

use hookpit_client::{Error, MediaKind, RetryPolicy, Webhook, message};
use hookpit_server::store::DEMO_GROUP;

use crate::support::TestServer;

#[tokio::test]
async fn the_sdk_sends_uploads_and_sees_wecom_errors() {
    let server = TestServer::start().await;
    let bot = Webhook::new(server.key()).base_url(server.server.base_url());
    let reply = bot
        .send(message::text("via the sdk").chatid(DEMO_GROUP))
        .await
        .unwrap();
    assert_eq!(reply.errcode, 0);
    let uploaded = bot
        .upload_media(MediaKind::File, "sdk.txt", b"sdk bytes".to_vec())
        .await
        .unwrap();
    assert_eq!(uploaded.reply.kind.as_deref(), Some("file"));
    bot.send(message::file(uploaded.media_id.clone()).chatid(DEMO_GROUP))
        .await
        .unwrap();
    let stored = server.messages_in(DEMO_GROUP).await;
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1].content["media_id"], uploaded.media_id);

    let stranger = Webhook::new("no-such-key")
        .base_url(server.server.base_url())
        .retry(RetryPolicy::none());
    match stranger.send(message::text("x")).await {
        Err(Error::Api { code, errmsg }) => {
            assert_eq!(code, 93000);
            assert!(
                errmsg.starts_with("invalid webhook url, hint: ["),
                "{errmsg}"
            );
        }
        other => panic!("expected 93000, got {other:?}"),
    }
    server.stop().await;
}
