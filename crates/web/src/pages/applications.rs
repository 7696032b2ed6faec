//! The declarations: the list an account works through (a district's inbox,
//! the state office's queue and all declarations), each with its clocks,
//! and the page of one declaration with its data and full timeline. Scope
//! is the use case's: a declaration outside it is 404, a role that reads
//! none 403.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::onboarding::{
    self, ApplicationView, ContactInput, DecisionInput, ListQuery, Reroute,
};
use kartei_app::paging::PageRequest;
use kartei_app::{AppError, AppResult, org_units};
use kartei_domain::application::{Status, Verdict};
use kartei_domain::{Action, Role, authz};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::WebResult;
use crate::forms::{FieldErrors, optional, page_id};
use crate::layout::Layout;
use crate::pages::unit_choice::{Offer, UnitChoice, unit_choices};
use crate::session::SignedIn;
use crate::session::WebState;
use crate::texts;

/// `?status=&ueberfaellig=1&weiter=`: what the list is narrowed to.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Set after a declaration was given back: it has left this list.
    zurueckgegeben: Option<String>,
    status: Option<String>,
    ueberfaellig: Option<String>,
    weiter: Option<String>,
}

/// One row of the list.
struct Row {
    id: Uuid,
    received_on: String,
    name: String,
    place: String,
    status: &'static str,
    /// The stage waited in and for how long; empty once closed.
    waiting: String,
    days_since_received: String,
    overdue: bool,
    escalated: bool,
}

impl From<ApplicationView> for Row {
    fn from(view: ApplicationView) -> Self {
        let a = view.application;
        let person = a.applicant;
        Row {
            id: a.id,
            received_on: texts::date(a.received_on),
            name: format!("{}, {}", person.last_name, person.first_name),
            place: format!("{} {}", person.postal_code, person.city),
            status: texts::status(a.state.status),
            waiting: view.clocks.map_or_else(String::new, |c| {
                format!(
                    "{} {}",
                    texts::stage(c.stage),
                    texts::since_days(c.stage_days)
                )
            }),
            days_since_received: view
                .clocks
                .map_or_else(String::new, |c| texts::days(c.entry_days)),
            overdue: view.clocks.is_some_and(|c| c.overdue),
            escalated: view.clocks.is_some_and(|c| c.escalated),
        }
    }
}

struct StatusChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    rows: Vec<Row>,
    statuses: Vec<StatusChoice>,
    overdue_only: bool,
    sent_back: bool,
    /// The link to the next page, with the same filter.
    next: Option<String>,
}

pub async fn list(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> WebResult<Html<String>> {
    let status = params
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse::<Status>().ok());
    let overdue_only = params.ueberfaellig.is_some();
    let query = ListQuery {
        status,
        overdue: overdue_only,
        ..ListQuery::default()
    };
    let page = PageRequest {
        limit: None,
        cursor: params.weiter,
    };
    let found = onboarding::list(&state.app, &signed_in.actor(), query, &page).await?;
    let next = found.next_after.map(|after| {
        use kartei_app::paging::Cursor;
        let mut link = format!("/erklaerungen?weiter={}", after.encode());
        if let Some(status) = status {
            link.push_str(&format!("&status={}", status.as_str()));
        }
        if overdue_only {
            link.push_str("&ueberfaellig=1");
        }
        link
    });
    let page = ListPage {
        layout: Layout::of(&signed_in),
        rows: found.items.into_iter().map(Row::from).collect(),
        statuses: Status::ALL
            .into_iter()
            .map(|s| StatusChoice {
                value: s.as_str(),
                label: texts::status(s),
                selected: Some(s) == status,
            })
            .collect(),
        overdue_only,
        sent_back: params.zurueckgegeben.is_some(),
        next,
    };
    Ok(Html(page.render()?))
}

struct TimelineEntry {
    at: String,
    what: String,
    status: &'static str,
}

/// The next steps the signed-in role may take from the current status; the
/// use case decides again when the form comes back.
struct Actions {
    /// The state office routes by hand: from its queue, or anew before the
    /// district has taken the declaration over.
    route: bool,
    handover: bool,
    /// The district sends it back (to the state office or another
    /// district), with a reason.
    send_back: bool,
    contact: bool,
    decide: bool,
}

