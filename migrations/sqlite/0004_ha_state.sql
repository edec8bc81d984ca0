-- Live HA state (docs/architecture.md, "HA state"): what the agents on the bound VMs report,
-- what the server derives for each HAVIP, its history, and the VRRP virtual router ID.

-- The HAVIP's VRID (R17; 0 only until the server assigns one to a HAVIP made before this
-- migration), its configuration revision (moves when its VMs or VRID change), and its derived
-- health. The master is observed from now on: the first bound VM was only a guess.
ALTER TABLE havips ADD COLUMN vrid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE havips ADD COLUMN config_revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE havips ADD COLUMN health TEXT NOT NULL DEFAULT 'unknown';
-- Set while no VM holds the VIP, before that counts as no_master (a graceful failover leaves
-- the VIP unheld for a moment).
ALTER TABLE havips ADD COLUMN no_master_since BIGINT;
UPDATE havips SET master_vm_id = NULL;
CREATE INDEX havips_tenant_health ON havips(tenant_id, health);

-- Each binding carries its HAVIP's VRID, so that keepalived's rule (one VRID per interface)
-- holds in the database: no two HAVIPs that share a VM have one VRID.
ALTER TABLE havip_bindings ADD COLUMN vrid BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX bindings_vm_vrid_unique ON havip_bindings(vm_id, vrid) WHERE vrid > 0;
-- What the VM's agent last reported of this HAVIP (NULL: nothing yet).
ALTER TABLE havip_bindings ADD COLUMN holds_vip BIGINT;
ALTER TABLE havip_bindings ADD COLUMN vrrp_state TEXT;
ALTER TABLE havip_bindings ADD COLUMN running_revision BIGINT;

-- One row per VM whose agent has reported. last_report_at is kept in memory and written in
-- batches (a report that changes nothing writes nothing); silent is set once, by whichever
-- server notices three intervals without a report.
CREATE TABLE vm_agents (
    vm_id TEXT PRIMARY KEY REFERENCES vms(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_report_at BIGINT NOT NULL,
    interval_ms BIGINT NOT NULL,
    keepalived_running BIGINT NOT NULL,
    silent BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX vm_agents_by_tenant ON vm_agents(tenant_id);

-- The HA history of each HAVIP (its operations come from the operation log).
CREATE TABLE havip_events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    havip_id TEXT NOT NULL REFERENCES havips(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL,
    agent_at BIGINT,
    at BIGINT NOT NULL
);
CREATE INDEX havip_events_by_havip ON havip_events(tenant_id, havip_id, at, id);
CREATE INDEX operation_log_by_resource ON operation_log(tenant_id, resource_id, at, id);

-- An agent token speaks for one VM only.
ALTER TABLE api_tokens ADD COLUMN vm_id TEXT REFERENCES vms(id) ON DELETE CASCADE;
