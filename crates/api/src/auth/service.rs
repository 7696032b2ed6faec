//! The API's side of signing in: the session the use case starts or
//! continues (`kartei_app::sessions`) is handed out as a short-lived access
//! token naming it, with the refresh token that continues it.

use std::net::IpAddr;

use kartei_app::sessions::{self, Session};
use secrecy::SecretString;

use crate::error::ApiError;
use crate::state::AppState;

/// What a successful login or refresh hands out.
#[derive(Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

fn issue(state: &AppState, session: Session) -> Result<IssuedTokens, ApiError> {
    let access_token = state
        .tokens
        .issue_access(session.user_id, session.session_id, state.clock.now())
        .map_err(ApiError::internal)?;
    Ok(IssuedTokens {
        access_token,
        refresh_token: session.refresh_token,
        expires_in: state.tokens.access_lifetime.num_seconds(),
    })
}

pub async fn login(
    state: &AppState,
    email: &str,
    password: SecretString,
    client: IpAddr,
) -> Result<IssuedTokens, ApiError> {
    let session = sessions::login(&state.app, email, password, client).await?;
    issue(state, session)
}

pub async fn refresh(
    state: &AppState,
    refresh_token: SecretString,
) -> Result<IssuedTokens, ApiError> {
    let session = sessions::refresh(&state.app, refresh_token).await?;
    issue(state, session)
}

pub async fn logout(state: &AppState, refresh_token: SecretString) -> Result<(), ApiError> {
    Ok(sessions::logout(&state.app, refresh_token).await?)
}
