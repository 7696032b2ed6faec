//! Integration after admission as pages: the register of new members
//! still owed a step (the welcome, the first invitation) in the account's
//! part of the tree, due first first, with its CSV; recording a step from
//! the member's page; and the figures per unit and step with the period
//! form of the entry-lag report. The rules and the queries are
//! `kartei_app::integration`'s.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::integration::{
    self, IntegrationFigures, StepInput, StepView, UnwelcomedRequest, UnwelcomedRow,
};
use kartei_app::paging::PageRequest;
use kartei_app::{AppError, AppResult};
use kartei_domain::Actor;
use kartei_domain::authz::visible_scope;
use kartei_formats::csv::{decimal, yes_no};
use serde::Deserialize;
use uuid::Uuid;

use super::reports::PeriodParams;
use crate::downloads::csv_download;
use crate::error::{WebError, WebResult};
use crate::forms::{FieldErrors, optional, page_id};
use crate::layout::Layout;
use crate::pages::unit_choice::{Offer, UnitChoice, unit_choices};
use crate::session::{SignedIn, WebState};
use crate::texts;

/// `?einheit=` (a district or branch: its steps alone) and `?weiter=`
/// (where the page starts).
#[derive(Debug, Default, Deserialize)]
pub struct RegisterParams {
    einheit: Option<String>,
    weiter: Option<String>,
}

impl RegisterParams {
    /// The unit chosen; text that is no id asks for a page that does not
    /// exist (404).
    fn unit(&self) -> WebResult<Option<Uuid>> {
        optional(self.einheit.as_deref().unwrap_or_default())
            .map(|id| page_id(&id))
            .transpose()
    }
}

