//! Errors as HTTP answers: the status of the code and the §5 body, never internals.

use app::api::error::{ErrorBody, ErrorResponse};
use app::domain::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An [`AppError`] on its way out of a REST handler.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(ErrorResponse { error: ErrorBody::from(&self.0) })).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
