-- The recovery mail budget is counted per key: an account's id, or for a decoy flow the
-- bucket of the name it was started for, so that a decoy counts and supersedes as a real
-- flow does (the same rows read and written; timing tells them no more apart).
ALTER TABLE recovery_flows ADD COLUMN mail_key TEXT;
UPDATE recovery_flows SET mail_key = account_id WHERE mailed_at IS NOT NULL;
DROP INDEX recovery_flows_mailed;
CREATE INDEX recovery_flows_mail_key ON recovery_flows (mail_key, mailed_at);
CREATE INDEX recovery_flows_open_decoys ON recovery_flows (mail_key) WHERE completed = FALSE AND decoy = TRUE;
