//! The daily digest: at `reminders.digest_time` (Europe/Berlin) every unit
//! that owes overdue steps gets one e-mail listing them by stage; items
//! overdue twice as long go to the state office as an escalation. A row in
//! `digests` per unit, day and kind makes it exactly once per day, however
//! many instances run the scheduler.
//!
//! The integration steps after admission (ADR 0021) join in the same run:
//! a district's digest has a section of the overdue steps of its members
//! (its own and its branches'), each local branch that owes overdue steps
//! gets its own digest (`step_digest`), and steps past twice their
//! level escalate to the district (`step_escalation`), not to the
//! state office.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use kartei_domain::application::Application;
use kartei_domain::{OrgUnit, OrgUnitKind};
use kartei_persistence::applications::{self, ListFilter, UnitFilter};
use kartei_persistence::{Tx, digests, org_units, outbox, unit_of_work};
use uuid::Uuid;

use crate::integration::{self, OverdueRow};
use crate::mail_texts::{self as templates, DigestLine, StepLine};
use crate::onboarding::{clocks_of, overdue_cutoffs};
use crate::{App, AppError, AppResult, local_time};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestReport {
    /// Districts' (and the state office's) digests.
    pub digests: usize,
    /// Escalations of applications to the state office.
    pub escalations: usize,
    /// Local branches' digests of overdue integration steps.
    pub branch_digests: usize,
    /// Escalations of integration steps to districts.
    pub integration_escalations: usize,
}

/// Sends today's digests if it is time and they were not sent yet.
pub async fn run(app: &App, now: DateTime<Utc>) -> AppResult<DigestReport> {
    let due_at = NaiveTime::parse_from_str(&app.settings.reminders.digest_time, "%H:%M")
        .map_err(AppError::internal)?;
    if local_time::local_time(now) < due_at {
        return Ok(DigestReport::default());
    }
    let today = local_time::local_date(now);
    let links = templates::Links::new(&app.settings.server.public_url);
    let units: BTreeMap<Uuid, OrgUnit> = org_units::all(&app.db)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit))
        .collect();
    let Some(state_unit) = units
        .values()
        .find(|u| u.kind == OrgUnitKind::State)
        .cloned()
    else {
        return Ok(DigestReport::default());
    };

    // Who owes the next step: the district (branch items count for their
    // district), or the state office for its manual queue.
    let mut owed: BTreeMap<Uuid, Vec<DigestLine>> = BTreeMap::new();
    let mut escalated: BTreeMap<Uuid, Vec<DigestLine>> = BTreeMap::new();
    for application in overdue_applications(app, now).await? {
        let Some(clocks) = clocks_of(app, &application, today) else {
            continue;
        };
        let owner = application
            .state
            .route
            .map_or(state_unit.id, |route| route.district_id);
        let line = || DigestLine {
            application_id: application.id,
            received_on: application.received_on,
            stage_label: clocks.stage.label_de(),
            stage_days: clocks.stage_days,
            entry_days: clocks.entry_days,
            escalated: clocks.escalated,
        };
        if clocks.overdue {
            owed.entry(owner).or_default().push(line());
        }
        if clocks.escalated {
            escalated.entry(owner).or_default().push(line());
        }
    }

    let steps = StepsOwed::of(&units, today, integration::overdue_steps(app, today).await?);

    let mut report = DigestReport::default();
    let mut digest_units: Vec<Uuid> = owed
        .keys()
        .chain(steps.by_district.keys())
        .copied()
        .collect();
    digest_units.sort_unstable();
    digest_units.dedup();
    for unit_id in digest_units {
        let Some(unit) = units.get(&unit_id) else {
            continue;
        };
        let Some(recipient) = unit.email.as_ref().or(state_unit.email.as_ref()) else {
            tracing::warn!(org_unit_id = %unit_id, "digest skipped: the unit has no e-mail address");
            continue;
        };
        let mut lines = owed.remove(&unit_id).unwrap_or_default();
        lines.sort_by_key(|l| (l.stage_label, std::cmp::Reverse(l.stage_days)));
        let step_lines = steps
            .by_district
            .get(&unit_id)
            .map_or(&[][..], Vec::as_slice);
        let mail = templates::digest(
            &links,
            recipient.to_string(),
            &unit.name,
            today,
            &lines,
            step_lines,
        );
        if send_once(app, unit_id, today, "digest", mail, now).await? {
            report.digests += 1;
        }
    }
    for (branch_id, lines) in &steps.by_branch {
        let Some(branch) = units.get(branch_id) else {
            continue;
        };
        // A branch without an address is told through its district.
        let district = branch.parent_id.and_then(|id| units.get(&id));
        let recipient = branch
            .email
            .as_ref()
            .or(district.and_then(|d| d.email.as_ref()))
            .or(state_unit.email.as_ref());
        let Some(recipient) = recipient else {
            tracing::warn!(org_unit_id = %branch_id, "integration digest skipped: no e-mail address");
            continue;
        };
        let mail = templates::integration_digest(
            &links,
            recipient.to_string(),
            &branch.name,
            today,
            lines,
        );
        if send_once(app, *branch_id, today, "step_digest", mail, now).await? {
            report.branch_digests += 1;
        }
    }
    for (district_id, lines) in &steps.escalated {
        let Some(district) = units.get(district_id) else {
            continue;
        };
        // Like its digest, a district without an address is reached
        // through the state office's.
        let Some(recipient) = district.email.as_ref().or(state_unit.email.as_ref()) else {
            tracing::warn!(org_unit_id = %district_id, "integration escalation skipped: no e-mail address");
            continue;
        };
        let mail = templates::integration_escalation(
            &links,
            recipient.to_string(),
            &district.name,
            today,
            lines,
        );
        if send_once(app, *district_id, today, "step_escalation", mail, now).await? {
            report.integration_escalations += 1;
        }
    }
    if let Some(recipient) = state_unit.email.as_ref().filter(|_| !escalated.is_empty()) {
        let by_unit: Vec<(String, Vec<DigestLine>)> = escalated
            .into_iter()
            .map(|(unit_id, lines)| {
                let name = units
                    .get(&unit_id)
                    .map_or_else(|| unit_id.to_string(), |u| u.name.clone());
                (name, lines)
            })
            .collect();
        let mail = templates::escalation(&links, recipient.to_string(), today, &by_unit);
        if send_once(app, state_unit.id, today, "escalation", mail, now).await? {
            report.escalations += 1;
        }
    }
    Ok(report)
}

