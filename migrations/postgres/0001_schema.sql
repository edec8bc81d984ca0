-- HAVIP Console schema (Postgres). Times are microseconds since the Unix epoch (BIGINT), so the
-- same SQL reads them on SQLite and Postgres. Every row of a tenant's data carries tenant_id.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    created_at BIGINT NOT NULL
);

-- Only a hash of the session secret is stored: a leaked table opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX projects_one_default ON projects(tenant_id) WHERE is_default = 1;

CREATE TABLE vpcs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    cidr TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX vpcs_tenant ON vpcs(tenant_id);

CREATE TABLE subnets (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    vpc_id TEXT NOT NULL REFERENCES vpcs(id),
    name TEXT NOT NULL,
    cidr TEXT NOT NULL,
    gateway TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX subnets_tenant ON subnets(tenant_id);

CREATE TABLE vms (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects(id),
    vpc_id TEXT NOT NULL REFERENCES vpcs(id),
    subnet_id TEXT NOT NULL REFERENCES subnets(id),
    name TEXT NOT NULL,
    private_ip TEXT NOT NULL,
    ip_num BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX vms_tenant_vpc ON vms(tenant_id, vpc_id);
CREATE INDEX vms_subnet_ip ON vms(subnet_id, ip_num);

CREATE TABLE havips (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    remark TEXT NOT NULL DEFAULT '',
    vpc_id TEXT NOT NULL REFERENCES vpcs(id),
    subnet_id TEXT NOT NULL REFERENCES subnets(id),
    ip TEXT NOT NULL,
    ip_num BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('creating', 'available', 'failed', 'deleting')),
    status_reason TEXT,
    master_vm_id TEXT,
    -- Lowercased name, remark, ID, IP and bound VM names: what the list's search matches.
    search_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
-- R6 between HAVIPs, held by the database whatever the number of writers.
CREATE UNIQUE INDEX havips_subnet_ip_unique ON havips(subnet_id, ip_num);
CREATE INDEX havips_tenant_created ON havips(tenant_id, created_at, id);
CREATE INDEX havips_tenant_name ON havips(tenant_id, name, id);
CREATE INDEX havips_tenant_ip ON havips(tenant_id, ip_num, id);
CREATE INDEX havips_tenant_status ON havips(tenant_id, status);
CREATE INDEX havips_tenant_subnet ON havips(tenant_id, subnet_id);
CREATE INDEX havips_tenant_vpc ON havips(tenant_id, vpc_id);
CREATE INDEX havips_tenant_project ON havips(tenant_id, project_id);

-- Substring search through trigrams (LIKE '%…%' uses this index for 3 or more characters).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX havips_search_trgm ON havips USING gin (search_text gin_trgm_ops);

-- R9 and R10 are slot numbers under unique indexes: a HAVIP's bindings take distinct
-- havip_slot values below the VMs-per-HAVIP limit, a VM's take distinct vm_slot values below
-- the HAVIPs-per-VM limit, so no interleaving of writers can exceed either limit.
CREATE TABLE havip_bindings (
    havip_id TEXT NOT NULL REFERENCES havips(id) ON DELETE CASCADE,
    vm_id TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    havip_slot BIGINT NOT NULL CHECK (havip_slot >= 0),
    vm_slot BIGINT NOT NULL CHECK (vm_slot >= 0),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (havip_id, vm_id)
);
CREATE UNIQUE INDEX bindings_havip_slot_unique ON havip_bindings(havip_id, havip_slot);
CREATE UNIQUE INDEX bindings_vm_slot_unique ON havip_bindings(vm_id, vm_slot);

-- Work for the background worker, written in the transaction of the request that asks for it.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    havip_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('create', 'delete')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_pending ON jobs(lease_until, created_at) WHERE state = 'pending';

CREATE TABLE idempotency_keys (
    tenant_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
);

CREATE TABLE operation_log (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    user_id TEXT,
    action TEXT NOT NULL,
    resource_id TEXT,
    request_id TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX operation_log_tenant_at ON operation_log(tenant_id, at);
