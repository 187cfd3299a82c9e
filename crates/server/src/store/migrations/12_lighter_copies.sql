-- 12: no index of messages by request, and one content per broadcast (docs/PERFORMANCE.md,
-- "Lighter copies").
-- A request kept in `requests` (several targets, a picture, media, a relay entry) was found
-- from its messages by `message_rows_by_request`, one entry per message: 100 per broadcast,
-- each a 36-character key, the writer's costliest index after the chats'. It served only the
-- question "has this request a message left?", asked when pruning and when media expire.
-- Messages are deleted only oldest first (`prune`, by id range) or all at once (`clear`), so
-- a request has a message left exactly when its highest message id is at or above the lowest
-- stored one: `requests.last_message_id` answers it, written once with the request.
ALTER TABLE requests ADD COLUMN last_message_id INTEGER;
UPDATE requests SET last_message_id = (SELECT MAX(m.id) FROM message_rows m
    WHERE m.request_id = requests.id AND m.raw_body IS NULL);
DROP INDEX message_rows_by_request;
-- A broadcast's copies share one content: on SQLite a run of copies inserted together
-- (`message_row::insert_copies`) stores `content` '' (a stored content is never empty: it is a
-- JSON object) and its request row holds it once, for the copies to read through the view.
-- The request lives as long as one of its copies does (above), so every copy finds it.
ALTER TABLE requests ADD COLUMN content TEXT;
DROP VIEW messages;
CREATE VIEW messages AS
SELECT r.id, r.request_id, b.value AS bot_id, r.bot_name, c.value AS chatid, r.chat_kind,
    r.post_id, r.msgtype,
    CASE WHEN r.content = '' THEN (SELECT q.content FROM requests q WHERE q.id = r.request_id)
         ELSE r.content END AS content,
    r.visible_to, r.audience, r.mentions, r.created_at,
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