/// The overdue integration steps as the digests list them.
#[derive(Default)]
struct StepsOwed {
    /// Every overdue step of a district's members, its branches' included.
    by_district: BTreeMap<Uuid, Vec<StepLine>>,
    /// The overdue steps a local branch owes.
    by_branch: BTreeMap<Uuid, Vec<StepLine>>,
    /// Steps past twice their level, by district.
    escalated: BTreeMap<Uuid, Vec<StepLine>>,
}

impl StepsOwed {
    fn of(units: &BTreeMap<Uuid, OrgUnit>, today: NaiveDate, rows: Vec<OverdueRow>) -> StepsOwed {
        let mut owed = StepsOwed::default();
        for row in rows {
            let line = || StepLine {
                member_id: row.item.member_id,
                membership_number: row.item.membership_number.clone(),
                step: row.item.step.clone(),
                due_on: row.clock.due_on,
                days_overdue: (today - row.clock.due_on).num_days(),
                escalated: row.clock.escalated,
                owner_name: units
                    .get(&row.owner)
                    .map_or_else(|| row.owner.to_string(), |u| u.name.clone()),
            };
            owed.by_district
                .entry(row.item.district_id)
                .or_default()
                .push(line());
            if let Some(branch) = row.item.local_id {
                owed.by_branch.entry(branch).or_default().push(line());
            }
            if row.clock.escalated {
                owed.escalated
                    .entry(row.item.district_id)
                    .or_default()
                    .push(line());
            }
        }
        // Grouped by who owes them, the longest overdue first.
        for lines in owed
            .by_district
            .values_mut()
            .chain(owed.by_branch.values_mut())
            .chain(owed.escalated.values_mut())
        {
            lines.sort_by(|a, b| {
                (
                    &a.owner_name,
                    std::cmp::Reverse(a.days_overdue),
                    &a.membership_number,
                )
                    .cmp(&(
                        &b.owner_name,
                        std::cmp::Reverse(b.days_overdue),
                        &b.membership_number,
                    ))
            });
        }
        owed
    }
}

/// Claims the (unit, day, kind) digest and queues its mail in one
/// transaction; false when it was claimed before.
async fn send_once(
    app: &App,
    unit: Uuid,
    day: NaiveDate,
    kind: &str,
    mail: outbox::NewMail,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<bool> {
        if !digests::claim(txn, unit, day, kind, now).await? {
            return Ok(false);
        }
        outbox::enqueue(txn, mail, now).await?;
        Ok(true)
    })
    .await
}

async fn overdue_applications(app: &App, now: DateTime<Utc>) -> AppResult<Vec<Application>> {
    const PAGE: u64 = 500;
    let filter = ListFilter {
        scope: Some(UnitFilter::All),
        overdue: Some(overdue_cutoffs(app, local_time::local_date(now))),
        ..ListFilter::default()
    };
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = applications::list(&app.db, &filter, after, PAGE).await?;
        all.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}
