-- Each server process keeps, for a moment, who a session or token belongs to and each tenant's
-- revision. These triggers tell every other process sharing the database when one of those
-- changes (channel havip_changes, read by server/src/db/change_feed.rs); a notification is sent
-- when the writing transaction commits, and not at all if it rolls back.

CREATE FUNCTION havip_notify_tenant_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('havip_changes', 'tenant:' || NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_revision_changed AFTER UPDATE OF revision ON tenants
    FOR EACH ROW EXECUTE FUNCTION havip_notify_tenant_change();

CREATE FUNCTION havip_notify_credentials_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('havip_changes', 'credentials');
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_ended AFTER DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION havip_notify_credentials_change();
CREATE TRIGGER api_tokens_revoked AFTER UPDATE OF revoked_at ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION havip_notify_credentials_change();
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION havip_notify_credentials_change();
