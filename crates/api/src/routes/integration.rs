//! Integration after admission over HTTP: recording a step a new member was
//! given, the register of members still owed a step, and the figures per
//! unit and step, as JSON and CSV. The use cases are
//! `kartei_app::integration`'s.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kartei_app::integration::{
    self, IntegrationFigures, MemberSteps, StepFigures, StepInput, StepView, UnwelcomedRequest,
    UnwelcomedRow,
};
use kartei_app::paging::PageRequest;
use kartei_app::reports::LagRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Staff;
use crate::csv_out::{ListFormat, decimal, excel_csv};
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_step))
        .routes(routes!(unwelcomed))
        .routes(routes!(integration_report))
}

/// One integration step of a member.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationStepDto {
    /// A step of `integration.steps`, e.g. `welcome` or `first_invitation`.
    pub step: String,
    /// The day the member was entered (admission or direct entry).
    pub started_on: NaiveDate,
    /// `started_on` plus the step's service level.
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    /// How it was done: phone, email, in_person, letter, video or other.
    pub channel: Option<String>,
    pub note: Option<String>,
    /// Still owed and today is after `due_on`.
    pub overdue: bool,
    /// Still owed and past twice the service level.
    pub escalated: bool,
}

impl From<StepView> for IntegrationStepDto {
    fn from(view: StepView) -> Self {
        let done = view.done;
        IntegrationStepDto {
            step: view.step,
            started_on: view.started_on,
            due_on: view.due_on,
            done_on: done.as_ref().map(|d| d.done_on),
            channel: done.as_ref().map(|d| d.channel.as_str().to_owned()),
            note: done.and_then(|d| d.note.map(String::from)),
            overdue: view.overdue,
            escalated: view.escalated,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// A step of `integration.steps`.
    pub step: String,
    /// The day it was done: not before the member was entered, not in the
    /// future.
    pub done_on: NaiveDate,
    /// phone, email, in_person, letter, video or other
    pub channel: String,
    pub note: Option<String>,
}

/// A member's integration steps, in configuration order.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationState {
    pub member_id: Uuid,
    /// Empty for a member who owes none (imported, or entered before the
    /// steps were configured).
    pub integration: Vec<IntegrationStepDto>,
}

impl From<MemberSteps> for IntegrationState {
    fn from(steps: MemberSteps) -> Self {
        IntegrationState {
            member_id: steps.member_id,
            integration: steps.steps.into_iter().map(Into::into).collect(),
        }
    }
}

/// Record an integration step as done (the welcome, the first invitation).
/// The same step again with the same data answers the current state and
/// records nothing.
#[utoipa::path(
    post, path = "/members/{id}/integration", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = StepRequest,
    responses(
        (status = 200, body = IntegrationState),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member, or held outside the caller's part of the tree", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The member owes no such step (imported, or entered before the steps existed), the membership ended before `done_on`, or the step was recorded with other data", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A step that is not configured, a channel not on the list, or `done_on` in the future or before the member was entered", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record_step(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<StepRequest>,
) -> ApiResult<Json<IntegrationState>> {
    let input = StepInput {
        step: request.step,
        done_on: request.done_on,
        channel: request.channel,
        note: request.note,
    };
    let steps = integration::record(&state.app, &staff.actor(), id, input).await?;
    Ok(Json(steps.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnwelcomedParams {
    /// A district or local branch within the caller's scope.
    pub org_unit_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `csv` for an Excel-ready table of every step still owed.
    pub format: Option<ListFormat>,
}

/// A step a member is still owed.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnwelcomedItem {
    pub member_id: Uuid,
    pub membership_number: String,
    pub first_name: String,
    pub last_name: String,
    /// Who owes the step: the member's local branch, else its district.
    pub org_unit_id: Uuid,
    pub step: String,
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
    /// Days since the step started.
    pub days_open: i64,
    pub overdue: bool,
    pub escalated: bool,
}

impl From<UnwelcomedRow> for UnwelcomedItem {
    fn from(row: UnwelcomedRow) -> Self {
        let item = row.item;
        UnwelcomedItem {
            member_id: item.member_id,
            membership_number: item.membership_number,
            first_name: item.first_name,
            last_name: item.last_name,
            org_unit_id: row.owner,
            step: item.step,
            started_on: item.started_on,
            due_on: row.clock.due_on,
            days_open: row.clock.days_open,
            overdue: row.clock.overdue,
            escalated: row.clock.escalated,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnwelcomedList {
    pub items: Vec<UnwelcomedItem>,
    pub next_cursor: Option<String>,
}

/// Members still owed an integration step in the caller's part of the
/// tree, the step due first first. Members who left owe nothing.
#[utoipa::path(
    get, path = "/reports/unwelcomed", tag = "reports", security(("bearer" = [])),
    params(UnwelcomedParams),
    responses(
        (status = 200, description = "JSON, or text/csv with ?format=csv", content(
            (UnwelcomedList = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn unwelcomed(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<UnwelcomedParams>,
) -> ApiResult<Response> {
    let csv = params.format == Some(ListFormat::Csv);
    let request = UnwelcomedRequest {
        org_unit_id: params.org_unit_id,
        page: PageRequest {
            limit: params.limit,
            cursor: params.cursor,
        },
        export: csv,
    };
    let register = integration::unwelcomed(&state.app, &staff.actor(), request).await?;
    let items: Vec<UnwelcomedItem> = register.rows.into_iter().map(Into::into).collect();
    if csv {
        return unwelcomed_csv(&items);
    }
    Ok(Json(UnwelcomedList {
        items,
        next_cursor: register.next_cursor,
    })
    .into_response())
}

fn yes_no(flag: bool) -> String {
    if flag { "ja" } else { "nein" }.to_owned()
}

fn unwelcomed_csv(items: &[UnwelcomedItem]) -> ApiResult<Response> {
    let header = [
        "member_id",
        "membership_number",
        "last_name",
        "first_name",
        "org_unit_id",
        "step",
        "started_on",
        "due_on",
        "days_open",
        "overdue",
        "escalated",
    ];
    let rows = items.iter().map(|i| {
        vec![
            i.member_id.to_string(),
            i.membership_number.clone(),
            i.last_name.clone(),
            i.first_name.clone(),
            i.org_unit_id.to_string(),
            i.step.clone(),
            i.started_on.to_string(),
            i.due_on.to_string(),
            i.days_open.to_string(),
            yes_no(i.overdue),
            yes_no(i.escalated),
        ]
    });
    excel_csv("integration-offen.csv", &header, rows)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntegrationParams {
    /// First day the steps started (the members' entry, Europe/Berlin);
    /// default: the first day of the month eleven months before `to`.
    pub from: Option<NaiveDate>,
    /// Last day the steps started, included; default: today.
    pub to: Option<NaiveDate>,
    /// A district: one row per local branch of it (plus one for its
    /// members without a branch) and step. The state, or none: one row per
    /// district and step.
    pub org_unit_id: Option<Uuid>,
    /// `csv` for an Excel-ready table (`;`, UTF-8 with BOM, decimal comma).
    pub format: Option<ListFormat>,
}

/// The figures of one step in one unit. Days are whole calendar days from
/// the start to `done_on`; percentiles interpolate between ranks like
/// `percentile_cont`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationFiguresDto {
    /// The district or branch the members are held by now; for the row of
    /// a district's members without a branch, the district.
    pub org_unit_id: Uuid,
    pub short_code: String,
    pub name: String,
    pub step: String,
    /// The step's service level.
    pub level_days: u32,
    /// Steps started in the period: members admitted or entered directly.
    pub admitted: i64,
    /// Of those, done.
    pub done: i64,
    /// Of those, still owed now (members who left owe nothing).
    pub open: i64,
    /// Still owed and past the service level today.
    pub overdue: i64,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
    /// Done within the service level, as a share of `admitted` (0 to 1);
    /// null when none were admitted.
    pub share_within_level: Option<f64>,
}

impl From<StepFigures> for IntegrationFiguresDto {
    fn from(f: StepFigures) -> Self {
        IntegrationFiguresDto {
            org_unit_id: f.unit.id,
            short_code: f.unit.short_code,
            name: f.unit.name,
            step: f.step,
            level_days: f.level_days,
            admitted: f.admitted,
            done: f.done,
            open: f.open,
            overdue: f.overdue,
            median_days: f.days.median,
            p90_days: f.days.p90,
            share_within_level: f.share_within_level,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day open steps were measured against their service levels.
    pub as_of: NaiveDate,
    /// `district` or `local`.
    pub group_by: String,
    pub items: Vec<IntegrationFiguresDto>,
}

impl From<IntegrationFigures> for IntegrationReport {
    fn from(figures: IntegrationFigures) -> Self {
        IntegrationReport {
            from: figures.from,
            to: figures.to,
            as_of: figures.as_of,
            group_by: figures.group_by.to_owned(),
            items: figures.rows.into_iter().map(Into::into).collect(),
        }
    }
}

/// Per district (or per branch of one district) and integration step: how
/// many members admitted or entered in the period were owed it, how many
/// got it, how fast, and how many still wait. No person's data.
#[utoipa::path(
    get, path = "/reports/integration", tag = "reports", security(("bearer" = [])),
    params(IntegrationParams),
    responses(
        (status = 200, description = "JSON, or text/csv with ?format=csv", content(
            (IntegrationReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn integration_report(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<IntegrationParams>,
) -> ApiResult<Response> {
    let request = LagRequest {
        from: params.from,
        to: params.to,
        org_unit_id: params.org_unit_id,
    };
    let report: IntegrationReport = integration::figures(&state.app, &staff.actor(), request)
        .await?
        .into();
    if params.format == Some(ListFormat::Csv) {
        return report_csv(&report.items);
    }
    Ok(Json(report).into_response())
}

fn report_csv(items: &[IntegrationFiguresDto]) -> ApiResult<Response> {
    let header = [
        "org_unit_id",
        "short_code",
        "name",
        "step",
        "level_days",
        "admitted",
        "done",
        "open",
        "overdue",
        "median_days",
        "p90_days",
        "share_within_level_percent",
    ];
    let rows = items.iter().map(|i| {
        vec![
            i.org_unit_id.to_string(),
            i.short_code.clone(),
            i.name.clone(),
            i.step.clone(),
            i.level_days.to_string(),
            i.admitted.to_string(),
            i.done.to_string(),
            i.open.to_string(),
            i.overdue.to_string(),
            decimal(i.median_days),
            decimal(i.p90_days),
            decimal(i.share_within_level.map(|s| s * 100.0)),
        ]
    });
    excel_csv("integration.csv", &header, rows)
}

/// The steps of a member record, for `GET /members/{id}`.
pub fn steps_dto(steps: Option<Vec<StepView>>) -> Option<Vec<IntegrationStepDto>> {
    steps.map(|steps| steps.into_iter().map(Into::into).collect())
}
