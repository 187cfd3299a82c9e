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