/// A link to `path` (the register or its download) narrowed to `unit`,
/// from `cursor` on.
fn register_link(path: &str, unit: Option<Uuid>, cursor: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(unit) = unit {
        query.append_pair("einheit", &unit.to_string());
    }
    if let Some(cursor) = cursor {
        query.append_pair("weiter", cursor);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// One step still owed, as the register shows it.
struct Row {
    member_id: Uuid,
    name: String,
    number: String,
    step: String,
    started_on: String,
    due_on: String,
    days_open: String,
    overdue: bool,
    escalated: bool,
}

impl From<UnwelcomedRow> for Row {
    fn from(row: UnwelcomedRow) -> Self {
        let item = row.item;
        Row {
            member_id: item.member_id,
            name: format!("{}, {}", item.last_name, item.first_name),
            number: item.membership_number,
            step: texts::integration_step(&item.step).to_owned(),
            started_on: texts::date(item.started_on),
            due_on: texts::date(row.clock.due_on),
            days_open: texts::days(row.clock.days_open),
            overdue: row.clock.overdue,
            escalated: row.clock.escalated,
        }
    }
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct RegisterPage<'a> {
    layout: Layout<'a>,
    /// The units to narrow the register to, where there is more than one.
    units: Vec<UnitChoice>,
    rows: Vec<Row>,
    /// The link to the next page.
    next: Option<String>,
    /// The download of what the page shows.
    csv: String,
}

/// The steps still owed in the account's part of the tree, or in one unit
/// of it, due first first, a page at a time.
pub async fn register(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<RegisterParams>,
) -> WebResult<Html<String>> {
    let unit = params.unit()?;
    let request = UnwelcomedRequest {
        org_unit_id: unit,
        page: PageRequest {
            limit: None,
            cursor: params.weiter,
        },
        export: false,
    };
    let found = integration::unwelcomed(&state.app, &signed_in.actor(), request).await?;
    let next = found
        .next_cursor
        .map(|cursor| register_link("/begruessung", unit, Some(&cursor)));
    let within = Offer::HoldingMembersWithin(visible_scope(&signed_in.actor()));
    let mut units = unit_choices(&state, &signed_in, within, None, unit).await?;
    if units.len() < 2 {
        units.clear();
    }
    let page = RegisterPage {
        layout: Layout::of(&signed_in),
        units,
        rows: found.rows.into_iter().map(Row::from).collect(),
        next,
        csv: register_link("/begruessung.csv", unit, None),
    };
    Ok(Html(page.render()?))
}

/// Every step still owed as CSV, in the words of the page; the use case
/// records the export.
pub async fn register_csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<RegisterParams>,
) -> WebResult<Response> {
    let request = UnwelcomedRequest {
        org_unit_id: params.unit()?,
        page: PageRequest::default(),
        export: true,
    };
    let found = integration::unwelcomed(&state.app, &signed_in.actor(), request).await?;
    let rows = found.rows.into_iter().map(|row| {
        let item = &row.item;
        vec![
            item.membership_number.clone(),
            item.last_name.clone(),
            item.first_name.clone(),
            texts::integration_step(&item.step).to_owned(),
            texts::date(item.started_on),
            texts::date(row.clock.due_on),
            row.clock.days_open.to_string(),
            yes_no(row.clock.overdue),
            yes_no(row.clock.escalated),
        ]
    });
    csv_download(
        &format!("neumitglieder-begruessen-{}.csv", state.app.today()),
        &[
            "Mitgliedsnummer",
            "Nachname",
            "Vorname",
            "Schritt",
            "seit",
            "fällig am",
            "Tage offen",
            "überfällig",
            "eskaliert",
        ],
        rows,
    )
}

/// What the start page says about the steps owed: how many, how many of
/// them overdue. `None` for a role that keeps no such register.
pub struct OwedSteps {
    pub open: usize,
    pub overdue: usize,
}

/// The steps owed in the account's part of the tree, counted from the
/// register's pages (no export: nothing leaves the office).
pub async fn owed_steps(state: &WebState, actor: &Actor) -> WebResult<Option<OwedSteps>> {
    let mut owed = OwedSteps {
        open: 0,
        overdue: 0,
    };
    let mut cursor = None;
    loop {
        let request = UnwelcomedRequest {
            org_unit_id: None,
            page: PageRequest {
                limit: Some(200),
                cursor,
            },
            export: false,
        };
        let found = match integration::unwelcomed(&state.app, actor, request).await {
            Ok(found) => found,
            Err(AppError::Denied(_)) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        owed.open += found.rows.len();
        owed.overdue += found.rows.iter().filter(|r| r.clock.overdue).count();
        match found.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(Some(owed)),
        }
    }
}

/// One step of a member, as the member's page lists it.
pub struct StepLine {
    /// The configured name, which the form sends back.
    pub step: String,
    pub label: String,
    pub due_on: String,
    pub done_on: Option<String>,
    pub channel: Option<String>,
    pub note: Option<String>,
    pub overdue: bool,
    pub escalated: bool,
}

impl From<&StepView> for StepLine {
    fn from(view: &StepView) -> Self {
        let done = view.done.as_ref();
        StepLine {
            step: view.step.clone(),
            label: texts::integration_step(&view.step).to_owned(),
            due_on: texts::date(view.due_on),
            done_on: done.map(|d| texts::date(d.done_on)),
            channel: done.map(|d| texts::contact_channel(d.channel.as_str()).to_owned()),
            note: done.and_then(|d| d.note.as_ref().map(|n| n.as_str().to_owned())),
            overdue: view.overdue,
            escalated: view.escalated,
        }
    }
}

/// The form of one step on the member's page.
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub done_on: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub note: String,
}

/// What recording a step came to: done (back to the page), or the page
/// again with the field errors or the alert.
pub enum Recorded {
    Done,
    Refused {
        errors: FieldErrors,
        alert: Option<&'static str>,
    },
}

/// Records a step from the member's page; a repeat with the same data is
/// taken as done and records nothing.
pub async fn record_step(
    state: &WebState,
    signed_in: &SignedIn,
    member_id: Uuid,
    form: &StepForm,
) -> WebResult<Recorded> {
    let mut errors = FieldErrors::default();
    let Some(done_on) = errors.date("done_on", &form.done_on) else {
        return Ok(Recorded::Refused {
            errors,
            alert: None,
        });
    };
    let input = StepInput {
        step: form.step.clone(),
        done_on,
        channel: form.channel.clone(),
        note: optional(&form.note),
    };
    let outcome: AppResult<_> =
        integration::record(&state.app, &signed_in.actor(), member_id, input).await;
    match outcome {
        Ok(_) => Ok(Recorded::Done),
        Err(AppError::Invalid(fields)) => {
            errors.add_all(&fields);
            Ok(Recorded::Refused {
                errors,
                alert: None,
            })
        }
        Err(AppError::Conflict(_) | AppError::Stale) => Ok(Recorded::Refused {
            errors,
            alert: Some(texts::INTEGRATION_CONFLICT),
        }),
        Err(other) => Err(other.into()),
    }
}

