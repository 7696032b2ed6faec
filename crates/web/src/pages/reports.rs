//! The reports as pages: the entry lag per district (or, for a district,
//! per local branch) with its trend as a chart, and the register of
//! declarations not yet entered, members by statute first. Every table is
//! also a CSV download in German. The board sees figures and the chart,
//! never a person: the register is not its to read.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use kartei_app::AppError;
use kartei_app::paging::PageRequest;
use kartei_app::reports::{self, EntryLag, LagRequest, Trend, UnenteredRequest, UnenteredRow};
use kartei_formats::chart::{LineChart, Series, line_chart_svg};
use kartei_formats::csv::{decimal, yes_no};
use serde::Deserialize;

use crate::downloads::{csv_download, svg};
use crate::error::{WebError, WebResult};
use crate::forms::FieldErrors;
use crate::layout::Layout;
use crate::session::{SignedIn, WebState};
use crate::texts;

/// `?von=&bis=` (`TT.MM.JJJJ`): a report's period (of `received_on` for the
/// entry lag, of the steps' start for the integration figures).
#[derive(Debug, Default, Deserialize)]
pub struct PeriodParams {
    #[serde(default)]
    pub(crate) von: String,
    #[serde(default)]
    pub(crate) bis: String,
}

impl PeriodParams {
    /// The request for the signed-in account's rows, and what could not be
    /// read as a date (the report then keeps its default for it).
    pub(crate) fn request(&self, signed_in: &SignedIn) -> (LagRequest, FieldErrors) {
        let mut errors = FieldErrors::default();
        // A field left blank keeps the report's default.
        let mut day = |field: &str, text: &str| -> Option<NaiveDate> {
            (!text.trim().is_empty())
                .then(|| errors.date(field, text))
                .flatten()
        };
        let request = LagRequest {
            from: day("von", &self.von),
            to: day("bis", &self.bis),
            // A district account sees its branches; the state level its
            // districts.
            org_unit_id: signed_in.actor().org_unit_id,
        };
        (request, errors)
    }

    /// The same period in a link's query, as typed.
    pub(crate) fn query(&self) -> String {
        let pairs = [("von", &self.von), ("bis", &self.bis)];
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(_, v)| !v.trim().is_empty()))
            .finish()
    }
}

/// A report's errors: what the use case refused about the period is shown
/// at its field, in German; anything else is the error page.
fn period_refused(err: AppError, errors: &mut FieldErrors) -> Result<(), WebError> {
    match err {
        AppError::Invalid(fields) => {
            for field in fields {
                let at = if field.field == "from" { "von" } else { "bis" };
                errors.add(at, crate::forms::german(&field.message));
            }
            Ok(())
        }
        other => Err(other.into()),
    }
}

struct UnitRow {
    unit: String,
    received: i64,
    entered: i64,
    median: String,
    p90: String,
    open: i64,
    overdue: i64,
    escalated: i64,
    oldest_open: String,
}

struct TrendRow {
    unit: String,
    /// The median of each month, in the order of the page's months.
    medians: Vec<String>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportPage<'a> {
    layout: Layout<'a>,
    period: Option<(String, String, String)>,
    per_branch: bool,
    rows: Vec<UnitRow>,
    von: String,
    bis: String,
    /// The period in the links to the chart and the downloads.
    query: String,
    errors: FieldErrors,
}

fn unit_rows(report: &EntryLag) -> Vec<UnitRow> {
    report
        .rows
        .iter()
        .map(|row| {
            let f = &row.figures;
            UnitRow {
                unit: row.unit.name.clone(),
                received: f.received,
                entered: f.entered,
                median: texts::decimal_days(f.lag.median),
                p90: texts::decimal_days(f.lag.p90),
                open: f.waiting.open,
                overdue: f.waiting.overdue,
                escalated: f.waiting.escalated,
                oldest_open: f
                    .waiting
                    .oldest_received_on
                    .map(texts::date)
                    .unwrap_or_else(|| "–".to_owned()),
            }
        })
        .collect()
}

/// `YYYY-MM` as the office writes a month: `MM/JJJJ`.
fn month(key: &str) -> String {
    match key.split_once('-') {
        Some((year, month)) => format!("{month}/{year}"),
        None => key.to_owned(),
    }
}

