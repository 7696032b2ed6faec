//! The entry-lag reports: where declarations wait before they are entered,
//! per district or per local branch; the register of declarations not
//! entered yet; and the waiting figures an operator alerts on. The figures
//! come from `kartei_persistence::reports`; this module decides who sees
//! which units. Drawing and CSV are the front end's.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use kartei_domain::application::{self, Application};
use kartei_domain::authz::{Scope, visible_scope};
use kartei_domain::lag::{Clocks, LagStage};
use kartei_domain::staff::OrgUnit;
use kartei_domain::{Action, Actor, OrgUnitKind, authorize};
use kartei_persistence::applications::{self as stored_applications, AgeCursor, UnitFilter};
use kartei_persistence::org_units;
use kartei_persistence::reports::{
    self, Grouping, LagQuery, MonthlyMedian, Source, UnitFigures, Waiting,
};
use uuid::Uuid;

use crate::onboarding::{self, clocks_of};
use crate::paging::{Cursor, PageRequest};
use crate::scope::{requested_unit, visible_units};
use crate::{App, AppError, AppResult, audit_log};

/// The period and unit a lag report is asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct LagRequest {
    /// First day of `received_on`; default: the first day of the month
    /// eleven months before `to`, so twelve months in all.
    pub from: Option<NaiveDate>,
    /// Last day of `received_on`, included; default: today.
    pub to: Option<NaiveDate>,
    /// A district: one row per local branch of it (plus one for what the
    /// district holds without a branch). The state, or none: one row per
    /// district.
    pub org_unit_id: Option<Uuid>,
}

/// The figures of one row: a district or branch, or (for the declarations
/// no district or branch holds yet) the state unit or the district itself.
#[derive(Debug, Clone)]
pub struct UnitLag {
    pub unit: OrgUnit,
    pub figures: UnitFigures,
}

#[derive(Debug, Clone)]
pub struct EntryLag {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day open items were measured against their service levels.
    pub as_of: NaiveDate,
    /// `district` or `local`.
    pub group_by: &'static str,
    pub rows: Vec<UnitLag>,
}

/// One month of one unit's trend.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthLag {
    /// `YYYY-MM` of `received_on`.
    pub month: String,
    /// Declarations of that month entered so far.
    pub entered: i64,
    pub median_lag_days: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct UnitTrend {
    pub unit: OrgUnit,
    /// Every month of the period, oldest first.
    pub months: Vec<MonthLag>,
}

#[derive(Debug, Clone)]
pub struct Trend {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: &'static str,
    /// The months of the period, as `YYYY-MM`.
    pub months: Vec<String>,
    pub rows: Vec<UnitTrend>,
}

/// The period and the rows a caller asked for, checked against its scope
/// (shared with the integration report, which is cut the same way).
pub(crate) struct Plan {
    pub(crate) query: LagQuery,
    pub(crate) today: NaiveDate,
    /// The unit of each row key, in the order rows are listed.
    pub(crate) rows: Vec<(Option<Uuid>, OrgUnit)>,
}

fn default_from(to: NaiveDate) -> NaiveDate {
    to.with_day(1)
        .and_then(|first| first.checked_sub_months(Months::new(11)))
        .unwrap_or(to)
}

pub(crate) async fn plan(app: &App, actor: &Actor, request: LagRequest) -> AppResult<Plan> {
    authorize(actor, Action::ReadUnitFigures, None)?;
    let today = app.today();
    let to = request.to.unwrap_or(today);
    let from = request.from.unwrap_or_else(|| default_from(to));
    if from > to {
        return Err(AppError::invalid("from", "must not be after to"));
    }
    let UnitRows { grouping, rows } = unit_rows(app, actor, request.org_unit_id).await?;
    Ok(Plan {
        query: LagQuery {
            from,
            to,
            grouping,
            today,
            overdue: onboarding::overdue_cutoffs(app, today),
            escalated: onboarding::escalation_cutoffs(app, today),
        },
        today,
        rows,
    })
}

/// The rows of a figures report and how they are cut.
pub(crate) struct UnitRows {
    pub(crate) grouping: Grouping,
    /// The unit of each row key, in the order rows are listed.
    pub(crate) rows: Vec<(Option<Uuid>, OrgUnit)>,
}

