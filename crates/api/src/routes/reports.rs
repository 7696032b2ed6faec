//! The entry-lag reports: where declarations wait before they are entered,
//! per district or per local branch, as JSON, CSV and a chart. The figures
//! come from `kartei_persistence::reports`; this module decides who sees
//! which units and shapes the answer.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kartei_app::paging::PageRequest;
use kartei_app::reports::{self, LagRequest, UnenteredRequest, UnenteredRow, UnitLag, UnitTrend};
use kartei_domain::lag::LagStage;
use kartei_persistence::reports::{StageFigures, Waiting};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::applications::ApplicationStatusDto;
use crate::auth::Staff;
use crate::csv_out::ListFormat;
use crate::csv_out::{decimal, excel_csv, optional, yes_no};
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::local_time;
use crate::state::AppState;

mod census;
mod chart;
mod gauges;

pub use gauges::{integration_gauges, waiting_gauges};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(entry_lag))
        .routes(routes!(entry_lag_trend))
        .routes(routes!(unentered))
        .routes(routes!(census::member_counts))
        .routes(routes!(census::delegates))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LagParams {
    /// First day of `received_on` (Europe/Berlin); default: the first day
    /// of the month eleven months before `to`, so twelve months in all.
    pub from: Option<NaiveDate>,
    /// Last day of `received_on`, included; default: today.
    pub to: Option<NaiveDate>,
    /// A district: one row per local branch of it (plus one for what the
    /// district holds without a branch). The state, or none: one row per
    /// district.
    pub org_unit_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `csv` for an Excel-ready table (`;`, UTF-8 with BOM, decimal comma).
    pub format: Option<ListFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrendFormat {
    Json,
    Csv,
    Svg,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendFormatParam {
    /// `svg` for a line chart, one line per unit; `csv` for a table of one
    /// row per unit and month.
    pub format: Option<TrendFormat>,
}

/// One stage of one unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageLagDto {
    /// `registration`, `handover`, `contact` or `decision`.
    pub stage: String,
    /// Declarations that went through this stage in the period.
    pub completed: i64,
    pub median_lag_days: Option<f64>,
    pub p90_lag_days: Option<f64>,
    /// Open declarations waiting in this stage now.
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
    /// Days the longest-waiting of them has been in this stage.
    pub oldest_open_days: Option<i64>,
}

/// The figures of one unit. Lags are whole calendar days from
/// `received_on`; percentiles interpolate between ranks like
/// `percentile_cont`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitLagDto {
    /// The district or branch; for the row of declarations that no district
    /// holds yet, the state unit (its manual queue).
    pub org_unit_id: Uuid,
    pub short_code: String,
    pub name: String,
    /// `state` (manual queue), `district` or `local`.
    pub kind: String,
    /// Declarations received in the period.
    pub received: i64,
    /// Of those, entered as members.
    pub entered: i64,
    /// Of those, still open now.
    pub open: i64,
    /// Open and past a service level (escalated ones included).
    pub overdue: i64,
    /// Open and past twice a service level.
    pub escalated: i64,
    pub median_lag_days: Option<f64>,
    pub p90_lag_days: Option<f64>,
    /// Days since the oldest open declaration was received.
    pub oldest_open_days: Option<i64>,
    pub stages: Vec<StageLagDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryLagReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day open items were measured against their service levels.
    pub as_of: NaiveDate,
    /// `district` or `local`.
    pub group_by: String,
    pub items: Vec<UnitLagDto>,
}

impl From<&LagParams> for LagRequest {
    fn from(params: &LagParams) -> Self {
        LagRequest {
            from: params.from,
            to: params.to,
            org_unit_id: params.org_unit_id,
        }
    }
}

fn days_since(today: NaiveDate, day: Option<NaiveDate>) -> Option<i64> {
    day.map(|d| (today - d).num_days())
}

fn stage_dto(today: NaiveDate, stage: LagStage, figures: &StageFigures) -> StageLagDto {
    let waiting: &Waiting = &figures.waiting;
    StageLagDto {
        stage: stage.as_str().to_owned(),
        completed: figures.completed,
        median_lag_days: figures.lag.median,
        p90_lag_days: figures.lag.p90,
        open: waiting.open,
        overdue: waiting.overdue,
        escalated: waiting.escalated,
        oldest_open_days: days_since(
            today,
            waiting.oldest_stage_started_at.map(local_time::local_date),
        ),
    }
}

fn unit_dto(today: NaiveDate, row: UnitLag) -> UnitLagDto {
    let UnitLag { unit, figures } = row;
    UnitLagDto {
        org_unit_id: unit.id,
        short_code: unit.short_code,
        name: unit.name,
        kind: unit.kind.as_str().to_owned(),
        received: figures.received,
        entered: figures.entered,
        open: figures.waiting.open,
        overdue: figures.waiting.overdue,
        escalated: figures.waiting.escalated,
        median_lag_days: figures.lag.median,
        p90_lag_days: figures.lag.p90,
        oldest_open_days: days_since(today, figures.waiting.oldest_received_on),
        stages: figures
            .stages
            .iter()
            .map(|(stage, s)| stage_dto(today, *stage, s))
            .collect(),
    }
}

