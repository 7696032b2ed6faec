//! The delegate key as a page: the seats each district sends to the party
//! congress from its members on a cut-off day, by the method the statute
//! names, with the members by statute counted beside them. The office
//! prints it for the congress (the stylesheet's print rules leave the
//! parameters and the table), or downloads it as CSV. State office and
//! board only.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kartei_app::AppError;
use kartei_app::census::{self, DelegateKey, DelegateRequest, DistrictKey};
use kartei_domain::apportionment::{Basis, DistrictSeats, Method};
use kartei_domain::{Action, authorize};
use kartei_formats::csv::{decimal_places, yes_no};
use serde::Deserialize;

use crate::downloads::csv_download;
use crate::error::{WebError, WebResult};
use crate::forms::{Choice, FieldErrors};
use crate::layout::Layout;
use crate::session::{SignedIn, WebState};
use crate::texts;

/// The form's fields, as typed; absent when the form was not sent.
#[derive(Debug, Default, Deserialize)]
pub struct KeyParams {
    stichtag: Option<String>,
    sitze: Option<String>,
    verfahren: Option<String>,
    paarweise: Option<String>,
    grundmandate: Option<String>,
}

impl KeyParams {
    /// Whether the form was sent (a first visit shows it empty).
    fn sent(&self) -> bool {
        self.stichtag.is_some()
            || self.sitze.is_some()
            || self.verfahren.is_some()
            || self.grundmandate.is_some()
    }

    fn pairs(&self) -> bool {
        self.paarweise.as_deref().is_some_and(|v| !v.is_empty())
    }

