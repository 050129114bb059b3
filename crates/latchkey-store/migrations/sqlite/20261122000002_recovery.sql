-- Recovery flows, security answers, outbox delivery state, expiry warnings.

CREATE TABLE recovery_flows (
    id              TEXT PRIMARY KEY,
    stages          TEXT NOT NULL,
    stage_index     INTEGER NOT NULL,
    step            INTEGER NOT NULL,
    account_id      TEXT,
    decoy           INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    code_digest     BLOB,
    code_expires_at INTEGER,
    proved_email    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    completed       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recovery_flows_account ON recovery_flows (account_id, created_at);

CREATE TABLE kba_answers (
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    question_id     TEXT,
    custom_question TEXT,
    answer_hash     TEXT NOT NULL,
    PRIMARY KEY (account_id, position)
);

ALTER TABLE accounts ADD COLUMN expiry_warned_at INTEGER;
