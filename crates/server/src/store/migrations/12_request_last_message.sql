-- 12: no index of messages by request (docs/PERFORMANCE.md, "A request knows its last message").
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