/// The rows a figures report shows `actor` when it asks for `org_unit_id`:
/// every district and the state's own row, or the branches of one district
/// and the district's own row; a district office gets its own district.
pub(crate) async fn unit_rows(
    app: &App,
    actor: &Actor,
    org_unit_id: Option<Uuid>,
) -> AppResult<UnitRows> {
    authorize(actor, Action::ReadUnitFigures, None)?;
    let units = org_units::all(&app.db).await?;
    let state_unit = units.iter().find(|u| u.kind == OrgUnitKind::State).cloned();
    let scope = visible_scope(actor);
    let requested = match org_unit_id {
        Some(id) => Some(
            units
                .iter()
                .find(|u| u.id == id)
                .cloned()
                .ok_or_else(|| AppError::invalid("org_unit_id", "no such org unit"))?,
        ),
        None => None,
    };
    let grouping = match (requested, scope) {
        (_, Scope::Nothing) => return Err(AppError::NotFound),
        (Some(unit), _) if unit.kind == OrgUnitKind::Local => {
            return Err(AppError::invalid(
                "org_unit_id",
                "must be the state or a district",
            ));
        }
        (Some(unit), _) if unit.kind == OrgUnitKind::District => {
            let path = org_units::path_of(&app.db, unit.id).await?;
            authorize(actor, Action::ReadUnitFigures, Some(&path))?;
            Grouping::Branches { district: unit.id }
        }
        // The state unit, or nothing asked for.
        (_, Scope::Everything) => Grouping::Districts { only: None },
        (Some(_), Scope::Subtree(_)) => return Err(AppError::NotFound),
        (None, Scope::Subtree(own)) => Grouping::Districts { only: Some(own) },
    };
    let rows = match grouping {
        Grouping::Districts { only } => {
            let mut rows: Vec<(Option<Uuid>, OrgUnit)> = units
                .iter()
                .filter(|u| u.kind == OrgUnitKind::District && only.is_none_or(|d| d == u.id))
                .map(|u| (Some(u.id), u.clone()))
                .collect();
            if only.is_none()
                && let Some(state_unit) = state_unit
            {
                rows.push((None, state_unit));
            }
            rows
        }
        Grouping::Branches { district } => {
            let mut rows: Vec<(Option<Uuid>, OrgUnit)> = units
                .iter()
                .filter(|u| u.kind == OrgUnitKind::Local && u.parent_id == Some(district))
                .map(|u| (Some(u.id), u.clone()))
                .collect();
            if let Some(own) = units.iter().find(|u| u.id == district) {
                rows.push((None, own.clone()));
            }
            rows
        }
    };
    Ok(UnitRows { grouping, rows })
}

pub(crate) fn group_by(grouping: Grouping) -> &'static str {
    match grouping {
        Grouping::Districts { .. } => "district",
        Grouping::Branches { .. } => "local",
    }
}

/// Per district (or per branch of one district): how many declarations of
/// the period were received, entered and are still open, how long entry
/// took, and the same per stage. No person's data.
pub async fn entry_lag(app: &App, actor: &Actor, request: LagRequest) -> AppResult<EntryLag> {
    let plan = plan(app, actor, request).await?;
    let mut figures = reports::entry_lag(&app.db, &plan.query, Source::Rollup).await?;
    let rows = plan
        .rows
        .into_iter()
        .map(|(key, unit)| UnitLag {
            unit,
            figures: figures.remove(&key).unwrap_or_default(),
        })
        .collect();
    Ok(EntryLag {
        from: plan.query.from,
        to: plan.query.to,
        as_of: plan.today,
        group_by: group_by(plan.query.grouping),
        rows,
    })
}

