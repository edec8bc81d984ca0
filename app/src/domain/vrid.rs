//! R17, the VRRP virtual router ID of a HAVIP (`virtual_router_id`, 1–255): chosen when the
//! HAVIP is created (or given), kept while it lives. keepalived refuses two instances with one
//! VRID on an interface, so it is always distinct among the HAVIPs that share a VM; and while
//! the subnet has at most 255 HAVIPs it is distinct among those of the subnet too, so that
//! VRRP adverts of different HAVIPs on one network never mix.

use super::error::{AppError, ErrorCode};

pub const MIN_VRID: i64 = 1;
pub const MAX_VRID: i64 = 255;

/// A VRID as a request gives it.
pub fn check(vrid: i64) -> Result<i64, AppError> {
    if !(MIN_VRID..=MAX_VRID).contains(&vrid) {
        return Err(AppError::with_detail(ErrorCode::VridOutOfRange, format!("{vrid} is not from 1 to 255")));
    }
    Ok(vrid)
}

/// What the VRIDs around a HAVIP are: those of the HAVIPs that share one of its VMs (always
/// avoided) and those of the other HAVIPs of its subnet (avoided while they are few enough).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VridsAround {
    pub sharing_a_vm: Vec<i64>,
    pub in_subnet: Vec<i64>,
    /// How many other HAVIPs the subnet has.
    pub subnet_havips: usize,
}

impl VridsAround {
    /// Whether the subnet is small enough for its VRIDs to be distinct (255 with this one).
    fn subnet_counts(&self) -> bool {
        self.subnet_havips < MAX_VRID as usize
    }

    /// The lowest free VRID; `None` only if the VMs' other HAVIPs took all 255.
    pub fn lowest_free(&self) -> Option<i64> {
        let free = |avoid_subnet: bool| {
            (MIN_VRID..=MAX_VRID)
                .find(|v| !(self.sharing_a_vm.contains(v) || (avoid_subnet && self.in_subnet.contains(v))))
        };
        free(self.subnet_counts()).or_else(|| free(false))
    }

    /// Whether `vrid`, asked for, may be the HAVIP's.
    pub fn allows(&self, vrid: i64) -> Result<i64, AppError> {
        let taken = self.sharing_a_vm.contains(&vrid) || (self.subnet_counts() && self.in_subnet.contains(&vrid));
        if taken {
            return Err(AppError::with_detail(
                ErrorCode::VridAlreadyUsed,
                format!("virtual_router_id {vrid} is used by another HAVIP of the subnet or of one of its VMs"),
            ));
        }
        Ok(vrid)
    }

    /// Whether a HAVIP that has `vrid` keeps it after its VMs change.
    pub fn keeps(&self, vrid: i64) -> bool {
        !self.sharing_a_vm.contains(&vrid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_vrid_free_of_the_subnet_and_the_vms() {
        let around = VridsAround { sharing_a_vm: vec![1, 3], in_subnet: vec![2, 4], subnet_havips: 2 };
        assert_eq!(around.lowest_free(), Some(5));
        assert!(around.allows(5).is_ok());
        assert_eq!(around.allows(3).expect_err("shared").code, ErrorCode::VridAlreadyUsed);
        assert_eq!(around.allows(2).expect_err("subnet").code, ErrorCode::VridAlreadyUsed);
        assert!(around.keeps(2) && !around.keeps(1), "a rebind avoids only the VMs' VRIDs");
    }

    #[test]
    fn a_crowded_subnet_only_keeps_apart_the_havips_that_share_a_vm() {
        let around = VridsAround { sharing_a_vm: vec![1], in_subnet: (1..=255).collect(), subnet_havips: 300 };
        assert_eq!(around.lowest_free(), Some(2));
        assert!(around.allows(2).is_ok());
        let full = VridsAround { sharing_a_vm: (1..=255).collect(), ..VridsAround::default() };
        assert_eq!(full.lowest_free(), None);
    }

    #[test]
    fn the_range_is_checked() {
        assert!(check(1).is_ok() && check(255).is_ok());
        assert_eq!(check(0).expect_err("0").code, ErrorCode::VridOutOfRange);
        assert_eq!(check(256).expect_err("256").code, ErrorCode::VridOutOfRange);
    }
}
