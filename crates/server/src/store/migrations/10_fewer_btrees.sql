-- 10: fewer bytes and B-trees per message (docs/PERFORMANCE.md, "Bytes on disk").
-- - A request that is its message's alone (one target, no picture, no media, no relay: a
--   plain text or markdown) is kept in the message row (`raw_body`, `reply`, `from_ip`)
--   instead of a `requests` row and its primary key; the body without the `content` it
--   holds verbatim (`raw_content_at`: where to splice it back, `raw_body.rs`); `reply`
--   NULL for the 27-byte success reply. Other requests stay in `requests`; their messages
--   (raw_body NULL) alone are in `messages_by_request`, which is partial for that.
-- - No `search_text` (the text search reads `content`: `search.rs`, `indexer.rs`).
-- - No `messages_by_time`: ids follow time, so pruning by age deletes an id range.
-- - `mentions` and `request_lints` NULL when empty.
-- Rows are copied as they are (their requests stay in `requests`); the AUTOINCREMENT
-- counter is carried over, so ids of cleared messages are still never handed out again.
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
