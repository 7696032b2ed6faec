//! A browser's session: a signed cookie naming the account and its session
//! (`kartei_app::sessions::BrowserSession`), renewed on every request; the
//! use cases decide whether it may go on (30 minutes idle, 12 hours in all,
//! ended by signing out or by deactivating the account).
//!
//! The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no
//! other site's link or form carries it) and, in production, `Secure`.
//! Every form also carries a CSRF token: derived from the session for a
//! signed-in form, and from a cookie of its own for the sign-in form
//! (double submit), so a form posted from elsewhere is refused even where a
//! browser ignores `SameSite`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::Redirect;
use axum_extra::extract::cookie::{Cookie, Key, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use kartei_app::App;
use kartei_app::sessions::{self, BrowserSession};
use kartei_domain::{Actor, StaffAccount};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256, Sha512};
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "kartei_session";
pub const SIGN_IN_CSRF_COOKIE: &str = "kartei_anmeldung";
pub const SIGN_IN_PATH: &str = "/anmelden";

/// What every page handler shares.
#[derive(Clone)]
pub struct WebState {
    pub app: App,
    /// The member imports this instance runs, for their pages.
    pub(crate) imports: crate::import_jobs::ImportJobs,
    /// Signs the cookies; derived from `auth.jwt_secret`, so that changing
    /// the secret signs every browser out along with every token.
    key: Key,
    /// Keys the CSRF tokens of signed-in forms.
    csrf_secret: [u8; 32],
    /// Cookies only over TLS: in production, which runs behind it.
    secure: bool,
}

impl WebState {
    pub fn new(app: App) -> Self {
        let secret = app.settings().auth.jwt_secret.expose_secret().as_bytes();
        let mut cookie_key = Sha512::new();
        cookie_key.update(b"kartei-web-cookies\0");
        cookie_key.update(secret);
        let mut csrf = Sha256::new();
        csrf.update(b"kartei-web-csrf\0");
        csrf.update(secret);
        WebState {
            imports: crate::import_jobs::ImportJobs::default(),
            key: Key::from(&cookie_key.finalize()),
            csrf_secret: csrf.finalize().into(),
            secure: app.settings().is_production(),
            app,
        }
    }

    /// The CSRF token of the forms of `session`.
    pub fn csrf_of(&self, session_id: Uuid) -> String {
        let mut token = Sha256::new();
        token.update(self.csrf_secret);
        token.update(session_id.as_bytes());
        URL_SAFE_NO_PAD.encode(token.finalize())
    }

    pub fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .build()
    }

    /// A cookie that tells the browser to forget `name`.
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = self.cookie(name, String::new());
        cookie.make_removal();
        cookie
    }
}

impl FromRef<WebState> for Key {
    fn from_ref(state: &WebState) -> Key {
        state.key.clone()
    }
}

/// A form whose CSRF token is missing or not this browser's.
#[derive(Debug)]
pub struct StaleForm;

/// The account of the request's browser session.
#[derive(Clone)]
pub struct SignedIn {
    pub account: StaffAccount,
    pub session: BrowserSession,
    /// The token every form of this session carries.
    pub csrf: String,
}

impl SignedIn {
    pub fn actor(&self) -> Actor {
        self.account.actor()
    }

    /// Refuses a form whose token is not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), StaleForm> {
        if same(token, &self.csrf) {
            Ok(())
        } else {
            Err(StaleForm)
        }
    }
}

/// Pages that need a signed-in account send everyone else to sign in.
impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Redirect;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SignedIn>()
            .cloned()
            .ok_or_else(|| Redirect::to(SIGN_IN_PATH))
    }
}

/// The address a request came from, for login throttling, by the same
/// rule as the API's (`kartei_app::sessions::client_address`).
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<WebState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded_for = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientAddress(sessions::client_address(
            &state.app,
            forwarded_for,
            peer,
        )))
    }
}

/// A page open to everyone that looks different for a signed-in browser.
impl<S: Send + Sync> OptionalFromRequestParts<S> for SignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<SignedIn>().cloned())
    }
}

/// Compares two tokens in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The cookie's value: account, session, signed in, seen (seconds).
pub fn encode(session: &BrowserSession) -> String {
    format!(
        "{}.{}.{}.{}",
        session.user_id.simple(),
        session.session_id.simple(),
        session.signed_in_at.timestamp(),
        session.seen_at.timestamp()
    )
}

pub fn decode(value: &str) -> Option<BrowserSession> {
    let mut parts = value.split('.');
    let user_id = Uuid::try_parse(parts.next()?).ok()?;
    let session_id = Uuid::try_parse(parts.next()?).ok()?;
    let time = |part: Option<&str>| -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(part?.parse().ok()?, 0)
    };
    let signed_in_at = time(parts.next())?;
    let seen_at = time(parts.next())?;
    if parts.next().is_some() {
        return None;
    }
    Some(BrowserSession {
        user_id,
        session_id,
        signed_in_at,
        seen_at,
    })
}

/// A fresh random token for the sign-in form's double submit.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_value_reads_back() {
        let at = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let session = BrowserSession {
            user_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            signed_in_at: at,
            seen_at: at + chrono::Duration::minutes(3),
        };
        assert_eq!(decode(&encode(&session)), Some(session));
        assert_eq!(decode("a.b.c.d"), None);
        assert_eq!(decode(&format!("{}.x", encode(&session))), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert!(!same("", "a"));
    }
}
