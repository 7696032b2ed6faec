//! Changes of a member record: master data under the version edited, the
//! end of a membership by death, expulsion or resignation, and the daily
//! step that makes resignations take effect.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kartei_domain::member::{self, ConsentKind, Consents, Member, MemberStatus};
use kartei_domain::text::Reason;
use kartei_domain::{Action, Actor, authorize};
use kartei_persistence::{Tx, members, unit_of_work};
use serde_json::json;
use uuid::Uuid;

use super::{audit_member, checks_passed, diff, leave_error, read_full};
use crate::checks::Checks;
use crate::person_input::{self, PersonInput};
use crate::scope::route_to;
use crate::{App, AppError, AppResult};

/// An edit of master data: each field given replaces the stored one.
#[derive(Debug, Clone, Default)]
pub struct MemberEdit {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// `Some(None)` removes the address.
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub interests: Option<Vec<String>>,
    /// A local branch of the member's district; `Some(None)` for none.
    pub local_id: Option<Option<Uuid>>,
    /// Consent kind → given (`true`) or withdrawn (`false`).
    pub consents: Option<BTreeMap<String, bool>>,
    /// Deceased or expelled (a resignation is [`resign`]).
    pub status: Option<MemberStatus>,
    /// The day the membership ended; required with `status`.
    pub left_on: Option<NaiveDate>,
    pub status_reason: Option<String>,
}

/// Changes the master data of member `id`, if it is still at `version`.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    edit: MemberEdit,
) -> AppResult<Member> {
    authorize(actor, Action::EditMember, None)?;
    let current = read_full(app, actor, id, Action::EditMember).await?;
    let now = app.now();
    let today = app.today();
    let p = &current.person;
    let email = match &edit.email {
        Some(value) => value.clone(),
        None => p.email.as_ref().map(|e| e.to_string()),
    };
    let phone = match &edit.phone {
        Some(value) => value.clone(),
        None => p.phone.clone(),
    };
    let interests = edit
        .interests
        .clone()
        .unwrap_or_else(|| p.interests.clone());
    let postal_code = edit
        .postal_code
        .clone()
        .unwrap_or_else(|| p.postal_code.to_string());
    let mut checks = Checks::new();
    let person = person_input::parse(
        &mut checks,
        &PersonInput {
            first_name: edit.first_name.as_deref().unwrap_or(&p.first_name),
            last_name: edit.last_name.as_deref().unwrap_or(&p.last_name),
            date_of_birth: edit.date_of_birth.unwrap_or(p.date_of_birth),
            email: email.as_deref(),
            phone: phone.as_deref(),
            street: edit.street.as_deref().unwrap_or(&p.street),
            postal_code: &postal_code,
            city: edit.city.as_deref().unwrap_or(&p.city),
            interests: &interests,
        },
        current.received_on,
    );
    let local_id = match edit.local_id {
        None => Some(current.local_id),
        Some(None) => Some(None),
        Some(Some(branch)) => match route_to(app, branch).await? {
            Some(route) if route.district_id == current.district_id && route.local_id.is_some() => {
                Some(route.local_id)
            }
            _ => {
                checks.fail(
                    "local_id",
                    "must be a local branch of the member's district",
                );
                None
            }
        },
    };
    let mut consents = Consents::try_from(&current.consents).map_err(AppError::internal)?;
    for (kind, given) in edit.consents.iter().flatten() {
        if let Some(kind) = checks.field("consents", ConsentKind::parse(kind)) {
            consents.change(kind, *given, now);
        }
    }
    let ending = match edit.status {
        None => None,
        Some(status) => match member::ending_by_edit(status, edit.left_on, today) {
            Ok(ending) => Some(ending),
            Err(err) => {
                checks.fail(err.field(), err);
                None
            }
        },
    };
    let reason = checks.field(
        "status_reason",
        Reason::optional(edit.status_reason.as_deref()),
    );
    checks.finish()?;
    let person = checks_passed(person)?;
    let local_id = checks_passed(local_id)?;
    let reason = checks_passed(reason)?.map(Reason::into_string);
    let consents = consents.to_map();
    change(
        app,
        actor,
        id,
        Some(version),
        Action::EditMember,
        "member_changed",
        |current| {
            let edited = Member {
                person,
                local_id,
                consents,
                ..current.clone()
            };
            match ending {
                Some((status, on)) => {
                    member::leave(&edited, status, on, reason, today).map_err(leave_error)
                }
                None => Ok(edited),
            }
        },
    )
    .await
}

/// A resignation: the day it takes effect (today, a day past, or up to a
/// year ahead), and why.
#[derive(Debug, Clone)]
pub struct Resignation {
    pub effective_on: NaiveDate,
    pub reason: Option<String>,
}

/// Records a resignation; a day still to come leaves the member active
/// until [`complete_resignations`] on that day.
pub async fn resign(app: &App, actor: &Actor, id: Uuid, input: Resignation) -> AppResult<Member> {
    authorize(actor, Action::RecordResignation, None)?;
    let today = app.today();
    let mut checks = Checks::new();
    if let Err(err) = member::resignation_in_reach(input.effective_on, today) {
        checks.fail(err.field(), err);
    }
    let reason = checks.field("reason", Reason::optional(input.reason.as_deref()));
    checks.finish()?;
    let reason = checks_passed(reason)?.map(Reason::into_string);
    change(
        app,
        actor,
        id,
        None,
        Action::RecordResignation,
        "member_resigned",
        |current| {
            let on = member::not_before_joining(current, input.effective_on)
                .map_err(|err| AppError::invalid(err.field(), err))?;
            member::leave(current, MemberStatus::Left, on, reason, today).map_err(leave_error)
        },
    )
    .await
}

/// Applies `change` to member `id` as `actor` under `action`, if the member
/// is still at `version`; records what changed. A change that changes
/// nothing answers the member as it is.
async fn change(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
    action: Action,
    audit_action: &'static str,
    change: impl FnOnce(&Member) -> AppResult<Member>,
) -> AppResult<Member> {
    let current = read_full(app, actor, id, action).await?;
    if let Some(version) = version
        && version != current.version
    {
        return Err(AppError::Stale);
    }
    let next = change(&current)?;
    let changes = diff(&current, &next);
    if changes.is_empty() {
        return Ok(current);
    }
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<Member> {
        let saved = members::save(txn, &current, &next, now).await?;
        audit_member(
            txn,
            Some(actor.user_id),
            id,
            audit_action,
            changes,
            json!({}),
            now,
        )
        .await?;
        Ok(saved)
    })
    .await
}

/// Makes every resignation whose day has come take effect; the daily
/// part of a resignation. Each member goes in its own unit of work with its
/// audit entry, so an interrupted run continues next time. Returns how many.
pub async fn complete_resignations(app: &App) -> AppResult<usize> {
    const BATCH: u64 = 200;
    let now = app.now();
    let today = app.today();
    let mut done = 0;
    loop {
        let due = members::resignations_due(&app.db, today, BATCH).await?;
        for id in &due {
            let took_effect = unit_of_work(&app.db, async |txn: &Tx| -> AppResult<bool> {
                let current = members::get(txn, *id).await?;
                let Some(left) = member::resignation_due(&current, today) else {
                    return Ok(false);
                };
                members::save(txn, &current, &left, now).await?;
                audit_member(
                    txn,
                    None,
                    current.id,
                    "resignation_effective",
                    diff(&current, &left),
                    json!({}),
                    now,
                )
                .await?;
                Ok(true)
            })
            .await?;
            if took_effect {
                done += 1;
            }
        }
        if (due.len() as u64) < BATCH {
            return Ok(done);
        }
    }
}
