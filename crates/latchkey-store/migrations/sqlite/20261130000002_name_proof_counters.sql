-- Failed proofs against names that match no account, in 4,096 buckets keyed by the
-- first three hex digits of a digest of the name, all created here: a proof against an
-- unknown name then updates a row exactly as one against a known account updates its
-- lockout_counters row (never an insert that a known account would not make), and the
-- table never grows. The counters lock nothing.
CREATE TABLE name_proof_counters (
    name_key     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    window_start INTEGER,
    locked_until INTEGER
);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4095)
INSERT INTO name_proof_counters (name_key) SELECT printf('%03x', i) FROM n;
