-- Tenant admins manage their users in the console: a user can be disabled (kept, with its
-- history, but unable to sign in) and the list shows when each last signed in.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN last_login_at BIGINT;
CREATE INDEX users_by_tenant ON users(tenant_id, username);

-- The operation log is read newest first, for the whole tenant or for one user.
CREATE INDEX operation_log_newest ON operation_log(tenant_id, at, id);
CREATE INDEX operation_log_by_user ON operation_log(tenant_id, user_id, at, id);
DROP INDEX operation_log_tenant_at;
