-- 4: lints of the raw request body, found at accept time (the stored content has lost the
-- fields they are about, and reading raw bodies back per page would cost megabytes).
ALTER TABLE messages ADD COLUMN request_lints TEXT NOT NULL DEFAULT '[]';
