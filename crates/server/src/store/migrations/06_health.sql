-- 6: one row `/readyz` rewrites, so that readiness means "a write reaches the disk" (an
-- empty transaction commits even on a full disk).
CREATE TABLE health (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    checks INTEGER NOT NULL
);
