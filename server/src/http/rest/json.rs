//! A JSON body extractor whose rejections are §5 errors: 400 for a body that is not a JSON
//! object of the expected fields and types (an array in a struct's place included, see
//! [`app::api::strict_json`]), 413 for bodies over the limit.

use crate::http::error::ApiError;
use app::domain::{AppError, ErrorCode, Field};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&request) {
            return Err(not_json());
        }
        let bytes = read_body(request, state).await?;
        app::api::strict_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|error| ApiError(AppError::invalid_parameter(Field::Body, error.to_string())))
    }
}

/// A body that may be left out: an empty body, or JSON `null` (which the document allows), is
/// `None`; anything else is read as [`ApiJson`] reads it, a body without a JSON content type
/// refused. Emptiness is judged from the body itself, chunked or not.
impl<T: DeserializeOwned, S: Send + Sync> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let json = is_json(&request);
        let bytes = read_body(request, state).await?;
        let text = std::str::from_utf8(&bytes).unwrap_or("?").trim();
        if text.is_empty() || (json && text == "null") {
            return Ok(None);
        }
        if !json {
            return Err(not_json());
        }
        app::api::strict_json::from_slice(&bytes)
            .map(|value| Some(ApiJson(value)))
            .map_err(|error| ApiError(AppError::invalid_parameter(Field::Body, error.to_string())))
    }
}

fn not_json() -> ApiError {
    ApiError(AppError::invalid_parameter(Field::Body, "the body must be JSON (Content-Type: application/json)"))
}

async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state).await.map_err(|rejection| {
        ApiError(match rejection.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => AppError::new(ErrorCode::PayloadTooLarge),
            _ => AppError::invalid_parameter(Field::Body, rejection.body_text()),
        })
    })
}

/// `application/json`, or a `+json` type, as axum's own extractor accepts.
fn is_json(request: &Request) -> bool {
    let Some(mime) = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}
