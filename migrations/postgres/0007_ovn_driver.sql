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

-- A rebind is a job too: the network must follow the new VMs.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('create', 'delete', 'rebind'));
