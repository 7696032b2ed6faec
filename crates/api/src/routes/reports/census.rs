//! Member counts at a cut-off date and the delegate key computed from
//! them: figures only, as JSON and CSV.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kartei_app::census::{self, CensusRequest, DelegateRequest, DistrictKey, UnitCensus};
use kartei_domain::apportionment::Basis;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::FormatParam;
use crate::auth::Staff;
use crate::csv_out::{ListFormat, decimal_places, excel_csv, yes_no};
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CensusParams {
    /// The cut-off day; default: today (Europe/Berlin).
    pub as_of: Option<NaiveDate>,
    /// A district: one row per local branch of it (plus one for the
    /// members it holds without a branch). The state, or none: one row per
    /// district.
    pub org_unit_id: Option<Uuid>,
}

/// The members of one unit on the cut-off day.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitMembersDto {
    /// The district or branch; for the row of what no unit below holds
    /// (declarations not routed yet, members without a branch), the state
    /// or the district itself.
    pub org_unit_id: Uuid,
    pub short_code: String,
    pub name: String,
    /// `state`, `district` or `local`.
    pub kind: String,
    /// Members on the day, in the unit they belonged to that day: joined
    /// on or before it, not left by it (a membership that ends on a day is
    /// over on that day).
    pub members: i64,
    /// Joined in the twelve months up to the day, counted in the unit
    /// joined.
    pub joined: i64,
    /// Left in the twelve months up to the day, counted in the unit left.
    pub left: i64,
    /// Of `members`, aged up to 35 on the day (no one joins before 14).
    pub age_14_35: i64,
    pub age_36_60: i64,
    /// 61 and older.
    pub age_over_60: i64,
    /// Anonymised former members, whose birth date is gone.
    pub age_unknown: i64,
    /// Declarations whose objection deadline had passed by the day while
    /// they were still open: members by statute without a record. Counted
    /// for the district that holds the declaration now.
    pub members_by_statute: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberCountsReport {
    pub as_of: NaiveDate,
    /// The first day of the twelve months that `joined` and `left` cover.
    pub joined_since: NaiveDate,
    /// `district` or `local`.
    pub group_by: String,
    pub items: Vec<UnitMembersDto>,
}

impl From<UnitCensus> for UnitMembersDto {
    fn from(row: UnitCensus) -> Self {
        let UnitCensus { unit, figures } = row;
        UnitMembersDto {
            org_unit_id: unit.id,
            short_code: unit.short_code,
            name: unit.name,
            kind: unit.kind.as_str().to_owned(),
            members: figures.members,
            joined: figures.joined,
            left: figures.left,
            age_14_35: figures.age_up_to_35,
            age_36_60: figures.age_36_to_60,
            age_over_60: figures.age_over_60,
            age_unknown: figures.age_unknown,
            members_by_statute: figures.members_by_statute,
        }
    }
}

