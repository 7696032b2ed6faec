//! The daily digest: at `reminders.digest_time` (Europe/Berlin) every unit
//! that owes overdue steps gets one e-mail listing them by stage; items
//! overdue twice as long go to the state office as an escalation. A row in
//! `digests` per unit, day and kind makes it exactly once per day, however
//! many instances run the scheduler.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveTime, Utc};
use kartei_domain::application::Application;
use kartei_domain::{OrgUnit, OrgUnitKind};
use kartei_persistence::applications::{self, ListFilter, UnitFilter};
use kartei_persistence::{Tx, digests, org_units, outbox, unit_of_work};
use uuid::Uuid;

use crate::mail_texts::{self as templates, DigestLine};
use crate::onboarding::{clocks_of, overdue_cutoffs};
use crate::{App, AppError, AppResult, local_time};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestReport {
    pub digests: usize,
    pub escalations: usize,
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

    let mut report = DigestReport::default();
    for (unit_id, mut lines) in owed {
        let Some(unit) = units.get(&unit_id) else {
            continue;
        };
        let Some(recipient) = unit.email.as_ref().or(state_unit.email.as_ref()) else {
            tracing::warn!(org_unit_id = %unit_id, "digest skipped: the unit has no e-mail address");
            continue;
        };
        lines.sort_by_key(|l| (l.stage_label, std::cmp::Reverse(l.stage_days)));
        let mail = templates::digest(&links, recipient.to_string(), &unit.name, today, &lines);
        if send_once(app, unit_id, today, "digest", mail, now).await? {
            report.digests += 1;
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

/// Claims the (unit, day, kind) digest and queues its mail in one
/// transaction; false when it was claimed before.
async fn send_once(
    app: &App,
    unit: Uuid,
    day: chrono::NaiveDate,
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
