//! The staff web application: the party office's German pages and forms,
//! served by the same binary as the JSON API at `/`.
//!
//! Every page calls the use cases of `kartei_app` with the signed-in
//! account, exactly as the API's handlers do: no rule, query or scope check
//! is written here, and no HTTP call goes to the API. This crate owns what
//! is particular to a browser: the session cookie and its CSRF tokens
//! ([`session`]), the templates (askama, checked at compile time), the
//! German wording ([`texts`]), the static files (htmx, vendored) and the
//! headers that keep a page from loading anything but its own files.
//!
//! Every flow works as plain links and forms; htmx only makes some of them
//! quicker.

mod assets;
mod downloads;
mod error;
mod forms;
mod import_jobs;
mod layout;
mod pages;
pub mod session;
mod texts;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::SignedCookieJar;
use kartei_app::sessions;
use kartei_app::{App, AppError};

use crate::error::WebError;
use crate::session::{SESSION_COOKIE, SignedIn, decode, encode};
pub use session::WebState;

/// The Content-Security-Policy of every page: its own scripts, styles and
/// images only, no inline script, no framing, forms posted only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

/// The pages and their files, ready to be merged beside the API.
pub fn router(app: App) -> Router {
    let max_import_bytes = app.settings().server.max_import_bytes;
    let state = WebState::new(app);
    // Only pages resume the session: a stylesheet or script needs no
    // account, and would cost a database read for every file of a page.
    let pages = pages::router(max_import_bytes)
        .layer(axum::middleware::from_fn_with_state(state.clone(), resume));
    Router::new()
        .merge(pages)
        .merge(assets::router())
        .layer(axum::middleware::map_response(page_headers))
        .with_state(state)
}

/// Resumes the request's session, if it has a live one, and renews its
/// cookie on the answer; a session that has ended loses its cookie.
async fn resume(
    State(state): State<WebState>,
    jar: SignedCookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return next.run(request).await;
    };
    let renewed = match decode(cookie.value()) {
        None => None,
        Some(session) => match sessions::resume_browser(&state.app, session).await {
            Ok((account, seen)) => {
                request.extensions_mut().insert(SignedIn {
                    account,
                    csrf: state.csrf_of(seen.session_id),
                    session: seen,
                });
                Some(seen)
            }
            Err(AppError::Unauthenticated) => None,
            Err(err) => return WebError::from(err).into_response(),
        },
    };
    let response = next.run(request).await;
    // A page that set or removed the cookie itself (signing in or out) has
    // the last word.
    if sets_cookie(&response, SESSION_COOKIE) {
        return response;
    }
    let jar = match renewed {
        Some(seen) => jar.add(state.cookie(SESSION_COOKIE, encode(&seen))),
        None => jar.remove(state.removal(SESSION_COOKIE)),
    };
    (jar, response).into_response()
}

fn sets_cookie(response: &Response, name: &str) -> bool {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value: &HeaderValue| value.to_str().ok())
        .any(|value| value.starts_with(name) && value[name.len()..].starts_with('='))
}

/// Pages carry personal data: no cache keeps them, no other site frames
/// them, and the policy above holds for all of them.
async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
