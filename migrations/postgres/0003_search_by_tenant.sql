-- Search within a tenant in one index: btree_gin lets tenant_id and the trigrams of
-- search_text share a GIN index, so a search count reads only the tenant's matches.
CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP INDEX IF EXISTS havips_search_trgm;
CREATE INDEX havips_tenant_search_trgm ON havips USING gin (tenant_id, search_text gin_trgm_ops);
