-- The OVN driver (docs/architecture.md, "OVN driver"): where each subnet and VM is in OVN,
-- what the fabric says of each HAVIP, and jobs that carry a rebind to the network.

-- The logical switch of a subnet and the logical switch port of a VM, as the inventory says
-- (NULL: the convention, the subnet's and the VM's own ID).
ALTER TABLE subnets ADD COLUMN ovn_switch TEXT;
ALTER TABLE vms ADD COLUMN ovn_port TEXT;

-- What the fabric last said of the HAVIP: the port OVN sends the VIP's traffic to (its
-- Southbound virtual_parent), the bound VM of that port, and when it was said (NULL: no fabric
-- watches this HAVIP).
ALTER TABLE havips ADD COLUMN fabric_parent TEXT;
ALTER TABLE havips ADD COLUMN fabric_master_vm_id TEXT;
ALTER TABLE havips ADD COLUMN fabric_seen_at BIGINT;

-- A rebind is a job too: the network must follow the new VMs. SQLite cannot change a CHECK
-- constraint, so the table is made again.
CREATE TABLE jobs_with_rebind (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    havip_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('create', 'delete', 'rebind')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO jobs_with_rebind (id, tenant_id, havip_id, kind, state, attempts, lease_owner, lease_until,
    last_error, created_at, updated_at)
    SELECT id, tenant_id, havip_id, kind, state, attempts, lease_owner, lease_until, last_error, created_at,
        updated_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_with_rebind RENAME TO jobs;
CREATE INDEX jobs_pending ON jobs(lease_until, created_at) WHERE state = 'pending';
