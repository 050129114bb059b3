-- Failed proofs against names that match no account, in 4,096 buckets keyed by the
-- first three hex digits of a digest of the name, all created here: a proof against an
-- unknown name then updates a row exactly as one against a known account updates its
-- lockout_counters row (never an insert that a known account would not make), and the
-- table never grows. The counters lock nothing.
CREATE TABLE name_proof_counters (
    name_key     TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL DEFAULT 0,
    window_start BIGINT,
    locked_until BIGINT
);
INSERT INTO name_proof_counters (name_key)
SELECT lpad(to_hex(i), 3, '0') FROM generate_series(0, 4095) AS i;
