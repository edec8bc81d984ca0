//! The one typed error that crosses from the backend to the browser and to REST clients.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every error code the product answers with. The wire form (`as_str`) is the code of
/// product.md §3 (`InvalidIpAddress.OutOfRange`); the rest are the HTTP-level failures of §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    #[serde(rename = "InvalidName")]
    InvalidName,
    #[serde(rename = "InvalidRemark")]
    InvalidRemark,
    #[serde(rename = "InvalidVpc.NotFound")]
    VpcNotFound,
    #[serde(rename = "InvalidSubnet.NotFound")]
    SubnetNotFound,
    #[serde(rename = "InvalidSubnet.NotInVpc")]
    SubnetNotInVpc,
    #[serde(rename = "InvalidIpAddress.Malformed")]
    IpMalformed,
    #[serde(rename = "InvalidIpAddress.OutOfRange")]
    IpOutOfRange,
    #[serde(rename = "InvalidIpAddress.Reserved")]
    IpReserved,
    #[serde(rename = "InvalidIpAddress.AlreadyUsed")]
    IpAlreadyUsed,
    #[serde(rename = "SubnetExhausted")]
    SubnetExhausted,
    #[serde(rename = "InvalidVm.NotFound")]
    VmNotFound,
    #[serde(rename = "InvalidVm.NotInVpc")]
    VmNotInVpc,
    #[serde(rename = "InvalidVm.Duplicate")]
    VmDuplicate,
    #[serde(rename = "CountLimitExceeded.VmsPerHavip")]
    VmsPerHavipExceeded,
    #[serde(rename = "CountLimitExceeded.HavipsPerVm")]
    HavipsPerVmExceeded,
    #[serde(rename = "InvalidProject.NotFound")]
    ProjectNotFound,
    #[serde(rename = "InvalidVm.NotBound")]
    VmNotBound,
    #[serde(rename = "InvalidVrid.OutOfRange")]
    VridOutOfRange,
    #[serde(rename = "InvalidVrid.AlreadyUsed")]
    VridAlreadyUsed,
    #[serde(rename = "InvalidInterfaceName")]
    InvalidInterfaceName,
    #[serde(rename = "InvalidReport.NotBound")]
    ReportNotBound,
    #[serde(rename = "InvalidReport.Stale")]
    StaleReport,
    #[serde(rename = "InvalidUsername")]
    InvalidUsername,
    #[serde(rename = "InvalidUsername.AlreadyUsed")]
    UsernameAlreadyUsed,
    #[serde(rename = "InvalidPassword")]
    InvalidPassword,
    #[serde(rename = "InvalidTokenName")]
    InvalidTokenName,
    /// A change that would leave the tenant without an enabled admin.
    #[serde(rename = "LastEnabledAdmin")]
    LastEnabledAdmin,
    #[serde(rename = "IncorrectStatus")]
    IncorrectStatus,
    #[serde(rename = "VersionConflict")]
    VersionConflict,
    #[serde(rename = "IdempotencyKeyMismatch")]
    IdempotencyKeyMismatch,
    #[serde(rename = "NotFound")]
    NotFound,
    /// A malformed request: bad JSON, wrong types, unknown fields, bad query parameters.
    #[serde(rename = "InvalidParameter")]
    InvalidParameter,
    /// An inventory document that breaks a rule (CIDR, gateway, VM address).
    #[serde(rename = "InvalidInventory")]
    InvalidInventory,
    #[serde(rename = "InvalidCredentials")]
    InvalidCredentials,
    #[serde(rename = "Unauthenticated")]
    Unauthenticated,
    #[serde(rename = "Forbidden")]
    Forbidden,
    #[serde(rename = "PayloadTooLarge")]
    PayloadTooLarge,
    #[serde(rename = "TooManyRequests")]
    TooManyRequests,
    #[serde(rename = "ServiceUnavailable")]
    ServiceUnavailable,
    #[serde(rename = "Internal")]
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 40] = [
        ErrorCode::InvalidName,
        ErrorCode::InvalidRemark,
        ErrorCode::VpcNotFound,
        ErrorCode::SubnetNotFound,
        ErrorCode::SubnetNotInVpc,
        ErrorCode::IpMalformed,
        ErrorCode::IpOutOfRange,
        ErrorCode::IpReserved,
        ErrorCode::IpAlreadyUsed,
        ErrorCode::SubnetExhausted,
        ErrorCode::VmNotFound,
        ErrorCode::VmNotInVpc,
        ErrorCode::VmDuplicate,
        ErrorCode::VmsPerHavipExceeded,
        ErrorCode::HavipsPerVmExceeded,
        ErrorCode::ProjectNotFound,
        ErrorCode::VmNotBound,
        ErrorCode::VridOutOfRange,
        ErrorCode::VridAlreadyUsed,
        ErrorCode::InvalidInterfaceName,
        ErrorCode::ReportNotBound,
        ErrorCode::StaleReport,
        ErrorCode::InvalidUsername,
        ErrorCode::UsernameAlreadyUsed,
        ErrorCode::InvalidPassword,
        ErrorCode::InvalidTokenName,
        ErrorCode::LastEnabledAdmin,
        ErrorCode::IncorrectStatus,
        ErrorCode::VersionConflict,
        ErrorCode::IdempotencyKeyMismatch,
        ErrorCode::NotFound,
        ErrorCode::InvalidParameter,
        ErrorCode::InvalidInventory,
        ErrorCode::InvalidCredentials,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::PayloadTooLarge,
        ErrorCode::TooManyRequests,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Internal,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidName => "InvalidName",
            ErrorCode::InvalidRemark => "InvalidRemark",
            ErrorCode::VpcNotFound => "InvalidVpc.NotFound",
            ErrorCode::SubnetNotFound => "InvalidSubnet.NotFound",
            ErrorCode::SubnetNotInVpc => "InvalidSubnet.NotInVpc",
            ErrorCode::IpMalformed => "InvalidIpAddress.Malformed",
            ErrorCode::IpOutOfRange => "InvalidIpAddress.OutOfRange",
            ErrorCode::IpReserved => "InvalidIpAddress.Reserved",
            ErrorCode::IpAlreadyUsed => "InvalidIpAddress.AlreadyUsed",
            ErrorCode::SubnetExhausted => "SubnetExhausted",
            ErrorCode::VmNotFound => "InvalidVm.NotFound",
            ErrorCode::VmNotInVpc => "InvalidVm.NotInVpc",
            ErrorCode::VmDuplicate => "InvalidVm.Duplicate",
            ErrorCode::VmsPerHavipExceeded => "CountLimitExceeded.VmsPerHavip",
            ErrorCode::HavipsPerVmExceeded => "CountLimitExceeded.HavipsPerVm",
            ErrorCode::ProjectNotFound => "InvalidProject.NotFound",
            ErrorCode::VmNotBound => "InvalidVm.NotBound",
            ErrorCode::VridOutOfRange => "InvalidVrid.OutOfRange",
            ErrorCode::VridAlreadyUsed => "InvalidVrid.AlreadyUsed",
            ErrorCode::InvalidInterfaceName => "InvalidInterfaceName",
            ErrorCode::ReportNotBound => "InvalidReport.NotBound",
            ErrorCode::StaleReport => "InvalidReport.Stale",
            ErrorCode::InvalidUsername => "InvalidUsername",
            ErrorCode::UsernameAlreadyUsed => "InvalidUsername.AlreadyUsed",
            ErrorCode::InvalidPassword => "InvalidPassword",
            ErrorCode::InvalidTokenName => "InvalidTokenName",
            ErrorCode::LastEnabledAdmin => "LastEnabledAdmin",
            ErrorCode::IncorrectStatus => "IncorrectStatus",
            ErrorCode::VersionConflict => "VersionConflict",
            ErrorCode::IdempotencyKeyMismatch => "IdempotencyKeyMismatch",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::InvalidParameter => "InvalidParameter",
            ErrorCode::InvalidInventory => "InvalidInventory",
            ErrorCode::InvalidCredentials => "InvalidCredentials",
            ErrorCode::Unauthenticated => "Unauthenticated",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::PayloadTooLarge => "PayloadTooLarge",
            ErrorCode::TooManyRequests => "TooManyRequests",
            ErrorCode::ServiceUnavailable => "ServiceUnavailable",
            ErrorCode::Internal => "Internal",
        }
    }

    /// The HTTP status of product.md §5: 422 for a rule of §3, 409 for conflicts of state.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidParameter => 400,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::IncorrectStatus
            | ErrorCode::VersionConflict
            | ErrorCode::IdempotencyKeyMismatch
            | ErrorCode::StaleReport
            | ErrorCode::LastEnabledAdmin => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal => 500,
            ErrorCode::ServiceUnavailable => 503,
            _ => 422,
        }
    }

    /// The input field a rule concerns, so that forms can show the error beside it.
    pub fn default_field(self) -> Option<Field> {
        match self {
            ErrorCode::InvalidName => Some(Field::Name),
            ErrorCode::InvalidRemark => Some(Field::Remark),
            ErrorCode::VpcNotFound => Some(Field::VpcId),
            ErrorCode::SubnetNotFound | ErrorCode::SubnetNotInVpc | ErrorCode::SubnetExhausted => Some(Field::SubnetId),
            ErrorCode::IpMalformed | ErrorCode::IpOutOfRange | ErrorCode::IpReserved | ErrorCode::IpAlreadyUsed => {
                Some(Field::Ip)
            }
            ErrorCode::VmNotFound
            | ErrorCode::VmNotInVpc
            | ErrorCode::VmDuplicate
            | ErrorCode::VmsPerHavipExceeded
            | ErrorCode::HavipsPerVmExceeded => Some(Field::VmIds),
            ErrorCode::ProjectNotFound => Some(Field::ProjectId),
            ErrorCode::VmNotBound => Some(Field::VmId),
            ErrorCode::VridOutOfRange | ErrorCode::VridAlreadyUsed => Some(Field::Vrid),
            ErrorCode::InvalidInterfaceName => Some(Field::Interface),
            ErrorCode::ReportNotBound => Some(Field::Havips),
            ErrorCode::StaleReport => Some(Field::Seq),
            ErrorCode::VersionConflict => Some(Field::Version),
            ErrorCode::InvalidUsername | ErrorCode::UsernameAlreadyUsed => Some(Field::Username),
            ErrorCode::InvalidPassword => Some(Field::Password),
            ErrorCode::InvalidTokenName => Some(Field::Name),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request field an error is about (the `field` of the §5 error body).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Remark,
    VpcId,
    SubnetId,
    Ip,
    VmIds,
    /// The one VM of an attach, or of the list's VM filter.
    VmId,
    ProjectId,
    Version,
    Ids,
    Q,
    Status,
    Sort,
    Order,
    Page,
    PageSize,
    PageToken,
    UtcOffset,
    Vrid,
    Interface,
    Health,
    Limit,
    Before,
    Seq,
    IntervalMs,
    Havips,
    Agent,
    StateDir,
    Username,
    Password,
    Since,
    Until,
    UserId,
    Action,
    ResourceId,
    Outcome,
    Body,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Remark => "remark",
            Field::VpcId => "vpc_id",
            Field::SubnetId => "subnet_id",
            Field::Ip => "ip",
            Field::VmIds => "vm_ids",
            Field::VmId => "vm_id",
            Field::ProjectId => "project_id",
            Field::Version => "version",
            Field::Ids => "ids",
            Field::Q => "q",
            Field::Status => "status",
            Field::Sort => "sort",
            Field::Order => "order",
            Field::Page => "page",
            Field::PageSize => "page_size",
            Field::PageToken => "page_token",
            Field::UtcOffset => "utc_offset",
            Field::Vrid => "vrid",
            Field::Interface => "interface",
            Field::Health => "health",
            Field::Limit => "limit",
            Field::Before => "before",
            Field::Seq => "seq",
            Field::IntervalMs => "interval_ms",
            Field::Havips => "havips",
            Field::Agent => "agent",
            Field::StateDir => "state_dir",
            Field::Username => "username",
            Field::Password => "password",
            Field::Since => "since",
            Field::Until => "until",
            Field::UserId => "user_id",
            Field::Action => "action",
            Field::ResourceId => "resource_id",
            Field::Outcome => "outcome",
            Field::Body => "body",
        }
    }
}