pub async fn entry_lag(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<PeriodParams>,
) -> WebResult<Response> {
    let actor = signed_in.actor();
    let (request, mut errors) = params.request(&signed_in);
    let report = match reports::entry_lag(&state.app, &actor, request).await {
        Ok(report) => Some(report),
        Err(err) => {
            period_refused(err, &mut errors)?;
            None
        }
    };
    let page = ReportPage {
        layout: Layout::of(&signed_in),
        period: report
            .as_ref()
            .map(|r| (texts::date(r.from), texts::date(r.to), texts::date(r.as_of))),
        per_branch: report.as_ref().is_some_and(|r| r.group_by == "local"),
        rows: report.as_ref().map(unit_rows).unwrap_or_default(),
        query: params.query(),
        von: params.von,
        bis: params.bis,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "trend.html")]
struct TrendPage<'a> {
    layout: Layout<'a>,
    period: Option<(String, String)>,
    per_branch: bool,
    months: Vec<String>,
    trend: Vec<TrendRow>,
    query: String,
    errors: FieldErrors,
}

/// The trend's values as a table: what the chart on the report page
/// draws, for those who cannot see it and for those who want the figures.
pub async fn trend(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<PeriodParams>,
) -> WebResult<Response> {
    let (request, mut errors) = params.request(&signed_in);
    let trend = match reports::entry_lag_trend(&state.app, &signed_in.actor(), request).await {
        Ok(trend) => Some(trend),
        Err(err) => {
            period_refused(err, &mut errors)?;
            None
        }
    };
    let page = TrendPage {
        layout: Layout::of(&signed_in),
        period: trend
            .as_ref()
            .map(|t| (texts::date(t.from), texts::date(t.to))),
        per_branch: trend.as_ref().is_some_and(|t| t.group_by == "local"),
        months: trend
            .as_ref()
            .map(|t| t.months.iter().map(|m| month(m)).collect())
            .unwrap_or_default(),
        trend: trend
            .map(|t| {
                t.rows
                    .into_iter()
                    .map(|row| TrendRow {
                        unit: row.unit.name,
                        medians: row
                            .months
                            .iter()
                            .map(|m| texts::decimal_days(m.median_lag_days))
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        query: params.query(),
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The request of a download or chart: a date that cannot be read is the
/// page's business, a file just refuses.
fn file_request(params: &PeriodParams, signed_in: &SignedIn) -> WebResult<LagRequest> {
    let (request, errors) = params.request(signed_in);
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(WebError::BadRequest)
    }
}

/// The entry-lag table as CSV, in the words of the page.
pub async fn entry_lag_csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<PeriodParams>,
) -> WebResult<Response> {
    let request = file_request(&params, &signed_in)?;
    let report = reports::entry_lag(&state.app, &signed_in.actor(), request).await?;
    let rows = report.rows.iter().map(|row| {
        let f = &row.figures;
        vec![
            row.unit.name.clone(),
            row.unit.short_code.clone(),
            f.received.to_string(),
            f.entered.to_string(),
            decimal(f.lag.median),
            decimal(f.lag.p90),
            f.waiting.open.to_string(),
            f.waiting.overdue.to_string(),
            f.waiting.escalated.to_string(),
            f.waiting
                .oldest_received_on
                .map(texts::date)
                .unwrap_or_default(),
        ]
    });
    csv_download(
        &format!("dauer-bis-eintragung-{}.csv", report.as_of),
        &[
            "Gliederung",
            "Kürzel",
            "Eingegangen",
            "Eingetragen",
            "Median (Tage)",
            "90 % binnen (Tage)",
            "Offen",
            "Überfällig",
            "Eskaliert",
            "Ältester offener Eingang",
        ],
        rows,
    )
}

/// The trend as a CSV table: one row per unit and month.
pub async fn trend_csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<PeriodParams>,
) -> WebResult<Response> {
    let request = file_request(&params, &signed_in)?;
    let trend = reports::entry_lag_trend(&state.app, &signed_in.actor(), request).await?;
    let rows = trend.rows.iter().flat_map(|row| {
        row.months.iter().map(|m| {
            vec![
                row.unit.name.clone(),
                row.unit.short_code.clone(),
                month(&m.month),
                m.entered.to_string(),
                decimal(m.median_lag_days),
            ]
        })
    });
    csv_download(
        &format!("dauer-verlauf-{}-{}.csv", trend.from, trend.to),
        &[
            "Gliederung",
            "Kürzel",
            "Monat des Eingangs",
            "Eingetragen",
            "Median (Tage)",
        ],
        rows,
    )
}

/// The trend as a line chart, one line per unit.
pub async fn trend_chart(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<PeriodParams>,
) -> WebResult<Response> {
    let request = file_request(&params, &signed_in)?;
    let trend = reports::entry_lag_trend(&state.app, &signed_in.actor(), request).await?;
    svg(trend_svg(&trend)?)
}

fn trend_svg(trend: &Trend) -> WebResult<String> {
    let steps: Vec<String> = trend.months.iter().map(|m| month(m)).collect();
    let series: Vec<Series> = trend
        .rows
        .iter()
        .map(|row| Series {
            name: row.unit.short_code.clone(),
            values: row.months.iter().map(|m| m.median_lag_days).collect(),
        })
        .collect();
    line_chart_svg(&LineChart {
        title: "Dauer bis zur Eintragung (Median in Tagen) nach Monat des Eingangs",
        x_description: "Monat des Eingangs",
        y_description: "Tage bis zur Eintragung (Median)",
        steps: &steps,
        series: &series,
    })
    .map_err(|err| WebError::Internal(err.to_string()))
}

/// `?weiter=`: where the register's page starts.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterParams {
    weiter: Option<String>,
}

struct RegisterRow {
    id: uuid::Uuid,
    received_on: String,
    name: String,
    place: String,
    waiting: String,
    objection_deadline: String,
    member_by_statute: bool,
    overdue: bool,
    escalated: bool,
}

impl From<&UnenteredRow> for RegisterRow {
    fn from(row: &UnenteredRow) -> Self {
        let a = &row.application;
        RegisterRow {
            id: a.id,
            received_on: texts::date(a.received_on),
            name: format!("{}, {}", a.applicant.last_name, a.applicant.first_name),
            place: format!("{} {}", a.applicant.postal_code, a.applicant.city),
            waiting: format!(
                "{} {}",
                texts::owed_in(row.stage),
                texts::since_days(row.clocks.stage_days)
            ),
            objection_deadline: texts::date(row.objection_deadline),
            member_by_statute: row.member_by_statute,
            overdue: row.clocks.overdue,
            escalated: row.clocks.escalated,
        }
    }
}

#[derive(Template)]
#[template(path = "unentered.html")]
struct RegisterPage<'a> {
    layout: Layout<'a>,
    rows: Vec<RegisterRow>,
    next: Option<String>,
}

/// Every open declaration in scope, oldest first, members by statute
/// (past the objection deadline, without a record) leading.
pub async fn unentered(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<RegisterParams>,
) -> WebResult<Response> {
    let request = UnenteredRequest {
        org_unit_id: None,
        page: PageRequest {
            limit: None,
            cursor: params.weiter,
        },
        export: false,
    };
    let found = reports::unentered(&state.app, &signed_in.actor(), request).await?;
    let page = RegisterPage {
        layout: Layout::of(&signed_in),
        rows: found.rows.iter().map(RegisterRow::from).collect(),
        next: found
            .next_cursor
            .map(|cursor| format!("/auswertungen/nicht-eingetragen?weiter={cursor}")),
    };
    Ok(Html(page.render()?).into_response())
}

/// The whole register as CSV; the use case records the download.
pub async fn unentered_csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let request = UnenteredRequest {
        export: true,
        ..UnenteredRequest::default()
    };
    let found = reports::unentered(&state.app, &signed_in.actor(), request).await?;
    let rows = found.rows.iter().map(|row| {
        let a = &row.application;
        vec![
            texts::date(a.received_on),
            a.applicant.last_name.clone(),
            a.applicant.first_name.clone(),
            a.applicant.postal_code.to_string(),
            a.applicant.city.clone(),
            texts::owed_in(row.stage).to_owned(),
            row.clocks.stage_days.to_string(),
            row.clocks.entry_days.to_string(),
            texts::date(row.objection_deadline),
            yes_no(row.member_by_statute),
            yes_no(row.clocks.overdue),
            yes_no(row.clocks.escalated),
        ]
    });
    csv_download(
        &format!("nicht-eingetragen-{}.csv", state.app.today()),
        &[
            "Eingang",
            "Nachname",
            "Vorname",
            "PLZ",
            "Ort",
            "Wartet auf",
            "Tage in diesem Schritt",
            "Tage seit Eingang",
            "Einspruchsfrist bis",
            "Nach Satzung Mitglied",
            "Überfällig",
            "Eskaliert",
        ],
        rows,
    )
}
