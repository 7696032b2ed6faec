//! The members: the search as people type it (htmx narrows the list as
//! they type; without script the form submits), one member's record, its
//! edit under the version read (a stale edit shows what the other person
//! changed instead of overwriting it), resignation, transfer, the history
//! and the Art. 15 information as a document to hand out. Scope and rules
//! are the use cases': outside the scope is 404, a role that reads no
//! member 403.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::members::{self, MemberEdit, MemberListQuery, MemberView, Resignation, Seen};
use kartei_app::paging::PageRequest;
use kartei_app::transfers::{self, TransferStart};
use kartei_app::{AppError, integration, org_units};
use kartei_domain::member::{Member, MemberStatus};
use kartei_domain::privacy::Extent;
use kartei_domain::{Action, authz};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::WebResult;
use crate::forms::{
    Choice, Difference, FieldErrors, differences, optional, page_id, refused_status,
};
use crate::layout::Layout;
use crate::pages::applications::{CONTACT_CHANNELS, ChannelChoice};
use crate::pages::unit_choice::{Offer, UnitChoice, unit_choices};
use crate::pages::welcome::{StepForm, StepLine};
use crate::session::{SignedIn, WebState};
use crate::texts;

/// `?q=&status=&weiter=`: the search as typed.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    /// Only the new members: those who joined in the last 90 days.
    neu: Option<String>,
    weiter: Option<String>,
}

/// How far back a member counts as new, for the branch that welcomes them.
pub const NEW_FOR_DAYS: u64 = 90;

/// One member in the list: what a list shows, nothing more.
struct Row {
    id: Uuid,
    name: String,
    number: String,
    place: String,
    status: &'static str,
    joined_on: String,
}

impl From<&Seen> for Row {
    fn from(seen: &Seen) -> Self {
        let m = &seen.member;
        Row {
            id: m.id,
            name: format!("{}, {}", m.person.last_name, m.person.first_name),
            number: m.membership_number.clone(),
            place: format!("{} {}", m.person.postal_code, m.person.city),
            status: texts::member_status(m.status),
            joined_on: texts::date(m.joined_on),
        }
    }
}

#[derive(Template)]
#[template(path = "members_results.html")]
struct Results {
    rows: Vec<Row>,
    searched: bool,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "members.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    /// The list holds only those who joined on or after this day.
    new_since: Option<String>,
    q: String,
    statuses: Vec<Choice>,
    results: Results,
}

/// The list, or (for htmx as people type) only its results.
pub async fn list(
    State(state): State<WebState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Query(params): Query<SearchParams>,
) -> WebResult<Response> {
    let status = MemberStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == params.status);
    let q = params.q.trim().to_owned();
    let new_only = params.neu.is_some();
    let joined_from = new_only.then(|| new_since(&state));
    let query = MemberListQuery {
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        org_unit_id: None,
        status,
        joined_from,
        page: PageRequest {
            limit: None,
            cursor: params.weiter,
        },
    };
    let found = members::list(&state.app, &signed_in.actor(), query).await?;
    let next = found.next_cursor.map(|cursor| {
        let mut link = format!("/mitglieder?weiter={cursor}");
        if !q.is_empty() {
            link.push_str("&q=");
            link.push_str(&urlencoding(&q));
        }
        if let Some(status) = status {
            link.push_str("&status=");
            link.push_str(status.as_str());
        }
        if new_only {
            link.push_str("&neu=1");
        }
        link
    });
    let results = Results {
        rows: found.items.iter().map(Row::from).collect(),
        searched: !q.is_empty() || status.is_some() || new_only,
        next,
    };
    if is_fragment_request(&headers) {
        return Ok(Html(results.render()?).into_response());
    }
    let page = ListPage {
        layout: Layout::of(&signed_in),
        new_since: joined_from.map(texts::date),
        q,
        statuses: MemberStatus::ALL
            .into_iter()
            .map(|s| Choice {
                value: s.as_str(),
                label: texts::member_status(s),
                selected: Some(s) == status,
            })
            .collect(),
        results,
    };
    Ok(Html(page.render()?).into_response())
}

/// The first day of membership that still counts as new.
pub fn new_since(state: &WebState) -> chrono::NaiveDate {
    let today = state.app.today();
    today
        .checked_sub_days(chrono::Days::new(NEW_FOR_DAYS))
        .unwrap_or(today)
}

