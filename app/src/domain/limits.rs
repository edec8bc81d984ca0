//! R9 and R10: how many VMs a HAVIP may have and how many HAVIPs a VM may carry.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingLimits {
    pub vms_per_havip: usize,
    pub havips_per_vm: usize,
}

impl Default for BindingLimits {
    fn default() -> Self {
        BindingLimits { vms_per_havip: 3, havips_per_vm: 5 }
    }
}
