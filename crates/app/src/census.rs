//! Member counts at a cut-off date, per district or per branch of one
//! district, and the delegate key computed from them. Every late entry
//! distorts these figures: a declaration that made someone a member by
//! statute on the day but has no record yet is counted beside them, so the
//! cost of late entry shows as members, and as seats.

use chrono::NaiveDate;
use kartei_domain::application::objection_deadline;
use kartei_domain::census::{AgeLimits, year_before};
use kartei_domain::staff::OrgUnit;
use kartei_persistence::census::{self, CensusFigures, CensusQuery};

use crate::reports::{UnitRows, group_by, unit_rows};
use crate::{App, AppError, AppResult};
use kartei_domain::Actor;
use uuid::Uuid;

/// The day and the unit the counts are asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct CensusRequest {
    /// The cut-off day; default: today.
    pub as_of: Option<NaiveDate>,
    /// A district: one row per branch of it (plus one for the members it
    /// holds without a branch). None or the state: one row per district.
    pub org_unit_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct UnitCensus {
    pub unit: OrgUnit,
    pub figures: CensusFigures,
}

#[derive(Debug, Clone)]
pub struct Census {
    pub as_of: NaiveDate,
    /// The first day of the twelve months the joined and left figures
    /// cover.
    pub joined_since: NaiveDate,
    /// `district` or `local`.
    pub group_by: &'static str,
    pub rows: Vec<UnitCensus>,
}

/// The member counts on `as_of`, per unit the actor may see. The row of
/// the state (or of the district itself, per branch) holds what no unit
/// below holds: members without a branch, declarations not yet routed.
pub async fn members_on(app: &App, actor: &Actor, request: CensusRequest) -> AppResult<Census> {
    let UnitRows { grouping, rows } = unit_rows(app, actor, request.org_unit_id).await?;
    let today = app.today();
    let as_of = request.as_of.unwrap_or(today);
    // Counts of a day to come would change with every entry until then.
    if as_of > today {
        return Err(AppError::invalid("as_of", "must not be in the future"));
    }
    let since = year_before(as_of);
    let query = CensusQuery {
        as_of,
        year_before: since,
        ages: AgeLimits::on(as_of),
        by_statute_before: by_statute_before(app, as_of)?,
        grouping,
    };
    let mut figures = census::count(&app.db, &query).await?;
    let rows = rows
        .into_iter()
        .map(|(key, unit)| UnitCensus {
            unit,
            figures: figures.remove(&key).unwrap_or_default(),
        })
        .collect();
    Ok(Census {
        as_of,
        joined_since: since.succ_opt().unwrap_or(since),
        group_by: group_by(grouping),
        rows,
    })
}

/// The first day of receipt whose objection deadline had not passed on
/// `as_of`: a declaration received before it was a member by statute that
/// day, if still open ([`kartei_domain::application::member_by_statute`]).
fn by_statute_before(app: &App, as_of: NaiveDate) -> AppResult<NaiveDate> {
    let days = app.settings.admission.objection_days;
    // The deadline passed when `as_of > received + days`, so the first
    // day that did not make it is `as_of - days`.
    let first_not = as_of
        .checked_sub_days(chrono::Days::new(u64::from(days)))
        .ok_or_else(|| AppError::invalid("as_of", "is too early"))?;
    debug_assert!(objection_deadline(first_not, days) >= as_of);
    Ok(first_not)
}
