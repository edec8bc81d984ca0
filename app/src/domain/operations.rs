//! The operation log (操作日志) as users read it: one entry per write, sign-in and sign-out,
//! and the filters of its page, kept in the URL like the list's and taken by the REST API
//! alike, so one parser serves both.

use super::error::{AppError, Field};
use super::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Every action the server records, for the page's filter. The REST filter takes any action
/// of this shape, so a client keeps working when a later version records a new one.
pub const ACTIONS: [&str; 18] = [
    "havip.create",
    "havip.update",
    "havip.attach_vm",
    "havip.detach_vm",
    "havip.delete",
    "havip.provision",
    "havip.deprovision",
    "havip.reprogram",
    "havip.reconcile",
    "inventory.sync",
    "token.create",
    "token.revoke",
    "session.sign_in",
    "session.sign_out",
    "user.create",
    "user.update",
    "user.reset_password",
    "user.delete",
];

/// The outcomes the server records: a request's (`ok`, `accepted`, `failed`) and the worker's
/// and the OVN reconciler's, which say what became of an accepted change.
pub const OUTCOMES: [&str; 9] =
    ["ok", "accepted", "failed", "available", "deleted", "reprogrammed", "skipped", "restored", "updated"];

/// The filters' parameters, as `from_pairs` reads them (`before` apart: a page's position).
pub const FILTER_KEYS: [&str; 7] = ["since", "until", "user_id", "action", "resource_id", "outcome", "limit"];

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// One entry of the log. `user_id` is null for the server's own work (the worker, the OVN
/// reconciler); `username` is null for those and for a user since deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Operation {
    pub id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub action: String,
    pub resource_id: Option<String>,
    pub request_id: Option<String>,
    pub outcome: String,
    /// What the action concerned, in words (never a password or a token).
    pub detail: Option<String>,
}

/// A page of the log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OperationPage {
    pub items: Vec<Operation>,
    /// Pass as `before` for the next (older) page; null on the last.
    pub next_before: Option<String>,
}

/// Which entries to show: every filter is optional and they all apply together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationQuery {
    /// Entries at or after this time.
    pub since: Option<Timestamp>,
    /// Entries before this time (none when it is not after `since`).
    pub until: Option<Timestamp>,
    pub user_id: Option<String>,
    pub action: Option<String>,
    pub resource_id: Option<String>,
    pub outcome: Option<String>,
    /// The `next_before` of the previous page.
    pub before: Option<String>,
    pub limit: u32,
}

impl Default for OperationQuery {
    fn default() -> Self {
        OperationQuery {
            since: None,
            until: None,
            user_id: None,
            action: None,
            resource_id: None,
            outcome: None,
            before: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl OperationQuery {
    /// Reads the filters from URL query pairs; unknown parameters are ignored, as the list's are.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<OperationQuery, AppError> {
        let mut query = OperationQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "since" => query.since = time(Field::Since, value)?,
                "until" => query.until = time(Field::Until, value)?,
                "user_id" => {
                    query.user_id = token(Field::UserId, value, 80, |c| c.is_ascii_alphanumeric() || c == '-')?
                }
                "action" => {
                    query.action = token(Field::Action, value, 64, |c| c.is_ascii_lowercase() || "._".contains(c))?
                }
                "resource_id" => {
                    query.resource_id = token(Field::ResourceId, value, 80, |c| c.is_ascii_alphanumeric() || c == '-')?
                }
                "outcome" => query.outcome = token(Field::Outcome, value, 32, |c| c.is_ascii_lowercase() || c == '_')?,
                "before" => query.before = (!value.is_empty()).then(|| value.to_owned()),
                "limit" => {
                    query.limit = value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                        AppError::invalid_parameter(Field::Limit, format!("limit must be from 1 to {MAX_LIMIT}"))
                    })?
                }
                _ => {}
            }
        }
        // A range that ends before it starts is empty, not malformed: it selects nothing.
        Ok(query)
    }

    /// The filters as URL query pairs, defaults left out (the inverse of `from_pairs`).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (key, time) in [("since", self.since), ("until", self.until)] {
            if let Some(time) = time {
                pairs.push((key, time.rfc3339()));
            }
        }
        for (key, value) in [
            ("user_id", &self.user_id),
            ("action", &self.action),
            ("resource_id", &self.resource_id),
            ("outcome", &self.outcome),
            ("before", &self.before),
        ] {
            if let Some(value) = value {
                pairs.push((key, value.clone()));
            }
        }
        if self.limit != DEFAULT_LIMIT {
            pairs.push(("limit", self.limit.to_string()));
        }
        pairs
    }

    /// The query checked as the URL's parser checks it: a server function's argument comes as
    /// JSON, past `from_pairs`.
    pub fn validated(&self) -> Result<OperationQuery, AppError> {
        let pairs = self.to_pairs();
        OperationQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    }

    /// The same filters from the newest entry on (a new filter starts from the top).
    pub fn first_page(&self) -> OperationQuery {
        OperationQuery { before: None, ..self.clone() }
    }
}

/// A time must be one: unlike the IDs, an empty `since` is not "none" (the URLs the page makes
/// leave an unused filter out).
fn time(field: Field, value: &str) -> Result<Option<Timestamp>, AppError> {
    Timestamp::parse_rfc3339(value).map(Some).ok_or_else(|| {
        AppError::invalid_parameter(
            field,
            format!("{} must be an RFC 3339 time such as 2026-12-01T08:00:00Z", field.as_str()),
        )
    })
}

fn token(field: Field, value: &str, max: usize, allowed: fn(char) -> bool) -> Result<Option<String>, AppError> {
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > max || !value.chars().all(allowed) {
        return Err(AppError::invalid_parameter(field, format!("{} {value:?} cannot exist", field.as_str())));
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_go_into_the_url_and_back() {
        let query = OperationQuery::from_pairs([
            ("since", "2026-12-01T00:00:00Z"),
            ("until", "2026-12-02T00:00:00Z"),
            ("user_id", "user-abc123def456"),
            ("action", "havip.create"),
            ("resource_id", "havip-abc123def456"),
            ("outcome", "accepted"),
            ("limit", "20"),
        ])
        .expect("valid");
        let pairs = query.to_pairs();
        let back = OperationQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).expect("valid");
        assert_eq!(back, query);
        assert_eq!(OperationQuery::from_pairs([("action", "")]).expect("empty is none"), OperationQuery::default());
    }

    #[test]
    fn bad_filters_name_their_parameter() {
        for (key, value, field) in [
            ("since", "yesterday", Field::Since),
            ("until", "", Field::Until),
            ("until", "2026-13-01T00:00:00Z", Field::Until),
            ("user_id", "x' OR 1=1", Field::UserId),
            ("action", "HAVIP.CREATE", Field::Action),
            ("resource_id", &"a".repeat(81), Field::ResourceId),
            ("outcome", "o k", Field::Outcome),
            ("limit", "0", Field::Limit),
            ("limit", "201", Field::Limit),
        ] {
            let error = OperationQuery::from_pairs([(key, value)]).expect_err(key);
            assert_eq!(error.field, Some(field), "{key}={value}");
        }
        // A range that ends before it starts is empty, not malformed (the store selects nothing).
        let reversed =
            OperationQuery::from_pairs([("since", "2026-12-02T00:00:00Z"), ("until", "2026-12-01T00:00:00Z")]);
        assert!(reversed.is_ok());
        // A query that came as JSON (a server function's argument) is checked the same way.
        let sent = OperationQuery { limit: 0, ..OperationQuery::default() };
        assert_eq!(sent.validated().expect_err("limit 0").field, Some(Field::Limit));
    }
}
