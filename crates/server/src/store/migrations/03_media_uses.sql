-- 3: which requests used which upload, so that expired media a stored message still shows
-- are kept (found through the index, not by scanning messages).
CREATE TABLE media_uses (
    media_id   TEXT NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (media_id, request_id)
) WITHOUT ROWID;
