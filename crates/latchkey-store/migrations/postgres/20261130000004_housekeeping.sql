-- Housekeeping: expired sessions, old recovery flows and delivered mail are swept; audit
-- events past their retention too, but only by the sweep itself: its transaction sets
-- `latchkey.audit_sweep` locally, and only then does the trigger let a delete through.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('latchkey.audit_sweep', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;

CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX recovery_flows_created ON recovery_flows (created_at);
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
