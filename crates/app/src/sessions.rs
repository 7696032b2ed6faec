//! Signing in and out: a login checks the password under the throttling
//! rule and starts a session (a family of rotating refresh tokens), a
//! refresh spends one token for the next, a logout ends the session. Each
//! leaves its audit and security records. How a front end carries the
//! session (the API: a bearer JWT naming it, plus the refresh token) is the
//! front end's business; the session itself and its rules live here.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use kartei_domain::session::browser_session_live;
use kartei_domain::throttle::ThrottlePolicy;
use kartei_domain::{EmailAddress, StaffAccount};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::throttle::{self as failures, Key};
use kartei_persistence::{ConnectionTrait, RepoError, Tx, sessions, unit_of_work, users};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{App, AppError, AppResult};

/// A live session and the refresh token that continues it; the token is
/// handed out once and stored only as a hash.
#[derive(Debug)]
pub struct Session {
    pub user_id: Uuid,
    /// The refresh-token family: what an access token names as its `sid`.
    pub session_id: Uuid,
    pub refresh_token: String,
}

fn throttle_policy(app: &App) -> ThrottlePolicy {
    let auth = &app.settings.auth;
    ThrottlePolicy::new(
        auth.max_failed_logins,
        Duration::minutes(i64::from(auth.lockout_minutes)),
    )
}

fn refresh_lifetime(app: &App) -> Duration {
    Duration::days(i64::from(app.settings.auth.refresh_token_days))
}

/// A keyed hash, for values that must be compared but not stored in the
/// clear (the e-mail and client address of failed logins).
fn keyed_hash(app: &App, purpose: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(app.settings.auth.jwt_secret.expose_secret().as_bytes());
    hasher.update([0]);
    hasher.update(purpose.as_bytes());
    hasher.update([0]);
    hasher.update(value.as_bytes());
    hex(&hasher.finalize())
}

