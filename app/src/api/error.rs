//! How [`AppError`] travels: as a server function error, and as the REST error body of §5.

use crate::domain::{AppError, ErrorCode, Field};
use crate::i18n::Lang;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The arguments did not decode: the request itself is malformed.
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => {
                AppError::invalid_parameter(Field::Body, detail)
            }
            // On the server, a body that does not decode is the request's fault.
            ServerFnErrorErr::Deserialization(detail) if cfg!(feature = "ssr") => {
                AppError::invalid_parameter(Field::Body, detail)
            }
            // In the browser: the server could not be reached, or answered something unreadable.
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::new(ErrorCode::ServiceUnavailable)
            }
            _ => AppError::internal(),
        }
    }
}

/// The `error` member of a REST error answer: `{"code", "message", "field"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// One of the codes of product.md §3, or InvalidParameter, NotFound, Unauthenticated, …
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl From<&AppError> for ErrorBody {
    fn from(error: &AppError) -> Self {
        let message = match &error.detail {
            Some(detail) => format!("{}: {detail}", Lang::En.error(error.code)),
            None => Lang::En.error(error.code).to_owned(),
        };
        ErrorBody { code: error.code.as_str().to_owned(), message, field: error.field.map(|f| f.as_str().to_owned()) }
    }
}

/// The whole REST error answer: `{"error": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorResponse {
    pub error: ErrorBody,
}
