-- The admin console. (User search by email or name prefix uses the pattern-ops indexes
-- of the accounts migration.)

-- Audit entries of one action, or all entries, newest first with a stable tie-breaker.
DROP INDEX admin_logs_action_idx;
CREATE INDEX admin_logs_action_idx ON admin_logs (action, created_at DESC, id DESC);
DROP INDEX admin_logs_admin_id_idx;
CREATE INDEX admin_logs_admin_id_idx ON admin_logs (admin_id, created_at DESC, id DESC);
DROP INDEX admin_logs_entity_idx;
CREATE INDEX admin_logs_entity_idx ON admin_logs (entity_type, entity_id, created_at DESC, id DESC);