    /// The request, and what could not be read as a date or a number.
    fn request(&self) -> (DelegateRequest, FieldErrors) {
        let mut errors = FieldErrors::default();
        let typed = |field: &Option<String>| {
            field
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        let as_of = typed(&self.stichtag).and_then(|text| errors.date("stichtag", &text));
        let seats = typed(&self.sitze).and_then(|text| whole_number(&mut errors, "sitze", &text));
        let base_seats = typed(&self.grundmandate)
            .and_then(|text| whole_number(&mut errors, "grundmandate", &text))
            .unwrap_or(0);
        let request = DelegateRequest {
            as_of,
            seats,
            method: typed(&self.verfahren),
            pairs: self.pairs(),
            base_seats,
        };
        (request, errors)
    }
}

/// A count of seats as typed: digits only.
fn whole_number(errors: &mut FieldErrors, field: &str, text: &str) -> Option<u32> {
    let number = text
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten();
    if number.is_none() {
        errors.add(field, texts::WHOLE_NUMBER_EXPECTED.to_owned());
    }
    number
}

/// The use case's refusals at the form's fields, in German.
fn key_refused(err: AppError, errors: &mut FieldErrors) -> WebResult<()> {
    match err {
        AppError::Invalid(fields) => {
            for field in fields {
                let at = match field.field.as_str() {
                    "as_of" => "stichtag",
                    "method" => "verfahren",
                    "base_seats" => "grundmandate",
                    "pairs" => "paarweise",
                    _ => "sitze",
                };
                errors.add(at, crate::forms::german(&field.message));
            }
            Ok(())
        }
        other => Err(other.into()),
    }
}

/// The form as it is shown: what was typed, or the defaults.
struct KeyForm {
    stichtag: String,
    sitze: String,
    methods: Vec<Choice>,
    paarweise: bool,
    grundmandate: String,
}

impl KeyForm {
    fn of(params: &KeyParams, default_day: chrono::NaiveDate) -> KeyForm {
        let sent = params.sent();
        // A first visit preselects the method most statutes name.
        let method = match &params.verfahren {
            Some(chosen) => chosen.as_str(),
            None if !sent => Method::HareNiemeyer.as_str(),
            None => "",
        };
        KeyForm {
            stichtag: match params.stichtag.as_deref() {
                Some(typed) if sent => typed.to_owned(),
                _ => texts::date(default_day),
            },
            sitze: params.sitze.clone().unwrap_or_default(),
            methods: Method::ALL
                .into_iter()
                .map(|m| Choice {
                    value: m.as_str(),
                    label: texts::method(m),
                    selected: m.as_str() == method,
                })
                .collect(),
            paarweise: params.pairs(),
            grundmandate: params
                .grundmandate
                .clone()
                .unwrap_or_else(|| "0".to_owned()),
        }
    }
}

struct KeyRow {
    unit: String,
    /// The list's order, which decides a tie the members leave open.
    short_code: String,
    members: String,
    seats: String,
    base_seats: String,
    quota: String,
    remainder: String,
    last_quotient: String,
    tie: bool,
    members_by_statute: String,
    seats_with: String,
    difference: String,
}

struct KeyTotal {
    members: String,
    seats: String,
    base_seats: String,
    members_by_statute: String,
    seats_with: String,
    difference: String,
}

/// The key as the page and its printout show it.
struct KeyTable {
    as_of: String,
    method: &'static str,
    seats: u32,
    /// "ja" or "nein".
    pairs: String,
    in_pairs: bool,
    base_seats: u32,
    /// Hare-Niemeyer's quota and remainder; else a divisor's quotient.
    remainders: bool,
    last_quotient: Option<String>,
    rows: Vec<KeyRow>,
    total: KeyTotal,
    tie: bool,
    computed_on: String,
}

/// A district's last quotient: "unendlich" for an Adams first unit (the
/// district won units, but no quotient is reported), "–" when it won none.
fn last_quotient(seats: &DistrictSeats) -> String {
    match seats.basis {
        Basis::Quotient {
            last_quotient: Some(q),
        } => texts::decimal_4(Some(q)),
        Basis::Quotient {
            last_quotient: None,
        } if seats.seats > seats.base_seats => "unendlich".to_owned(),
        _ => "–".to_owned(),
    }
}

/// What late entry costs a district: its seats with the members by
/// statute less its seats on record.
fn difference(row: &DistrictKey) -> i64 {
    i64::from(row.with_members_by_statute.seats) - i64::from(row.on_record.seats)
}

fn key_row(row: &DistrictKey) -> KeyRow {
    let on_record = &row.on_record;
    let (quota, remainder) = match on_record.basis {
        Basis::Remainder { quota, remainder } => (Some(quota), Some(remainder)),
        Basis::Quotient { .. } => (None, None),
    };
    KeyRow {
        unit: row.unit.name.clone(),
        short_code: row.unit.short_code.clone(),
        members: texts::count(members(on_record.members)),
        seats: texts::count(i64::from(on_record.seats)),
        base_seats: texts::count(i64::from(on_record.base_seats)),
        quota: texts::decimal_4(quota),
        remainder: texts::decimal_4(remainder),
        last_quotient: last_quotient(on_record),
        tie: on_record.tie,
        members_by_statute: texts::count(members(row.members_by_statute)),
        seats_with: texts::count(i64::from(row.with_members_by_statute.seats)),
        difference: texts::change(difference(row)),
    }
}

fn members(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn key_table(key: &DelegateKey, today: chrono::NaiveDate) -> KeyTable {
    let sum = |of: &dyn Fn(&DistrictKey) -> i64| key.rows.iter().map(of).sum::<i64>();
    let request = key.request;
    KeyTable {
        as_of: texts::date(key.as_of),
        method: texts::method(request.method()),
        seats: request.seats(),
        pairs: yes_no(request.pairs()),
        in_pairs: request.pairs(),
        base_seats: request.base_seats(),
        remainders: request.method() == Method::HareNiemeyer,
        last_quotient: key.last_quotient.map(|q| texts::decimal_4(Some(q))),
        rows: key.rows.iter().map(key_row).collect(),
        total: KeyTotal {
            members: texts::count(sum(&|r| members(r.on_record.members))),
            seats: texts::count(sum(&|r| i64::from(r.on_record.seats))),
            base_seats: texts::count(sum(&|r| i64::from(r.on_record.base_seats))),
            members_by_statute: texts::count(sum(&|r| members(r.members_by_statute))),
            seats_with: texts::count(sum(&|r| i64::from(r.with_members_by_statute.seats))),
            difference: texts::change(sum(&difference)),
        },
        tie: key.rows.iter().any(|r| r.on_record.tie),
        computed_on: texts::date(today),
    }
}

#[derive(Template)]
#[template(path = "delegates.html")]
struct KeyPage<'a> {
    layout: Layout<'a>,
    form: KeyForm,
    errors: FieldErrors,
    key: Option<KeyTable>,
    tie_note: &'static str,
    /// The request in the download's link.
    query: String,
}

/// The parameters of a computed key, as the download's link carries them.
fn key_query(key: &DelegateKey) -> String {
    let request = key.request;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("stichtag", &texts::date(key.as_of))
        .append_pair("sitze", &request.seats().to_string())
        .append_pair("verfahren", request.method().as_str())
        .append_pair("grundmandate", &request.base_seats().to_string());
    if request.pairs() {
        query.append_pair("paarweise", "ja");
    }
    query.finish()
}

pub async fn page(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<KeyParams>,
) -> WebResult<Response> {
    let actor = signed_in.actor();
    // The empty form too is the state office's and the board's only.
    authorize(&actor, Action::ReadDelegateKey, None)?;
    let today = state.app.today();
    let mut errors = FieldErrors::default();
    let key = if params.sent() {
        let (request, typed) = params.request();
        errors = typed;
        match census::delegates(&state.app, &actor, request).await {
            Ok(key) => Some(key).filter(|_| errors.is_empty()),
            Err(err) => {
                key_refused(err, &mut errors)?;
                None
            }
        }
    } else {
        None
    };
    let page = KeyPage {
        layout: Layout::of(&signed_in),
        form: KeyForm::of(&params, census::end_of_last_year(today)),
        query: key.as_ref().map(key_query).unwrap_or_default(),
        key: key.as_ref().map(|key| key_table(key, today)),
        tie_note: texts::TIE,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The key as CSV, in the words of the page; the parameters are in the
/// file's name.
pub async fn csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<KeyParams>,
) -> WebResult<Response> {
    let (request, errors) = params.request();
    let key = census::delegates(&state.app, &signed_in.actor(), request)
        .await
        .map_err(|err| match err {
            // The page tells what is wrong with the parameters; a file
            // just refuses.
            AppError::Invalid(_) => WebError::BadRequest,
            other => other.into(),
        })?;
    if !errors.is_empty() {
        return Err(WebError::BadRequest);
    }
    let rows = key.rows.iter().map(|row| {
        let on_record = &row.on_record;
        let (quota, remainder, quotient) = match on_record.basis {
            Basis::Remainder { quota, remainder } => (Some(quota), Some(remainder), None),
            Basis::Quotient { last_quotient } => (None, None, last_quotient),
        };
        vec![
            row.unit.name.clone(),
            row.unit.short_code.clone(),
            on_record.members.to_string(),
            on_record.seats.to_string(),
            on_record.base_seats.to_string(),
            decimal_places(quota, 4),
            decimal_places(remainder, 4),
            decimal_places(quotient, 4),
            yes_no(on_record.tie),
            row.members_by_statute.to_string(),
            row.with_members_by_statute.seats.to_string(),
            difference(row).to_string(),
        ]
    });
    let request = key.request;
    csv_download(
        &format!(
            "delegiertenschluessel-{}-{}-{}-sitze{}.csv",
            key.as_of,
            request.method().as_str(),
            request.seats(),
            if request.pairs() { "-paarweise" } else { "" }
        ),
        &[
            "Kreisverband",
            "Kürzel",
            "Mitglieder",
            "Sitze",
            "davon Grundmandate",
            "Quote",
            "Rest",
            "Letzter Quotient",
            "Gleichstand (Los nach Satzung)",
            "Mitglieder kraft Satzung",
            "Sitze mit ihnen",
            "Differenz",
        ],
        rows,
    )
}