/// `POST /mitglieder/{id}/einbindung`: back to the member's page (303),
/// or the page again with what was wrong.
pub async fn record(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    match record_step(&state, &signed_in, id, &form).await? {
        Recorded::Done => Ok(Redirect::to(&format!("/mitglieder/{id}")).into_response()),
        Recorded::Refused { errors, alert } => {
            super::members::step_refused(&state, &signed_in, id, form, errors, alert).await
        }
    }
}

// The period of the steps' start is asked like the entry lag's:
// `reports::PeriodParams`.

struct FigureRow {
    unit: String,
    step: String,
    level: String,
    admitted: String,
    done: String,
    open: String,
    overdue: String,
    median: String,
    p90: String,
    share: String,
}

fn figure_rows(figures: &IntegrationFigures) -> Vec<FigureRow> {
    figures
        .rows
        .iter()
        .map(|f| FigureRow {
            unit: f.unit.name.clone(),
            step: texts::integration_step(&f.step).to_owned(),
            level: texts::days(i64::from(f.level_days)),
            admitted: texts::count(f.admitted),
            done: texts::count(f.done),
            open: texts::count(f.open),
            overdue: texts::count(f.overdue),
            median: texts::decimal_days(f.days.median),
            p90: texts::decimal_days(f.days.p90),
            share: texts::percent(f.share_within_level),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "integration_report.html")]
struct ReportPage<'a> {
    layout: Layout<'a>,
    period: Option<(String, String, String)>,
    per_branch: bool,
    rows: Vec<FigureRow>,
    von: String,
    bis: String,
    query: String,
    errors: FieldErrors,
}

/// The integration figures per unit and step over a period.
pub async fn report(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<PeriodParams>,
) -> WebResult<Response> {
    let (request, mut errors) = params.request(&signed_in);
    let figures = match integration::figures(&state.app, &signed_in.actor(), request).await {
        Ok(figures) => Some(figures).filter(|_| errors.is_empty()),
        Err(AppError::Invalid(fields)) => {
            for field in fields {
                let at = if field.field == "from" { "von" } else { "bis" };
                errors.add(at, crate::forms::german(&field.message));
            }
            None
        }
        Err(other) => return Err(other.into()),
    };
    let page = ReportPage {
        layout: Layout::of(&signed_in),
        period: figures
            .as_ref()
            .map(|f| (texts::date(f.from), texts::date(f.to), texts::date(f.as_of))),
        per_branch: figures.as_ref().is_some_and(|f| f.group_by == "local"),
        rows: figures.as_ref().map(figure_rows).unwrap_or_default(),
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

/// The figures as CSV, in the words of the page.
pub async fn report_csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<PeriodParams>,
) -> WebResult<Response> {
    let (request, errors) = params.request(&signed_in);
    if !errors.is_empty() {
        return Err(WebError::BadRequest);
    }
    let figures = integration::figures(&state.app, &signed_in.actor(), request)
        .await
        .map_err(|err| match err {
            AppError::Invalid(_) => WebError::BadRequest,
            other => other.into(),
        })?;
    let rows = figures.rows.iter().map(|f| {
        vec![
            f.unit.name.clone(),
            f.unit.short_code.clone(),
            texts::integration_step(&f.step).to_owned(),
            f.level_days.to_string(),
            f.admitted.to_string(),
            f.done.to_string(),
            f.open.to_string(),
            f.overdue.to_string(),
            decimal(f.days.median),
            decimal(f.days.p90),
            decimal(f.share_within_level.map(|s| s * 100.0)),
        ]
    });
    csv_download(
        &format!("einbindung-{}-{}.csv", figures.from, figures.to),
        &[
            "Gliederung",
            "Kürzel",
            "Schritt",
            "Frist (Tage)",
            "Aufgenommen",
            "Erledigt",
            "Offen",
            "Überfällig",
            "Median (Tage)",
            "90 % binnen (Tage)",
            "Binnen Frist (%)",
        ],
        rows,
    )
}
