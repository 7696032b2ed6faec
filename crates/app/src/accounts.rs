//! Staff accounts: creating, reading, changing and deactivating them, for
//! the administrators and for the operator on the command line.

use kartei_domain::authz::{AccountChange, check_own_account_change};
use kartei_domain::staff::{check_account_unit, check_new_password};
use kartei_domain::{Action, Actor, EmailAddress, Role, StaffAccount, authorize, text};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::users::{self, NewUser, UserChanges};
use kartei_persistence::{Page, RepoError, Tx, org_units, sessions, unit_of_work};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::checks::Checks;
use crate::paging::PageRequest;
use crate::{App, AppError, AppResult};

pub const DISPLAY_NAME_MAX: usize = 200;

/// The conflict of an address another account has, for a front end to
/// show at the e-mail field rather than as a refusal of the whole change.
pub const EMAIL_TAKEN: &str = "An account with this e-mail address exists.";

/// A new account as typed in; checked by [`create`].
pub struct AccountInput {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: Option<Uuid>,
    pub password: SecretString,
}

/// The fields of a change; `None` leaves a field as it is.
#[derive(Default)]
pub struct AccountPatch {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` unbinds the account from its unit.
    pub org_unit_id: Option<Option<Uuid>>,
    pub password: Option<SecretString>,
    /// `Some(false)` deactivates the account, ending its sessions.
    pub active: Option<bool>,
}

/// One page of the staff accounts.
pub async fn list(app: &App, actor: &Actor, page: &PageRequest) -> AppResult<Page<StaffAccount>> {
    authorize(actor, Action::ManageUsers, None)?;
    let (limit, after) = page.by_id()?;
    Ok(users::list(&app.db, after, limit).await?)
}

/// One staff account.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<StaffAccount> {
    authorize(actor, Action::ManageUsers, None)?;
    Ok(users::get(&app.db, id).await?)
}

/// An administrator creates an account.
pub async fn create(app: &App, actor: &Actor, input: AccountInput) -> AppResult<StaffAccount> {
    authorize(actor, Action::ManageUsers, None)?;
    insert(app, Some(actor.user_id), input).await
}

/// The operator creates an account on the command line (the first
/// administrator, typically): no staff account acts, so none is recorded.
pub async fn create_by_operator(app: &App, input: AccountInput) -> AppResult<StaffAccount> {
    insert(app, None, input).await
}

async fn insert(app: &App, actor_id: Option<Uuid>, input: AccountInput) -> AppResult<StaffAccount> {
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
    check_unit(app, &mut checks, input.role, input.org_unit_id).await?;
    checks.finish()?;
    let (Some(email), Some(display_name)) = (email, display_name) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };

    let password_hash = app
        .passwords
        .hash(input.password)
        .await
        .map_err(AppError::internal)?;
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<StaffAccount> {
        let account = users::insert(
            txn,
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
        .map_err(email_taken)?;
        audit::record(
            txn,
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
        Ok(account)
    })
    .await
}

/// Changes account `id` as edited at `expected_version`. Nobody may
/// deactivate their own account or change its role.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    patch: AccountPatch,
) -> AppResult<StaffAccount> {
    authorize(actor, Action::ManageUsers, None)?;
    let current = users::get(&app.db, id).await?;
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
        check_unit(app, &mut checks, role, unit).await?;
    }
    checks.finish()?;
    let change = AccountChange {
        role: patch.role,
        org_unit_id: patch.org_unit_id,
        active: patch.active,
    };
    check_own_account_change(actor, &current, &change)
        .map_err(|err| AppError::Conflict(err.to_string()))?;
    if current.version != expected_version {
        return Err(AppError::Stale);
    }

    let password_hash = match patch.password {
        Some(password) => Some(
            app.passwords
                .hash(password)
                .await
                .map_err(AppError::internal)?,
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
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<StaffAccount> {
        let updated = users::update(
            txn,
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
        .map_err(email_taken)?;
        if ends_sessions {
            sessions::revoke_all_of_user(txn, id, now).await?;
        }
        audit::record(
            txn,
            AuditEntry {
                actor_id: Some(actor.user_id),
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
        Ok(updated)
    })
    .await
}

fn email_taken(err: RepoError) -> AppError {
    match err {
        RepoError::Conflict => AppError::Conflict(EMAIL_TAKEN.into()),
        other => other.into(),
    }
}

/// Checks that the unit exists and suits the role.
async fn check_unit(
    app: &App,
    checks: &mut Checks,
    role: Role,
    org_unit_id: Option<Uuid>,
) -> AppResult<()> {
    let kind = match org_unit_id {
        None => None,
        Some(id) => match org_units::get(&app.db, id).await {
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