/// Per district (or per branch of one district): how many declarations of
/// the period were received, entered and are still open, how long entry
/// took, and the same per stage. No person's data.
#[utoipa::path(
    get, path = "/reports/entry-lag", tag = "reports", security(("bearer" = [])),
    params(LagParams, FormatParam),
    responses(
        (status = 200, description = "JSON, or text/csv with ?format=csv", content(
            (EntryLagReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn entry_lag(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<LagParams>,
    Query(format): Query<FormatParam>,
) -> ApiResult<Response> {
    let report = reports::entry_lag(&state.app, &staff.actor(), (&params).into()).await?;
    let as_of = report.as_of;
    let items: Vec<UnitLagDto> = report
        .rows
        .into_iter()
        .map(|row| unit_dto(as_of, row))
        .collect();
    if format.format == Some(ListFormat::Csv) {
        return entry_lag_csv(&items);
    }
    Ok(Json(EntryLagReport {
        from: report.from,
        to: report.to,
        as_of,
        group_by: report.group_by.to_owned(),
        items,
    })
    .into_response())
}

fn entry_lag_csv(items: &[UnitLagDto]) -> ApiResult<Response> {
    const UNIT: [&str; 11] = [
        "org_unit_id",
        "short_code",
        "name",
        "received",
        "entered",
        "open",
        "overdue",
        "escalated",
        "median_lag_days",
        "p90_lag_days",
        "oldest_open_days",
    ];
    const STAGE: [&str; 7] = [
        "completed",
        "median_lag_days",
        "p90_lag_days",
        "open",
        "overdue",
        "escalated",
        "oldest_open_days",
    ];
    let stage_columns: Vec<String> = LagStage::ALL
        .iter()
        .flat_map(|stage| STAGE.iter().map(move |c| format!("{}_{c}", stage.as_str())))
        .collect();
    let header: Vec<&str> = UNIT
        .iter()
        .copied()
        .chain(stage_columns.iter().map(String::as_str))
        .collect();
    let rows = items.iter().map(|u| {
        let mut row = vec![
            u.org_unit_id.to_string(),
            u.short_code.clone(),
            u.name.clone(),
            u.received.to_string(),
            u.entered.to_string(),
            u.open.to_string(),
            u.overdue.to_string(),
            u.escalated.to_string(),
            decimal(u.median_lag_days),
            decimal(u.p90_lag_days),
            optional(u.oldest_open_days),
        ];
        for s in &u.stages {
            row.extend([
                s.completed.to_string(),
                decimal(s.median_lag_days),
                decimal(s.p90_lag_days),
                s.open.to_string(),
                s.overdue.to_string(),
                s.escalated.to_string(),
                optional(s.oldest_open_days),
            ]);
        }
        row
    });
    excel_csv("eingabeverzug.csv", &header, rows)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthDto {
    /// `YYYY-MM` of `received_on`.
    pub month: String,
    /// Declarations of that month entered so far.
    pub entered: i64,
    pub median_lag_days: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitTrendDto {
    pub org_unit_id: Uuid,
    pub short_code: String,
    pub name: String,
    /// Every month of the period, oldest first.
    pub months: Vec<MonthDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: String,
    pub items: Vec<UnitTrendDto>,
}

impl From<UnitTrend> for UnitTrendDto {
    fn from(row: UnitTrend) -> Self {
        UnitTrendDto {
            org_unit_id: row.unit.id,
            short_code: row.unit.short_code,
            name: row.unit.name,
            months: row
                .months
                .into_iter()
                .map(|m| MonthDto {
                    month: m.month,
                    entered: m.entered,
                    median_lag_days: m.median_lag_days,
                })
                .collect(),
        }
    }
}

/// The median entry lag per unit and month of `received_on`, for the
/// declarations entered so far.
#[utoipa::path(
    get, path = "/reports/entry-lag/trend", tag = "reports", security(("bearer" = [])),
    params(LagParams, TrendFormatParam),
    responses(
        (status = 200, description = "JSON, text/csv with ?format=csv, or image/svg+xml with ?format=svg", content(
            (TrendReport = "application/json"),
            (String = "text/csv"),
            (String = "image/svg+xml"),
        )),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn entry_lag_trend(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<LagParams>,
    Query(format): Query<TrendFormatParam>,
) -> ApiResult<Response> {
    let trend = reports::entry_lag_trend(&state.app, &staff.actor(), (&params).into()).await?;
    let months = trend.months;
    let items: Vec<UnitTrendDto> = trend.rows.into_iter().map(UnitTrendDto::from).collect();
    if format.format == Some(TrendFormat::Csv) {
        return trend_csv(&items);
    }
    if format.format == Some(TrendFormat::Svg) {
        let svg = chart::trend_svg(&months, &items)?;
        return Ok((
            [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
            svg,
        )
            .into_response());
    }
    Ok(Json(TrendReport {
        from: trend.from,
        to: trend.to,
        group_by: trend.group_by.to_owned(),
        items,
    })
    .into_response())
}

fn trend_csv(items: &[UnitTrendDto]) -> ApiResult<Response> {
    let header = [
        "org_unit_id",
        "short_code",
        "name",
        "month",
        "entered",
        "median_lag_days",
    ];
    let rows = items.iter().flat_map(|unit| {
        unit.months.iter().map(|m| {
            vec![
                unit.org_unit_id.to_string(),
                unit.short_code.clone(),
                unit.name.clone(),
                m.month.clone(),
                m.entered.to_string(),
                decimal(m.median_lag_days),
            ]
        })
    });
    excel_csv("eingabeverzug-verlauf.csv", &header, rows)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnenteredParams {
    /// A district or local branch within the caller's scope.
    pub org_unit_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `csv` for an Excel-ready table of every open declaration.
    pub format: Option<ListFormat>,
}

/// An open declaration and how long it has waited.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnenteredItem {
    pub id: Uuid,
    pub received_on: NaiveDate,
    pub status: ApplicationStatusDto,
    /// `handover`, `contact` or `decision`: who owes the next step.
    pub stage: String,
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    pub first_name: String,
    pub last_name: String,
    pub postal_code: String,
    pub city: String,
    /// Days since the declaration was received.
    pub days_waiting: i64,
    /// Days in the current stage.
    pub stage_days: i64,
    pub overdue: bool,
    pub escalated: bool,
    pub objection_deadline: NaiveDate,
    /// Past the objection deadline: a member by statute without a record.
    pub member_by_statute: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnenteredList {
    pub items: Vec<UnenteredItem>,
    pub next_cursor: Option<String>,
}

/// Every open declaration in the caller's scope, oldest first: those past
/// their objection deadline (members by statute without a record) lead.
#[utoipa::path(
    get, path = "/reports/unentered", tag = "reports", security(("bearer" = [])),
    params(UnenteredParams),
    responses(
        (status = 200, description = "JSON, or text/csv with ?format=csv", content(
            (UnenteredList = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn unentered(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<UnenteredParams>,
) -> ApiResult<Response> {
    let csv = params.format == Some(ListFormat::Csv);
    let request = UnenteredRequest {
        org_unit_id: params.org_unit_id,
        page: PageRequest {
            limit: params.limit,
            cursor: params.cursor,
        },
        export: csv,
    };
    let register = reports::unentered(&state.app, &staff.actor(), request).await?;
    let items: Vec<UnenteredItem> = register.rows.into_iter().map(UnenteredItem::from).collect();
    if csv {
        return unentered_csv(&items);
    }
    Ok(Json(UnenteredList {
        items,
        next_cursor: register.next_cursor,
    })
    .into_response())
}

impl From<UnenteredRow> for UnenteredItem {
    fn from(row: UnenteredRow) -> Self {
        let a = row.application;
        let person = a.applicant;
        UnenteredItem {
            id: a.id,
            received_on: a.received_on,
            status: a.state.status.into(),
            stage: row.stage.as_str().to_owned(),
            district_id: a.state.route.map(|r| r.district_id),
            local_id: a.state.route.and_then(|r| r.local_id),
            first_name: person.first_name,
            last_name: person.last_name,
            postal_code: person.postal_code.to_string(),
            city: person.city,
            days_waiting: row.clocks.entry_days,
            stage_days: row.clocks.stage_days,
            overdue: row.clocks.overdue,
            escalated: row.clocks.escalated,
            objection_deadline: row.objection_deadline,
            member_by_statute: row.member_by_statute,
        }
    }
}

fn unentered_csv(items: &[UnenteredItem]) -> ApiResult<Response> {
    let header = [
        "id",
        "received_on",
        "status",
        "stage",
        "district_id",
        "local_id",
        "last_name",
        "first_name",
        "postal_code",
        "city",
        "days_waiting",
        "stage_days",
        "overdue",
        "escalated",
        "objection_deadline",
        "member_by_statute",
    ];
    let rows = items.iter().map(|i| {
        vec![
            i.id.to_string(),
            i.received_on.to_string(),
            kartei_domain::application::Status::from(i.status)
                .as_str()
                .to_owned(),
            i.stage.clone(),
            optional(i.district_id),
            optional(i.local_id),
            i.last_name.clone(),
            i.first_name.clone(),
            i.postal_code.clone(),
            i.city.clone(),
            i.days_waiting.to_string(),
            i.stage_days.to_string(),
            yes_no(i.overdue),
            yes_no(i.escalated),
            i.objection_deadline.to_string(),
            yes_no(i.member_by_statute),
        ]
    });
    excel_csv("nicht-eingepflegt.csv", &header, rows)
}