impl Actions {
    fn of(role: Role, status: Status) -> Actions {
        let may = |action| authz::role_may(role, action);
        Actions {
            route: matches!(
                status,
                Status::Received | Status::Unroutable | Status::Routed
            ) && may(Action::RouteApplication),
            handover: status == Status::Routed && may(Action::ConfirmHandover),
            send_back: matches!(status, Status::Routed | Status::HandedOver)
                && may(Action::RerouteApplication),
            contact: status == Status::HandedOver && may(Action::RecordContact),
            decide: status == Status::Contacted && may(Action::DecideApplication),
        }
    }
}

pub(crate) struct ChannelChoice {
    pub(crate) value: &'static str,
    pub(crate) label: &'static str,
}

/// The ways of a contact, as the first contact and the integration steps
/// record them.
pub(crate) const CONTACT_CHANNELS: [ChannelChoice; 6] = [
    ChannelChoice {
        value: "phone",
        label: "Telefon",
    },
    ChannelChoice {
        value: "email",
        label: "E-Mail",
    },
    ChannelChoice {
        value: "in_person",
        label: "persönlich",
    },
    ChannelChoice {
        value: "letter",
        label: "Brief",
    },
    ChannelChoice {
        value: "video",
        label: "Video",
    },
    ChannelChoice {
        value: "other",
        label: "anderer Weg",
    },
];

#[derive(Template)]
#[template(path = "application.html")]
struct DetailPage<'a> {
    layout: Layout<'a>,
    row: Row,
    date_of_birth: String,
    email: String,
    phone: String,
    street: String,
    channel: String,
    objection_deadline: String,
    member_by_statute: bool,
    membership_number: Option<String>,
    timeline: Vec<TimelineEntry>,
    actions: Actions,
    channels: &'static [ChannelChoice],
    /// Today, for the date fields (`TT.MM.JJJJ`).
    today: String,
    errors: FieldErrors,
    /// Why the last form was not taken, when it is not one field's fault.
    alert: Option<&'static str>,
    /// The district (and branch) holding it; `None` in the state office's
    /// queue.
    held_by: Option<String>,
    /// Likely the same person, within the reader's scope.
    duplicates: Vec<Duplicate>,
    /// Where it may be routed or sent, for the routing forms.
    units: Vec<UnitChoice>,
}

struct Duplicate {
    /// The declaration's page; `None` for a member (no member pages yet).
    link: Option<String>,
    what: &'static str,
    matched_on: &'static str,
}

