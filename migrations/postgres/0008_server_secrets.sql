-- Secrets of the deployment, made once by the first server that needs one and shared by every
-- server of the database: the key that signs the list's page tokens, so that a token one
-- server gave is good at another behind the same load balancer.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