/// htmx asks for a part of a page (`HX-Request`); a history restore asks
/// for the whole page again.
fn is_fragment_request(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

fn urlencoding(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// What the signed-in role may do with a member it sees in full.
struct Actions {
    edit: bool,
    resign: bool,
    transfer: bool,
    history: bool,
    export: bool,
}

#[derive(Template)]
#[template(path = "member.html")]
struct DetailPage<'a> {
    layout: Layout<'a>,
    member: MemberFacts,
    /// Name and contact only: a former district with home ties.
    home_ties_only: bool,
    actions: Actions,
    units: Vec<UnitChoice>,
    today: String,
    resignation_errors: FieldErrors,
    transfer_errors: FieldErrors,
    /// What the last form did, or why it was not taken as a whole.
    notice: Option<String>,
    alert: Option<&'static str>,
    resignation: ResignationForm,
    transfer: TransferForm,
    /// The integration steps; `None` where the reader sees no steps.
    steps: Option<Vec<StepLine>>,
    /// The role may record an open step (district office, branch).
    records_steps: bool,
    channels: &'static [ChannelChoice],
    /// The step form as typed, with its errors, after it came back.
    step_form: StepForm,
    step_errors: FieldErrors,
}

/// A member's record as the pages show it, in German.
struct MemberFacts {
    id: Uuid,
    name: String,
    number: String,
    status: &'static str,
    date_of_birth: String,
    street: String,
    place: String,
    email: String,
    phone: String,
    held_by: String,
    joined_on: String,
    received_on: String,
    left_on: Option<String>,
    resigns_on: Option<String>,
    application: Option<String>,
}

impl MemberFacts {
    fn of(member: &Member, held_by: String) -> MemberFacts {
        let p = &member.person;
        MemberFacts {
            id: member.id,
            name: format!("{} {}", p.first_name, p.last_name),
            number: member.membership_number.clone(),
            status: texts::member_status(member.status),
            date_of_birth: texts::date(p.date_of_birth),
            street: p.street.clone(),
            place: format!("{} {}", p.postal_code, p.city),
            email: p.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            phone: p.phone.clone().unwrap_or_default(),
            held_by,
            joined_on: texts::date(member.joined_on),
            received_on: texts::date(member.received_on),
            left_on: member.left_on.map(texts::date),
            resigns_on: member.resigns_on.map(texts::date),
            application: member
                .application_id
                .map(|id| format!("/erklaerungen/{id}")),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ResignationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    effective_on: String,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TransferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to_org_unit_id: String,
    #[serde(default)]
    effective_on: String,
    keep_home_ties: Option<String>,
}

/// `?hinweis=`: what the form before the redirect did.
#[derive(Debug, Default, Deserialize)]
pub struct DetailParams {
    hinweis: Option<String>,
}

const TRANSFER_REQUESTED: &str = "wechsel-beantragt";

pub async fn detail(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<DetailParams>,
) -> WebResult<Response> {
    let id = page_id(&id)?;
    let shown = Shown {
        notice: (params.hinweis.as_deref() == Some(TRANSFER_REQUESTED))
            .then(|| texts::TRANSFER_REQUESTED.to_owned()),
        ..Shown::default()
    };
    render_detail(&state, &signed_in, id, shown, StatusCode::OK).await
}

/// What a detail page shows beside the record after a form came back:
/// each form as typed, with its own errors.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    alert: Option<&'static str>,
    resignation: ResignationForm,
    resignation_errors: FieldErrors,
    transfer: TransferForm,
    transfer_errors: FieldErrors,
    step_form: StepForm,
    step_errors: FieldErrors,
}

async fn render_detail(
    state: &WebState,
    signed_in: &SignedIn,
    id: Uuid,
    shown: Shown,
    status: StatusCode,
) -> WebResult<Response> {
    let actor = signed_in.actor();
    let record = integration::member_record(&state.app, &actor, id).await?;
    let seen = &record.seen;
    let member = &seen.member;
    let held_by = unit_name(state, signed_in, member).await?;
    let full = seen.view == MemberView::Full;
    let role = signed_in.account.role;
    let may = |action| full && authz::role_may(role, action);
    let active = member.status == MemberStatus::Active;
    let actions = Actions {
        edit: may(Action::EditMember) && active,
        resign: may(Action::RecordResignation) && active && member.resigns_on.is_none(),
        transfer: may(Action::StartTransfer) && active,
        history: may(Action::ReadMemberHistory),
        export: may(Action::ExportMember),
    };
    let units = if actions.transfer {
        let chosen = Uuid::try_parse(&shown.transfer.to_org_unit_id).ok();
        unit_choices(
            state,
            signed_in,
            Offer::HoldingMembers,
            Some(member.district_id),
            chosen,
        )
        .await?
    } else {
        Vec::new()
    };
    let page = DetailPage {
        layout: Layout::of(signed_in),
        member: MemberFacts::of(member, held_by),
        home_ties_only: !full,
        actions,
        units,
        today: texts::date(state.app.today()),
        resignation_errors: shown.resignation_errors,
        transfer_errors: shown.transfer_errors,
        notice: shown.notice,
        alert: shown.alert,
        resignation: shown.resignation,
        transfer: shown.transfer,
        steps: record
            .integration
            .as_ref()
            .map(|steps| steps.iter().map(StepLine::from).collect()),
        records_steps: may(Action::RecordIntegrationStep),
        channels: &CONTACT_CHANNELS,
        step_form: shown.step_form,
        step_errors: shown.step_errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// "Ortsverband (Kreisverband)" or the district alone.
async fn unit_name(state: &WebState, signed_in: &SignedIn, member: &Member) -> WebResult<String> {
    let actor = signed_in.actor();
    let district = org_units::get(&state.app, &actor, member.district_id).await?;
    Ok(match member.local_id {
        Some(local) => {
            let local = org_units::get(&state.app, &actor, local).await?;
            format!("{} ({})", local.name, district.name)
        }
        None => district.name,
    })
}

/// Records a resignation; the member stays active until the day given.
pub async fn resign(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ResignationForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let mut errors = FieldErrors::default();
    let outcome = match errors.date("effective_on", &form.effective_on) {
        Some(effective_on) => {
            let resignation = Resignation {
                effective_on,
                reason: optional(&form.reason),
            };
            Some(members::resign(&state.app, &signed_in.actor(), id, resignation).await)
        }
        None => None,
    };
    let shown = |resignation_errors, alert| Shown {
        alert,
        resignation: form,
        resignation_errors,
        ..Shown::default()
    };
    match outcome {
        Some(Ok(_)) => Ok(Redirect::to(&format!("/mitglieder/{id}")).into_response()),
        Some(Err(AppError::Invalid(fields))) => {
            errors.add_all(&fields);
            refused(&state, &signed_in, id, shown(errors, None)).await
        }
        Some(Err(AppError::Conflict(_) | AppError::Stale)) => {
            refused(
                &state,
                &signed_in,
                id,
                shown(errors, Some(texts::MEMBER_CHANGED)),
            )
            .await
        }
        Some(Err(other)) => Err(other.into()),
        None => refused(&state, &signed_in, id, shown(errors, None)).await,
    }
}

/// Starts a transfer; the receiving district is asked to confirm.
pub async fn transfer(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<TransferForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let mut errors = FieldErrors::default();
    let to = Uuid::try_parse(&form.to_org_unit_id).ok();
    if to.is_none() {
        errors.add("to_org_unit_id", texts::CHOOSE_ONE.to_owned());
    }
    let effective_on = errors.date("effective_on", &form.effective_on);
    let outcome = match (to, effective_on) {
        (Some(to_org_unit_id), Some(effective_on)) => {
            let start = TransferStart {
                to_org_unit_id,
                effective_on,
                keep_home_ties: form.keep_home_ties.is_some(),
            };
            Some(transfers::start(&state.app, &signed_in.actor(), id, start).await)
        }
        _ => None,
    };
    let shown = |transfer_errors, alert| Shown {
        alert,
        transfer: form,
        transfer_errors,
        ..Shown::default()
    };
    match outcome {
        Some(Ok(_)) => Ok(
            Redirect::to(&format!("/mitglieder/{id}?hinweis={TRANSFER_REQUESTED}")).into_response(),
        ),
        Some(Err(AppError::Invalid(fields))) => {
            errors.add_all(&fields);
            refused(&state, &signed_in, id, shown(errors, None)).await
        }
        Some(Err(AppError::Conflict(_) | AppError::Stale)) => {
            let alert = Some(texts::TRANSFER_REFUSED);
            refused(&state, &signed_in, id, shown(errors, alert)).await
        }
        Some(Err(other)) => Err(other.into()),
        None => refused(&state, &signed_in, id, shown(errors, None)).await,
    }
}

async fn refused(
    state: &WebState,
    signed_in: &SignedIn,
    id: Uuid,
    shown: Shown,
) -> WebResult<Response> {
    let no_field_errors = shown.resignation_errors.is_empty()
        && shown.transfer_errors.is_empty()
        && shown.step_errors.is_empty();
    let status = refused_status(shown.alert.is_some() && no_field_errors);
    render_detail(state, signed_in, id, shown, status).await
}

/// The member's page again after an integration step was refused: the
/// step's form as typed, with its errors or the alert.
pub async fn step_refused(
    state: &WebState,
    signed_in: &SignedIn,
    id: Uuid,
    step_form: StepForm,
    step_errors: FieldErrors,
    alert: Option<&'static str>,
) -> WebResult<Response> {
    let shown = Shown {
        alert,
        step_form,
        step_errors,
        ..Shown::default()
    };
    refused(state, signed_in, id, shown).await
}

/// The edit form's fields as typed, with the version they were read at.
#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

impl EditForm {
    fn of(member: &Member) -> EditForm {
        let p = &member.person;
        EditForm {
            csrf: String::new(),
            version: member.version.to_string(),
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            date_of_birth: texts::date(p.date_of_birth),
            street: p.street.clone(),
            postal_code: p.postal_code.to_string(),
            city: p.city.clone(),
            email: p.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            phone: p.phone.clone().unwrap_or_default(),
        }
    }

    /// Each field's label, what was typed and what is stored now, where
    /// the two differ.
    fn differences(&self, stored: &EditForm) -> Vec<Difference> {
        differences([
            (
                "Vorname",
                self.first_name.as_str(),
                stored.first_name.as_str(),
            ),
            (
                "Nachname",
                self.last_name.as_str(),
                stored.last_name.as_str(),
            ),
            (
                "Geburtsdatum",
                self.date_of_birth.as_str(),
                stored.date_of_birth.as_str(),
            ),
            (
                "Straße und Hausnummer",
                self.street.as_str(),
                stored.street.as_str(),
            ),
            (
                "Postleitzahl",
                self.postal_code.as_str(),
                stored.postal_code.as_str(),
            ),
            ("Ort", self.city.as_str(), stored.city.as_str()),
            ("E-Mail", self.email.as_str(), stored.email.as_str()),
            ("Telefon", self.phone.as_str(), stored.phone.as_str()),
        ])
    }
}

#[derive(Template)]
#[template(path = "member_edit.html")]
struct EditPage<'a> {
    layout: Layout<'a>,
    id: Uuid,
    name: String,
    form: EditForm,
    errors: FieldErrors,
    /// Someone saved the record since this form was read: their values
    /// beside the ones typed, and the form now at their version.
    conflict: Option<Vec<Difference>>,
}

pub async fn edit_form(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = page_id(&id)?;
    let actor = signed_in.actor();
    members::check_editable(&state.app, &actor, id).await?;
    let member = members::get(&state.app, &actor, id).await?.member;
    let page = EditPage {
        layout: Layout::of(&signed_in),
        id,
        name: full_name(&member),
        form: EditForm::of(&member),
        errors: FieldErrors::default(),
        conflict: None,
    };
    Ok(Html(page.render()?).into_response())
}

fn full_name(member: &Member) -> String {
    format!("{} {}", member.person.first_name, member.person.last_name)
}

/// Saves the edit if nobody saved the record since the form was read;
/// otherwise shows what they changed, and nothing is overwritten.
pub async fn edit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(mut form): Form<EditForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let actor = signed_in.actor();
    let mut errors = FieldErrors::default();
    let date_of_birth = errors.date("date_of_birth", &form.date_of_birth);
    // A version that cannot be read is as stale as an old one.
    let version = form.version.trim().parse::<i64>().unwrap_or(-1);
    let outcome = match date_of_birth {
        Some(date_of_birth) => {
            let edit = MemberEdit {
                first_name: Some(form.first_name.clone()),
                last_name: Some(form.last_name.clone()),
                date_of_birth: Some(date_of_birth),
                email: Some(optional(&form.email)),
                phone: Some(optional(&form.phone)),
                street: Some(form.street.clone()),
                postal_code: Some(form.postal_code.clone()),
                city: Some(form.city.clone()),
                ..MemberEdit::default()
            };
            Some(members::update(&state.app, &actor, id, version, edit).await)
        }
        None => None,
    };
    let mut conflict = None;
    let stale = match outcome {
        Some(Ok(_)) => return Ok(Redirect::to(&format!("/mitglieder/{id}")).into_response()),
        Some(Err(AppError::Invalid(fields))) => {
            errors.add_all(&fields);
            false
        }
        Some(Err(AppError::Stale)) => true,
        Some(Err(other)) => return Err(other.into()),
        None => false,
    };
    // One read for the page's heading and, after a stale save, for what is
    // stored now.
    let member = members::get(&state.app, &actor, id).await?.member;
    if stale {
        let now = EditForm::of(&member);
        conflict = Some(form.differences(&now));
        // Saving again now is a decision taken with the other change in
        // view: the form moves to the stored version.
        form.version = now.version;
    }
    let status = refused_status(conflict.is_some());
    let page = EditPage {
        layout: Layout::of(&signed_in),
        id,
        name: full_name(&member),
        form,
        errors,
        conflict,
    };
    Ok((status, Html(page.render()?)).into_response())
}

struct HistoryEntry {
    at: String,
    what: &'static str,
    changes: Vec<Change>,
}

struct Change {
    field: &'static str,
    old: String,
    new: String,
}

#[derive(Template)]
#[template(path = "member_history.html")]
struct HistoryPage<'a> {
    layout: Layout<'a>,
    id: Uuid,
    name: String,
    entries: Vec<HistoryEntry>,
}

/// The audit trail of a member, oldest first, each change with its old
/// and new value (unreadable once the member was anonymised).
pub async fn history(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = page_id(&id)?;
    let actor = signed_in.actor();
    let records = members::history(&state.app, &actor, id).await?;
    let member = members::get(&state.app, &actor, id).await?.member;
    let entries = records
        .iter()
        .map(|record| HistoryEntry {
            at: texts::instant(record.occurred_at),
            what: texts::member_event(&record.action),
            changes: record
                .details
                .get("changes")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
                .map(|change| Change {
                    field: texts::member_field(
                        change.get("field").and_then(|f| f.as_str()).unwrap_or(""),
                    ),
                    old: texts::stored_value(change.get("old")),
                    new: texts::stored_value(change.get("new")),
                })
                .collect(),
        })
        .collect();
    let page = HistoryPage {
        layout: Layout::of(&signed_in),
        id,
        name: full_name(&member),
        entries,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "member_information.html")]
struct InformationDocument {
    exported_on: String,
    member: MemberFacts,
    consents: Vec<(String, String)>,
    application: Vec<(String, String)>,
    history: Vec<HistoryEntry>,
    transfers: Vec<String>,
    purposes: Vec<String>,
    recipients: Vec<String>,
    retention: String,
}

/// The information owed to the member under Art. 15 GDPR, as a document
/// the office hands out: everything stored, with purposes, recipients and
/// how long it is kept. The use case records the export before it is
/// handed out.
pub async fn information(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = page_id(&id)?;
    let export = members::export(&state.app, &signed_in.actor(), id).await?;
    let member = &export.member;
    let held_by = unit_name(&state, &signed_in, member).await?;
    let mut recipients = Vec::new();
    for recipient in &export.processing.recipients {
        let unit = org_units::get(&state.app, &signed_in.actor(), recipient.org_unit_id).await?;
        let extent = match recipient.extent {
            Extent::Full => "alle Angaben",
            Extent::NameAndContact => "Name und Kontaktdaten",
        };
        recipients.push(format!(
            "{} ({}): {extent}",
            texts::role(recipient.role),
            unit.name
        ));
    }
    let years = state.app.settings().retention.years_after_leaving;
    let retention = match export.processing.retention.anonymised_from {
        Some(from) => format!(
            "Die Angaben werden {years} Jahre nach dem Ende der Mitgliedschaft anonymisiert, \
             also ab dem {}.",
            texts::date(from)
        ),
        None => format!(
            "Die Angaben werden gespeichert, solange die Mitgliedschaft besteht, und {years} \
             Jahre nach ihrem Ende anonymisiert."
        ),
    };
    let document = InformationDocument {
        exported_on: texts::instant(export.exported_at),
        member: MemberFacts::of(member, held_by),
        consents: member
            .consents
            .iter()
            .map(|(kind, since)| (texts::consent(kind).to_owned(), texts::instant(*since)))
            .collect(),
        application: export
            .application
            .iter()
            .flat_map(|view| view.timeline.iter().flatten())
            .map(|event| {
                (
                    texts::instant(event.occurred_at),
                    texts::event(&event.kind).to_owned(),
                )
            })
            .collect(),
        history: export
            .history
            .iter()
            .map(|record| HistoryEntry {
                at: texts::instant(record.occurred_at),
                what: texts::member_event(&record.action),
                changes: Vec::new(),
            })
            .collect(),
        transfers: export
            .transfers
            .iter()
            .map(|t| {
                format!(
                    "{}: {}",
                    texts::date(t.effective_on),
                    texts::transfer_status(t.status)
                )
            })
            .collect(),
        purposes: export
            .processing
            .purposes
            .iter()
            .map(|p| texts::purpose(*p).to_owned())
            .collect(),
        recipients,
        retention,
    };
    let filename = format!(
        "attachment; filename=\"auskunft-{}.html\"",
        member.membership_number
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        document.render()?,
    )
        .into_response())
}
