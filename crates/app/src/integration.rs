//! Integration after admission: recording a step a new member is owed
//! (welcome, first invitation, as configured in `integration.steps`), a
//! member's steps with their clocks, the register of members still owed a
//! step, and the figures per unit and step. The rules (what is due when,
//! who owes it, what a repeat is) are `kartei_domain::integration`'s; the
//! SQL is `kartei_persistence::integration`'s.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kartei_domain::application::ContactChannel;
use kartei_domain::authz::MemberView;
use kartei_domain::integration::{
    self as rules, Done, IntegrationPlan, OwedStep, RecordError, Recording, StepClock,
};
use kartei_domain::lag::{Percentiles, percentiles_of};
use kartei_domain::member::Member;
use kartei_domain::staff::OrgUnit;
use kartei_domain::text::Note;
use kartei_domain::{Action, Actor, OrgUnitKind, authorize};
use kartei_persistence::integration::{
    self as stored, DueCursor, FigureRow, FiguresQuery, OpenSteps, OverdueStep, OwedItem,
    OwedQuery, StepClockCutoffs, StepCutoff, StepLevel,
};
use kartei_persistence::org_units;
use kartei_persistence::reports::{Grouping, Source};
use kartei_persistence::{Tx, unit_of_work};
use serde_json::json;
use uuid::Uuid;

use crate::checks::Checks;
use crate::members::{self, Seen};
use crate::paging::{Cursor, PageRequest};
use crate::reports::{self as lag_reports, LagRequest};
use crate::scope::{requested_unit, visible_units};
use crate::{App, AppError, AppResult, audit_log};

/// The audit action of a step recorded as done.
pub const STEP_DONE: &str = "integration_step_done";

/// One step of a member as a reader sees it today.
#[derive(Debug, Clone, PartialEq)]
pub struct StepView {
    pub step: String,
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
    pub done: Option<Done>,
    /// Still owed and past its due day.
    pub overdue: bool,
    /// Still owed and past twice its level.
    pub escalated: bool,
}

/// The steps of one member, in configuration order; empty for a member
/// who owes none (imported, or entered before the steps existed).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberSteps {
    pub member_id: Uuid,
    pub steps: Vec<StepView>,
}

fn configured(app: &App) -> &IntegrationPlan {
    app.settings.integration.plan()
}

/// The configured steps `member` has, with their clocks on `today`.
fn views(
    plan: &IntegrationPlan,
    member: &Member,
    stored: &[OwedStep],
    today: NaiveDate,
) -> Vec<StepView> {
    let owes = rules::owes(member.status);
    plan.steps()
        .iter()
        .filter_map(|step| {
            let owed = stored.iter().find(|s| s.step == step.name.as_str())?;
            let clock = rules::clock(owed.started_on, step.level_days, today);
            let open = owes && owed.done.is_none();
            Some(StepView {
                step: owed.step.clone(),
                started_on: owed.started_on,
                due_on: clock.due_on,
                done: owed.done.clone(),
                overdue: open && clock.overdue,
                escalated: open && clock.escalated,
            })
        })
        .collect()
}

async fn steps_of(app: &App, member: &Member) -> AppResult<MemberSteps> {
    let stored = stored::for_member(&app.db, member.id).await?;
    Ok(MemberSteps {
        member_id: member.id,
        steps: views(configured(app), member, &stored, app.today()),
    })
}

/// A member record with its integration steps, for a reader who sees it in
/// full (a former district reading by home ties sees no steps).
#[derive(Debug, Clone)]
pub struct MemberRecord {
    pub seen: Seen,
    pub integration: Option<Vec<StepView>>,
}

/// One member as `actor` may see it, with its integration steps.
pub async fn member_record(app: &App, actor: &Actor, id: Uuid) -> AppResult<MemberRecord> {
    let seen = members::get(app, actor, id).await?;
    let integration = match seen.view {
        MemberView::Full => Some(steps_of(app, &seen.member).await?.steps),
        MemberView::HomeTies => None,
    };
    Ok(MemberRecord { seen, integration })
}

/// A step recorded as done, as the office types it.
#[derive(Debug, Clone)]
pub struct StepInput {
    /// One of `integration.steps`.
    pub step: String,
    pub done_on: NaiveDate,
    /// phone, email, in_person, letter, video or other
    pub channel: String,
    pub note: Option<String>,
}

fn record_error(err: RecordError) -> AppError {
    match err {
        RecordError::InvalidDate(message) => AppError::invalid("done_on", message),
        other => AppError::Conflict(other.to_string()),
    }
}

