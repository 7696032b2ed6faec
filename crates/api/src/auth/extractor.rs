use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use kartei_domain::{Actor, StaffAccount};

use crate::error::ApiError;
use crate::state::AppState;

/// The staff account behind the request's bearer token. The account is read
/// from the database on every request, together with whether the token's
/// session is still live, so a deactivated account or an ended session loses
/// access at once, even with an access token that has not expired yet.
#[derive(Debug, Clone)]
pub struct Staff(pub StaffAccount);

impl Staff {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .ok_or(ApiError::Unauthenticated)?;
        let claims = state
            .tokens
            .verify_access(token.trim(), state.clock.now())
            .map_err(|_| ApiError::Unauthenticated)?;
        let account =
            kartei_app::sessions::acting_account(&state.app, claims.sub, claims.sid).await?;
        tracing::Span::current().record("user_id", tracing::field::display(account.id));
        Ok(Staff(account))
    }
}
