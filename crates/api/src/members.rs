//! Member master data: reading with need-to-know scope (home ties
//! included), every change under its version and into the audit trail with
//! the personal values sealed by the member's key.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kartei_domain::authz::member_view;
use kartei_domain::member::{self, LeaveError, Member};
use kartei_domain::{Action, Actor, OrgUnitKind, UnitPath, authorize};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::members::{self, NewMember};
use kartei_persistence::{
    DatabaseTransaction, RepoError, TransactionTrait, member_keys, org_units,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;

pub use kartei_domain::authz::MemberView as View;

pub async fn path_of(state: &AppState, unit: Uuid) -> Result<UnitPath, ApiError> {
    Ok(org_units::path_of(&state.db, unit).await?)
}

/// The paths of units, each read once: a page of records held by a few
/// units asks the database once per unit, not once per record.
pub struct UnitPaths<'a> {
    state: &'a AppState,
    known: HashMap<Uuid, UnitPath>,
}

impl<'a> UnitPaths<'a> {
    pub fn new(state: &'a AppState) -> Self {
        UnitPaths {
            state,
            known: HashMap::new(),
        }
    }

    pub async fn of(&mut self, unit: Uuid) -> Result<UnitPath, ApiError> {
        if let Some(path) = self.known.get(&unit) {
            return Ok(path.clone());
        }
        let path = path_of(self.state, unit).await?;
        self.known.insert(unit, path.clone());
        Ok(path)
    }
}

/// The state unit, which stands for every account of the state level.
pub async fn state_unit_id(state: &AppState) -> Result<Uuid, ApiError> {
    org_units::state_unit(&state.db)
        .await?
        .map(|unit| unit.id)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the organisation has no state unit")))
}

/// Reads a member for `action`. Outside the scope it is 404, unless the
/// caller's district keeps home ties with the member and only reads.
pub async fn read(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    action: Action,
) -> Result<(Member, View), ApiError> {
    let member = members::get(&state.db, id).await?;
    let view = view_of(&mut UnitPaths::new(state), &staff.actor(), &member, action).await?;
    Ok((member, view))
}

/// How `actor` sees `member` for `action` (`kartei_domain::authz::member_view`).
pub async fn view_of(
    paths: &mut UnitPaths<'_>,
    actor: &Actor,
    member: &Member,
    action: Action,
) -> Result<View, ApiError> {
    let holding = paths.of(member.holding_unit()).await?;
    // Only a caller outside the holding unit's scope needs the home path.
    let home = match member.home_ties() {
        Some(home) if authorize(actor, action, Some(&holding)).is_err() => {
            Some(paths.of(home).await?)
        }
        _ => None,
    };
    Ok(member_view(actor, action, &holding, home.as_ref())?)
}

/// The route a member is held by: a district, or a branch with its district.
pub async fn holding(
    state: &AppState,
    unit_id: Uuid,
) -> Result<Option<(Uuid, Option<Uuid>)>, ApiError> {
    Ok(kartei_app::scope::route_to(&state.app, unit_id)
        .await?
        .map(|route| (route.district_id, route.local_id)))
}

fn person_fields(member: &Member) -> Vec<(&'static str, Value)> {
    let p = &member.person;
    vec![
        ("first_name", json!(p.first_name)),
        ("last_name", json!(p.last_name)),
        ("date_of_birth", json!(p.date_of_birth)),
        ("email", json!(p.email.as_ref().map(|e| e.to_string()))),
        ("phone", json!(p.phone)),
        ("street", json!(p.street)),
        ("postal_code", json!(p.postal_code.to_string())),
        ("city", json!(p.city)),
        ("interests", json!(p.interests)),
        ("district_id", json!(member.district_id)),
        ("local_id", json!(member.local_id)),
        ("status", json!(member.status.as_str())),
        ("left_on", json!(member.left_on)),
        ("resigns_on", json!(member.resigns_on)),
        ("status_reason", json!(member.status_reason)),
        ("consents", json!(member.consents)),
        ("home_district_id", json!(member.home_district_id)),
        ("membership_number", json!(member.membership_number)),
    ]
}

/// The fields that differ, with old and new values.
pub fn diff(before: &Member, after: &Member) -> Vec<(&'static str, Value, Value)> {
    person_fields(before)
        .into_iter()
        .zip(person_fields(after))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| (field, old, new))
        .collect()
}