/// Records that the member was given a step. The same again answers the
/// steps as they are and records nothing; other data on a done step, or a
/// step the member does not owe, is a conflict.
pub async fn record(
    app: &App,
    actor: &Actor,
    member_id: Uuid,
    input: StepInput,
) -> AppResult<MemberSteps> {
    authorize(actor, Action::RecordIntegrationStep, None)?;
    let today = app.today();
    let mut checks = Checks::new();
    let step = checks.field("step", configured(app).parse_step(&input.step));
    let channel = checks.field("channel", ContactChannel::parse(&input.channel));
    let note = checks.field("note", Note::optional(input.note.as_deref()));
    if let Err(RecordError::InvalidDate(message)) = rules::done_on_in_reach(input.done_on, today) {
        checks.fail("done_on", message);
    }
    checks.finish()?;
    let (Some(step), Some(channel), Some(note)) = (step, channel, note) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };
    let name = step.name.as_str().to_owned();
    let done = Done {
        done_on: input.done_on,
        channel,
        note,
    };
    let member = members::read_full(app, actor, member_id, Action::RecordIntegrationStep).await?;
    // A second recorder may come first between reading and writing: then
    // the step is read again and the repeat rule decides.
    for _ in 0..3 {
        let steps = stored::for_member(&app.db, member.id).await?;
        let current = steps.iter().find(|s| s.step == name);
        let recording =
            rules::record(&name, current, member.left_on, &done, today).map_err(record_error)?;
        let Some(current) = current.filter(|_| recording == Recording::Record) else {
            return Ok(MemberSteps {
                member_id: member.id,
                steps: views(configured(app), &member, &steps, today),
            });
        };
        let now = app.now();
        let written = unit_of_work(&app.db, async |txn: &Tx| -> AppResult<bool> {
            if !stored::mark_done(txn, member.id, current.id, &done, actor.user_id, now).await? {
                return Ok(false);
            }
            // The day, channel and note are about the person: sealed with
            // the member's key like every changed value of the record.
            let changes = vec![
                ("done_on", json!(null), json!(done.done_on)),
                ("channel", json!(null), json!(done.channel.as_str())),
                (
                    "note",
                    json!(null),
                    json!(done.note.as_ref().map(Note::as_str)),
                ),
            ];
            members::audit_member(
                txn,
                Some(actor.user_id),
                member.id,
                STEP_DONE,
                changes,
                json!({ "step": name }),
                now,
            )
            .await?;
            Ok(true)
        })
        .await?;
        if written {
            return steps_of(app, &member).await;
        }
    }
    Err(AppError::Conflict(
        "The step is being recorded by others; try again.".into(),
    ))
}

/// What part of the register of owed steps is asked for.
#[derive(Debug, Clone, Default)]
pub struct UnwelcomedRequest {
    /// A district or local branch within the caller's scope.
    pub org_unit_id: Option<Uuid>,
    pub page: PageRequest,
    /// Every row from the page's cursor on, for a download, instead of one
    /// page; recorded in the audit trail as an export.
    pub export: bool,
}

/// A step a member is still owed, and how long it has been open.
#[derive(Debug, Clone)]
pub struct UnwelcomedRow {
    pub item: OwedItem,
    /// The branch, else the district, that owes the step.
    pub owner: Uuid,
    pub clock: StepClock,
}

#[derive(Debug, Clone, Default)]
pub struct Unwelcomed {
    pub rows: Vec<UnwelcomedRow>,
    /// Where the next page starts; `None` on the last page and for an
    /// export.
    pub next_cursor: Option<String>,
}

