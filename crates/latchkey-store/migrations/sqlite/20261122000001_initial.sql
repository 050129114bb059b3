-- Latchkey's SQLite schema. Times are Unix milliseconds (UTC); ids are hyphenated UUIDs.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Sequences that must be shared by every writer (the SID relative id).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('rid', 1000);

CREATE TABLE accounts (
    id                     TEXT PRIMARY KEY,
    user_name              TEXT NOT NULL,
    user_name_key          TEXT NOT NULL UNIQUE,
    dn                     TEXT NOT NULL,
    dn_key                 TEXT NOT NULL UNIQUE,
    sid                    TEXT NOT NULL UNIQUE,
    email                  TEXT,
    email_key              TEXT,
    given_name             TEXT,
    sn                     TEXT,
    display_name           TEXT,
    telephone_number       TEXT,
    locale                 TEXT,
    roles                  TEXT NOT NULL,
    disabled               INTEGER NOT NULL DEFAULT 0,
    federated              INTEGER NOT NULL DEFAULT 0,
    password_hash          TEXT,
    password_normalization TEXT,
    password_changed_at    INTEGER,
    must_change_password   INTEGER NOT NULL DEFAULT 0,
    password_never_expires INTEGER NOT NULL DEFAULT 0,
    cannot_change_password INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL,
    rev                    INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX accounts_email_key ON accounts (email_key);

CREATE TABLE password_history (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    normalization TEXT NOT NULL,
    retired_at    INTEGER NOT NULL
);
CREATE INDEX password_history_account ON password_history (account_id, seq);

-- Consecutive failed proofs per account; a row exists once an account has been tried.
CREATE TABLE lockout_counters (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    failures     INTEGER NOT NULL DEFAULT 0,
    window_start INTEGER,
    locked_until INTEGER
);

CREATE TABLE api_clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    secret_digest BLOB NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_digest BLOB NOT NULL UNIQUE,
    account_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    client_id    TEXT REFERENCES api_clients (id) ON DELETE CASCADE,
    scopes       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    change_only  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Append-only: no foreign keys, so events outlive the accounts they name.
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    at         INTEGER NOT NULL,
    type       TEXT NOT NULL,
    actor_id   TEXT,
    target_id  TEXT,
    surface    TEXT NOT NULL,
    client_ip  TEXT,
    request_id TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    reason     TEXT
);
CREATE INDEX audit_events_target ON audit_events (target_id, seq);
CREATE INDEX audit_events_at ON audit_events (at);

-- Notifications written with the change that caused them; delivered by a worker.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, next_attempt_at);

CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