/// Members per district (or per branch of one district) on a cut-off day,
/// joined and left in the twelve months before, age bands, and the members
/// by statute without a record. No person's data.
#[utoipa::path(
    get, path = "/reports/members", tag = "reports", security(("bearer" = [])),
    params(CensusParams, FormatParam),
    responses(
        (status = 200, description = "JSON, or text/csv with ?format=csv", content(
            (MemberCountsReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn member_counts(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<CensusParams>,
    Query(format): Query<FormatParam>,
) -> ApiResult<Response> {
    let request = CensusRequest {
        as_of: params.as_of,
        org_unit_id: params.org_unit_id,
    };
    let report = census::members_on(&state.app, &staff.actor(), request).await?;
    let items: Vec<UnitMembersDto> = report.rows.into_iter().map(Into::into).collect();
    if format.format == Some(ListFormat::Csv) {
        return member_counts_csv(&items);
    }
    Ok(Json(MemberCountsReport {
        as_of: report.as_of,
        joined_since: report.joined_since,
        group_by: report.group_by.to_owned(),
        items,
    })
    .into_response())
}

fn member_counts_csv(items: &[UnitMembersDto]) -> ApiResult<Response> {
    const HEADER: [&str; 11] = [
        "org_unit_id",
        "short_code",
        "name",
        "members",
        "joined",
        "left",
        "age_14_35",
        "age_36_60",
        "age_over_60",
        "age_unknown",
        "members_by_statute",
    ];
    let rows = items.iter().map(|u| {
        vec![
            u.org_unit_id.to_string(),
            u.short_code.clone(),
            u.name.clone(),
            u.members.to_string(),
            u.joined.to_string(),
            u.left.to_string(),
            u.age_14_35.to_string(),
            u.age_36_60.to_string(),
            u.age_over_60.to_string(),
            u.age_unknown.to_string(),
            u.members_by_statute.to_string(),
        ]
    });
    excel_csv("mitgliederbestand.csv", &HEADER, rows)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DelegateParams {
    /// The day the members are counted; default: 31 December of last
    /// year, the day statutes name.
    pub as_of: Option<NaiveDate>,
    /// Seats to give in all (required).
    pub seats: Option<u32>,
    /// `hare-niemeyer`, `sainte-lague`, `adams` or `dhondt` (required).
    pub method: Option<String>,
    /// Give the seats in pairs, each counted as two; `seats` and
    /// `base_seats` must then be even.
    #[serde(default)]
    pub pairs: bool,
    /// Seats every district gets before the rest is given by members.
    #[serde(default)]
    pub base_seats: u32,
}

/// One district's seats, counted with the members on record and again
/// with the members by statute who have no record yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictSeatsDto {
    pub org_unit_id: Uuid,
    pub short_code: String,
    pub name: String,
    /// Members on record on the day.
    pub members: u64,
    /// All its seats: base seats and those won by members, pairs counted
    /// as two.
    pub seats: u32,
    pub base_seats: u32,
    /// Hare-Niemeyer: the district's quota of the units beyond the base
    /// seats (pairs when in pairs) and its fractional part, which competed
    /// for the units left over.
    pub quota: Option<f64>,
    pub remainder: Option<f64>,
    /// A divisor method: members divided by the divisor of the last unit
    /// the district won; null when it won none, or only an Adams first
    /// unit (whose quotient is infinite).
    pub last_quotient: Option<f64>,
    /// Only the order of the list (by short code) decided the last unit
    /// between this district and another with as many members: the statute
    /// may have the lot decide.
    pub tie: bool,
    /// Declarations that made someone a member by statute on the day
    /// without a record.
    pub members_by_statute: u64,
    /// The seats if those members had been entered.
    pub seats_with_members_by_statute: u32,
    /// `seats_with_members_by_statute - seats`: what late entry costs the
    /// district (negative when it gains from others' late entries).
    pub seats_lost_to_late_entry: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DelegateKeyReport {
    pub as_of: NaiveDate,
    pub seats: u32,
    pub method: String,
    pub pairs: bool,
    pub base_seats: u32,
    /// A divisor method's quotient of the last unit given: the members per
    /// unit every district met for each unit it won.
    pub last_quotient: Option<f64>,
    pub last_quotient_with_members_by_statute: Option<f64>,
    /// Whether the order of the list decided a seat somewhere.
    pub tie: bool,
    pub items: Vec<DistrictSeatsDto>,
}

fn district_seats_dto(row: DistrictKey) -> DistrictSeatsDto {
    let DistrictKey {
        unit,
        members_by_statute,
        on_record,
        with_members_by_statute,
    } = row;
    let (quota, remainder, last_quotient) = match on_record.basis {
        Basis::Remainder { quota, remainder } => (Some(quota), Some(remainder), None),
        Basis::Quotient { last_quotient } => (None, None, last_quotient),
    };
    DistrictSeatsDto {
        org_unit_id: unit.id,
        short_code: unit.short_code,
        name: unit.name,
        members: on_record.members,
        seats: on_record.seats,
        base_seats: on_record.base_seats,
        quota,
        remainder,
        last_quotient,
        tie: on_record.tie,
        members_by_statute,
        seats_with_members_by_statute: with_members_by_statute.seats,
        seats_lost_to_late_entry: i64::from(with_members_by_statute.seats)
            - i64::from(on_record.seats),
    }
}

/// The delegate key: the seats each district gets from its members on a
/// cut-off day, by the method a statute names, optionally in pairs and
/// after base seats; and the same key with the members by statute counted,
/// so that the cost of late entry is a number of seats. Figures only.
#[utoipa::path(
    get, path = "/reports/delegates", tag = "reports", security(("bearer" = [])),
    params(DelegateParams, FormatParam),
    responses(
        (status = 200, description = "JSON, or text/csv with ?format=csv", content(
            (DelegateKeyReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn delegates(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<DelegateParams>,
    Query(format): Query<FormatParam>,
) -> ApiResult<Response> {
    let request = DelegateRequest {
        as_of: params.as_of,
        seats: params.seats,
        method: params.method,
        pairs: params.pairs,
        base_seats: params.base_seats,
    };
    let key = census::delegates(&state.app, &staff.actor(), request).await?;
    let tie = key.rows.iter().any(|row| row.on_record.tie);
    let items: Vec<DistrictSeatsDto> = key.rows.into_iter().map(district_seats_dto).collect();
    if format.format == Some(ListFormat::Csv) {
        return delegates_csv(&items);
    }
    Ok(Json(DelegateKeyReport {
        as_of: key.as_of,
        seats: key.request.seats(),
        method: key.request.method().as_str().to_owned(),
        pairs: key.request.pairs(),
        base_seats: key.request.base_seats(),
        last_quotient: key.last_quotient,
        last_quotient_with_members_by_statute: key.last_quotient_with_members_by_statute,
        tie,
        items,
    })
    .into_response())
}

fn delegates_csv(items: &[DistrictSeatsDto]) -> ApiResult<Response> {
    const HEADER: [&str; 13] = [
        "org_unit_id",
        "short_code",
        "name",
        "members",
        "seats",
        "base_seats",
        "quota",
        "remainder",
        "last_quotient",
        "tie",
        "members_by_statute",
        "seats_with_members_by_statute",
        "seats_lost_to_late_entry",
    ];
    let rows = items.iter().map(|d| {
        vec![
            d.org_unit_id.to_string(),
            d.short_code.clone(),
            d.name.clone(),
            d.members.to_string(),
            d.seats.to_string(),
            d.base_seats.to_string(),
            decimal_places(d.quota, 4),
            decimal_places(d.remainder, 4),
            decimal_places(d.last_quotient, 4),
            yes_no(d.tie),
            d.members_by_statute.to_string(),
            d.seats_with_members_by_statute.to_string(),
            d.seats_lost_to_late_entry.to_string(),
        ]
    });
    excel_csv("delegiertenschluessel.csv", &HEADER, rows)
}