/// Every step still owed in `actor`'s scope, the one due first first.
pub async fn unwelcomed(
    app: &App,
    actor: &Actor,
    request: UnwelcomedRequest,
) -> AppResult<Unwelcomed> {
    authorize(actor, Action::ReadUnwelcomed, None)?;
    let limit = request.page.size()?;
    let after: Option<DueCursor> = request.page.position()?;
    let export_filter = json!({ "org_unit_id": request.org_unit_id });
    let Some(scope) = visible_units(actor) else {
        if request.export {
            audit_log::record_export(app, actor, "unwelcomed", export_filter, 0).await?;
        }
        return Ok(Unwelcomed::default());
    };
    let unit = requested_unit(app, request.org_unit_id).await?;
    let plan = configured(app);
    let query = OwedQuery {
        scope,
        unit,
        steps: plan
            .steps()
            .iter()
            .map(|s| StepLevel {
                step: s.name.as_str().to_owned(),
                level_days: s.level_days,
            })
            .collect(),
    };
    let today = app.today();
    let row = |item: OwedItem| {
        let level = plan.step(&item.step)?.level_days;
        Some(UnwelcomedRow {
            owner: rules::owner(item.district_id, item.local_id),
            clock: rules::clock(item.started_on, level, today),
            item,
        })
    };
    if !request.export {
        let (page, next) = stored::owed(&app.db, &query, after, limit).await?;
        return Ok(Unwelcomed {
            rows: page.into_iter().filter_map(row).collect(),
            next_cursor: next.as_ref().map(Cursor::encode),
        });
    }
    const BATCH: u64 = 1000;
    let mut rows = Vec::new();
    let mut cursor = after;
    loop {
        let (page, next) = stored::owed(&app.db, &query, cursor, BATCH).await?;
        rows.extend(page.into_iter().filter_map(row));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    audit_log::record_export(app, actor, "unwelcomed", export_filter, rows.len()).await?;
    Ok(Unwelcomed {
        rows,
        next_cursor: None,
    })
}

/// The figures of one step in one unit, over the steps started in the
/// period.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFigures {
    pub unit: OrgUnit,
    pub step: String,
    pub level_days: u32,
    /// Steps started in the period: members admitted or entered then.
    pub admitted: i64,
    /// Of those, done.
    pub done: i64,
    /// Of those, still owed now (members who left owe nothing).
    pub open: i64,
    /// Still owed and past the level today.
    pub overdue: i64,
    /// Days from start to done, of the done ones.
    pub days: Percentiles,
    /// Done within the level.
    pub done_within_level: i64,
    /// `done_within_level / admitted`; `None` when none were admitted.
    pub share_within_level: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct IntegrationFigures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day open steps were measured against their levels.
    pub as_of: NaiveDate,
    /// `district` or `local`.
    pub group_by: &'static str,
    /// Per unit, each configured step in order.
    pub rows: Vec<StepFigures>,
}

/// Per district (or per branch of one district) and step: how many steps
/// started in the period, how many are done, how long that took, and how
/// many are still owed. No person's data. `from`/`to` are on the day the
/// steps started; who may read it and which rows are those of the
/// entry-lag report.
pub async fn figures(
    app: &App,
    actor: &Actor,
    request: LagRequest,
) -> AppResult<IntegrationFigures> {
    let plan_of_rows = plan_rows(app, actor, request).await?;
    let steps = configured(app).steps();
    let query = FiguresQuery {
        from: plan_of_rows.from,
        to: plan_of_rows.to,
        grouping: plan_of_rows.grouping,
        today: plan_of_rows.today,
        steps: steps
            .iter()
            .map(|s| StepCutoff {
                step: s.name.as_str().to_owned(),
                overdue_started_before: rules::started_before(s.level_days, plan_of_rows.today, 1),
            })
            .collect(),
    };
    let histogram = stored::figures(&app.db, &query, Source::Rollup).await?;
    let mut rows = Vec::new();
    for (key, unit) in plan_of_rows.rows {
        for step in steps {
            let bins: Vec<&FigureRow> = histogram
                .iter()
                .filter(|r| r.unit == key && r.step == step.name.as_str())
                .collect();
            rows.push(step_figures(
                unit.clone(),
                step.name.as_str(),
                step.level_days,
                &bins,
            ));
        }
    }
    Ok(IntegrationFigures {
        from: plan_of_rows.from,
        to: plan_of_rows.to,
        as_of: plan_of_rows.today,
        group_by: lag_reports::group_by(plan_of_rows.grouping),
        rows,
    })
}

/// The figures of one unit and step from its histogram bins.
fn step_figures(unit: OrgUnit, step: &str, level_days: u32, bins: &[&FigureRow]) -> StepFigures {
    let admitted: i64 = bins.iter().map(|b| b.n).sum();
    let mut histogram: Vec<(i64, u64)> = bins
        .iter()
        .filter_map(|b| Some((b.days?, u64::try_from(b.n).unwrap_or(0))))
        .collect();
    histogram.sort_unstable();
    let done: i64 = bins.iter().filter(|b| b.days.is_some()).map(|b| b.n).sum();
    let done_within_level: i64 = bins
        .iter()
        .filter(|b| b.days.is_some_and(|d| d <= i64::from(level_days)))
        .map(|b| b.n)
        .sum();
    StepFigures {
        unit,
        step: step.to_owned(),
        level_days,
        admitted,
        done,
        open: bins.iter().map(|b| b.open).sum(),
        overdue: bins.iter().map(|b| b.overdue).sum(),
        days: percentiles_of(&histogram),
        done_within_level,
        share_within_level: (admitted > 0).then(|| done_within_level as f64 / admitted as f64),
    }
}

/// The period, grouping and rows of the report, as the entry-lag report
/// cuts them.
struct Rows {
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    grouping: Grouping,
    rows: Vec<(Option<Uuid>, OrgUnit)>,
}

