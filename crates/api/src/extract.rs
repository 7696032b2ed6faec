//! Request extractors whose rejections are problem+json like every other
//! error, and which never echo a submitted value back (it may be personal).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use kartei_app::paging::PageRequest;
use serde::Deserialize;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// `axum::Json`, with rejections turned into problem+json.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path`, with rejections turned into problem+json.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query`, with rejections turned into problem+json.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// The raw body of the CSV import, up to `server.max_import_bytes`: the one
/// route allowed more than `server.max_body_bytes`. Read here with its own
/// limit, since the router's `DefaultBodyLimit` is the small one.
#[derive(Debug)]
pub struct ImportBody(pub axum::body::Bytes);

impl FromRequest<AppState> for ImportBody {
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let limit = state.settings.server.max_import_bytes;
        match http_body_util::BodyExt::collect(http_body_util::Limited::new(
            request.into_body(),
            limit,
        ))
        .await
        {
            Ok(collected) => Ok(ImportBody(collected.to_bytes())),
            Err(err) if err.is::<http_body_util::LengthLimitError>() => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(_) => Err(ApiError::BadRequest(
                "The request body could not be read.".into(),
            )),
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest("The request body could not be read.".into())
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("Send the body as application/json.".into())
            }
            JsonRejection::JsonDataError(err) => {
                ApiError::Validation(vec![serde_field_error(&err.body_text())])
            }
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::BadRequest("The body is not well-formed JSON.".into())
            }
            JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge
            }
            _ => ApiError::BadRequest("The request body could not be read.".into()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::BadRequest("A path parameter is malformed.".into())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        match rejection {
            QueryRejection::FailedToDeserializeQueryString(err) => {
                ApiError::Validation(vec![serde_field_error(&err.body_text())])
            }
            _ => ApiError::BadRequest("The query string is malformed.".into()),
        }
    }
}

/// Turns serde's message ("...: field.path: invalid type: string \"Anna\"...")
/// into a field name and a message that does not repeat the value.
fn serde_field_error(text: &str) -> FieldError {
    let quoted = |marker: &str| {
        let start = text.find(marker)? + marker.len();
        let end = text[start..].find('`')?;
        Some(text[start..start + end].to_owned())
    };
    if let Some(field) = quoted("missing field `") {
        return FieldError::new(field, "is required");
    }
    if let Some(field) = quoted("unknown field `") {
        return FieldError::new(field, "is not a known field");
    }
    // "Failed to deserialize ...: path: message"; the path is what serde
    // could follow, `.` when the error is at the top.
    let after_prefix = text.split_once(": ").map_or(text, |(_, rest)| rest);
    let (path, message) = after_prefix.split_once(": ").unwrap_or((".", after_prefix));
    let field = if path.is_empty() || path == "." {
        "body"
    } else {
        path
    };
    let message = if message.starts_with("invalid type") {
        "has the wrong type"
    } else if message.starts_with("unknown variant") {
        "is not one of the allowed values"
    } else if message.starts_with("invalid length") {
        "has the wrong length"
    } else {
        "is invalid"
    };
    FieldError::new(field, message)
}

/// The `If-Match: "<version>"` of an edit. Extracting never fails, so that
/// a handler can check the caller's role (403) and the resource (404) before
/// it insists on the header (428).
#[derive(Debug, Clone)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// The version the caller edited. When the header is missing or
    /// unreadable, `access` (the use case's read of the resource) answers
    /// first, so that who may not edit it learns that (403, 404) rather
    /// than what the header should be (428, 400); an edit with a good header
    /// reads nothing twice.
    pub async fn version_after<T>(
        &self,
        access: impl Future<Output = kartei_app::AppResult<T>>,
    ) -> Result<i64, ApiError> {
        match self.version() {
            Ok(version) => Ok(version),
            Err(err) => {
                access.await?;
                Err(err)
            }
        }
    }

    fn version(&self) -> Result<i64, ApiError> {
        let text = self.0.as_deref().ok_or(ApiError::PreconditionRequired)?;
        let unquoted = text.trim().trim_start_matches("W/").trim_matches('"');
        unquoted
            .parse::<i64>()
            .map_err(|_| ApiError::BadRequest("If-Match must be a quoted version number.".into()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(axum::http::header::IF_MATCH)
            .map(|v| v.to_str().unwrap_or("malformed").to_owned());
        Ok(IfMatch(value))
    }
}

/// `?limit=&cursor=` of a keyset-paginated list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl From<PageParams> for PageRequest {
    fn from(params: PageParams) -> Self {
        PageRequest {
            limit: params.limit,
            cursor: params.cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_become_fields_without_values() {
        let e = serde_field_error(
            "Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2",
        );
        assert_eq!(e, FieldError::new("email", "is required"));
        let e = serde_field_error(
            "Failed to deserialize the JSON body into the target type: role: unknown variant `king`, expected one of `admin`",
        );
        assert_eq!(
            e,
            FieldError::new("role", "is not one of the allowed values")
        );
        let e = serde_field_error(
            "Failed to deserialize the JSON body into the target type: display_name: invalid type: integer `5`, expected a string at line 1 column 5",
        );
        assert_eq!(e, FieldError::new("display_name", "has the wrong type"));
        assert!(!e.message.contains('5'));
    }
}
