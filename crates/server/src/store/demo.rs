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

impl Store {
    /// The demo bot, creating the demo workspace if this store has never had it.
    pub async fn ensure_demo(&self, now: i64) -> Result<Bot, StoreError> {
        self.write_bots(move |conn| {
            let existing: Option<String> = {
                use rusqlite::OptionalExtension;
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
