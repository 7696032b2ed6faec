//! Member counts at a cut-off date and the delegate key computed from
//! them: figures only, as JSON and CSV.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kartei_app::census::{self, CensusRequest, UnitCensus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::FormatParam;
use crate::auth::Staff;
use crate::csv_out::{ListFormat, excel_csv};
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
