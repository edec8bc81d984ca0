-- A counter that every write to a tenant's HAVIPs, bindings or inventory moves forward, in the
-- same transaction. Servers cache list pages per tenant and revision, so a page stays valid
-- exactly until the next write, whichever process makes it.
ALTER TABLE tenants ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
