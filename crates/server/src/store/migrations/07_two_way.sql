-- 7: two-way Hookpit. People write messages (`from_user`); their pictures have a public
-- token, as callbacks point at pictures the bot downloads. Each bot may have a callback
-- configuration. The outbox is the one durable queue (callbacks now, the relay later):
-- an entry is written in the transaction that causes it and delivered afterwards, each
-- attempt recorded. get_chat_info codes are single-use; clicks on buttons are remembered
-- per person, who then sees the action's replace_text.
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
