-- A user lists and revokes its own tokens (GET and DELETE /api/v1/tokens).
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
