//! The list's view: search, filters, sort and page, as URL query pairs and back.
//!
//! The console keeps this in its URL and the REST API takes the same parameters, so one parser
//! serves both, and a bad parameter gets the same clear 400 either way.

use super::error::{AppError, Field};
use super::ha::Health;
use super::status::HavipStatus;
use serde::{Deserialize, Serialize};

/// The parameters of a view: its search, filters, sort and order (the paging apart). The
/// console's URL carries them with `page` and `page_size`; a download names its view by them.
pub const VIEW_KEYS: [&str; 9] =
    ["q", "status", "health", "vpc_id", "subnet_id", "project_id", "vm_id", "sort", "order"];

pub const PAGE_SIZES: [u32; 3] = [20, 50, 100];
pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;
pub const MAX_QUERY_CHARS: usize = 128;
/// The highest page number: the largest 32-bit signed integer, as the API document says, so a
/// client generated from it never sends a page the server refuses.
pub const MAX_PAGE: u32 = i32::MAX as u32;
/// The longest `page_token`: a position after a name of 128 characters of 4 bytes each fits.
pub const MAX_PAGE_TOKEN_CHARS: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SortKey {
    CreatedAt,
    Name,
    Ip,
}

impl SortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::CreatedAt => "created_at",
            SortKey::Name => "name",
            SortKey::Ip => "ip",
        }
    }

    /// Newest first for time; alphabetical and ascending addresses otherwise.
    pub fn default_order(self) -> SortOrder {
        match self {
            SortKey::CreatedAt => SortOrder::Desc,
            SortKey::Name | SortKey::Ip => SortOrder::Asc,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }

    pub fn reversed(self) -> SortOrder {
        match self {
            SortOrder::Asc => SortOrder::Desc,
            SortOrder::Desc => SortOrder::Asc,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListQuery {
    /// Lowercased search text, matched as a substring.
    pub q: Option<String>,
    /// Wanted statuses, sorted and without repeats; empty means all.
    pub statuses: Vec<HavipStatus>,
    /// Wanted healths of the HA state, sorted and without repeats; empty means all.
    #[serde(default)]
    pub healths: Vec<Health>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub project_id: Option<String>,
    pub vm_id: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
    pub page: u32,
    pub page_size: u32,
    /// Where a cursor walk goes on: the `next_page_token` of the page before (base64url).
    #[serde(default)]
    pub page_token: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            q: None,
            statuses: Vec::new(),
            healths: Vec::new(),
            vpc_id: None,
            subnet_id: None,
            project_id: None,
            vm_id: None,
            sort: SortKey::CreatedAt,
            order: SortOrder::Desc,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            page_token: None,
        }
    }
}

impl ListQuery {
    /// Reads URL query pairs. Unknown keys are ignored; known ones with bad values are refused.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<ListQuery, AppError> {
        let mut query = ListQuery::default();
        let mut order = None;
        for (key, value) in pairs {
            match key {
                "q" => query.q = Some(value.to_owned()),
                // One status per parameter; the parameter repeats for several.
                "status" => query.statuses.push(HavipStatus::parse(value).ok_or_else(|| {
                    AppError::invalid_parameter(
                        Field::Status,
                        format!("unknown status {value:?}; use creating, available, failed or deleting"),
                    )
                })?),
                "health" => query.healths.push(Health::parse(value).ok_or_else(|| {
                    AppError::invalid_parameter(
                        Field::Health,
                        format!("unknown health {value:?}; use healthy, degraded, split_brain, no_master, fabric_disagrees or unknown"),
                    )
                })?),
                "vpc_id" => query.vpc_id = non_empty(value),
                "subnet_id" => query.subnet_id = non_empty(value),
                "project_id" => query.project_id = non_empty(value),
                "vm_id" => query.vm_id = non_empty(value),
                "sort" => {
                    query.sort = match value {
                        "created_at" => SortKey::CreatedAt,
                        "name" => SortKey::Name,
                        "ip" => SortKey::Ip,
                        _ => {
                            return Err(AppError::invalid_parameter(
                                Field::Sort,
                                format!("unknown sort {value:?}; use created_at, name or ip"),
                            ));
                        }
                    }
                }
                "order" => {
                    order = Some(match value {
                        "asc" => SortOrder::Asc,
                        "desc" => SortOrder::Desc,
                        _ => {
                            return Err(AppError::invalid_parameter(
                                Field::Order,
                                format!("unknown order {value:?}; use asc or desc"),
                            ));
                        }
                    })
                }
                "page" => query.page = parse_number(value, Field::Page)?,
                "page_size" => query.page_size = parse_number(value, Field::PageSize)?,
                // Empty means none, so a client's loop may send what the last page gave.
                "page_token" => query.page_token = (!value.is_empty()).then(|| value.to_owned()),
                _ => {}
            }
        }
        query.order = order.unwrap_or(query.sort.default_order());
        query.normalized()
    }

    /// Checks the ranges and puts the query in its one canonical form (lowercased search,
    /// sorted statuses), so that equal views compare equal. Server functions call this too,
    /// because their argument did not come through [`ListQuery::from_pairs`].
    pub fn normalized(mut self) -> Result<ListQuery, AppError> {
        if self.page == 0 || self.page > MAX_PAGE {
            return Err(AppError::invalid_parameter(Field::Page, format!("page must be from 1 to {MAX_PAGE}")));
        }
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(AppError::invalid_parameter(
                Field::PageSize,
                format!("page_size must be from 1 to {MAX_PAGE_SIZE}"),
            ));
        }
        if let Some(token) = &self.page_token {
            if token.len() > MAX_PAGE_TOKEN_CHARS
                || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(AppError::invalid_parameter(
                    Field::PageToken,
                    "page_token is not one this server gave: pass next_page_token as it came",
                ));
            }
            if self.page != 1 {
                return Err(AppError::invalid_parameter(
                    Field::PageToken,
                    "page_token and page exclude each other: a token says where the page starts",
                ));
            }
        }
        // Control characters match nothing and some databases refuse them outright; they are looked
        // for before anything is trimmed (a tab or a newline at either end included).
        for (field, value) in [
            (Field::Q, &self.q),
            (Field::VpcId, &self.vpc_id),
            (Field::SubnetId, &self.subnet_id),
            (Field::ProjectId, &self.project_id),
            (Field::VmId, &self.vm_id),
        ] {
            if value.as_deref().is_some_and(|v| v.chars().any(char::is_control)) {
                return Err(AppError::invalid_parameter(
                    field,
                    format!("{} may not contain control characters", field.as_str()),
                ));
            }
        }
        // The limit counts what was sent, spaces included, as the API document's maxLength does.
        if self.q.as_deref().is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS) {
            return Err(AppError::invalid_parameter(
                Field::Q,
                format!("the search text may have at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        self.q = match self.q.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(q) => Some(q.to_lowercase()),
        };
        self.statuses.sort();
        self.statuses.dedup();
        self.healths.sort();
        self.healths.dedup();
        Ok(self)
    }

    /// The pairs that differ from the defaults, in a stable order, for the page's URL.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let defaults = ListQuery::default();
        let mut pairs = Vec::new();
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        for status in &self.statuses {
            pairs.push(("status", status.as_str().to_owned()));
        }
        for health in &self.healths {
            pairs.push(("health", health.as_str().to_owned()));
        }
        for (key, value) in [
            ("vpc_id", &self.vpc_id),
            ("subnet_id", &self.subnet_id),
            ("project_id", &self.project_id),
            ("vm_id", &self.vm_id),
        ] {
            if let Some(value) = value {
                pairs.push((key, value.clone()));
            }
        }
        if self.sort != defaults.sort {
            pairs.push(("sort", self.sort.as_str().to_owned()));
        }
        if self.order != self.sort.default_order() {
            pairs.push(("order", self.order.as_str().to_owned()));
        }
        if self.page != defaults.page {
            pairs.push(("page", self.page.to_string()));
        }
        if self.page_size != defaults.page_size {
            pairs.push(("page_size", self.page_size.to_string()));
        }
        if let Some(token) = &self.page_token {
            pairs.push(("page_token", token.clone()));
        }
        pairs
    }

    /// What decides which rows match and in which order, without the page: the query a page
    /// token belongs to (its page size may change along a walk).
    pub fn ordered_filters(&self) -> ListQuery {
        ListQuery { page: 1, page_size: DEFAULT_PAGE_SIZE, page_token: None, ..self.clone() }
    }

    /// What decides which rows match, whatever their order: the rows a count counts.
    pub fn filters(&self) -> ListQuery {
        let mut filters = self.ordered_filters();
        filters.sort = SortKey::CreatedAt;
        filters.order = SortOrder::Desc;
        filters
    }

    /// The offset of the first row of the page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.page_size)
    }
}

