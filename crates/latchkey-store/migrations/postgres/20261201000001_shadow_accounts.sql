-- Where an account lives: 'local' (Latchkey's own) or 'directory' — Latchkey's row for a
-- directory entry, keyed by its stable id, holding only what Latchkey keeps about it
-- (revision, flags, lock, history, last change). Its lookup keys and SID hold '#' and the
-- id, which no user name, DN or SID can be, so that no lookup of a local account finds it.
ALTER TABLE accounts ADD COLUMN source TEXT NOT NULL DEFAULT 'local';

-- A password write to the directory in progress: recorded before the directory is
-- written, removed once its effects (audit, notification, ...) are committed or the
-- directory refused it. One left behind by a node that died in between is resolved by
-- the entry's pwdChangedTime against started_at. `body` is the write's effects (JSON).
CREATE TABLE directory_intents (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    body       TEXT NOT NULL
);
