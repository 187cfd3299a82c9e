-- 8: the official document's examples work verbatim. A bot may answer more than one key
-- (the demo bot answers the keys the document shows), and some media are placeholders (the
-- document's `MEDIA_ID`, `MEDIAID`, `3a8asd892asd8asd`): never expiring, of any kind.
CREATE TABLE bot_key_aliases (
    key    TEXT PRIMARY KEY,
    bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE
);
ALTER TABLE media ADD COLUMN placeholder INTEGER NOT NULL DEFAULT 0;
