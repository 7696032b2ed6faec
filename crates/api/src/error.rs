//! One error type for every route: each variant becomes an RFC 9457
//! `application/problem+json` body. Server faults are logged with a
//! classification of their cause (for a database error its kind and
//! SQLSTATE, never the database's message, which can quote the row) and
//! answered with an opaque message; no body ever carries personal data.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kartei_app::AppError;
use kartei_domain::Denied;
use kartei_persistence::RepoError;
use serde::Serialize;
use utoipa::ToSchema;

pub use kartei_app::FieldError;

/// One invalid field of a request, as the OpenAPI document describes
/// [`FieldError`] (which lives in the use-case crate, without schema).
#[derive(ToSchema)]
#[schema(as = FieldError)]
#[allow(dead_code)]
pub struct FieldErrorSchema {
    /// In a CSV import: the data row (1 is the first row after the header;
    /// 0 the header itself).
    pub row: Option<usize>,
    pub field: String,
    pub message: String,
}

/// The problem+json body (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<FieldErrorSchema>>)]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge,
    /// A CSV import with more data rows than `import.max_rows`.
    #[error("too many rows")]
    TooManyRows { max_rows: usize },
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("precondition required")]
    PreconditionRequired,
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("too many requests")]
    TooManyRequests { retry_after: Duration },
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl ToString) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(err.into())
    }

    /// What a log line may say about this error
    /// ([`kartei_app::log_class_of`]).
    pub fn log_class(&self) -> String {
        match self {
            ApiError::Internal(err) => kartei_app::log_class_of(err),
            other => other.slug_and_detail().0.to_owned(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge | ApiError::TooManyRows { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug_and_detail(&self) -> (&'static str, String) {
        match self {
            ApiError::BadRequest(detail) => ("bad-request", detail.clone()),
            ApiError::Unauthenticated => (
                "unauthenticated",
                "A valid bearer token is required.".into(),
            ),
            ApiError::Forbidden => ("forbidden", "Your role may not do this.".into()),
            ApiError::NotFound => ("not-found", "No such resource.".into()),
            ApiError::MethodNotAllowed => (
                "method-not-allowed",
                "This resource does not support this method.".into(),
            ),
            ApiError::Conflict(detail) => ("conflict", detail.clone()),
            ApiError::PayloadTooLarge => (
                "payload-too-large",
                "The request body is larger than allowed.".into(),
            ),
            ApiError::TooManyRows { max_rows } => (
                "too-many-rows",
                format!("An import may hold at most {max_rows} rows; split the file."),
            ),
            ApiError::UnsupportedMediaType(detail) => ("unsupported-media-type", detail.clone()),
            ApiError::PreconditionFailed => (
                "stale-version",
                "The resource was changed by someone else; reload it and try again.".into(),
            ),
            ApiError::PreconditionRequired => (
                "precondition-required",
                "Send If-Match with the version you edited.".into(),
            ),
            ApiError::Validation(errors) => (
                "validation",
                format!("{} field(s) are invalid.", errors.len()),
            ),
            ApiError::TooManyRequests { .. } => (
                "too-many-requests",
                "Too many attempts; wait and try again.".into(),
            ),
            ApiError::Unavailable => (
                "unavailable",
                "The database is unavailable; try again shortly.".into(),
            ),
            ApiError::Internal(_) => ("internal", "An unexpected error occurred.".into()),
        }
    }
}

pub fn problem_response(
    status: StatusCode,
    slug: &str,
    detail: String,
    errors: Option<Vec<FieldError>>,
) -> Response {
    let problem = Problem {
        problem_type: format!("urn:kartei:problem:{slug}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        errors,
    };
    let mut response = (status, axum::Json(problem)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(_) => {
                tracing::error!(cause = %self.log_class(), "request failed");
            }
            ApiError::Unavailable => {
                tracing::warn!("database unavailable");
            }
            _ => {}
        }
        let (slug, detail) = self.slug_and_detail();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after } => Some(retry_after.as_secs().max(1)),
            // A restarting database is usually back within seconds.
            ApiError::Unavailable => Some(5),
            _ => None,
        };
        let errors = match self {
            ApiError::Validation(errors) => Some(errors),
            _ => None,
        };
        let mut response = problem_response(status, slug, detail, errors);
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<RepoError> for ApiError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::NotFound => ApiError::NotFound,
            RepoError::Conflict => ApiError::Conflict("This conflicts with existing data.".into()),
            RepoError::StaleVersion => ApiError::PreconditionFailed,
            RepoError::Unavailable(_) => ApiError::Unavailable,
            err @ (RepoError::Corrupt(_) | RepoError::Database(_)) => ApiError::internal(err),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Denied(denied) => denied.into(),
            AppError::Unauthenticated => ApiError::Unauthenticated,
            AppError::TooManyAttempts { retry_after } => ApiError::TooManyRequests { retry_after },
            AppError::NotFound => ApiError::NotFound,
            AppError::Conflict(detail) => ApiError::Conflict(detail),
            AppError::Invalid(errors) => ApiError::Validation(errors),
            AppError::Stale => ApiError::PreconditionFailed,
            AppError::TooManyRows { max_rows } => ApiError::TooManyRows { max_rows },
            AppError::Unavailable(_) => ApiError::Unavailable,
            AppError::Internal(err) => ApiError::Internal(err),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Forbidden => ApiError::Forbidden,
            Denied::OutOfScope => ApiError::NotFound,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