/// A new refresh token: 256 random bits, URL-safe.
fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How a refresh token is stored: SHA-256, hex. The token has 256 bits of
/// entropy, so a fast hash is enough.
fn refresh_token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The address a request came from, for login throttling: the peer, or,
/// when `server.trust_forwarded_for` is on, the rightmost entry of the last
/// `X-Forwarded-For` line. The proxy appends the address it saw to whatever
/// the client sent, so only the last entry is the proxy's word; the ones
/// before it are the client's and would let it pick a fresh address for
/// every guess.
pub fn client_address(app: &App, forwarded_for: Option<&str>, peer: Option<IpAddr>) -> IpAddr {
    let forwarded = forwarded_for
        .filter(|_| app.settings.server.trust_forwarded_for)
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    forwarded
        .or(peer)
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// Checks `email` and `password` from `client` and starts a session.
pub async fn login(
    app: &App,
    email: &str,
    password: SecretString,
    client: IpAddr,
) -> AppResult<Session> {
    let now = app.now();
    let policy = throttle_policy(app);
    let email = EmailAddress::parse(email).ok();
    let account_key = keyed_hash(
        app,
        "login-account",
        &email
            .as_ref()
            .map(EmailAddress::comparison_key)
            .unwrap_or_default(),
    );
    let client_key = keyed_hash(app, "login-client", &client.to_string());

    // Count the earlier attempts and record this one in one turn per key,
    // before the slow hash: attempts sent at once cannot all see the same
    // count, so at most `max_failed_logins` of them reach the password check.
    let since = policy.window_start(now);
    unit_of_work(&app.db, async |turn: &Tx| -> AppResult<()> {
        failures::take_turn(turn, &[&account_key, &client_key], since).await?;
        for (key, limit) in [
            (Key::Account(&account_key), policy.max_failures_per_account),
            (Key::Client(&client_key), policy.max_failures_per_client),
        ] {
            let recent = failures::failures_since(turn, key, since, u64::from(limit)).await?;
            if let Some(wait) = policy.retry_after(&recent, limit, now) {
                tracing::warn!(target: "security", "login refused: too many failed attempts");
                let retry_after = wait.to_std().unwrap_or_default();
                return Err(AppError::TooManyAttempts { retry_after });
            }
        }
        failures::record_failure(turn, &account_key, &client_key, now).await?;
        Ok(())
    })
    .await?;

    let found = match &email {
        Some(email) => users::find_for_login(&app.db, email).await?,
        None => None,
    };
    let (account, hash) = match found {
        Some((account, hash)) => (Some(account), Some(hash)),
        None => (None, None),
    };
    let password_ok = app
        .passwords
        .verify(password, hash)
        .await
        .map_err(AppError::internal)?;

    let Some(account) = account.filter(|a| password_ok && a.active) else {
        // The attempt was recorded before the check.
        failures::prune_before(&app.db, since).await?;
        tracing::warn!(target: "security", "login failed");
        audit::record(
            &app.db,
            AuditEntry {
                actor_id: None,
                action: "login_failed",
                subject_type: "session",
                subject_id: None,
                details: serde_json::json!({}),
            },
            now,
        )
        .await?;
        return Err(AppError::Unauthenticated);
    };

    // Forgives the earlier failures and this attempt's own record.
    failures::clear_account(&app.db, &account_key).await?;
    let refresh_token = new_refresh_token();
    let session_id = Uuid::now_v7();
    sessions::insert(
        &app.db,
        session_id,
        account.id,
        refresh_token_hash(&refresh_token),
        now,
        now + refresh_lifetime(app),
    )
    .await?;
    tracing::info!(target: "security", user_id = %account.id, "login");
    audit::record(
        &app.db,
        AuditEntry {
            actor_id: Some(account.id),
            action: "login",
            subject_type: "user",
            subject_id: Some(account.id),
            details: serde_json::json!({}),
        },
        now,
    )
    .await?;
    Ok(Session {
        user_id: account.id,
        session_id,
        refresh_token,
    })
}

/// Spends `refresh_token` and continues its session with a new one. A token
/// that was spent before is a sign of theft: the whole session is revoked,
/// unless it was spent within `auth.refresh_reuse_grace_seconds`, which is
/// two tabs of one browser refreshing at once; each of them gets a token. A
/// session ends `auth.refresh_family_max_days` after its login, however
/// often refreshed.
pub async fn refresh(app: &App, refresh_token: SecretString) -> AppResult<Session> {
    let now = app.now();
    let grace = Duration::seconds(i64::from(app.settings.auth.refresh_reuse_grace_seconds));
    let within_grace =
        |token: &sessions::RefreshToken| token.spent_at.is_some_and(|spent| now - spent <= grace);
    let hash = refresh_token_hash(refresh_token.expose_secret());
    let Some(token) = sessions::find_by_hash(&app.db, &hash).await? else {
        return Err(AppError::Unauthenticated);
    };
    if token.revoked_at.is_some() {
        return Err(AppError::Unauthenticated);
    }
    if token.spent_at.is_some() && !within_grace(&token) {
        revoke_for_reuse(app, token.family_id, token.user_id, now).await?;
        return Err(AppError::Unauthenticated);
    }
    if token.expires_at <= now {
        return Err(AppError::Unauthenticated);
    }
    let family_lifetime = Duration::days(i64::from(app.settings.auth.refresh_family_max_days));
    let Some(family_ends) = sessions::family_started_at(&app.db, token.family_id)
        .await?
        .map(|started| started + family_lifetime)
        .filter(|ends| *ends > now)
    else {
        return Err(AppError::Unauthenticated);
    };
    let account = match users::get(&app.db, token.user_id).await {
        Ok(account) if account.active => account,
        Ok(_) | Err(RepoError::NotFound) => return Err(AppError::Unauthenticated),
        Err(err) => return Err(err.into()),
    };

    let issued = unit_of_work(&app.db, async |txn: &Tx| -> AppResult<Option<Session>> {
        if token.spent_at.is_none() && !sessions::spend(txn, token.id, now).await? {
            // Someone spent it between our read and our write: the other
            // tab, or a thief, depending on when.
            return Ok(None);
        }
        if token.spent_at.is_some() {
            tracing::info!(target: "security", user_id = %account.id, "spent refresh token presented again within the grace");
        }
        Ok(Some(continue_session(app, txn, &token, family_ends, now).await?))
    })
    .await?;
    if let Some(session) = issued {
        return Ok(session);
    }
    let now_spent = sessions::find_by_hash(&app.db, &hash).await?;
    if !now_spent.is_some_and(|t| t.revoked_at.is_none() && within_grace(&t)) {
        revoke_for_reuse(app, token.family_id, token.user_id, now).await?;
        return Err(AppError::Unauthenticated);
    }
    continue_session(app, &app.db, &token, family_ends, now).await
}

/// A new refresh token in the session of `spent`, valid for the sliding
/// lifetime but never past the session's end.
async fn continue_session<C: ConnectionTrait>(
    app: &App,
    db: &C,
    spent: &sessions::RefreshToken,
    family_ends: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Session> {
    let expires_at = (now + refresh_lifetime(app)).min(family_ends);
    let refresh_token = new_refresh_token();
    sessions::insert(
        db,
        spent.family_id,
        spent.user_id,
        refresh_token_hash(&refresh_token),
        now,
        expires_at,
    )
    .await?;
    Ok(Session {
        user_id: spent.user_id,
        session_id: spent.family_id,
        refresh_token,
    })
}

async fn revoke_for_reuse(
    app: &App,
    family_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    sessions::revoke_family(&app.db, family_id, now).await?;
    tracing::warn!(target: "security", %user_id, "spent refresh token reused; session revoked");
    audit::record(
        &app.db,
        AuditEntry {
            actor_id: None,
            action: "refresh_token_reused",
            subject_type: "user",
            subject_id: Some(user_id),
            details: serde_json::json!({ "family_id": family_id }),
        },
        now,
    )
    .await?;
    Ok(())
}

/// Ends the session `refresh_token` belongs to. Unknown tokens are ignored,
/// so the answer does not tell whether a token existed.
pub async fn logout(app: &App, refresh_token: SecretString) -> AppResult<()> {
    let now = app.now();
    let hash = refresh_token_hash(refresh_token.expose_secret());
    if let Some(token) = sessions::find_by_hash(&app.db, &hash).await? {
        sessions::revoke_family(&app.db, token.family_id, now).await?;
        audit::record(
            &app.db,
            AuditEntry {
                actor_id: Some(token.user_id),
                action: "logout",
                subject_type: "user",
                subject_id: Some(token.user_id),
                details: serde_json::json!({}),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// The account acting in session `session_id`, if the session is still
/// live and the account active: a front end asks this on every request, so
/// logout and deactivation take effect at once.
pub async fn acting_account(app: &App, user_id: Uuid, session_id: Uuid) -> AppResult<StaffAccount> {
    let account = match users::get_in_session(&app.db, user_id, session_id).await {
        Ok(account) => account,
        Err(RepoError::NotFound) => {
            tracing::info!(target: "security", "token of an ended session refused");
            return Err(AppError::Unauthenticated);
        }
        Err(err) => return Err(err.into()),
    };
    if !account.active {
        tracing::info!(target: "security", user_id = %account.id, "token of a deactivated account refused");
        return Err(AppError::Unauthenticated);
    }
    Ok(account)
}

/// A browser's session as the web application carries it (in a signed
/// cookie): the account, the session, when it signed in and when it was
/// last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrowserSession {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub signed_in_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
}

/// Signs a browser in: the same password check, throttling and audit as
/// [`login`]. The session has no refresh token in the browser's hands; it
/// lasts as [`kartei_domain::session`] says.
pub async fn sign_in_browser(
    app: &App,
    email: &str,
    password: SecretString,
    client: IpAddr,
) -> AppResult<BrowserSession> {
    let session = login(app, email, password, client).await?;
    let now = app.now();
    Ok(BrowserSession {
        user_id: session.user_id,
        session_id: session.session_id,
        signed_in_at: now,
        seen_at: now,
    })
}

/// The account acting in a browser session, and the session seen now; an
/// idle, too old, ended or deactivated session is refused (401), so the
/// browser signs in again.
pub async fn resume_browser(
    app: &App,
    session: BrowserSession,
) -> AppResult<(StaffAccount, BrowserSession)> {
    let now = app.now();
    if !browser_session_live(session.signed_in_at, session.seen_at, now) {
        return Err(AppError::Unauthenticated);
    }
    let account = acting_account(app, session.user_id, session.session_id).await?;
    Ok((
        account,
        BrowserSession {
            seen_at: now,
            ..session
        },
    ))
}

/// Ends a browser session (signing out), recorded like [`logout`].
pub async fn sign_out_browser(app: &App, session: BrowserSession) -> AppResult<()> {
    let now = app.now();
    sessions::revoke_family(&app.db, session.session_id, now).await?;
    audit::record(
        &app.db,
        AuditEntry {
            actor_id: Some(session.user_id),
            action: "logout",
            subject_type: "user",
            subject_id: Some(session.user_id),
            details: serde_json::json!({}),
        },
        now,
    )
    .await?;
    Ok(())
}