/// An error with its code, the field it concerns and a detail for people (never internals).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub code: ErrorCode,
    pub field: Option<Field>,
    /// A specific explanation in English ("10.0.1.300 is not an IPv4 address"); the console
    /// shows the localized text of the code instead and this only as a hint.
    pub detail: Option<String>,
    /// For `TooManyRequests`: how many seconds until another attempt may be made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        AppError { code, field: code.default_field(), detail: None, retry_after_secs: None }
    }

    pub fn with_detail(code: ErrorCode, detail: impl Into<String>) -> Self {
        AppError { detail: Some(detail.into()), ..AppError::new(code) }
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = Some(seconds);
        self
    }

    pub fn on_field(mut self, field: Field) -> Self {
        self.field = Some(field);
        self
    }

    pub fn invalid_parameter(field: Field, detail: impl Into<String>) -> Self {
        AppError::with_detail(ErrorCode::InvalidParameter, detail).on_field(field)
    }

    pub fn not_found() -> Self {
        AppError::new(ErrorCode::NotFound)
    }

    pub fn internal() -> Self {
        AppError::new(ErrorCode::Internal)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}: {detail}", self.code),
            None => write!(f, "{}", self.code),
        }
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).expect("serialize");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, code);
        }
    }

    #[test]
    fn rules_are_422_and_conflicts_409() {
        assert_eq!(ErrorCode::IpOutOfRange.http_status(), 422);
        assert_eq!(ErrorCode::VersionConflict.http_status(), 409);
        assert_eq!(ErrorCode::NotFound.http_status(), 404);
    }
}