/// Appends an audit entry about `member_id`; `changes` values are sealed
/// with the member's key, so that anonymisation can make them unreadable.
pub async fn audit_member(
    txn: &DatabaseTransaction,
    actor_id: Option<Uuid>,
    member_id: Uuid,
    action: &'static str,
    changes: Vec<(&'static str, Value, Value)>,
    extra: Value,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut sealed = Vec::with_capacity(changes.len());
    if !changes.is_empty() {
        let key = member_keys::get_or_create(txn, member_id).await?;
        for (field, old, new) in changes {
            sealed.push(json!({
                "field": field,
                "old": member_keys::seal(&key, &old)?,
                "new": member_keys::seal(&key, &new)?,
            }));
        }
    }
    let mut details = json!({ "changes": sealed });
    if let (Some(details), Some(extra)) = (details.as_object_mut(), extra.as_object()) {
        details.extend(extra.clone());
    }
    audit::record(
        txn,
        AuditEntry {
            actor_id,
            action,
            subject_type: "member",
            subject_id: Some(member_id),
            details,
        },
        at,
    )
    .await?;
    Ok(())
}

/// The audit trail of a member, with sealed values opened while the key
/// exists.
pub async fn history(
    state: &AppState,
    member_id: Uuid,
) -> Result<Vec<audit::AuditRecord>, ApiError> {
    let key = member_keys::find(&state.db, member_id).await?;
    let mut records = audit::for_subject(&state.db, "member", member_id).await?;
    for record in &mut records {
        if let Some(changes) = record
            .details
            .get_mut("changes")
            .and_then(Value::as_array_mut)
        {
            for change in changes {
                for side in ["old", "new"] {
                    if let Some(value) = change.get_mut(side) {
                        *value = member_keys::open(key.as_ref(), value);
                    }
                }
            }
        }
    }
    Ok(records)
}

/// Creates a member by direct entry, with the next membership number when
/// `new` brings none.
pub async fn create(
    state: &AppState,
    staff: &Staff,
    mut new: NewMember,
) -> Result<Member, ApiError> {
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    if new.membership_number.is_empty() {
        new.membership_number = members::next_membership_number(&txn).await?;
    }
    let member = members::insert(&txn, new, now)
        .await
        .map_err(|err| match err {
            RepoError::Conflict => ApiError::Conflict("This membership number is taken.".into()),
            other => other.into(),
        })?;
    audit_member(
        &txn,
        Some(staff.0.id),
        member.id,
        "member_created",
        Vec::new(),
        json!({ "source": "direct_entry" }),
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(member)
}

/// Applies `change` to member `id` as `staff` under `action`, if the member
/// is still at `version`; records what changed. A change that changes
/// nothing answers the member as it is.
pub async fn change(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    version: Option<i64>,
    action: Action,
    audit_action: &'static str,
    change: impl FnOnce(&Member) -> Result<Member, ApiError>,
) -> Result<Member, ApiError> {
    let (current, view) = read(state, staff, id, action).await?;
    if view != View::Full {
        return Err(ApiError::NotFound);
    }
    if let Some(version) = version
        && version != current.version
    {
        return Err(ApiError::PreconditionFailed);
    }
    let next = change(&current)?;
    let changes = diff(&current, &next);
    if changes.is_empty() {
        return Ok(current);
    }
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    let saved = members::save(&txn, &current, &next, now).await?;
    audit_member(
        &txn,
        Some(staff.0.id),
        id,
        audit_action,
        changes,
        json!({}),
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(saved)
}

impl From<LeaveError> for ApiError {
    fn from(err: LeaveError) -> Self {
        match err {
            LeaveError::AlreadyEnded(current) => {
                ApiError::Conflict(format!("The membership already ended ({current})."))
            }
        }
    }
}

/// Makes every resignation whose day has come take effect; the daily
/// part of `leave`. Each member goes in its own transaction with its audit
/// entry, so an interrupted run continues next time. Returns how many.
pub async fn complete_resignations(state: &AppState) -> Result<usize, ApiError> {
    const BATCH: u64 = 200;
    let now = state.clock.now();
    let today = crate::local_time::local_date(now);
    let mut done = 0;
    loop {
        let due = members::resignations_due(&state.db, today, BATCH).await?;
        for id in &due {
            let txn = state.db.begin().await.map_err(RepoError::from)?;
            let current = members::get(&txn, *id).await?;
            if let Some(left) = member::resignation_due(&current, today) {
                members::save(&txn, &current, &left, now).await?;
                audit_member(
                    &txn,
                    None,
                    current.id,
                    "resignation_effective",
                    diff(&current, &left),
                    json!({}),
                    now,
                )
                .await?;
                done += 1;
            }
            txn.commit().await.map_err(RepoError::from)?;
        }
        if (due.len() as u64) < BATCH {
            return Ok(done);
        }
    }
}

/// Runs [`complete_resignations`] once an hour (and at start-up), so a
/// resignation takes effect within an hour of its day beginning.
pub fn spawn_resignations(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match complete_resignations(&state).await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "resignations took effect"),
                Err(err) => tracing::warn!(error = %err.log_class(), "resignation run failed"),
            }
        }
    })
}

/// Whether a unit is a district (for the receiving side of transfers).
pub async fn is_district(state: &AppState, unit: Uuid) -> Result<bool, ApiError> {
    Ok(org_units::get(&state.db, unit).await?.kind == OrgUnitKind::District)
}
