//! The member counts at a cut-off day as a page: members per district
//! (or per branch of one district), who joined and left in the twelve
//! months before, the age bands, and the members by statute who have no
//! record yet; with a sum row and as a CSV download in German. A district
//! office sees its own district by branches; the state level chooses.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kartei_app::AppError;
use kartei_app::census::{self, Census, CensusFigures, CensusRequest};
use kartei_domain::authz::{Scope, visible_scope};
use kartei_domain::{Actor, OrgUnit, OrgUnitKind};
use serde::Deserialize;
use uuid::Uuid;

use crate::downloads::csv_download;
use crate::error::{WebError, WebResult};
use crate::forms::FieldErrors;
use crate::layout::Layout;
use crate::pages::unit_choice::{Offer, UnitChoice, unit_choices};
use crate::session::{SignedIn, WebState};
use crate::texts;

/// `?stichtag=` (`TT.MM.JJJJ`, default today) and `?kreisverband=` (a
/// district's id: its branches; none: the districts).
#[derive(Debug, Default, Deserialize)]
pub struct CensusParams {
    #[serde(default)]
    stichtag: String,
    #[serde(default)]
    kreisverband: String,
}

impl CensusParams {
    /// The request, and what could not be read.
    fn request(&self, actor: &Actor) -> (CensusRequest, FieldErrors) {
        let mut errors = FieldErrors::default();
        let as_of = (!self.stichtag.trim().is_empty())
            .then(|| errors.date("stichtag", &self.stichtag))
            .flatten();
        let district = self.district();
        if district.is_err() {
            errors.add("kreisverband", texts::CHOOSE_ONE.to_owned());
        }
        let request = CensusRequest {
            as_of,
            // A district account sees its branches; the state level its
            // districts, or the branches of the district it chose.
            org_unit_id: district.ok().flatten().or(actor.org_unit_id),
        };
        (request, errors)
    }

    fn district(&self) -> Result<Option<Uuid>, uuid::Error> {
        let chosen = self.kreisverband.trim();
        if chosen.is_empty() {
            Ok(None)
        } else {
            Uuid::try_parse(chosen).map(Some)
        }
    }
}

/// What the use case refused about the request, at its field in German.
fn census_refused(err: AppError, errors: &mut FieldErrors) -> WebResult<()> {
    match err {
        AppError::Invalid(fields) => {
            for field in fields {
                let at = match field.field.as_str() {
                    "org_unit_id" => "kreisverband",
                    _ => "stichtag",
                };
                errors.add(at, crate::forms::german(&field.message));
            }
            Ok(())
        }
        other => Err(other.into()),
    }
}

/// One row of the table: the unit and its figures, each as German print
/// sets it, in the order of the columns.
struct CensusRow {
    unit: String,
    figures: [String; 8],
}

impl CensusRow {
    fn of(unit: String, f: &CensusFigures) -> CensusRow {
        CensusRow {
            unit,
            figures: figures(f).map(texts::count),
        }
    }
}

/// The columns after the unit's, shared by the page and the download.
fn figures(f: &CensusFigures) -> [i64; 8] {
    [
        f.members,
        f.joined,
        f.left,
        f.age_up_to_35,
        f.age_36_to_60,
        f.age_over_60,
        f.age_unknown,
        f.members_by_statute,
    ]
}

struct CensusTable {
    as_of: String,
    since: String,
    /// "Kreisverband" or "Ortsverband": what a row is.
    unit_kind: &'static str,
    rows: Vec<CensusRow>,
    total: CensusRow,
}

/// A row's name. The last row holds what no unit below holds (members
/// without a branch, declarations not yet routed) and says so.
fn row_name(census: &Census, unit: &OrgUnit) -> String {
    match (census.group_by, unit.kind) {
        (_, OrgUnitKind::State) => format!("{} (ohne Kreisverband)", unit.name),
        ("local", OrgUnitKind::District) => format!("{} (ohne Ortsverband)", unit.name),
        _ => unit.name.clone(),
    }
}

