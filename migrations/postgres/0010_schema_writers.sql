-- Which version of HAVIP Console brought the schema to each version: a server that finds a
-- schema newer than it knows refuses to start and names the version that wrote it.
CREATE TABLE schema_writers (
    schema_version BIGINT PRIMARY KEY,
    app_version TEXT NOT NULL,
    migrated_at BIGINT NOT NULL
);
