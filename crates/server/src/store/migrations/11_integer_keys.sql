-- 11: fewer bytes per message (docs/PERFORMANCE.md, "Bytes on disk").
-- - The chat and bot of a message are integer keys (`message_keys`, never deleted, so a key
--   never names two ids) in its row and in the by-chat and by-bot indexes, instead of the
--   32- and 13-character ids. `messages` is a view that spells them out again, so reads
--   are unchanged; writes go to `message_rows` (`deliver.rs`), or through the view's trigger.
-- - A row's `raw_body` may be empty: the request was spelled the usual way, which the row
--   rebuilds byte for byte (`raw_body.rs`, checked at write time).
-- Rows are copied as they are; the AUTOINCREMENT counter is carried over.
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
