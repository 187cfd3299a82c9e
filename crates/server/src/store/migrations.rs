//! The schema, as numbered migrations embedded in the binary and run at start-up.
//!
//! Each migration is a file of SQL in `migrations/`, its comment saying why. `PRAGMA
//! user_version` records how many have run; each runs in its own transaction. Never edit a
//! released migration's statements: append a new one.

use rusqlite::Connection;

use super::StoreError;

/// Every migration, in order: the file `NN_*.sql` is number NN.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/01_initial.sql"),
    include_str!("migrations/02_messages_by_post.sql"),
    include_str!("migrations/03_media_uses.sql"),
    include_str!("migrations/04_request_lints.sql"),
    include_str!("migrations/05_image_base64_at.sql"),
    include_str!("migrations/06_health.sql"),
    include_str!("migrations/07_two_way.sql"),
    include_str!("migrations/08_document_examples.sql"),
    include_str!("migrations/09_relay.sql"),
    include_str!("migrations/10_fewer_btrees.sql"),
    include_str!("migrations/11_integer_keys.sql"),
    include_str!("migrations/12_lighter_copies.sql"),
];

/// Runs the migrations not yet applied to `conn`.
///
/// # Errors
/// A migration failed; nothing of it was applied.
pub fn run(conn: &mut Connection) -> Result<(), StoreError> {
    run_up_to(conn, MIGRATIONS.len())
}