async fn plan_rows(app: &App, actor: &Actor, request: LagRequest) -> AppResult<Rows> {
    let plan = lag_reports::plan(app, actor, request).await?;
    let grouping = plan.query.grouping;
    let rows = plan
        .rows
        .into_iter()
        // Every member is held by a district: the entry-lag report's row
        // of the state office's queue has no members.
        .filter(|(key, _)| key.is_some() || matches!(grouping, Grouping::Branches { .. }))
        .collect();
    Ok(Rows {
        from: plan.query.from,
        to: plan.query.to,
        today: plan.today,
        grouping,
        rows,
    })
}

/// The configured steps with the days before which an open one is
/// overdue and escalated on `today`, as the queries compare them.
pub(crate) fn clock_cutoffs(app: &App, today: NaiveDate) -> Vec<StepClockCutoffs> {
    configured(app)
        .steps()
        .iter()
        .map(|s| StepClockCutoffs {
            step: s.name.as_str().to_owned(),
            overdue_started_before: rules::started_before(s.level_days, today, 1),
            escalated_started_before: rules::started_before(s.level_days, today, 2),
        })
        .collect()
}

/// An overdue step as the daily digest lists it: the membership number,
/// the step, its clock, and who owes it.
#[derive(Debug, Clone)]
pub struct OverdueRow {
    pub item: OverdueStep,
    /// The branch, else the district, that owes the step.
    pub owner: Uuid,
    pub clock: StepClock,
}

/// Every open step past its level today, over all units, oldest first:
/// what the daily digest lists and escalates. Not tied to a staff member.
pub async fn overdue_steps(app: &App, today: NaiveDate) -> AppResult<Vec<OverdueRow>> {
    let plan = configured(app);
    let rows = stored::overdue(&app.db, &clock_cutoffs(app, today)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|item| {
            let level = plan.step(&item.step)?.level_days;
            let clock = rules::clock(item.started_on, level, today);
            // The query's cut-offs and the domain's clock say the same.
            clock.overdue.then_some(OverdueRow {
                owner: rules::owner(item.district_id, item.local_id),
                clock,
                item,
            })
        })
        .collect())
}

/// Open steps per district and step, for the operator's gauges.
pub struct StepGauges {
    /// Every district by short code.
    pub districts: Vec<(Uuid, String)>,
    /// The configured steps, in order.
    pub steps: Vec<String>,
    pub counts: BTreeMap<(Uuid, String), OpenSteps>,
}

/// The figures behind the integration gauges: open, overdue and escalated
/// steps per district and step, today. No person's data.
pub async fn step_gauges(app: &App) -> AppResult<StepGauges> {
    let today = app.today();
    let counts = stored::open_by_district_and_step(&app.db, &clock_cutoffs(app, today)).await?;
    let districts = org_units::all(&app.db)
        .await?
        .into_iter()
        .filter(|u| u.kind == OrgUnitKind::District)
        .map(|u| (u.id, u.short_code))
        .collect();
    Ok(StepGauges {
        districts,
        steps: configured(app)
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(days: Option<i64>, n: i64, open: i64, overdue: i64) -> FigureRow {
        FigureRow {
            unit: None,
            step: "welcome".into(),
            days,
            n,
            open,
            overdue,
        }
    }

    fn unit() -> OrgUnit {
        OrgUnit {
            id: Uuid::nil(),
            name: "Dresden".into(),
            kind: kartei_domain::OrgUnitKind::District,
            parent_id: None,
            short_code: "DD".into(),
            email: None,
            version: 1,
            created_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            updated_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        }
    }

    #[test]
    fn figures_of_a_step_come_from_its_bins() {
        // Done after 2, 10, 14 and 20 days; three open, one of them overdue,
        // one more not owed (the member left).
        let bins = [
            bin(Some(10), 1, 0, 0),
            bin(Some(2), 1, 0, 0),
            bin(Some(20), 1, 0, 0),
            bin(Some(14), 1, 0, 0),
            bin(None, 4, 3, 1),
        ];
        let refs: Vec<&FigureRow> = bins.iter().collect();
        let f = step_figures(unit(), "welcome", 14, &refs);
        assert_eq!((f.admitted, f.done, f.open, f.overdue), (8, 4, 3, 1));
        // 2, 10, 14, 20: median 12, p90 at 1 + 3 × 0.9 = 3.7 → 14 + 0.7 × 6.
        assert_eq!(f.days.median, Some(12.0));
        assert!(f.days.p90.is_some_and(|p| (p - 18.2).abs() < 1e-9));
        assert_eq!(f.done_within_level, 3);
        assert_eq!(f.share_within_level, Some(3.0 / 8.0));
        let none = step_figures(unit(), "welcome", 14, &[]);
        assert_eq!((none.admitted, none.share_within_level), (0, None));
        assert_eq!(none.days, Percentiles::default());
    }
}