fn table(census: &Census) -> CensusTable {
    let mut total = CensusFigures::default();
    let rows = census
        .rows
        .iter()
        .map(|row| {
            let f = &row.figures;
            total.members += f.members;
            total.joined += f.joined;
            total.left += f.left;
            total.age_up_to_35 += f.age_up_to_35;
            total.age_36_to_60 += f.age_36_to_60;
            total.age_over_60 += f.age_over_60;
            total.age_unknown += f.age_unknown;
            total.members_by_statute += f.members_by_statute;
            CensusRow::of(row_name(census, &row.unit), f)
        })
        .collect();
    CensusTable {
        as_of: texts::date(census.as_of),
        since: texts::date(census.joined_since),
        unit_kind: if census.group_by == "local" {
            "Ortsverband"
        } else {
            "Kreisverband"
        },
        rows,
        total: CensusRow::of("Summe".to_owned(), &total),
    }
}

#[derive(Template)]
#[template(path = "census.html")]
struct CensusPage<'a> {
    layout: Layout<'a>,
    /// The day as typed, or the day counted.
    stichtag: String,
    /// The districts to break down by, for the state level.
    districts: Option<Vec<UnitChoice>>,
    errors: FieldErrors,
    table: Option<CensusTable>,
    /// The request in the download's link.
    query: String,
}

pub async fn page(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<CensusParams>,
) -> WebResult<Response> {
    let actor = signed_in.actor();
    let (request, mut errors) = params.request(&actor);
    // Asked even when a field could not be read: who may not read the
    // figures gets the refusal, not a form.
    let census = match census::members_on(&state.app, &actor, request).await {
        Ok(census) => Some(census).filter(|_| errors.is_empty()),
        Err(err) => {
            census_refused(err, &mut errors)?;
            None
        }
    };
    let chosen = params.district().ok().flatten();
    let districts = if visible_scope(&actor) == Scope::Everything {
        Some(unit_choices(&state, &signed_in, Offer::Districts, None, chosen).await?)
    } else {
        None
    };
    let stichtag = match &census {
        Some(census) => texts::date(census.as_of),
        None if params.stichtag.trim().is_empty() => texts::date(state.app.today()),
        None => params.stichtag.clone(),
    };
    let query = census
        .as_ref()
        .map(|census| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("stichtag", &texts::date(census.as_of));
            if let Some(district) = chosen {
                query.append_pair("kreisverband", &district.to_string());
            }
            query.finish()
        })
        .unwrap_or_default();
    let page = CensusPage {
        layout: Layout::of(&signed_in),
        stichtag,
        districts,
        table: census.as_ref().map(table),
        query,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The table as CSV, in the words of the page, without the sum row (a
/// spreadsheet sums itself).
pub async fn csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<CensusParams>,
) -> WebResult<Response> {
    let actor = signed_in.actor();
    let (request, errors) = params.request(&actor);
    let census = census::members_on(&state.app, &actor, request)
        .await
        .map_err(|err| match err {
            // A link with a day that cannot be counted: the page tells
            // why, a file just refuses.
            AppError::Invalid(_) => WebError::BadRequest,
            other => other.into(),
        })?;
    if !errors.is_empty() {
        return Err(WebError::BadRequest);
    }
    let rows = census.rows.iter().map(|row| {
        let mut cells = vec![row_name(&census, &row.unit), row.unit.short_code.clone()];
        cells.extend(figures(&row.figures).map(|n| n.to_string()));
        cells
    });
    csv_download(
        &format!("mitgliederbestand-{}.csv", census.as_of),
        &[
            "Gliederung",
            "Kürzel",
            "Mitglieder",
            "Eintritte (12 Monate)",
            "Austritte (12 Monate)",
            "14–35 Jahre",
            "36–60 Jahre",
            "über 60 Jahre",
            "Alter unbekannt",
            "Mitglieder kraft Satzung ohne Datensatz",
        ],
        rows,
    )
}
