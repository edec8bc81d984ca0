//! The HAVIP status lifecycle: creating → available | failed → deleting → gone.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum HavipStatus {
    Creating,
    Available,
    Failed,
    Deleting,
}

impl HavipStatus {
    pub const ALL: [HavipStatus; 4] =
        [HavipStatus::Creating, HavipStatus::Available, HavipStatus::Failed, HavipStatus::Deleting];

    pub fn as_str(self) -> &'static str {
        match self {
            HavipStatus::Creating => "creating",
            HavipStatus::Available => "available",
            HavipStatus::Failed => "failed",
            HavipStatus::Deleting => "deleting",
        }
    }

    pub fn parse(text: &str) -> Option<HavipStatus> {
        HavipStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// R13: only available and failed HAVIPs can be deleted.
    pub fn can_delete(self) -> bool {
        matches!(self, HavipStatus::Available | HavipStatus::Failed)
    }

    /// R12: bindings change only while available.
    pub fn can_rebind(self) -> bool {
        self == HavipStatus::Available
    }

    /// Still on its way somewhere: the list refreshes itself while such rows are shown.
    pub fn is_transient(self) -> bool {
        matches!(self, HavipStatus::Creating | HavipStatus::Deleting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rules() {
        for s in HavipStatus::ALL {
            assert_eq!(HavipStatus::parse(s.as_str()), Some(s));
        }
        assert!(HavipStatus::Failed.can_delete() && !HavipStatus::Creating.can_delete());
        assert!(HavipStatus::Available.can_rebind() && !HavipStatus::Failed.can_rebind());
    }
}
