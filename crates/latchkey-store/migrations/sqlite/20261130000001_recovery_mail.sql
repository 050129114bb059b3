-- Recovery flows that ended early (superseded, password changed, ...) and the mail
-- budget: when and from which client network a flow's code was mailed.
ALTER TABLE recovery_flows ADD COLUMN ended_reason TEXT;
ALTER TABLE recovery_flows ADD COLUMN mailed_at INTEGER;
ALTER TABLE recovery_flows ADD COLUMN mail_network TEXT;
CREATE INDEX recovery_flows_mailed ON recovery_flows (account_id, mailed_at);
-- The open flows of an account, found without reading its finished ones (a credential
-- event ends them; flooding an account with flows cannot slow its sign-ins down).
CREATE INDEX recovery_flows_open ON recovery_flows (account_id) WHERE completed = 0;