pub async fn detail(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = page_id(&id)?;
    render_detail(
        &state,
        &signed_in,
        id,
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_detail(
    state: &WebState,
    signed_in: &SignedIn,
    id: Uuid,
    errors: FieldErrors,
    alert: Option<&'static str>,
    status: StatusCode,
) -> WebResult<Response> {
    let actor = signed_in.actor();
    let view = onboarding::get(&state.app, &actor, id).await?;
    let held_by = match view.application.state.route {
        Some(route) => {
            let district = org_units::get(&state.app, &actor, route.district_id).await?;
            Some(match route.local_id {
                Some(local) => {
                    let local = org_units::get(&state.app, &actor, local).await?;
                    format!("{} ({})", local.name, district.name)
                }
                None => district.name,
            })
        }
        None => None,
    };
    let duplicates = view
        .duplicates
        .iter()
        .flatten()
        .map(|candidate| Duplicate {
            link: (candidate.kind != "member").then(|| format!("/erklaerungen/{}", candidate.id)),
            what: if candidate.kind == "member" {
                "Mitglied"
            } else {
                "Beitrittserklärung"
            },
            matched_on: texts::matched_on(candidate.matched_on),
        })
        .collect();
    let person = &view.application.applicant;
    let timeline = view
        .timeline
        .iter()
        .flatten()
        .map(|event| TimelineEntry {
            at: texts::instant(event.occurred_at),
            what: texts::event(&event.kind).to_owned(),
            status: texts::status(event.to_status),
        })
        .collect();
    let actions = Actions::of(signed_in.account.role, view.application.state.status);
    let units = if actions.route || actions.send_back {
        unit_choices(state, signed_in, Offer::HoldingMembers, None, None).await?
    } else {
        Vec::new()
    };
    let page = DetailPage {
        layout: Layout::of(signed_in),
        units,
        date_of_birth: texts::date(person.date_of_birth),
        email: person
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        phone: person.phone.clone().unwrap_or_default(),
        street: person.street.clone(),
        channel: texts::intake_channel(&view.application.channel).to_owned(),
        objection_deadline: texts::date(view.objection_deadline),
        member_by_statute: view.member_by_statute,
        membership_number: view.membership_number.clone(),
        timeline,
        actions,
        channels: &CONTACT_CHANNELS,
        today: texts::date(state.app.today()),
        errors,
        alert,
        held_by,
        duplicates,
        row: Row::from(view),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// A form that carries nothing but its token.
#[derive(Deserialize)]
pub struct Confirmation {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    contacted_on: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub struct RouteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_unit_id: String,
}

#[derive(Deserialize)]
pub struct SendBackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    /// Another district or branch; empty: back to the state office.
    #[serde(default)]
    org_unit_id: String,
}

/// The state office routes a declaration by hand.
pub async fn route(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RouteForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let Ok(unit) = Uuid::try_parse(&form.org_unit_id) else {
        let mut errors = FieldErrors::default();
        errors.add("org_unit_id", texts::CHOOSE_ONE.to_owned());
        return after_step(&state, &signed_in, id, Ok(()), errors).await;
    };
    let done = onboarding::route(&state.app, &signed_in.actor(), id, unit).await;
    after_step(
        &state,
        &signed_in,
        id,
        done.map(|_| ()),
        FieldErrors::default(),
    )
    .await
}

/// The district gives a declaration back, with a reason: to the state
/// office, or on to the district it belongs to. It then leaves the
/// district's inbox, so the answer is the inbox.
pub async fn send_back(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<SendBackForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let input = Reroute {
        reason: form.reason,
        org_unit_id: Uuid::try_parse(&form.org_unit_id).ok(),
    };
    match onboarding::reroute(&state.app, &signed_in.actor(), id, input).await {
        Ok(_) => Ok(Redirect::to("/erklaerungen?zurueckgegeben=1").into_response()),
        Err(err) => after_step(&state, &signed_in, id, Err(err), FieldErrors::default()).await,
    }
}

/// The district confirms it has taken the declaration over.
pub async fn confirm_handover(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<Confirmation>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let done = onboarding::confirm_handover(&state.app, &signed_in.actor(), id).await;
    after_step(
        &state,
        &signed_in,
        id,
        done.map(|_| ()),
        FieldErrors::default(),
    )
    .await
}

/// The first contact with the applicant: when, how, and a note.
pub async fn record_contact(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let mut errors = FieldErrors::default();
    let Some(contacted_on) = errors.date("contacted_on", &form.contacted_on) else {
        return after_step(&state, &signed_in, id, Ok(()), errors).await;
    };
    let input = ContactInput {
        contacted_on,
        channel: form.channel,
        note: optional(&form.note),
    };
    let done = onboarding::record_contact(&state.app, &signed_in.actor(), id, input).await;
    after_step(&state, &signed_in, id, done.map(|_| ()), errors).await
}

/// Admission or rejection; an admission shows the new membership number.
pub async fn decide(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let mut errors = FieldErrors::default();
    let verdict = match form.verdict.as_str() {
        "admitted" => Some(Verdict::Admitted),
        "rejected" => Some(Verdict::Rejected),
        _ => {
            errors.add("verdict", texts::CHOOSE_ONE.to_owned());
            None
        }
    };
    let decided_on = errors.date("decided_on", &form.decided_on);
    let (Some(verdict), Some(decided_on)) = (verdict, decided_on) else {
        return after_step(&state, &signed_in, id, Ok(()), errors).await;
    };
    let input = DecisionInput {
        verdict,
        decided_on,
        reason: optional(&form.reason),
        contact: None,
    };
    let done = onboarding::decide(&state.app, &signed_in.actor(), id, input).await;
    after_step(&state, &signed_in, id, done.map(|_| ()), errors).await
}

/// After a step: back to the declaration's page (a fresh GET, so that a
/// reload does not post again), or the page again with what was wrong.
async fn after_step(
    state: &WebState,
    signed_in: &SignedIn,
    id: Uuid,
    done: AppResult<()>,
    mut errors: FieldErrors,
) -> WebResult<Response> {
    if !errors.is_empty() {
        return render_detail(
            state,
            signed_in,
            id,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/erklaerungen/{id}")).into_response()),
        Err(AppError::Invalid(fields)) => {
            errors = FieldErrors::of(&fields);
            render_detail(
                state,
                signed_in,
                id,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(_) | AppError::Stale) => {
            render_detail(
                state,
                signed_in,
                id,
                errors,
                Some(texts::STEP_CONFLICT),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
