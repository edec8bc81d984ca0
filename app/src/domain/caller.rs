//! Who is asking: the authenticated user of a tenant, as every operation receives it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// The authenticated caller of one request. Every store query is scoped by `tenant_id` (R16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub tenant_id: String,
    pub profile: UserProfile,
    /// The request's ID, written to the operation log so that logs and records line up.
    pub request_id: String,
    /// Whether the caller came with an API token rather than a signed-in session: a token may
    /// not make more tokens.
    pub by_token: bool,
    /// The revision of the tenant's data when the request was authenticated, if known: lets
    /// the server answer from its caches without looking the revision up again.
    pub tenant_revision: Option<i64>,
    /// The VM an agent token speaks for: such a caller may only report for that VM and read
    /// its configurations.
    pub agent_vm: Option<String>,
}

/// What the console shows of the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub username: String,
    pub tenant_name: String,
    pub role: Role,
}
