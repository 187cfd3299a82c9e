//! The demo workspace created on first start, so that every example of the official document
//! works verbatim: group `wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw`, the curl example's group
//! `wrkSFfCgAAtMxxx4xqDatM5C9IDHFaaa`, a blackboard holding post
//! `bpkSFfCgAAWeiHNo2p6lJbG3_F2xxxxx`, users zhangsan, lisi and wangqing (mobile 13800001111),
//! and a demo bot in all three chats with zhangsan in its subscription scope. The demo bot's
//! key is generated once and stored, so it is stable across restarts.

use super::{Store, StoreError, bots, chats, users};
use crate::domain::{Bot, ChatKind, NewBot, User};

/// The group of the official examples.
pub const DEMO_GROUP: &str = "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw";
/// The group of the official document's curl example.
pub const DEMO_CURL_GROUP: &str = "wrkSFfCgAAtMxxx4xqDatM5C9IDHFaaa";
/// The demo blackboard (its id is ours: the document shows none).
pub const DEMO_BLACKBOARD: &str = "wrkSFfCgAAbLackBoardDemo4xqDatM5";
/// The blackboard post of the official examples.
pub const DEMO_POST: &str = "bpkSFfCgAAWeiHNo2p6lJbG3_F2xxxxx";
/// The demo bot's id.
pub const DEMO_BOT_ID: &str = "demo";

/// The keys the official document shows, which the demo bot answers too: its curl example's,
/// its text's (one character shorter) and its upload example's. They are public: `--no-demo`
/// removes them.
pub const DEMO_DOCUMENT_KEYS: [&str; 3] = [
    "633a31f6-xxxx-xxxx-xxxx-0ec1eefaaaaa",
    "633a31f6-xxxx-xxxx-xxxx-0ec1eefaaaa",
    "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
];

/// The document's placeholder media ids, kept as placeholders of the demo bot: name, bytes.
/// `MEDIA_ID` is both the voice example's and the mini-program cover's, so it is a picture that
/// also has a duration.
const DEMO_MEDIA: [(&str, &str, &[u8]); 3] = [
    ("3a8asd892asd8asd", "wework.txt", b"mytext"),
    (
        "MEDIAID",
        "企业微信.apk",
        b"a placeholder of the official document's example\n",
    ),
    ("MEDIA_ID", "cover.png", PNG_1X1),
];

/// The smallest valid PNG (1×1, transparent): the placeholder cover.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

impl Store {
    /// The demo bot, creating the demo workspace if this store has never had it, and making sure
    /// it answers the document's keys and holds its placeholder media (stores made by older
    /// versions get them too).
    pub async fn ensure_demo(&self, now: i64) -> Result<Bot, StoreError> {
        let bot = self.create_demo(now).await?;
        let media_dir = self.media_dir().to_owned();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            for (media_id, _, bytes) in DEMO_MEDIA {
                let path = media_dir.join(media_id);
                if !path.exists() {
                    std::fs::write(&path, bytes)?;
                }
            }
            Ok(())
        })
        .await
        .map_err(|_| StoreError::Closed)??;
        self.write_bots(move |conn| {
            for key in DEMO_DOCUMENT_KEYS {
                if bots::by_key(conn, key)?.is_none() {
                    conn.execute(
                        "INSERT OR IGNORE INTO bot_key_aliases (key, bot_id) VALUES (?1, ?2)",
                        [key, DEMO_BOT_ID],
                    )?;
                }
            }
            for (media_id, filename, bytes) in DEMO_MEDIA {
                let kind = if media_id == "MEDIA_ID" {
                    "image"
                } else {
                    "file"
                };
                conn.execute(
                    "INSERT OR IGNORE INTO media (media_id, bot_id, kind, filename, content_type,
                         size, created_at, expires_at, voice_duration_ms, placeholder)
                     VALUES (?1, ?2, ?3, ?4, 'application/octet-stream', ?5, ?6, ?7, ?8, 1)",
                    crate::store::db::params![
                        media_id,
                        DEMO_BOT_ID,
                        kind,
                        filename,
                        i64::try_from(bytes.len()).unwrap_or(0),
                        now,
                        i64::MAX,
                        (media_id == "MEDIA_ID").then_some(5_000),
                    ],
                )?;
            }
            Ok(())
        })
        .await?;
        Ok(bot)
    }

    /// `--no-demo`: the document's public keys answer nothing (the demo bot itself, made by an
    /// earlier start, stays: delete it in the inbox if it is not wanted).
    pub async fn remove_demo_keys(&self) -> Result<(), StoreError> {
        self.write_bots(|conn| {
            for key in DEMO_DOCUMENT_KEYS {
                conn.execute("DELETE FROM bot_key_aliases WHERE key = ?1", [key])?;
            }
            Ok(())
        })
        .await
    }

    async fn create_demo(&self, now: i64) -> Result<Bot, StoreError> {
        self.write_bots(move |conn| {
            let existing: Option<String> = {
                use crate::store::db::OptionalExtension;
                conn.query_row("SELECT id FROM bots WHERE is_demo = 1", [], |row| {
                    row.get(0)
                })
                .optional()?
            };
            if let Some(id) = existing {
                return bots::get(conn, &id)?.ok_or_else(|| StoreError::not_found("bot", &id));
            }
            let people = [
                ("zhangsan", "张三", ""),
                ("lisi", "李四", ""),
                ("wangqing", "王青", "13800001111"),
            ];
            for (userid, name, mobile) in people {
                if users::get(conn, userid)?.is_none() {
                    let user = User {
                        userid: userid.into(),
                        name: name.into(),
                        mobile: mobile.into(),
                    };
                    users::insert(conn, &user, now)?;
                }
            }
            let members: Vec<String> = people.iter().map(|p| p.0.to_owned()).collect();
            if chats::kind_of(conn, DEMO_GROUP)?.is_none() {
                chats::insert(conn, ChatKind::Group, DEMO_GROUP, "吃货群", &members, now)?;
            }
            if chats::kind_of(conn, DEMO_CURL_GROUP)?.is_none() {
                chats::insert(
                    conn,
                    ChatKind::Group,
                    DEMO_CURL_GROUP,
                    "curl 示例群",
                    &members,
                    now,
                )?;
            }
            if chats::kind_of(conn, DEMO_BLACKBOARD)?.is_none() {
                chats::insert(
                    conn,
                    ChatKind::Blackboard,
                    DEMO_BLACKBOARD,
                    "小黑板",
                    &members,
                    now,
                )?;
            }
            if chats::post_chat(conn, DEMO_POST)?.is_none() {
                chats::insert_post(
                    conn,
                    DEMO_BLACKBOARD,
                    DEMO_POST,
                    "欢迎来到小黑板",
                    None,
                    now,
                )?;
            }
            let bot = NewBot {
                name: "演示机器人".to_owned(),
                key: None,
                chats: vec![
                    DEMO_GROUP.to_owned(),
                    DEMO_CURL_GROUP.to_owned(),
                    DEMO_BLACKBOARD.to_owned(),
                ],
                subscription: vec!["zhangsan".to_owned()],
            };
            bots::insert(conn, DEMO_BOT_ID, &bot, now)?;
            conn.execute("UPDATE bots SET is_demo = 1 WHERE id = ?1", [DEMO_BOT_ID])?;
            bots::get(conn, DEMO_BOT_ID)?.ok_or_else(|| StoreError::not_found("bot", DEMO_BOT_ID))
        })
        .await
    }
}
