-- 1: the initial schema. Times are Unix milliseconds.
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
