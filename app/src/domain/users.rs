//! The users of a tenant as its admins manage them (用户管理): what the console and the REST
//! API show of a user, what they send to change one, and the rules a username and a password
//! follow. The browser checks the same rules before it sends.

use super::caller::Role;
use super::error::{AppError, ErrorCode};
use super::time::Timestamp;
use serde::{Deserialize, Serialize};

pub const USERNAME_MIN_CHARS: usize = 2;
pub const USERNAME_MAX_CHARS: usize = 64;
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Hashing a password costs time and memory in proportion to nothing a user needs beyond this.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// A username: 2 to 64 ASCII letters, digits, `.`, `_`, `-` or `@` (an e-mail address fits),
/// starting with a letter or digit, so it reads the same in any font and sorts predictably.
pub fn check_username(username: &str) -> Result<(), AppError> {
    let count = username.chars().count();
    let refuse = |detail: String| Err(AppError::with_detail(ErrorCode::InvalidUsername, detail));
    if !(USERNAME_MIN_CHARS..=USERNAME_MAX_CHARS).contains(&count) {
        return refuse(format!(
            "a username has {USERNAME_MIN_CHARS} to {USERNAME_MAX_CHARS} characters; this one has {count}"
        ));
    }
    let bad: Vec<char> = username.chars().filter(|c| !(c.is_ascii_alphanumeric() || "._-@".contains(*c))).collect();
    if let Some(first) = bad.first() {
        return refuse(format!("a username has only letters, digits, '.', '_', '-' and '@'; not {first:?}"));
    }
    if !username.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return refuse("a username starts with a letter or a digit".to_owned());
    }
    Ok(())
}

/// A password: 8 to 256 characters, without control characters (which no keyboard types and
/// some terminals would act on).
pub fn check_password(password: &str) -> Result<(), AppError> {
    let count = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&count) {
        return Err(AppError::with_detail(
            ErrorCode::InvalidPassword,
            format!("a password has {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(AppError::with_detail(ErrorCode::InvalidPassword, "a password has no control characters"));
    }
    Ok(())
}

/// A user of the caller's tenant, as 用户管理 lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    pub username: String,
    pub role: Role,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// The last successful sign-in; null for a user who never signed in.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub last_login_at: Option<Timestamp>,
    /// A disabled user keeps its history but cannot sign in, and its tokens are revoked.
    pub disabled: bool,
}

/// `POST /users`: a new user. Without a password the server generates one and shows it once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[cfg_attr(feature = "ssr", schema(min_length = 2, max_length = 64, pattern = "^[A-Za-z0-9][A-Za-z0-9._@-]*$"))]
    pub username: String,
    pub role: Role,
    /// None (or null) to have one generated.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 8, max_length = 256, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")
    )]
    pub password: Option<String>,
}

/// A user just made, or a password just reset: the generated password, shown this once
/// (null when the admin typed it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserWithPassword {
    pub user: User,
    pub generated_password: Option<String>,
}

/// `PATCH /users/{id}`: the fields to change; those left out stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default)]
    pub role: Option<Role>,
    /// True disables the user (its sessions and tokens end at once); false enables it again.
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// `POST /users/{id}/password`: the new password, or none to have one generated. The user's
/// sessions and tokens end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 8, max_length = 256, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")
    )]
    pub password: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        for good in ["ab", "alice", "ops.bot-1", "a_b@example.com", &"x".repeat(64)] {
            assert_eq!(check_username(good), Ok(()), "{good}");
        }
        for bad in ["", "a", ".alice", "-x", "al ice", "张三", "a/b", &"x".repeat(65)] {
            assert_eq!(check_username(bad).map_err(|e| e.code), Err(ErrorCode::InvalidUsername), "{bad}");
        }
        let said = check_username("bob!").expect_err("refused").detail.unwrap_or_default();
        assert!(said.contains("'!'"), "{said}");
    }

    #[test]
    fn passwords_follow_the_rules() {
        assert_eq!(check_password("12345678"), Ok(()));
        assert_eq!(check_password(&"长".repeat(8)), Ok(()));
        for bad in ["1234567", "1234567\n8", &"x".repeat(257)] {
            assert_eq!(check_password(bad).map_err(|e| e.code), Err(ErrorCode::InvalidPassword), "{bad}");
        }
    }
}
