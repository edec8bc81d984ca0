-- API tokens get a name, so a user can tell them apart, and the time they were last used
-- (written at most once a minute per token and server), so an unused one can be revoked.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
