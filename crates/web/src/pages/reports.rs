//! The entry-lag report as a page: per district (or, for a district, per
//! local branch) what came in, what is entered, how long it took, and what
//! is still open, overdue and escalated. The board sees these figures and
//! nothing of a person.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use kartei_app::reports::{self, LagRequest};

use crate::error::WebResult;
use crate::layout::Layout;
use crate::session::{SignedIn, WebState};
use crate::texts;

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

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportPage<'a> {
    layout: Layout<'a>,
    from: String,
    to: String,
    as_of: String,
    per_branch: bool,
    rows: Vec<UnitRow>,
}

pub async fn entry_lag(
    State(state): State<WebState>,
    signed_in: SignedIn,
) -> WebResult<Html<String>> {
    let actor = signed_in.actor();
    // A district account sees its branches; the state level its districts.
    let request = LagRequest {
        org_unit_id: actor.org_unit_id,
        ..LagRequest::default()
    };
    let report = reports::entry_lag(&state.app, &actor, request).await?;
    let rows = report
        .rows
        .into_iter()
        .map(|row| {
            let f = row.figures;
            UnitRow {
                unit: row.unit.name,
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
        .collect();
    let page = ReportPage {
        layout: Layout::of(&signed_in),
        from: texts::date(report.from),
        to: texts::date(report.to),
        as_of: texts::date(report.as_of),
        per_branch: report.group_by == "local",
        rows,
    };
    Ok(Html(page.render()?))
}
