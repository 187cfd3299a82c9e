-- 2: a post's messages (reply counts of `GET /api/v1/chats/{id}/posts`) without scanning
-- the blackboard; partial, so group and single-chat messages cost nothing extra.
CREATE INDEX messages_by_post ON messages(post_id, id) WHERE post_id IS NOT NULL;
