//! R2: the optional remark.

use super::error::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};

pub const REMARK_MAX_CHARS: usize = 255;

/// A remark of at most 255 characters without control characters, stored exactly as written
/// (escaping is the job of whatever outputs it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Remark(String);

impl Remark {
    pub fn parse(text: &str) -> Result<Remark, AppError> {
        let length = text.chars().count();
        if length > REMARK_MAX_CHARS {
            return Err(AppError::with_detail(
                ErrorCode::InvalidRemark,
                format!("the remark has {length} characters; at most {REMARK_MAX_CHARS} are allowed"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(AppError::with_detail(
                ErrorCode::InvalidRemark,
                "the remark may not contain control characters",
            ));
        }
        Ok(Remark(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_as_written() {
        let text = "<b>主库</b> & =1+1 'quoted'";
        assert_eq!(Remark::parse(text).expect("valid").as_str(), text);
        assert!(Remark::parse("").is_ok());
        assert!(Remark::parse(&"备".repeat(255)).is_ok());
    }

    #[test]
    fn refuses_long_or_control() {
        assert_eq!(Remark::parse(&"x".repeat(256)).expect_err("long").code, ErrorCode::InvalidRemark);
        assert_eq!(Remark::parse("a\u{0}b").expect_err("nul").code, ErrorCode::InvalidRemark);
        assert_eq!(Remark::parse("line\nbreak").expect_err("newline").code, ErrorCode::InvalidRemark);
    }
}
