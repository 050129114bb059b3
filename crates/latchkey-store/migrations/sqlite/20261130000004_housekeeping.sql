-- Housekeeping: expired sessions, old recovery flows and delivered mail are swept; audit
-- events past their retention too, but only by the sweep itself: the delete trigger lets
-- a delete through only while the sweep's transaction holds the permit row (never
-- visible to anyone else: it is inserted and deleted in that one transaction).
CREATE TABLE audit_sweep_permit (
    one INTEGER PRIMARY KEY CHECK (one = 1)
);
DROP TRIGGER audit_events_append_only_delete;
CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_sweep_permit)
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX recovery_flows_created ON recovery_flows (created_at);
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
