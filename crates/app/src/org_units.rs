//! The organisation's tree: the state, its districts and their local
//! branches. Every account reads it; administrators build and rename it.

use kartei_domain::org::check_parent;
use kartei_domain::{Action, Actor, EmailAddress, OrgUnit, OrgUnitKind, authorize, text};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::org_units::{self, NewOrgUnit, OrgUnitChanges};
use kartei_persistence::{Page, RepoError, Tx, unit_of_work};
use uuid::Uuid;

use crate::checks::Checks;
use crate::paging::PageRequest;
use crate::{App, AppError, AppResult};

const NAME_MAX: usize = 200;
const SHORT_CODE_MAX: usize = 32;

/// A new unit as typed in; checked by [`create`].
#[derive(Debug, Clone)]
pub struct NewUnit {
    pub name: String,
    pub kind: OrgUnitKind,
    pub parent_id: Option<Uuid>,
    pub short_code: String,
    pub email: Option<String>,
}

/// The fields of a change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub short_code: Option<String>,
    /// `Some(None)` removes the address.
    pub email: Option<Option<String>>,
}

/// A short code: letters, digits and hyphens, as used on letterheads.
fn short_code(raw: &str) -> Result<String, String> {
    let code = text::single_line(raw, SHORT_CODE_MAX).map_err(|e| e.to_string())?;
    if code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(code)
    } else {
        Err("may contain only letters, digits and hyphens".into())
    }
}

fn conflict_on_short_code(err: RepoError) -> AppError {
    match err {
        RepoError::Conflict => AppError::Conflict("Another unit has this short code.".into()),
        other => other.into(),
    }
}

/// One page of the tree (every staff account may read it).
pub async fn list(app: &App, actor: &Actor, page: &PageRequest) -> AppResult<Page<OrgUnit>> {
    authorize(actor, Action::ReadOrgUnits, None)?;
    let (limit, after) = page.by_id()?;
    Ok(org_units::list(&app.db, after, limit).await?)
}

/// The whole tree at once, for a choice of units (a few hundred at most,
/// so no paging).
pub async fn all(app: &App, actor: &Actor) -> AppResult<Vec<OrgUnit>> {
    authorize(actor, Action::ReadOrgUnits, None)?;
    Ok(org_units::all(&app.db).await?)
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<OrgUnit> {
    authorize(actor, Action::ReadOrgUnits, None)?;
    Ok(org_units::get(&app.db, id).await?)
}

/// The unit `actor`'s account is bound to, if any: every account may read
/// its own.
pub async fn own_unit(app: &App, actor: &Actor) -> AppResult<Option<OrgUnit>> {
    authorize(actor, Action::ReadOwnAccount, None)?;
    match actor.org_unit_id {
        Some(id) => Ok(Some(org_units::get(&app.db, id).await?)),
        None => Ok(None),
    }
}

/// The unit the operator names on the command line, by id or short code.
pub async fn by_reference(app: &App, reference: &str) -> AppResult<OrgUnit> {
    let found = match reference.parse::<Uuid>() {
        Ok(id) => org_units::get(&app.db, id).await.map(Some),
        Err(_) => org_units::find_by_short_code(&app.db, reference).await,
    };
    match found {
        Ok(Some(unit)) => Ok(unit),
        Ok(None) | Err(RepoError::NotFound) => Err(AppError::invalid(
            "org_unit",
            format!("no org unit with id or short code {reference}"),
        )),
        Err(err) => Err(err.into()),
    }
}

/// Like [`get`], for those who change units: the role first (403), then
/// whether the unit exists (404).
pub async fn get_for_change(app: &App, actor: &Actor, id: Uuid) -> AppResult<OrgUnit> {
    authorize(actor, Action::ManageOrgUnits, None)?;
    Ok(org_units::get(&app.db, id).await?)
}

/// Creates a unit: a state (no parent), a district below the state, or a
/// local branch below a district.
pub async fn create(app: &App, actor: &Actor, input: NewUnit) -> AppResult<OrgUnit> {
    authorize(actor, Action::ManageOrgUnits, None)?;
    let mut checks = Checks::new();
    let name = checks.field("name", text::single_line(&input.name, NAME_MAX));
    let code = checks.field("short_code", short_code(&input.short_code));
    let email = input
        .email
        .as_deref()
        .and_then(|e| checks.field("email", EmailAddress::parse(e)));
    let parent_kind = match input.parent_id {
        None => None,
        Some(parent) => match org_units::get(&app.db, parent).await {
            Ok(unit) => Some(unit.kind),
            Err(RepoError::NotFound) => {
                checks.fail("parent_id", "no such org unit");
                None
            }
            Err(err) => return Err(err.into()),
        },
    };
    if checks.is_ok() {
        checks.field("parent_id", check_parent(input.kind, parent_kind));
    }
    checks.finish()?;
    let (Some(name), Some(short_code)) = (name, code) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };

    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<OrgUnit> {
        let unit = org_units::insert(
            txn,
            NewOrgUnit {
                id: Uuid::now_v7(),
                kind: input.kind,
                name,
                short_code,
                parent_id: input.parent_id,
                email,
            },
            now,
        )
        .await
        .map_err(conflict_on_short_code)?;
        audit::record(
            txn,
            AuditEntry {
                actor_id: Some(actor.user_id),
                action: "org_unit_created",
                subject_type: "org_unit",
                subject_id: Some(unit.id),
                details: serde_json::json!({ "kind": unit.kind.as_str(), "parent_id": unit.parent_id }),
            },
            now,
        )
        .await?;
        Ok(unit)
    })
    .await
}

/// Renames a unit, changes its short code or its e-mail address, as edited
/// at `expected_version`.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    patch: UnitPatch,
) -> AppResult<OrgUnit> {
    authorize(actor, Action::ManageOrgUnits, None)?;
    let mut checks = Checks::new();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| checks.field("name", text::single_line(n, NAME_MAX)));
    let code = patch
        .short_code
        .as_deref()
        .and_then(|c| checks.field("short_code", short_code(c)));
    let email = match patch.email {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => checks.field("email", EmailAddress::parse(&raw)).map(Some),
    };
    checks.finish()?;

    let changed: Vec<&str> = [
        ("name", name.is_some()),
        ("short_code", code.is_some()),
        ("email", email.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect();
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<OrgUnit> {
        let unit = org_units::update(
            txn,
            id,
            expected_version,
            OrgUnitChanges {
                name,
                short_code: code,
                email,
            },
            now,
        )
        .await
        .map_err(conflict_on_short_code)?;
        audit::record(
            txn,
            AuditEntry {
                actor_id: Some(actor.user_id),
                action: "org_unit_changed",
                subject_type: "org_unit",
                subject_id: Some(id),
                details: serde_json::json!({ "fields": changed }),
            },
            now,
        )
        .await?;
        Ok(unit)
    })
    .await
}
