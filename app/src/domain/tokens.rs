//! API tokens that a user makes for itself (product.md §6): a token acts as its user for REST
//! clients. Only its hash is kept, so its secret is shown once, when it is made.

use super::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A live token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A token just made: the only answer that carries the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    pub id: String,
    /// Sent as `Authorization: Bearer <token>`. It is not shown again.
    pub token: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}
