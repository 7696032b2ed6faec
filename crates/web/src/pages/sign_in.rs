//! Signing in and out. The sign-in form has no session yet, so its CSRF
//! token is a double submit: a random value in a cookie of its own and in
//! the form, which another site can neither read nor set.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::SignedCookieJar;
use kartei_app::AppError;
use kartei_app::sessions;
use secrecy::SecretString;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::session::WebState;
use crate::session::{
    ClientAddress, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, SignedIn, encode, new_token, same,
};
use crate::texts;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    csrf: &'a str,
    email: &'a str,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    abgemeldet: Option<String>,
}

/// The sign-in form, with a fresh double-submit token; a browser that is
/// signed in goes to its start page.
pub async fn form(
    State(state): State<WebState>,
    signed_in: Option<SignedIn>,
    jar: SignedCookieJar,
    Query(query): Query<SignInQuery>,
) -> WebResult<Response> {
    if signed_in.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let token = new_token();
    let notice = query.abgemeldet.map(|_| texts::SIGNED_OUT);
    let page = SignInPage {
        csrf: &token,
        email: "",
        error: None,
        notice,
    };
    let html = Html(page.render()?);
    Ok((jar.add(state.cookie(SIGN_IN_CSRF_COOKIE, token)), html).into_response())
}

/// Checks the password (the same rule, throttling and audit as the API's
/// login) and starts the browser's session.
pub async fn submit(
    State(state): State<WebState>,
    ClientAddress(client): ClientAddress,
    jar: SignedCookieJar,
    Form(form): Form<SignInForm>,
) -> WebResult<Response> {
    let expected = jar.get(SIGN_IN_CSRF_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|token| same(&token, &form.csrf)) {
        return Err(WebError::StaleForm);
    }
    let password = SecretString::from(form.password);
    match sessions::sign_in_browser(&state.app, &form.email, password, client).await {
        Ok(session) => {
            let jar = jar
                .remove(state.removal(SIGN_IN_CSRF_COOKIE))
                .add(state.cookie(SESSION_COOKIE, encode(&session)));
            Ok((jar, Redirect::to("/")).into_response())
        }
        Err(err @ (AppError::Unauthenticated | AppError::TooManyAttempts { .. })) => {
            let (status, error) = match err {
                AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, texts::SIGN_IN_FAILED),
                _ => (StatusCode::TOO_MANY_REQUESTS, texts::SIGN_IN_THROTTLED),
            };
            // The same token again: the form is still this browser's.
            let page = SignInPage {
                csrf: &form.csrf,
                email: &form.email,
                error: Some(error),
                notice: None,
            };
            Ok((status, Html(page.render()?)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// Ends the session and forgets its cookie.
pub async fn sign_out(
    State(state): State<WebState>,
    signed_in: SignedIn,
    jar: SignedCookieJar,
    Form(form): Form<SignOutForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    sessions::sign_out_browser(&state.app, signed_in.session).await?;
    let jar = jar.remove(state.removal(SESSION_COOKIE));
    Ok((jar, Redirect::to("/anmelden?abgemeldet=1")).into_response())
}
