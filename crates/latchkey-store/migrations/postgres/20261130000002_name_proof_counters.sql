-- Failed proofs against names that match no account, keyed by a digest of the
-- normalised name: written exactly as lockout_counters is for an account, so that an
-- unknown name costs the store what a known one costs. Rows older than the lockout
-- window are swept by the hourly job.
CREATE TABLE name_proof_counters (
    name_key     TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL DEFAULT 0,
    window_start BIGINT,
    locked_until BIGINT
);
