-- 5: an image request's raw body is stored without its base64 (the picture is in `images`
-- already); this is where to splice it back (`raw_body.rs`). NULL: the body is whole.
ALTER TABLE images ADD COLUMN base64_at INTEGER;
