//! The schema, as numbered migrations embedded in the binary and run at start-up.
//!
//! `PRAGMA user_version` records how many have run; each runs in its own transaction. Never edit
//! a released migration: append a new one.

use rusqlite::Connection;

use super::StoreError;

/// Every migration, in order.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema. Times are Unix milliseconds.
    r"
    CREATE TABLE users (
        userid     TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        mobile     TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
    );
    CREATE INDEX users_by_mobile ON users(mobile) WHERE mobile <> '';

    CREATE TABLE chats (
        chatid          TEXT PRIMARY KEY,
        kind            TEXT NOT NULL CHECK (kind IN ('group', 'blackboard', 'single')),
        name            TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        last_message_at INTEGER,
        message_count   INTEGER NOT NULL DEFAULT 0,
        read_upto       INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE chat_members (
        chatid TEXT NOT NULL REFERENCES chats(chatid) ON DELETE CASCADE,
        userid TEXT NOT NULL,
        PRIMARY KEY (chatid, userid)
    ) WITHOUT ROWID;

    CREATE TABLE posts (
        post_id    TEXT PRIMARY KEY,
        chatid     TEXT NOT NULL REFERENCES chats(chatid) ON DELETE CASCADE,
        title      TEXT NOT NULL,
        message_id INTEGER,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX posts_by_chat ON posts(chatid, created_at);

    CREATE TABLE bots (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        key        TEXT NOT NULL UNIQUE,
        is_demo    INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );

    CREATE TABLE bot_chats (
        bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
        chatid TEXT NOT NULL REFERENCES chats(chatid) ON DELETE CASCADE,
        PRIMARY KEY (bot_id, chatid)
    ) WITHOUT ROWID;
    CREATE INDEX bot_chats_by_chat ON bot_chats(chatid);

    CREATE TABLE subscriptions (
        bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
        userid TEXT NOT NULL,
        PRIMARY KEY (bot_id, userid)
    ) WITHOUT ROWID;

    CREATE TABLE single_chats (
        chatid          TEXT PRIMARY KEY REFERENCES chats(chatid) ON DELETE CASCADE,
        bot_id          TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
        userid          TEXT NOT NULL,
        quota_remaining INTEGER NOT NULL DEFAULT 0,
        UNIQUE (bot_id, userid)
    );

    CREATE TABLE requests (
        id         TEXT PRIMARY KEY,
        bot_id     TEXT NOT NULL,
        raw_body   BLOB NOT NULL,
        reply      TEXT NOT NULL,
        from_ip    TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );

    CREATE TABLE messages (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id  TEXT NOT NULL,
        bot_id      TEXT NOT NULL,
        bot_name    TEXT NOT NULL,
        chatid      TEXT NOT NULL,
        chat_kind   TEXT NOT NULL,
        post_id     TEXT,
        msgtype     TEXT NOT NULL,
        content     TEXT NOT NULL,
        -- '|a|b|' so that one LIKE finds a user; '' = everyone.
        visible_to  TEXT NOT NULL DEFAULT '',
        -- The user of a single chat (only they see it); '' otherwise.
        audience    TEXT NOT NULL DEFAULT '',
        mentions    TEXT NOT NULL DEFAULT '[]',
        search_text TEXT NOT NULL DEFAULT '',
        created_at  INTEGER NOT NULL
    );
    -- A chat's newest messages: the first page of a chat with a million messages is one index
    -- range scan.
    CREATE INDEX messages_by_chat ON messages(chatid, id);
    CREATE INDEX messages_by_bot ON messages(bot_id, id);
    CREATE INDEX messages_by_request ON messages(request_id);
    CREATE INDEX messages_by_time ON messages(created_at);

    CREATE TABLE images (
        request_id TEXT PRIMARY KEY,
        mime       TEXT NOT NULL,
        bytes      BLOB NOT NULL
    );

    CREATE TABLE media (
        media_id          TEXT PRIMARY KEY,
        bot_id            TEXT NOT NULL,
        kind              TEXT NOT NULL,
        filename          TEXT NOT NULL,
        content_type      TEXT NOT NULL,
        size              INTEGER NOT NULL,
        created_at        INTEGER NOT NULL,
        expires_at        INTEGER NOT NULL,
        voice_duration_ms INTEGER
    );
    CREATE INDEX media_by_expiry ON media(expires_at);
    ",
    // 2: a post's messages (reply counts of `GET /api/v1/chats/{id}/posts`) without scanning
    // the blackboard; partial, so group and single-chat messages cost nothing extra.
    r"
    CREATE INDEX messages_by_post ON messages(post_id, id) WHERE post_id IS NOT NULL;
    ",
    // 3: which requests used which upload, so that expired media a stored message still shows
    // are kept (found through the index, not by scanning messages).
    r"
    CREATE TABLE media_uses (
        media_id   TEXT NOT NULL,
        request_id TEXT NOT NULL,
        PRIMARY KEY (media_id, request_id)
    ) WITHOUT ROWID;
    ",
    // 4: lints of the raw request body, found at accept time (the stored content has lost the
    // fields they are about, and reading raw bodies back per page would cost megabytes).
    r"
    ALTER TABLE messages ADD COLUMN request_lints TEXT NOT NULL DEFAULT '[]';
    ",
    // 5: an image request's raw body is stored without its base64 (the picture is in `images`
    // already); this is where to splice it back (`raw_body.rs`). NULL: the body is whole.
    r"
    ALTER TABLE images ADD COLUMN base64_at INTEGER;
    ",
    // 6: one row `/readyz` rewrites, so that readiness means "a write reaches the disk" (an
    // empty transaction commits even on a full disk).
    r"
    CREATE TABLE health (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        checks INTEGER NOT NULL
    );
    ",
    // 7: two-way Hookpit. People write messages (`from_user`); their pictures have a public
    // token, as callbacks point at pictures the bot downloads. Each bot may have a callback
    // configuration. The outbox is the one durable queue (callbacks now, the relay later):
    // an entry is written in the transaction that causes it and delivered afterwards, each
    // attempt recorded. get_chat_info codes are single-use; clicks on buttons are remembered
    // per person, who then sees the action's replace_text.
    r"
    ALTER TABLE messages ADD COLUMN from_user TEXT NOT NULL DEFAULT '';
    ALTER TABLE images ADD COLUMN public_token TEXT;
    CREATE UNIQUE INDEX images_by_token ON images(public_token) WHERE public_token IS NOT NULL;

    CREATE TABLE bot_callbacks (
        bot_id           TEXT PRIMARY KEY REFERENCES bots(id) ON DELETE CASCADE,
        url              TEXT NOT NULL,
        token            TEXT NOT NULL,
        encoding_aes_key TEXT NOT NULL,
        format           TEXT NOT NULL CHECK (format IN ('xml', 'json')),
        verified_at      INTEGER NOT NULL
    );

    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        consumer        TEXT NOT NULL CHECK (consumer IN ('callback', 'relay')),
        bot_id          TEXT NOT NULL,
        chatid          TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        finished_at     INTEGER,
        item            TEXT NOT NULL,
        outcome         TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX outbox_due ON outbox(consumer, next_attempt_at) WHERE status = 'pending';
    CREATE INDEX outbox_by_bot ON outbox(consumer, bot_id, id);

    CREATE TABLE outbox_attempts (
        outbox_id   INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
        attempt     INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        http_status INTEGER,
        latency_ms  INTEGER NOT NULL,
        error       TEXT,
        PRIMARY KEY (outbox_id, attempt)
    ) WITHOUT ROWID;

    CREATE TABLE chat_info_codes (
        code       TEXT PRIMARY KEY,
        bot_id     TEXT NOT NULL,
        chatid     TEXT NOT NULL,
        chattype   TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        used       INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE message_actions (
        message_id  INTEGER NOT NULL,
        userid      TEXT NOT NULL,
        callback_id TEXT NOT NULL,
        name        TEXT NOT NULL,
        at          INTEGER NOT NULL,
        PRIMARY KEY (message_id, userid, callback_id)
    ) WITHOUT ROWID;
    ",
    // 8: the official document's examples work verbatim. A bot may answer more than one key
    // (the demo bot answers the keys the document shows), and some media are placeholders (the
    // document's `MEDIA_ID`, `MEDIAID`, `3a8asd892asd8asd`): never expiring, of any kind.
    r"
    CREATE TABLE bot_key_aliases (
        key    TEXT PRIMARY KEY,
        bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE
    );
    ALTER TABLE media ADD COLUMN placeholder INTEGER NOT NULL DEFAULT 0;
    ",
    // 9: the relay to real WeCom. A bot may have an upstream (a WeCom webhook URL; `manual`
    // holds each message until released). Its accepted requests join the outbox (the relay
    // consumer's entries carry the request id in `ref`, which also finds a message's relay
    // state); media are uploaded to the upstream once and their ids kept until they expire.
    r"
    CREATE TABLE bot_relays (
        bot_id     TEXT PRIMARY KEY REFERENCES bots(id) ON DELETE CASCADE,
        upstream   TEXT NOT NULL,
        mode       TEXT NOT NULL CHECK (mode IN ('all', 'manual')),
        created_at INTEGER NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN ref TEXT;
    CREATE INDEX outbox_by_ref ON outbox(consumer, ref) WHERE ref IS NOT NULL;
    CREATE TABLE relay_media (
        upstream          TEXT NOT NULL,
        media_id          TEXT NOT NULL,
        upstream_media_id TEXT NOT NULL,
        expires_at        INTEGER NOT NULL,
        PRIMARY KEY (upstream, media_id)
    ) WITHOUT ROWID;
    ",
    // 10: fewer bytes and B-trees per message (docs/PERFORMANCE.md, "Bytes on disk").
    // - A request that is its message's alone (one target, no picture, no media, no relay: a
    //   plain text or markdown) is kept in the message row (`raw_body`, `reply`, `from_ip`)
    //   instead of a `requests` row and its primary key; the body without the `content` it
    //   holds verbatim (`raw_content_at`: where to splice it back, `raw_body.rs`); `reply`
    //   NULL for the 27-byte success reply. Other requests stay in `requests`; their messages
    //   (raw_body NULL) alone are in `messages_by_request`, which is partial for that.
    // - No `search_text` (the text search reads `content`: `search.rs`, `indexer.rs`).
    // - No `messages_by_time`: ids follow time, so pruning by age deletes an id range.
    // - `mentions` and `request_lints` NULL when empty.
    // Rows are copied as they are (their requests stay in `requests`); the AUTOINCREMENT
    // counter is carried over, so ids of cleared messages are still never handed out again.
    r"
    CREATE TABLE messages_v10 (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id     TEXT NOT NULL,
        bot_id         TEXT NOT NULL,
        bot_name       TEXT NOT NULL,
        chatid         TEXT NOT NULL,
        chat_kind      TEXT NOT NULL,
        post_id        TEXT,
        msgtype        TEXT NOT NULL,
        content        TEXT NOT NULL,
        visible_to     TEXT NOT NULL DEFAULT '',
        audience       TEXT NOT NULL DEFAULT '',
        mentions       TEXT,
        created_at     INTEGER NOT NULL,
        request_lints  TEXT,
        from_user      TEXT NOT NULL DEFAULT '',
        raw_body       BLOB,
        raw_content_at INTEGER,
        reply          TEXT,
        from_ip        TEXT
    );
    INSERT INTO messages_v10 (id, request_id, bot_id, bot_name, chatid, chat_kind, post_id,
        msgtype, content, visible_to, audience, mentions, created_at, request_lints, from_user)
    SELECT id, request_id, bot_id, bot_name, chatid, chat_kind, post_id, msgtype, content,
        visible_to, audience, NULLIF(mentions, '[]'), created_at, NULLIF(request_lints, '[]'),
        from_user
    FROM messages ORDER BY id;
    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'messages_v10', 0
        WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'messages_v10');
    UPDATE sqlite_sequence
        SET seq = max(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0))
        WHERE name = 'messages_v10';
    DROP TABLE messages;
    ALTER TABLE messages_v10 RENAME TO messages;
    CREATE INDEX messages_by_chat ON messages(chatid, id);
    CREATE INDEX messages_by_bot ON messages(bot_id, id);
    CREATE INDEX messages_by_post ON messages(post_id, id) WHERE post_id IS NOT NULL;
    CREATE INDEX messages_by_request ON messages(request_id) WHERE raw_body IS NULL;
    ",
    // 11: fewer bytes per message (docs/PERFORMANCE.md, "Bytes on disk").
    // - The chat and bot of a message are integer keys (`message_keys`, never deleted, so a key
    //   never names two ids) in its row and in the by-chat and by-bot indexes, instead of the
    //   32- and 13-character ids. `messages` is a view that spells them out again, so reads
    //   are unchanged; writes go to `message_rows` (`deliver.rs`), or through the view's trigger.
    // - A row's `raw_body` may be empty: the request was spelled the usual way, which the row
    //   rebuilds byte for byte (`raw_body.rs`, checked at write time).
    // Rows are copied as they are; the AUTOINCREMENT counter is carried over.
    r"
    CREATE TABLE message_keys (
        key   INTEGER PRIMARY KEY,
        value TEXT NOT NULL UNIQUE
    );
    CREATE TABLE message_rows (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id     TEXT NOT NULL,
        bot_key        INTEGER NOT NULL,
        bot_name       TEXT NOT NULL,
        chat_key       INTEGER NOT NULL,
        chat_kind      TEXT NOT NULL,
        post_id        TEXT,
        msgtype        TEXT NOT NULL,
        content        TEXT NOT NULL,
        visible_to     TEXT NOT NULL DEFAULT '',
        audience       TEXT NOT NULL DEFAULT '',
        mentions       TEXT,
        created_at     INTEGER NOT NULL,
        request_lints  TEXT,
        from_user      TEXT NOT NULL DEFAULT '',
        raw_body       BLOB,
        raw_content_at INTEGER,
        reply          TEXT,
        from_ip        TEXT
    );
    INSERT OR IGNORE INTO message_keys (value)
        SELECT chatid FROM messages UNION SELECT bot_id FROM messages;
    INSERT INTO message_rows (id, request_id, bot_key, bot_name, chat_key, chat_kind, post_id,
        msgtype, content, visible_to, audience, mentions, created_at, request_lints, from_user,
        raw_body, raw_content_at, reply, from_ip)
    SELECT m.id, m.request_id, b.key, m.bot_name, c.key, m.chat_kind, m.post_id, m.msgtype,
        m.content, m.visible_to, m.audience, m.mentions, m.created_at, m.request_lints,
        m.from_user, m.raw_body, m.raw_content_at, m.reply, m.from_ip
    FROM messages m
    JOIN message_keys c ON c.value = m.chatid
    JOIN message_keys b ON b.value = m.bot_id
    ORDER BY m.id;
    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'message_rows', 0
        WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'message_rows');
    UPDATE sqlite_sequence
        SET seq = max(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0))
        WHERE name = 'message_rows';
    DELETE FROM sqlite_sequence WHERE name = 'messages';
    DROP TABLE messages;
    CREATE INDEX message_rows_by_chat ON message_rows(chat_key, id);
    CREATE INDEX message_rows_by_bot ON message_rows(bot_key, id);
    CREATE INDEX message_rows_by_post ON message_rows(post_id, id) WHERE post_id IS NOT NULL;
    CREATE INDEX message_rows_by_request ON message_rows(request_id) WHERE raw_body IS NULL;
    CREATE VIEW messages AS
    SELECT r.id, r.request_id, b.value AS bot_id, r.bot_name, c.value AS chatid, r.chat_kind,
        r.post_id, r.msgtype, r.content, r.visible_to, r.audience, r.mentions, r.created_at,
        r.request_lints, r.from_user, r.raw_body, r.raw_content_at, r.reply, r.from_ip,
        r.chat_key, r.bot_key
    FROM message_rows r
    JOIN message_keys c ON c.key = r.chat_key
    JOIN message_keys b ON b.key = r.bot_key;
    CREATE TRIGGER messages_insert INSTEAD OF INSERT ON messages
    BEGIN
        INSERT OR IGNORE INTO message_keys (value) VALUES (NEW.chatid), (NEW.bot_id);
        INSERT INTO message_rows (id, request_id, bot_key, bot_name, chat_key, chat_kind,
            post_id, msgtype, content, visible_to, audience, mentions, created_at,
            request_lints, from_user, raw_body, raw_content_at, reply, from_ip)
        VALUES (NEW.id, NEW.request_id,
            (SELECT key FROM message_keys WHERE value = NEW.bot_id), NEW.bot_name,
            (SELECT key FROM message_keys WHERE value = NEW.chatid), NEW.chat_kind,
            NEW.post_id, NEW.msgtype, NEW.content, COALESCE(NEW.visible_to, ''),
            COALESCE(NEW.audience, ''), NEW.mentions, NEW.created_at, NEW.request_lints,
            COALESCE(NEW.from_user, ''), NEW.raw_body, NEW.raw_content_at, NEW.reply,
            NEW.from_ip);
    END;
    CREATE TRIGGER messages_delete INSTEAD OF DELETE ON messages
    BEGIN
        DELETE FROM message_rows WHERE id = OLD.id;
    END;
    ",
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
                "message_rows_by_request"
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
}
