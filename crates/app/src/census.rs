//! Member counts at a cut-off date, per district or per branch of one
//! district, and the delegate key computed from them. Every late entry
//! distorts these figures: a declaration that made someone a member by
//! statute on the day but has no record yet is counted beside them, so the
//! cost of late entry shows as members, and as seats.

use chrono::{Datelike, NaiveDate};
use kartei_domain::application::objection_deadline;
use kartei_domain::apportionment::{ApportionmentError, DistrictSeats, Method, Request, apportion};
use kartei_domain::census::{AgeLimits, year_before};
use kartei_domain::staff::OrgUnit;
use kartei_domain::{Action, Actor, OrgUnitKind, authorize};
use kartei_persistence::census::{self, CensusQuery, Source};
use kartei_persistence::org_units;
use kartei_persistence::reports::Grouping;
use uuid::Uuid;

pub use kartei_persistence::census::CensusFigures;

use crate::checks::Checks;
use crate::reports::{UnitRows, group_by, unit_rows};
use crate::{App, AppError, AppResult};

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
    let mut figures = census::count(&app.db, &query, Source::Census).await?;
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

/// What a statute asks the delegate key for.
#[derive(Debug, Clone, Default)]
pub struct DelegateRequest {
    /// The day the members are counted; default: 31 December of last
    /// year, the day statutes name.
    pub as_of: Option<NaiveDate>,
    pub seats: Option<u32>,
    /// `hare-niemeyer`, `sainte-lague`, `adams` or `dhondt`.
    pub method: Option<String>,
    pub pairs: bool,
    pub base_seats: u32,
}

/// One district in the delegate key, counted twice: with the members on
/// record, and with the members by statute who had none yet.
#[derive(Debug, Clone)]
pub struct DistrictKey {
    pub unit: OrgUnit,
    pub members_by_statute: u64,
    pub on_record: DistrictSeats,
    pub with_members_by_statute: DistrictSeats,
}

#[derive(Debug, Clone)]
pub struct DelegateKey {
    pub as_of: NaiveDate,
    pub request: Request,
    pub rows: Vec<DistrictKey>,
    /// For a divisor method, the quotient of the last unit given, in each
    /// of the two keys.
    pub last_quotient: Option<f64>,
    pub last_quotient_with_members_by_statute: Option<f64>,
}

/// The seats each district gets on `as_of` by the request's method, from
/// its members on record, and again with its members by statute counted.
/// Districts are listed, and ties the members leave undecided are given,
/// in the order of their short codes. Declarations no district holds yet
/// cannot be counted for any district and are left out of both keys.
pub async fn delegates(app: &App, actor: &Actor, input: DelegateRequest) -> AppResult<DelegateKey> {
    authorize(actor, Action::ReadDelegateKey, None)?;
    let today = app.today();
    let as_of = input.as_of.unwrap_or_else(|| end_of_last_year(today));
    let mut checks = Checks::new();
    if as_of > today {
        checks.fail("as_of", "must not be in the future");
    }
    let seats = checks.field("seats", input.seats.ok_or("is required"));
    let method = checks.field(
        "method",
        input
            .method
            .as_deref()
            .ok_or_else(|| "is required".to_owned())
            .and_then(|name| name.parse::<Method>().map_err(|err| err.to_string())),
    );
    checks.finish()?;
    let (Some(seats), Some(method)) = (seats, method) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "checks passed without seats or method"
        )));
    };
    let request = Request::new(seats, method, input.pairs, input.base_seats).map_err(refused)?;

    let mut districts: Vec<OrgUnit> = org_units::all(&app.db)
        .await?
        .into_iter()
        .filter(|u| u.kind == OrgUnitKind::District)
        .collect();
    districts.sort_by(|a, b| a.short_code.cmp(&b.short_code));
    let query = CensusQuery {
        as_of,
        year_before: year_before(as_of),
        ages: AgeLimits::on(as_of),
        by_statute_before: by_statute_before(app, as_of)?,
        grouping: Grouping::Districts { only: None },
    };
    let figures = census::count(&app.db, &query, Source::Census).await?;
    let count = |unit: &OrgUnit| figures.get(&Some(unit.id)).copied().unwrap_or_default();
    let on_record: Vec<u64> = districts
        .iter()
        .map(|u| u64::try_from(count(u).members).unwrap_or(0))
        .collect();
    let by_statute: Vec<u64> = districts
        .iter()
        .map(|u| u64::try_from(count(u).members_by_statute).unwrap_or(0))
        .collect();
    let with_statute: Vec<u64> = on_record
        .iter()
        .zip(&by_statute)
        .map(|(members, extra)| members + extra)
        .collect();
    let key = apportion(request, &on_record).map_err(refused)?;
    let key_with = apportion(request, &with_statute).map_err(refused)?;
    let rows = districts
        .into_iter()
        .zip(by_statute)
        .zip(key.districts.iter().zip(&key_with.districts))
        .map(
            |((unit, members_by_statute), (on_record, with))| DistrictKey {
                unit,
                members_by_statute,
                on_record: *on_record,
                with_members_by_statute: *with,
            },
        )
        .collect();
    Ok(DelegateKey {
        as_of,
        request,
        rows,
        last_quotient: key.last_quotient,
        last_quotient_with_members_by_statute: key_with.last_quotient,
    })
}

/// 31 December of the year before `today`: the day statutes count on,
/// and the delegate key's default day.
pub fn end_of_last_year(today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(today.year() - 1, 12, 31).unwrap_or(today)
}

/// A key the numbers cannot give is a refused request: on the parameter
/// at fault, or on `seats` when there is nothing to give them by.
fn refused(err: ApportionmentError) -> AppError {
    AppError::invalid(err.field().unwrap_or("seats"), err)
}
