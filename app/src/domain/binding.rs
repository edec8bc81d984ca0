//! The set of VMs bound to a HAVIP (R8 duplicates, R9 count).

use super::error::{AppError, ErrorCode};
use super::ids::{IdKind, is_well_formed};
use super::limits::BindingLimits;

/// VM IDs in the order given, each once, at most `vms_per_havip` of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BindingSet(Vec<String>);

impl BindingSet {
    pub fn parse(vm_ids: &[String], limits: BindingLimits) -> Result<BindingSet, AppError> {
        // A set, not a search of the list so far: a request body can carry a hundred thousand
        // IDs, and a quadratic search of them would hold a worker thread for seconds.
        let mut seen = std::collections::HashSet::with_capacity(vm_ids.len().min(64));
        if let Some(id) = vm_ids.iter().find(|id| !seen.insert(id.as_str())) {
            return Err(AppError::with_detail(ErrorCode::VmDuplicate, format!("{id} is listed twice")));
        }
        if vm_ids.len() > limits.vms_per_havip {
            return Err(AppError::with_detail(
                ErrorCode::VmsPerHavipExceeded,
                format!("{} VMs given; a HAVIP can be bound to at most {}", vm_ids.len(), limits.vms_per_havip),
            ));
        }
        // An ID of the wrong shape names no VM; saying so here spares the database a query.
        if let Some(bad) = vm_ids.iter().find(|id| !is_well_formed(IdKind::Vm, id)) {
            return Err(AppError::with_detail(ErrorCode::VmNotFound, format!("no VM {bad:?}")));
        }
        Ok(BindingSet(vm_ids.to_vec()))
    }

    pub fn ids(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn rules() {
        let limits = BindingLimits::default();
        assert_eq!(BindingSet::parse(&ids(&["vm-aaaaaaaa", "vm-bbbbbbbb"]), limits).expect("ok").len(), 2);
        assert_eq!(
            BindingSet::parse(&ids(&["vm-aaaaaaaa", "vm-aaaaaaaa"]), limits).expect_err("dup").code,
            ErrorCode::VmDuplicate
        );
        assert_eq!(
            BindingSet::parse(&ids(&["vm-aaaaaaaa", "vm-bbbbbbbb", "vm-cccccccc", "vm-dddddddd"]), limits)
                .expect_err("many")
                .code,
            ErrorCode::VmsPerHavipExceeded
        );
        assert_eq!(BindingSet::parse(&ids(&["nope"]), limits).expect_err("shape").code, ErrorCode::VmNotFound);
    }

    #[test]
    fn a_body_of_a_hundred_thousand_ids_is_refused_for_its_count() {
        let many: Vec<String> = (0..150_000).map(|i| format!("vm-{i:08}")).collect();
        let error = BindingSet::parse(&many, BindingLimits::default()).expect_err("too many");
        assert_eq!(error.code, ErrorCode::VmsPerHavipExceeded);
    }
}