/// The value without the spaces around it, if anything is left (other whitespace stays, to be
/// refused as the control character it is).
fn non_empty(value: &str) -> Option<String> {
    let value = value.trim_matches(' ');
    (!value.is_empty()).then(|| value.to_owned())
}

fn parse_number(value: &str, field: Field) -> Result<u32, AppError> {
    value.parse().map_err(|_| {
        AppError::invalid_parameter(field, format!("{} must be a whole number, not {value:?}", field.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ErrorCode;

    #[test]
    fn defaults_and_round_trip() {
        let q = ListQuery::from_pairs([]).expect("empty");
        assert_eq!(q, ListQuery::default());
        let pairs = [
            ("q", " Web "),
            ("status", "failed"),
            ("status", "available"),
            ("health", "split_brain"),
            ("health", "no_master"),
            ("sort", "ip"),
            ("page", "3"),
            ("page_size", "50"),
        ];
        let q = ListQuery::from_pairs(pairs).expect("valid");
        assert_eq!(q.q.as_deref(), Some("web"));
        assert_eq!(q.statuses, vec![HavipStatus::Available, HavipStatus::Failed]);
        assert_eq!(q.healths, vec![Health::SplitBrain, Health::NoMaster]);
        assert_eq!(q.order, SortOrder::Asc);
        assert_eq!(q.offset(), 100);
        let owned = q.to_pairs();
        let back = ListQuery::from_pairs(owned.iter().map(|(k, v)| (*k, v.as_str()))).expect("round trip");
        assert_eq!(back, q);
    }

    #[test]
    fn refuses_bad_parameters() {
        let long_query = " x".repeat(MAX_QUERY_CHARS / 2 + 1);
        for (key, value) in [
            ("page_size", "0"),
            ("page_size", "1000"),
            ("page", "0"),
            ("page", "x"),
            ("sort", "id"),
            ("order", "up"),
            ("status", "gone"),
            ("status", ""),
            ("health", "sick"),
            ("status", "available,failed"),
            ("page", "2147483648"),
            ("q", long_query.as_str()),
            ("vm_id", "vm-\u{1}x"),
            ("vpc_id", "\tvpc-x"),
            ("q", "abc\n"),
            ("subnet_id", "\u{85}"),
            ("q", "a\u{0}b"),
            ("page_token", "not base64!"),
            ("vpc_id", "vpc-\u{1}x"),
        ] {
            let err = ListQuery::from_pairs([(key, value)]).expect_err(key);
            assert_eq!(err.code, ErrorCode::InvalidParameter);
            assert_eq!(err.field.map(Field::as_str), Some(key));
        }
    }

    #[test]
    fn a_page_token_goes_alone_and_survives_the_url() {
        let err = ListQuery::from_pairs([("page", "2"), ("page_token", "AbC_-9")]).expect_err("both");
        assert_eq!(err.field, Some(Field::PageToken));
        let long = "a".repeat(MAX_PAGE_TOKEN_CHARS + 1);
        assert!(ListQuery::from_pairs([("page_token", long.as_str())]).is_err());
        assert_eq!(ListQuery::from_pairs([("page_token", "")]).expect("empty is none"), ListQuery::default());
        let q = ListQuery::from_pairs([("page_token", "AbC_-9"), ("sort", "name")]).expect("valid");
        let pairs = q.to_pairs();
        assert_eq!(ListQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).expect("round trip"), q);
        assert_eq!(q.ordered_filters().page_token, None);
        assert_eq!(q.filters().sort, SortKey::CreatedAt);
    }
}
