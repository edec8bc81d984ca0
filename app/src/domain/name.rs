//! R1: a HAVIP's name.

use super::combining_marks::is_combining_mark;
use super::error::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};

pub const NAME_MAX_CHARS: usize = 128;

/// A validated name: 1–128 characters after trimming; letters of any script, digits, space,
/// `.`, `_` and `-`. Letters include the combining marks that scripts such as Devanagari, Thai
/// or Arabic write them with (नमस्ते, น้ำ): a mark may follow a letter, a digit or another mark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HavipName(String);

/// What is wrong with a name, so that a message can say exactly that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameProblem {
    Required,
    /// The name's length in characters, over `NAME_MAX_CHARS`.
    TooLong(usize),
    /// Every character R1 does not allow, each once, in the order they come.
    Refused(Vec<char>),
}

/// What R1 finds wrong with `text`, if anything (after trimming, as the name is stored).
pub fn name_problem(text: &str) -> Option<NameProblem> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        return Some(NameProblem::Required);
    }
    if length > NAME_MAX_CHARS {
        return Some(NameProblem::TooLong(length));
    }
    let refused = refused_chars(trimmed);
    (!refused.is_empty()).then_some(NameProblem::Refused(refused))
}

impl HavipName {
    pub fn parse(text: &str) -> Result<HavipName, AppError> {
        let detail = match name_problem(text) {
            None => return Ok(HavipName(text.trim().to_owned())),
            Some(NameProblem::Required) => "the name is required".to_owned(),
            Some(NameProblem::TooLong(length)) => {
                format!("the name has {length} characters; at most {NAME_MAX_CHARS} are allowed")
            }
            Some(NameProblem::Refused(chars)) => format!(
                "the name may not contain {}; use letters, digits, space, '.', '_' or '-'",
                chars.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ")
            ),
        };
        Err(AppError::with_detail(ErrorCode::InvalidName, detail))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn refused_chars(name: &str) -> Vec<char> {
    let mut refused = Vec::new();
    let mut after_letter = false;
    for c in name.chars() {
        // A mark counts only after a letter, though Rust takes some marks (Devanagari vowel
        // signs) for letters wherever they stand.
        let letter = if is_combining_mark(c) { after_letter } else { c.is_alphanumeric() };
        if !letter && !matches!(c, ' ' | '.' | '_' | '-') && !refused.contains(&c) {
            refused.push(c);
        }
        after_letter = letter;
    }
    refused
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_names_of_any_script() {
        // Hindi, Thai and Arabic names carry combining marks; so does an accent written apart.
        for good in ["web-vip", "数据库主备 VIP", "a", "v1.2_x", "  padded  ", "नमस्ते", "น้ำ-vip", "مُحَمَّد", "cafe\u{301}"]
        {
            assert!(HavipName::parse(good).is_ok(), "{good}");
        }
        assert_eq!(HavipName::parse("  padded  ").expect("ok").as_str(), "padded");
        assert!(HavipName::parse(&"名".repeat(128)).is_ok());
    }

    #[test]
    fn problems_say_exactly_what_is_wrong() {
        assert_eq!(name_problem("  "), Some(NameProblem::Required));
        assert_eq!(name_problem(&"x".repeat(130)), Some(NameProblem::TooLong(130)));
        assert_eq!(name_problem("web@vip!/x@"), Some(NameProblem::Refused(vec!['@', '!', '/'])));
        assert_eq!(name_problem("数据库 主备-1"), None);
    }

    #[test]
    fn refuses_bad_names() {
        for bad in ["", "   ", "a\tb", "a\nb", "<script>", "x'; DROP TABLE havips;--", "a/b", "\u{7}"] {
            assert_eq!(HavipName::parse(bad).expect_err(bad).code, ErrorCode::InvalidName, "{bad:?}");
        }
        assert!(HavipName::parse(&"a".repeat(129)).is_err());
        // A mark combines with the letter before it: none at the start, after a space or a sign.
        for bad in ["\u{301}abc", "a \u{301}", "a-\u{94d}", "a.\u{e49}", "\u{93e}abc", "a \u{e31}"] {
            assert_eq!(HavipName::parse(bad).expect_err(bad).code, ErrorCode::InvalidName, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(name in "[a-zA-Z0-9\u{4e00}-\u{9fa5}._-][a-zA-Z0-9\u{4e00}-\u{9fa5} ._-]{0,126}[a-zA-Z0-9._-]") {
            let parsed = HavipName::parse(&name).expect("valid");
            prop_assert_eq!(parsed.as_str(), name.as_str());
            prop_assert_eq!(HavipName::parse(parsed.as_str()).expect("again"), parsed);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = HavipName::parse(&text);
        }
    }
}
