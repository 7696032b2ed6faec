//! What a page answers when a use case refuses or fails: an HTML page in
//! German with the status an API client would get, and nothing of the
//! cause but its class in the log.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::AppError;
use kartei_domain::Denied;

use crate::session::{SIGN_IN_PATH, StaleForm};
use crate::texts;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The session ended: sign in again.
    #[error("not signed in")]
    SignedOut,
    /// The form's CSRF token is missing or not this session's.
    #[error("stale form")]
    StaleForm,
    /// A link with a parameter that cannot be read (a date in a
    /// download's query); a form shows such errors at its fields instead.
    #[error("bad request")]
    BadRequest,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("unavailable")]
    Unavailable,
    #[error("{0}")]
    Internal(String),
}

impl From<AppError> for WebError {
    fn from(err: AppError) -> Self {
        match err {
            // Outside the account's part of the tree is "not there", as in
            // the API: a page must not tell what exists elsewhere.
            AppError::Denied(Denied::OutOfScope) => WebError::NotFound,
            AppError::Denied(Denied::Forbidden) => WebError::Forbidden,
            AppError::NotFound => WebError::NotFound,
            AppError::Unauthenticated => WebError::SignedOut,
            AppError::Unavailable(_) => WebError::Unavailable,
            other => WebError::Internal(other.log_class()),
        }
    }
}

impl From<kartei_domain::Denied> for WebError {
    fn from(denied: kartei_domain::Denied) -> Self {
        WebError::from(AppError::Denied(denied))
    }
}

impl From<StaleForm> for WebError {
    fn from(_: StaleForm) -> Self {
        WebError::StaleForm
    }
}

impl From<askama::Error> for WebError {
    fn from(err: askama::Error) -> Self {
        WebError::Internal(format!("template: {err}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::SignedOut => return Redirect::to(SIGN_IN_PATH).into_response(),
            WebError::StaleForm => (
                StatusCode::FORBIDDEN,
                texts::STALE_FORM_TITLE,
                texts::STALE_FORM,
            ),
            WebError::BadRequest => (
                StatusCode::BAD_REQUEST,
                texts::BAD_REQUEST_TITLE,
                texts::BAD_REQUEST,
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                texts::FORBIDDEN_TITLE,
                texts::FORBIDDEN,
            ),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                texts::NOT_FOUND_TITLE,
                texts::NOT_FOUND,
            ),
            WebError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                texts::UNAVAILABLE_TITLE,
                texts::UNAVAILABLE,
            ),
            WebError::Internal(class) => {
                tracing::error!(cause = %class, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    texts::INTERNAL_TITLE,
                    texts::INTERNAL,
                )
            }
        };
        let page = ErrorPage { title, message };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
}

pub type WebResult<T> = Result<T, WebError>;