/// The months from `from` to `to`, as `YYYY-MM`.
fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut months = Vec::new();
    let mut month = from.with_day(1).unwrap_or(from);
    while month <= to {
        months.push(month.format("%Y-%m").to_string());
        match month.checked_add_months(Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    months
}

/// The median entry lag per unit and month of `received_on`, for the
/// declarations entered so far.
pub async fn entry_lag_trend(app: &App, actor: &Actor, request: LagRequest) -> AppResult<Trend> {
    let plan = plan(app, actor, request).await?;
    let medians = reports::monthly_medians(&app.db, &plan.query, Source::Rollup).await?;
    let mut by_unit: BTreeMap<(Option<Uuid>, String), MonthlyMedian> = medians
        .into_iter()
        .map(|m| ((m.unit, m.month.format("%Y-%m").to_string()), m))
        .collect();
    let months = months_between(plan.query.from, plan.query.to);
    let rows = plan
        .rows
        .into_iter()
        .map(|(key, unit)| UnitTrend {
            unit,
            months: months
                .iter()
                .map(|month| {
                    let found = by_unit.remove(&(key, month.clone()));
                    MonthLag {
                        month: month.clone(),
                        entered: found.as_ref().map_or(0, |m| m.entered),
                        median_lag_days: found.and_then(|m| m.median_lag_days),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(Trend {
        from: plan.query.from,
        to: plan.query.to,
        group_by: group_by(plan.query.grouping),
        months,
        rows,
    })
}

/// What part of the register of unentered declarations is asked for.
#[derive(Debug, Clone, Default)]
pub struct UnenteredRequest {
    /// A district or local branch within the caller's scope.
    pub org_unit_id: Option<Uuid>,
    pub page: PageRequest,
    /// Every row from the page's cursor on, for a download, instead of one
    /// page; recorded in the audit trail as an export.
    pub export: bool,
}

/// An open declaration and how long it has waited.
#[derive(Debug, Clone)]
pub struct UnenteredRow {
    pub application: Application,
    pub clocks: Clocks,
    /// `handover`, `contact` or `decision`: who owes the next step.
    pub stage: LagStage,
    pub objection_deadline: NaiveDate,
    /// Past the objection deadline: a member by statute without a record.
    pub member_by_statute: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Unentered {
    pub rows: Vec<UnenteredRow>,
    /// Where the next page starts; `None` on the last page (and for an
    /// export).
    pub next_cursor: Option<String>,
}

/// Every open declaration in `actor`'s scope, oldest first: those past
/// their objection deadline (members by statute without a record) lead.
pub async fn unentered(
    app: &App,
    actor: &Actor,
    request: UnenteredRequest,
) -> AppResult<Unentered> {
    authorize(actor, Action::ReadUnentered, None)?;
    let limit = request.page.size()?;
    let after: Option<AgeCursor> = request.page.position()?;
    let org_unit_id = request.org_unit_id;
    let page_limit = (!request.export).then_some(limit);
    let export_filter = serde_json::json!({ "org_unit_id": org_unit_id });
    let Some(scope) = visible_units(actor) else {
        if page_limit.is_none() {
            audit_log::record_export(app, actor, "unentered", export_filter, 0).await?;
        }
        return Ok(Unentered::default());
    };
    let unit = requested_unit(app, org_unit_id).await?;
    let today = app.today();
    let objection_days = app.settings.admission.objection_days;
    let row = |a: Application| {
        let clocks = clocks_of(app, &a, today)?;
        Some(UnenteredRow {
            stage: LagStage::waiting_in(clocks.stage),
            objection_deadline: application::objection_deadline(a.received_on, objection_days),
            member_by_statute: application::member_by_statute(
                a.state.status,
                a.received_on,
                objection_days,
                today,
            ),
            clocks,
            application: a,
        })
    };
    let Some(limit) = page_limit else {
        const BATCH: u64 = 1000;
        let mut rows = Vec::new();
        let mut cursor = after;
        loop {
            let (page, next) =
                stored_applications::list_open_by_age(&app.db, scope, unit, cursor, BATCH).await?;
            rows.extend(page.into_iter().filter_map(row));
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        audit_log::record_export(app, actor, "unentered", export_filter, rows.len()).await?;
        return Ok(Unentered {
            rows,
            next_cursor: None,
        });
    };
    let (page, next) =
        stored_applications::list_open_by_age(&app.db, scope, unit, after, limit).await?;
    Ok(Unentered {
        rows: page.into_iter().filter_map(row).collect(),
        next_cursor: next.as_ref().map(Cursor::encode),
    })
}

/// Open declarations per district (`None`: no district holds them yet) and
/// the stage they wait in, with how many are overdue and escalated today.
pub struct WaitingFigures {
    /// Every district by short code, and `None` for the unassigned.
    pub districts: Vec<(Option<Uuid>, String)>,
    pub counts: BTreeMap<(Option<Uuid>, LagStage), Waiting>,
}

/// The figures behind the operator's gauges; not tied to a staff member
/// (the metrics endpoint carries no personal data).
pub async fn waiting_figures(app: &App) -> AppResult<WaitingFigures> {
    let today = app.today();
    let counts = reports::open_by_district_and_stage(
        &app.db,
        UnitFilter::All,
        &onboarding::overdue_cutoffs(app, today),
        &onboarding::escalation_cutoffs(app, today),
    )
    .await?;
    let mut districts: Vec<(Option<Uuid>, String)> = org_units::all(&app.db)
        .await?
        .into_iter()
        .filter(|u| u.kind == OrgUnitKind::District)
        .map(|u| (Some(u.id), u.short_code))
        .collect();
    districts.push((None, "unassigned".to_owned()));
    Ok(WaitingFigures { districts, counts })
}

/// Open declarations in one stage: how many, and how many of them are
/// overdue and escalated today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owed {
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
}

/// What `actor`'s part of the tree owes now, by the stage the declarations
/// wait in: the start page of every account that works on applications.
/// The state office's queue (declarations no district holds) is listed as
/// [`LagStage::Registration`]: registering is not done until it is routed.
pub async fn owed(app: &App, actor: &Actor) -> AppResult<BTreeMap<LagStage, Owed>> {
    authorize(actor, Action::ReadApplications, None)?;
    let Some(scope) = visible_units(actor) else {
        return Ok(BTreeMap::new());
    };
    let today = app.today();
    let counts = reports::open_by_district_and_stage(
        &app.db,
        scope,
        &onboarding::overdue_cutoffs(app, today),
        &onboarding::escalation_cutoffs(app, today),
    )
    .await?;
    let mut owed: BTreeMap<LagStage, Owed> = BTreeMap::new();
    for ((district, stage), waiting) in counts {
        // What no district holds yet waits in the state office's queue, to
        // be routed by hand: its own entry, not the districts' hand-over.
        let stage = if district.is_none() {
            LagStage::Registration
        } else {
            stage
        };
        let sum = owed.entry(stage).or_default();
        sum.open += waiting.open;
        sum.overdue += waiting.overdue;
        sum.escalated += waiting.escalated;
    }
    Ok(owed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_default_period_is_twelve_months() {
        assert_eq!(default_from(day(2026, 11, 25)), day(2025, 12, 1));
        assert_eq!(
            months_between(day(2025, 12, 1), day(2026, 11, 25)).len(),
            12
        );
        assert_eq!(
            months_between(day(2026, 1, 31), day(2026, 3, 1)),
            ["2026-01", "2026-02", "2026-03"]
        );
    }
}
