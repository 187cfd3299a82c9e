-- 9: the relay to real WeCom. A bot may have an upstream (a WeCom webhook URL; `manual`
-- holds each message until released). Its accepted requests join the outbox (the relay
-- consumer's entries carry the request id in `ref`, which also finds a message's relay
-- state); media are uploaded to the upstream once and their ids kept until they expire.
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
