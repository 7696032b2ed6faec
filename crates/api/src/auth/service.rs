//! Logging in, refreshing and logging out, with the audit and security
//! records each of them leaves.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use kartei_domain::EmailAddress;
use kartei_domain::throttle::ThrottlePolicy;
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::throttle::{self as failures, Key};
use kartei_persistence::{RepoError, TransactionTrait, sessions, users};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::tokens::{new_refresh_token, refresh_token_hash};
use crate::error::ApiError;
use crate::state::AppState;

/// What a successful login or refresh hands out.
#[derive(Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

fn policy(state: &AppState) -> ThrottlePolicy {
    let auth = &state.settings.auth;
    ThrottlePolicy::new(
        auth.max_failed_logins,
        chrono::Duration::minutes(i64::from(auth.lockout_minutes)),
    )
}

pub async fn login(
    state: &AppState,
    email: &str,
    password: SecretString,
    client: IpAddr,
) -> Result<IssuedTokens, ApiError> {
    let now = state.clock.now();
    let policy = policy(state);
    let email = EmailAddress::parse(email).ok();
    let account_key = state.tokens.keyed_hash(
        "login-account",
        &email
            .as_ref()
            .map(EmailAddress::comparison_key)
            .unwrap_or_default(),
    );
    let client_key = state.tokens.keyed_hash("login-client", &client.to_string());

    // Count the earlier attempts and record this one in one turn per key,
    // before the slow hash: attempts sent at once cannot all see the same
    // count, so at most `max_failed_logins` of them reach the password check.
    let since = policy.window_start(now);
    let turn = state.db.begin().await.map_err(RepoError::from)?;
    failures::take_turn(&turn, &[&account_key, &client_key], since).await?;
    for (key, limit) in [
        (Key::Account(&account_key), policy.max_failures_per_account),
        (Key::Client(&client_key), policy.max_failures_per_client),
    ] {
        let recent = failures::failures_since(&turn, key, since, u64::from(limit)).await?;
        if let Some(wait) = policy.retry_after(&recent, limit, now) {
            turn.rollback().await.map_err(RepoError::from)?;
            tracing::warn!(target: "security", "login refused: too many failed attempts");
            let retry_after = wait.to_std().unwrap_or_default();
            return Err(ApiError::TooManyRequests { retry_after });
        }
    }
    failures::record_failure(&turn, &account_key, &client_key, now).await?;
    turn.commit().await.map_err(RepoError::from)?;

    let found = match &email {
        Some(email) => users::find_for_login(&state.db, email).await?,
        None => None,
    };
    let (account, hash) = match found {
        Some((account, hash)) => (Some(account), Some(hash)),
        None => (None, None),
    };
    let password_ok = state
        .passwords
        .verify(password, hash)
        .await
        .map_err(ApiError::internal)?;

    let Some(account) = account.filter(|a| password_ok && a.active) else {
        // The attempt was recorded before the check.
        failures::prune_before(&state.db, since).await?;
        tracing::warn!(target: "security", "login failed");
        audit::record(
            &state.db,
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
        return Err(ApiError::Unauthenticated);
    };

    // Forgives the earlier failures and this attempt's own record.
    failures::clear_account(&state.db, &account_key).await?;
    let tokens = start_family(state, account.id, Uuid::now_v7(), now).await?;
    tracing::info!(target: "security", user_id = %account.id, "login");
    audit::record(
        &state.db,
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
    Ok(tokens)
}

/// Hands out a new pair in `family_id`.
async fn start_family(
    state: &AppState,
    user_id: Uuid,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<IssuedTokens, ApiError> {
    let refresh_token = new_refresh_token();
    sessions::insert(
        &state.db,
        family_id,
        user_id,
        refresh_token_hash(&refresh_token),
        now,
        now + state.tokens.refresh_lifetime,
    )
    .await?;
    let access_token = state
        .tokens
        .issue_access(user_id, family_id, now)
        .map_err(ApiError::internal)?;
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        expires_in: state.tokens.access_lifetime.num_seconds(),
    })
}

/// Spends `refresh_token` and hands out a new pair. A token that was spent
/// before is a sign of theft: the whole family is revoked, unless it was
/// spent within `auth.refresh_reuse_grace_seconds`, which is two tabs of one
/// browser refreshing at once; each of them gets a pair. A family ends
/// `auth.refresh_family_max_days` after its login, however often refreshed.
pub async fn refresh(
    state: &AppState,
    refresh_token: SecretString,
) -> Result<IssuedTokens, ApiError> {
    let now = state.clock.now();
    let grace = state.tokens.reuse_grace;
    let within_grace =
        |token: &sessions::RefreshToken| token.spent_at.is_some_and(|spent| now - spent <= grace);
    let hash = refresh_token_hash(refresh_token.expose_secret());
    let Some(token) = sessions::find_by_hash(&state.db, &hash).await? else {
        return Err(ApiError::Unauthenticated);
    };
    if token.revoked_at.is_some() {
        return Err(ApiError::Unauthenticated);
    }
    if token.spent_at.is_some() && !within_grace(&token) {
        revoke_for_reuse(state, token.family_id, token.user_id, now).await?;
        return Err(ApiError::Unauthenticated);
    }
    if token.expires_at <= now {
        return Err(ApiError::Unauthenticated);
    }
    let Some(family_ends) = sessions::family_started_at(&state.db, token.family_id)
        .await?
        .map(|started| started + state.tokens.family_lifetime)
        .filter(|ends| *ends > now)
    else {
        return Err(ApiError::Unauthenticated);
    };
    let account = match users::get(&state.db, token.user_id).await {
        Ok(account) if account.active => account,
        Ok(_) | Err(RepoError::NotFound) => return Err(ApiError::Unauthenticated),
        Err(err) => return Err(err.into()),
    };

    let txn = state.db.begin().await.map_err(RepoError::from)?;
    if token.spent_at.is_none() && !sessions::spend(&txn, token.id, now).await? {
        // Someone spent it between our read and our write: the other tab,
        // or a thief, depending on when.
        drop(txn);
        let now_spent = sessions::find_by_hash(&state.db, &hash).await?;
        if !now_spent.is_some_and(|t| t.revoked_at.is_none() && within_grace(&t)) {
            revoke_for_reuse(state, token.family_id, token.user_id, now).await?;
            return Err(ApiError::Unauthenticated);
        }
        return issue_in_family(state, &state.db, &token, family_ends, now).await;
    }
    if token.spent_at.is_some() {
        tracing::info!(target: "security", user_id = %account.id, "spent refresh token presented again within the grace");
    }
    let tokens = issue_in_family(state, &txn, &token, family_ends, now).await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(tokens)
}

/// A new pair in the family of `spent`, its refresh token valid for the
/// sliding lifetime but never past the family's end.
async fn issue_in_family<C: kartei_persistence::ConnectionTrait>(
    state: &AppState,
    db: &C,
    spent: &sessions::RefreshToken,
    family_ends: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<IssuedTokens, ApiError> {
    let expires_at = (now + state.tokens.refresh_lifetime).min(family_ends);
    let new_token = new_refresh_token();
    sessions::insert(
        db,
        spent.family_id,
        spent.user_id,
        refresh_token_hash(&new_token),
        now,
        expires_at,
    )
    .await?;
    let access_token = state
        .tokens
        .issue_access(spent.user_id, spent.family_id, now)
        .map_err(ApiError::internal)?;
    Ok(IssuedTokens {
        access_token,
        refresh_token: new_token,
        expires_in: state.tokens.access_lifetime.num_seconds(),
    })
}

async fn revoke_for_reuse(
    state: &AppState,
    family_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    sessions::revoke_family(&state.db, family_id, now).await?;
    tracing::warn!(target: "security", %user_id, "spent refresh token reused; session revoked");
    audit::record(
        &state.db,
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
pub async fn logout(state: &AppState, refresh_token: SecretString) -> Result<(), ApiError> {
    let now = state.clock.now();
    let hash = refresh_token_hash(refresh_token.expose_secret());
    if let Some(token) = sessions::find_by_hash(&state.db, &hash).await? {
        sessions::revoke_family(&state.db, token.family_id, now).await?;
        audit::record(
            &state.db,
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
