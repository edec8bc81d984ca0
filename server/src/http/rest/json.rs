//! A JSON body extractor whose rejections are §5 errors (400 for malformed JSON, wrong types,
//! missing or unknown fields; 413 for bodies over the limit).

use crate::http::error::ApiError;
use app::domain::{AppError, ErrorCode, Field};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(match rejection {
                JsonRejection::BytesRejection(_) => AppError::new(ErrorCode::PayloadTooLarge),
                JsonRejection::MissingJsonContentType(_) => {
                    AppError::invalid_parameter(Field::Body, "the body must be JSON (Content-Type: application/json)")
                }
                other => AppError::invalid_parameter(Field::Body, other.body_text()),
            })),
        }
    }
}