/// Runs the migrations not yet applied, up to number `last` (a store as an older version left
/// it, for the upgrade tests).
fn run_up_to(conn: &mut Connection, last: usize) -> Result<(), StoreError> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().take(last).skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
        tracing::info!(migration = index + 1, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use rusqlite::params;

    use super::*;
    use crate::config::SyncMode;
    use crate::domain::MessageQuery;
    use crate::store::Store;

    const OK: &str = r#"{"errcode":0,"errmsg":"ok"}"#;

    /// A request and its messages as version 9 stored them: a `requests` row, and per message
    /// `search_text` and `mentions`/`request_lints` as JSON lists.
    struct V9<'a> {
        request_id: &'a str,
        bot_id: &'a str,
        body: &'a [u8],
        reply: &'a str,
        from_ip: &'a str,
        msgtype: &'a str,
        content: &'a str,
        chats: &'a [&'a str],
        from_user: &'a str,
        created_at: i64,
    }

    fn insert_v9(conn: &Connection, r: &V9<'_>) {
        conn.execute(
            "INSERT INTO requests (id, bot_id, raw_body, reply, from_ip, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                r.request_id,
                r.bot_id,
                r.body,
                r.reply,
                r.from_ip,
                r.created_at
            ],
        )
        .unwrap();
        for chatid in r.chats {
            conn.execute(
                "INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind, msgtype,
                     content, visible_to, audience, mentions, search_text, created_at,
                     request_lints, from_user)
                 VALUES (?1, ?2, 'B', ?3, 'group', ?4, ?5, '', '', ?6, ?7, ?8, ?9, ?10)",
                params![
                    r.request_id,
                    r.bot_id,
                    chatid,
                    r.msgtype,
                    r.content,
                    if r.msgtype == "text" {
                        r#"["zhangsan"]"#
                    } else {
                        "[]"
                    },
                    "search text of version 9",
                    r.created_at,
                    if r.msgtype == "markdown" {
                        r#"[{"code":"x","message":"y"}]"#
                    } else {
                        "[]"
                    },
                    r.from_user,
                ],
            )
            .unwrap();
        }
    }

    #[tokio::test]
    async fn a_store_of_version_9_keeps_every_message_detail_search_prune_and_relay_read() {
        let dir = tempfile::tempdir().unwrap();
        let picture: Vec<u8> = (0..3000u32)
            .map(|i| u8::try_from(i % 251).unwrap())
            .collect();
        let base64 = base64::engine::general_purpose::STANDARD.encode(&picture);
        let image_body = format!(
            r#"{{"chatid":"g1","msgtype":"image","image":{{"base64":"{base64}","md5":"m"}}}}"#
        );
        let base64_at = image_body.find(&base64).unwrap();
        let stripped = image_body.replacen(&base64, "", 1);
        let text_body = r#"{"chatid":"g1","msgtype":"text","text":{"content":"磁盘 alert one","mentioned_list":["zhangsan"]}}"#;
        let markdown_body =
            r#"{"chatid":"g1","msgtype":"markdown","markdown":{"content":"**two**"}}"#;
        let broadcast_body =
            r#"{"chatid":"@all_group","msgtype":"text","text":{"content":"three to all"}}"#;
        let person_body = r#"{"from":"zhangsan","msgtype":"text","post_id":null}"#;
        {
            let mut conn = Connection::open(dir.path().join("hookpit.db")).unwrap();
            run_up_to(&mut conn, 9).unwrap();
            let requests = [
                V9 {
                    request_id: "r1",
                    bot_id: "b",
                    body: text_body.as_bytes(),
                    reply: OK,
                    from_ip: "10.0.0.1",
                    msgtype: "text",
                    content: r#"{"content":"磁盘 alert one","mentioned_list":["zhangsan"]}"#,
                    chats: &["g1"],
                    from_user: "",
                    created_at: 1_000,
                },
                V9 {
                    request_id: "r2",
                    bot_id: "b",
                    body: markdown_body.as_bytes(),
                    reply: OK,
                    from_ip: "10.0.0.2",
                    msgtype: "markdown",
                    content: r#"{"content":"**two**"}"#,
                    chats: &["g1"],
                    from_user: "",
                    created_at: 2_000,
                },
                V9 {
                    request_id: "r3",
                    bot_id: "b",
                    body: stripped.as_bytes(),
                    reply: OK,
                    from_ip: "10.0.0.3",
                    msgtype: "image",
                    content: r#"{"format":"image/png","md5":"m","size":3000}"#,
                    chats: &["g1"],
                    from_user: "",
                    created_at: 3_000,
                },
                V9 {
                    request_id: "r4",
                    bot_id: "b",
                    body: broadcast_body.as_bytes(),
                    reply: OK,
                    from_ip: "10.0.0.4",
                    msgtype: "text",
                    content: r#"{"content":"three to all"}"#,
                    chats: &["g1", "g2"],
                    from_user: "",
                    created_at: 4_000,
                },
                V9 {
                    request_id: "r5",
                    bot_id: "",
                    body: person_body.as_bytes(),
                    reply: "",
                    from_ip: "inbox",
                    msgtype: "text",
                    content: r#"{"content":"a person's alert"}"#,
                    chats: &["g1"],
                    from_user: "zhangsan",
                    created_at: 5_000,
                },
                V9 {
                    request_id: "r6",
                    bot_id: "b",
                    body: br#"{"msgtype":"text","text":{"content":"cleared"}}"#,
                    reply: OK,
                    from_ip: "10.0.0.6",
                    msgtype: "text",
                    content: r#"{"content":"cleared"}"#,
                    chats: &["g1"],
                    from_user: "",
                    created_at: 6_000,
                },
            ];
            for request in &requests {
                insert_v9(&conn, request);
            }
            conn.execute(
                "INSERT INTO images (request_id, mime, bytes, base64_at) VALUES ('r3', 'image/png', ?1, ?2)",
                params![picture, i64::try_from(base64_at).unwrap()],
            )
            .unwrap();
            // The newest was pruned: its id must never come back.
            conn.execute_batch("DELETE FROM messages WHERE request_id = 'r6'; DELETE FROM requests WHERE id = 'r6';")
                .unwrap();
        }

        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        let detail = |id: i64| {
            let store = &store;
            async move { store.get_message(id).await.unwrap() }
        };
        // Ids 1..=6: r1, r2, r3, r4 (two messages), r5.
        let one = detail(1).await;
        assert_eq!(one.raw_request, text_body);
        assert_eq!((one.reply.as_str(), one.from_ip.as_str()), (OK, "10.0.0.1"));
        assert_eq!(one.message.mentions, ["zhangsan"]);
        assert_eq!(detail(2).await.raw_request, markdown_body);
        assert_eq!(detail(2).await.message.request_lints.len(), 1);
        assert!(detail(2).await.message.mentions.is_empty());
        let image = detail(3).await;
        assert_eq!(image.raw_request, image_body);
        assert!(image.message.request_lints.is_empty());
        assert_eq!(store.message_picture(3, 0).await.unwrap().1, picture);
        for id in [4, 5] {
            let copy = detail(id).await;
            assert_eq!(copy.raw_request, broadcast_body);
            assert_eq!(copy.reply, OK);
        }
        let person = detail(6).await;
        assert_eq!(person.raw_request, person_body);
        assert_eq!(
            (person.reply.as_str(), person.from_ip.as_str()),
            ("", "inbox")
        );
        assert_eq!(person.message.from_user.as_deref(), Some("zhangsan"));
        assert_eq!(
            store.raw_request("r3").await.unwrap().as_deref(),
            Some(image_body.as_bytes())
        );
        assert_eq!(
            store.raw_request("r4").await.unwrap().as_deref(),
            Some(broadcast_body.as_bytes())
        );

        let search = |q: &str| {
            let store = &store;
            let query = MessageQuery {
                text: Some(q.to_owned()),
                limit: 50,
                ..MessageQuery::default()
            };
            async move {
                let found = store.list_messages(query).await.unwrap();
                found.iter().map(|m| m.id).collect::<Vec<i64>>()
            }
        };
        assert_eq!(search("alert").await, [6, 1]);
        store.index_search().await.unwrap();
        assert_eq!(search("alert").await, [6, 1]);
        assert_eq!(search("磁盘").await, [1]);

        // The AUTOINCREMENT counter came along: the next id is 8, not the pruned 7.
        let next = store
            .write(|conn| {
                // Through the view's trigger (migration 11), whose insert does not set
                // `last_insert_rowid`.
                conn.execute(
                    "INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind,
                         msgtype, content, created_at)
                     VALUES ('r7', 'b', 'B', 'g1', 'group', 'text', '{}', 7000)",
                    [],
                )?;
                Ok(conn.query_row("SELECT MAX(id) FROM messages", [], |row| {
                    row.get::<_, i64>(0)
                })?)
            })
            .await
            .unwrap();
        assert_eq!(next, 8);

        // Older than 3.5 s: r1, r2, r3 go with their requests and picture.
        assert_eq!(store.prune(Some(3_500), None).await.unwrap(), 3);
        assert!(store.get_message(3).await.is_err());
        assert_eq!(store.raw_request("r3").await.unwrap(), None);
        assert_eq!(store.raw_request("r1").await.unwrap(), None);
        assert!(store.message_picture(3, 0).await.is_err());
        assert_eq!(detail(4).await.raw_request, broadcast_body);
        assert_eq!(search("alert").await, [6]);
        let left: Vec<String> = store
            .read(|conn| {
                let mut statement = conn.prepare("SELECT id FROM requests ORDER BY id")?;
                let rows = statement.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(left, ["r4", "r5"]);
        let schema: Vec<String> = store
            .read(|conn| {
                let mut statement = conn.prepare(
                    "SELECT name FROM sqlite_schema WHERE tbl_name = 'message_rows' ORDER BY name",
                )?;
                let rows = statement.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(
            schema,
            [
                "message_rows",
                "message_rows_by_bot",
                "message_rows_by_chat",
                "message_rows_by_post",
            ]
        );
        store.close().await.unwrap();
    }

    /// A request kept in its message's row: body as stored, `raw_content_at`, reply, from_ip.
    type OwnRequest<'a> = (&'a [u8], Option<i64>, Option<&'a str>, &'a str);

    /// A message row as version 10 stored it (text chat and bot ids).
    #[allow(clippy::too_many_arguments)]
    fn insert_v10(
        conn: &Connection,
        request_id: &str,
        bot_id: &str,
        chatid: &str,
        msgtype: &str,
        content: &str,
        own: Option<OwnRequest<'_>>,
        from_user: &str,
        created_at: i64,
    ) {
        let (raw_body, raw_content_at, reply, from_ip) = match own {
            Some((body, at, reply, from_ip)) => (Some(body), at, reply, Some(from_ip)),
            None => (None, None, None, None),
        };
        conn.execute(
            "INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind, msgtype,
                 content, mentions, created_at, request_lints, from_user, raw_body,
                 raw_content_at, reply, from_ip)
             VALUES (?1, ?2, 'B', ?3, 'group', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                request_id,
                bot_id,
                chatid,
                msgtype,
                content,
                (msgtype == "text").then_some(r#"["zhangsan"]"#),
                created_at,
                (msgtype == "markdown").then_some(r#"[{"code":"x","message":"y"}]"#),
                from_user,
                raw_body,
                raw_content_at,
                reply,
                from_ip,
            ],
        )
        .unwrap();
    }

    #[tokio::test]
    async fn a_store_of_version_10_reads_back_every_kind_of_message_with_integer_keys() {
        let dir = tempfile::tempdir().unwrap();
        let chat = "wrkSFfCgAAqV2wKpMX9Y8AhlVCXd0Ahw";
        let other = "wrkSFfCgAAqV2wKpMX9Y8AhlVCXd0Ah2";
        let text_content = r#"{"content":"磁盘 alert one","mentioned_list":["zhangsan"]}"#;
        let text_body = format!(r#"{{"chatid":"{chat}","msgtype":"text","text":{text_content}}}"#);
        let text_at = text_body.find(text_content).unwrap();
        let folded = text_body.replacen(text_content, "", 1);
        let markdown_body = format!(
            r#"{{"chatid":"{chat}", "msgtype":"markdown","markdown":{{"content":"**two**"}}}}"#
        );
        let broadcast_body =
            r#"{"chatid":"@all_group","msgtype":"text","text":{"content":"three to all"}}"#;
        let person_body = r#"{"from":"zhangsan","msgtype":"text","post_id":null}"#;
        let failed = r#"{"errcode":0,"errmsg":"ok","note":"x"}"#;
        {
            let mut conn = Connection::open(dir.path().join("hookpit.db")).unwrap();
            run_up_to(&mut conn, 10).unwrap();
            let at = i64::try_from(text_at).unwrap();
            insert_v10(
                &conn,
                "r1",
                "bot-a",
                chat,
                "text",
                text_content,
                Some((folded.as_bytes(), Some(at), None, "10.0.0.1")),
                "",
                1_000,
            );
            insert_v10(
                &conn,
                "r2",
                "bot-a",
                chat,
                "markdown",
                r#"{"content":"**two**"}"#,
                Some((markdown_body.as_bytes(), None, Some(failed), "10.0.0.2")),
                "",
                2_000,
            );
            conn.execute(
                "INSERT INTO requests (id, bot_id, raw_body, reply, from_ip, created_at)
                 VALUES ('r3', 'bot-b', ?1, ?2, '10.0.0.3', 3000)",
                params![broadcast_body.as_bytes(), OK],
            )
            .unwrap();
            for chatid in [chat, other] {
                insert_v10(
                    &conn,
                    "r3",
                    "bot-b",
                    chatid,
                    "text",
                    r#"{"content":"three to all"}"#,
                    None,
                    "",
                    3_000,
                );
            }
            insert_v10(
                &conn,
                "r4",
                "",
                other,
                "text",
                r#"{"content":"a person's alert"}"#,
                Some((person_body.as_bytes(), None, Some(""), "inbox")),
                "zhangsan",
                4_000,
            );
            insert_v10(
                &conn,
                "r5",
                "bot-a",
                chat,
                "text",
                r#"{"content":"cleared"}"#,
                Some((b"{}", None, None, "10.0.0.5")),
                "",
                5_000,
            );
            // The newest was pruned: its id must never come back.
            conn.execute("DELETE FROM messages WHERE request_id = 'r5'", [])
                .unwrap();
        }

        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        let detail = |id: i64| {
            let store = &store;
            async move { store.get_message(id).await.unwrap() }
        };
        // Ids 1..=5: r1, r2, r3 (two messages), r4.
        let one = detail(1).await;
        assert_eq!(one.raw_request, text_body);
        assert_eq!((one.reply.as_str(), one.from_ip.as_str()), (OK, "10.0.0.1"));
        assert_eq!(
            (one.message.chatid.as_str(), one.message.bot_id.as_str()),
            (chat, "bot-a")
        );
        assert_eq!(one.message.mentions, ["zhangsan"]);
        let two = detail(2).await;
        assert_eq!(two.raw_request, markdown_body);
        assert_eq!(
            (two.reply.as_str(), two.from_ip.as_str()),
            (failed, "10.0.0.2")
        );
        assert_eq!(two.message.request_lints.len(), 1);
        for (id, chatid) in [(3, chat), (4, other)] {
            let copy = detail(id).await;
            assert_eq!(copy.raw_request, broadcast_body);
            assert_eq!(
                (copy.reply.as_str(), copy.from_ip.as_str()),
                (OK, "10.0.0.3")
            );
            assert_eq!(
                (copy.message.chatid.as_str(), copy.message.bot_id.as_str()),
                (chatid, "bot-b")
            );
        }
        let person = detail(5).await;
        assert_eq!(person.raw_request, person_body);
        assert_eq!(
            (person.reply.as_str(), person.from_ip.as_str()),
            ("", "inbox")
        );
        assert_eq!(person.message.from_user.as_deref(), Some("zhangsan"));
        assert_eq!(person.message.bot_id, "");

        let list = |chatid: Option<&str>, bot_id: Option<&str>, text: Option<&str>| {
            let store = &store;
            let query = MessageQuery {
                chatid: chatid.map(str::to_owned),
                bot_id: bot_id.map(str::to_owned),
                text: text.map(str::to_owned),
                limit: 50,
                ..MessageQuery::default()
            };
            async move {
                let found = store.list_messages(query).await.unwrap();
                found.iter().map(|m| m.id).collect::<Vec<i64>>()
            }
        };
        assert_eq!(list(Some(chat), None, None).await, [3, 2, 1]);
        assert_eq!(list(Some(other), None, None).await, [5, 4]);
        assert_eq!(list(None, Some("bot-a"), None).await, [2, 1]);
        assert_eq!(list(None, Some("bot-b"), None).await, [4, 3]);
        assert_eq!(list(None, None, None).await, [5, 4, 3, 2, 1]);
        assert_eq!(list(None, None, Some("alert")).await, [5, 1]);
        assert_eq!(
            list(None, None, Some(&format!("chat:{other} alert"))).await,
            [5]
        );
        store.index_search().await.unwrap();
        assert_eq!(list(None, None, Some("alert")).await, [5, 1]);
        assert_eq!(list(None, None, Some("bot:bot-b")).await, [4, 3]);

        // The AUTOINCREMENT counter came along: the next id is 7, not the pruned 6.
        let next = store
            .write(|conn| {
                conn.execute(
                    "INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind,
                         msgtype, content, created_at)
                     VALUES ('r7', 'bot-c', 'B', 'g9', 'group', 'text', '{}', 7000)",
                    [],
                )?;
                Ok(conn.query_row("SELECT MAX(id) FROM messages", [], |row| {
                    row.get::<_, i64>(0)
                })?)
            })
            .await
            .unwrap();
        assert_eq!(next, 7);
        assert_eq!(list(Some("g9"), Some("bot-c"), None).await, [7]);

        // Older than 3.5 s: r1, r2 and r3's two messages and request go.
        assert_eq!(store.prune(Some(3_500), None).await.unwrap(), 4);
        assert!(store.get_message(1).await.is_err());
        assert_eq!(store.raw_request("r3").await.unwrap(), None);
        assert_eq!(detail(5).await.raw_request, person_body);
        assert_eq!(list(None, None, None).await, [7, 5]);
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_store_of_version_11_keeps_each_request_while_one_of_its_messages_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let broadcast_body =
            r#"{"chatid":"@all_group","msgtype":"text","text":{"content":"to all"}}"#;
        let image_body = r#"{"chatid":"g1","msgtype":"image","image":{"md5":"x"}}"#;
        {
            let mut conn = Connection::open(dir.path().join("hookpit.db")).unwrap();
            run_up_to(&mut conn, 11).unwrap();
            // r1: a broadcast to three groups (ids 1..=3); r2: an image (id 4); r3: a text
            // kept in its message's row (id 5); r4: a request whose message is gone.
            for (id, body, at) in [("r1", broadcast_body, 1_000), ("r2", image_body, 2_000)] {
                conn.execute(
                    "INSERT INTO requests (id, bot_id, raw_body, reply, from_ip, created_at)
                     VALUES (?1, 'b', ?2, ?3, '10.0.0.1', ?4)",
                    params![id, body.as_bytes(), OK, at],
                )
                .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO requests (id, bot_id, raw_body, reply, from_ip, created_at)
                     VALUES ('r4', 'b', X'7B7D', '', '10.0.0.1', 500);
                 INSERT INTO images (request_id, mime, bytes) VALUES ('r2', 'image/png', X'89');
                 INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind, msgtype,
                     content, created_at)
                 VALUES ('r1', 'b', 'B', 'g1', 'group', 'text', '{\"content\":\"to all\"}', 1000),
                        ('r1', 'b', 'B', 'g2', 'group', 'text', '{\"content\":\"to all\"}', 1000),
                        ('r1', 'b', 'B', 'g3', 'group', 'text', '{\"content\":\"to all\"}', 1000),
                        ('r2', 'b', 'B', 'g1', 'group', 'image', '{\"md5\":\"x\"}', 2000);
                 INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind, msgtype,
                     content, created_at, raw_body, from_ip)
                 VALUES ('r3', 'b', 'B', 'g1', 'group', 'text', '{\"content\":\"own\"}', 3000,
                     X'', '10.0.0.1');",
            )
            .unwrap();
        }

        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        let (last_ids, indexes) = store
            .read(|conn| {
                let mut statement =
                    conn.prepare("SELECT id, last_message_id FROM requests ORDER BY id")?;
                let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
                let last_ids = rows.collect::<Result<Vec<(String, Option<i64>)>, _>>()?;
                let indexes: i64 = conn.query_row(
                    "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'message_rows_by_request'",
                    [],
                    |row| row.get(0),
                )?;
                Ok((last_ids, indexes))
            })
            .await
            .unwrap();
        assert_eq!(
            last_ids,
            [
                ("r1".to_owned(), Some(3)),
                ("r2".to_owned(), Some(4)),
                ("r4".to_owned(), None)
            ]
        );
        assert_eq!(indexes, 0);

        let requests = || {
            store.read(|conn| {
                let mut statement = conn.prepare("SELECT id FROM requests ORDER BY id")?;
                let rows = statement.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
        };
        // Pruned into the middle of the broadcast: its last copy still shows the request.
        assert_eq!(store.prune(None, Some(4)).await.unwrap(), 1);
        assert_eq!(requests().await.unwrap(), ["r1", "r2"]);
        assert_eq!(
            store.get_message(3).await.unwrap().raw_request,
            broadcast_body
        );
        assert!(store.message_picture(4, 0).await.is_ok());
        // Every copy gone: the request goes; the picture goes with its message.
        assert_eq!(store.prune(None, Some(2)).await.unwrap(), 2);
        assert_eq!(requests().await.unwrap(), ["r2"]);
        assert_eq!(store.prune(None, Some(1)).await.unwrap(), 1);
        assert!(requests().await.unwrap().is_empty());
        let pictures: i64 = store
            .read(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM images", [], |row| row.get(0))?))
            .await
            .unwrap();
        assert_eq!(pictures, 0);
        assert_eq!(store.get_message(5).await.unwrap().message.chatid, "g1");
        store.close().await.unwrap();
    }
}
