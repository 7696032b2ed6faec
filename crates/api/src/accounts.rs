//! Creating and changing staff accounts, shared by the API and the CLI.

use kartei_domain::staff::{check_account_unit, check_new_password};
use kartei_domain::{EmailAddress, Role, StaffAccount, text};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::users::{self, NewUser, UserChanges};
use kartei_persistence::{RepoError, TransactionTrait, org_units, sessions};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::checks::Checks;
use crate::error::ApiError;
use crate::state::AppState;

pub const DISPLAY_NAME_MAX: usize = 200;

pub struct AccountInput {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: Option<Uuid>,
    pub password: SecretString,
}

/// Validates `input` and creates the account; `actor_id` is the admin who
/// did it (`None` for the command line).
pub async fn create(
    state: &AppState,
    actor_id: Option<Uuid>,
    input: AccountInput,
) -> Result<StaffAccount, ApiError> {
    let mut checks = Checks::new();
    let email = checks.field("email", EmailAddress::parse(&input.email));
    let display_name = checks.field(
        "display_name",
        text::single_line(&input.display_name, DISPLAY_NAME_MAX),
    );
    checks.field(
        "password",
        check_new_password(input.password.expose_secret()),
    );
    check_unit(state, &mut checks, input.role, input.org_unit_id).await?;
    checks.finish()?;
    let (Some(email), Some(display_name)) = (email, display_name) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };

    let password_hash = state
        .passwords
        .hash(input.password)
        .await
        .map_err(ApiError::internal)?;
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    let account = users::insert(
        &txn,
        NewUser {
            id: Uuid::now_v7(),
            email,
            display_name,
            role: input.role,
            org_unit_id: input.org_unit_id,
            password_hash,
        },
        now,
    )
    .await
    .map_err(|err| match err {
        RepoError::Conflict => {
            ApiError::Conflict("An account with this e-mail address exists.".into())
        }
        other => other.into(),
    })?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "user_created",
            subject_type: "user",
            subject_id: Some(account.id),
            details: serde_json::json!({
                "role": account.role.as_str(),
                "org_unit_id": account.org_unit_id,
            }),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(account)
}

/// The fields of a PATCH; `None` leaves a field as it is.
#[derive(Default)]
pub struct AccountPatch {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub org_unit_id: Option<Option<Uuid>>,
    pub password: Option<SecretString>,
    pub active: Option<bool>,
}

pub async fn update(
    state: &AppState,
    actor: &StaffAccount,
    id: Uuid,
    expected_version: i64,
    patch: AccountPatch,
) -> Result<StaffAccount, ApiError> {
    let current = users::get(&state.db, id).await?;
    let mut checks = Checks::new();
    let email = patch
        .email
        .as_deref()
        .and_then(|e| checks.field("email", EmailAddress::parse(e)));
    let display_name = patch
        .display_name
        .as_deref()
        .and_then(|n| checks.field("display_name", text::single_line(n, DISPLAY_NAME_MAX)));
    if let Some(password) = &patch.password {
        checks.field("password", check_new_password(password.expose_secret()));
    }
    let role = patch.role.unwrap_or(current.role);
    let unit = patch.org_unit_id.unwrap_or(current.org_unit_id);
    if patch.role.is_some() || patch.org_unit_id.is_some() {
        check_unit(state, &mut checks, role, unit).await?;
    }
    checks.finish()?;
    if actor.id == id && (patch.active == Some(false) || role != current.role) {
        return Err(ApiError::Conflict(
            "You cannot deactivate your own account or change its role.".into(),
        ));
    }
    if current.version != expected_version {
        return Err(ApiError::PreconditionFailed);
    }

    let password_hash = match patch.password {
        Some(password) => Some(
            state
                .passwords
                .hash(password)
                .await
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let mut changed: Vec<&str> = Vec::new();
    for (name, is_set) in [
        ("email", email.is_some()),
        ("display_name", display_name.is_some()),
        ("role", patch.role.is_some()),
        ("org_unit_id", patch.org_unit_id.is_some()),
        ("password", password_hash.is_some()),
        ("active", patch.active.is_some()),
    ] {
        if is_set {
            changed.push(name);
        }
    }
    let ends_sessions = patch.active == Some(false) || password_hash.is_some();
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    let updated = users::update(
        &txn,
        id,
        expected_version,
        UserChanges {
            email,
            display_name,
            role: patch.role,
            org_unit_id: patch.org_unit_id,
            password_hash,
            active: patch.active,
        },
        now,
    )
    .await
    .map_err(|err| match err {
        RepoError::Conflict => {
            ApiError::Conflict("An account with this e-mail address exists.".into())
        }
        other => other.into(),
    })?;
    if ends_sessions {
        sessions::revoke_all_of_user(&txn, id, now).await?;
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(actor.id),
            action: "user_changed",
            subject_type: "user",
            subject_id: Some(id),
            details: serde_json::json!({
                "fields": changed,
                "role": updated.role.as_str(),
                "org_unit_id": updated.org_unit_id,
                "active": updated.active,
            }),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(updated)
}

/// Checks that the unit exists and suits the role.
async fn check_unit(
    state: &AppState,
    checks: &mut Checks,
    role: Role,
    org_unit_id: Option<Uuid>,
) -> Result<(), ApiError> {
    let kind = match org_unit_id {
        None => None,
        Some(id) => match org_units::get(&state.db, id).await {
            Ok(unit) => Some(unit.kind),
            Err(RepoError::NotFound) => {
                checks.fail("org_unit_id", "no such org unit");
                return Ok(());
            }
            Err(err) => return Err(err.into()),
        },
    };
    checks.field("org_unit_id", check_account_unit(role, kind));
    Ok(())
}
