//! API tokens that a user makes for itself (product.md §6): a token acts as its user for REST
//! clients. Only its hash is kept, so its secret is shown once, when it is made.

use super::error::{AppError, ErrorCode};
use super::time::Timestamp;
use serde::{Deserialize, Serialize};

pub const TOKEN_NAME_MAX_CHARS: usize = 64;

/// A token's name: 1 to 64 characters without control characters, to tell tokens apart.
pub fn check_token_name(name: &str) -> Result<(), AppError> {
    let count = name.trim().chars().count();
    if count == 0 || count > TOKEN_NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::with_detail(
            ErrorCode::InvalidTokenName,
            format!("a token's name has 1 to {TOKEN_NAME_MAX_CHARS} characters and no control characters"),
        ));
    }
    Ok(())
}

/// A live token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: String,
    /// Empty for tokens made before tokens had names.
    pub name: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When a request last came with it, to within a minute; null if never.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub last_used_at: Option<Timestamp>,
}

/// `POST /tokens`: the new token's name (a body is optional; without one the token is named
/// after the day it was made).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub name: String,
}

/// A token just made: the only answer that carries the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    pub id: String,
    pub name: String,
    /// Sent as `Authorization: Bearer <token>`. It is not shown again.
    pub token: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_follow_the_rule() {
        assert_eq!(check_token_name("ci deploy"), Ok(()));
        assert_eq!(check_token_name(&"长".repeat(64)), Ok(()));
        for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
            assert_eq!(check_token_name(bad).map_err(|e| e.code), Err(ErrorCode::InvalidTokenName), "{bad:?}");
        }
    }
}
