use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::{
    Application, CONTACT_CHANNELS, Command, Contact, Decision, Event, INTAKE_CHANNELS, Status,
    Verdict,
};
use kartei_domain::authz::{Scope, visible_scope};
use kartei_domain::privacy;
use kartei_domain::{Action, OrgUnitKind, authorize, person};
use kartei_persistence::applications::{self, DuplicateCandidate, ListFilter, UnitFilter};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::{RepoError, TransactionTrait, members, org_units};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ListResponse;
use crate::auth::Staff;
use crate::checks::Checks;
use crate::dto::ProcessingDto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, PageParams, Path, Query};
use crate::local_time;
use crate::onboarding::{self, Registration, clocks_of, objection_deadline, route_to};
use crate::person_input::{self, PersonInput};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_applications, register_application))
        .routes(routes!(get_application))
        .routes(routes!(route_application))
        .routes(routes!(confirm_handover))
        .routes(routes!(reroute_application))
        .routes(routes!(record_contact))
        .routes(routes!(decide_application))
        .routes(routes!(withdraw_application))
        .routes(routes!(export_application))
}

const NOTES_MAX: usize = 2000;
const REASON_MAX: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatusDto {
    Received,
    Unroutable,
    Routed,
    HandedOver,
    Contacted,
    Admitted,
    Rejected,
    Withdrawn,
}

impl From<ApplicationStatusDto> for Status {
    fn from(status: ApplicationStatusDto) -> Self {
        match status {
            ApplicationStatusDto::Received => Status::Received,
            ApplicationStatusDto::Unroutable => Status::Unroutable,
            ApplicationStatusDto::Routed => Status::Routed,
            ApplicationStatusDto::HandedOver => Status::HandedOver,
            ApplicationStatusDto::Contacted => Status::Contacted,
            ApplicationStatusDto::Admitted => Status::Admitted,
            ApplicationStatusDto::Rejected => Status::Rejected,
            ApplicationStatusDto::Withdrawn => Status::Withdrawn,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The day the declaration reached the party.
    pub received_on: NaiveDate,
    /// paper, email, online, event, phone or other
    pub channel: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    #[schema(pattern = "^[0-9]{5}$")]
    pub postal_code: String,
    pub city: String,
    #[serde(default)]
    pub interests: Vec<String>,
    /// A district or local branch the applicant chose; wins over the postal code.
    pub preferred_org_unit_id: Option<Uuid>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateDto {
    /// `member` or `application`
    pub kind: String,
    pub id: Uuid,
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    /// `name_and_birth_date` or `email`
    pub matched_on: String,
}

impl From<DuplicateCandidate> for DuplicateDto {
    fn from(candidate: DuplicateCandidate) -> Self {
        DuplicateDto {
            kind: candidate.kind.to_owned(),
            id: candidate.id,
            district_id: candidate.district_id,
            local_id: candidate.local_id,
            matched_on: candidate.matched_on.to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub id: Uuid,
    pub kind: String,
    pub from_status: Option<ApplicationStatusDto>,
    pub to_status: ApplicationStatusDto,
    /// The staff account that did it.
    pub actor_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<Status> for ApplicationStatusDto {
    fn from(status: Status) -> Self {
        status_dto(status)
    }
}

fn status_dto(status: Status) -> ApplicationStatusDto {
    match status {
        Status::Received => ApplicationStatusDto::Received,
        Status::Unroutable => ApplicationStatusDto::Unroutable,
        Status::Routed => ApplicationStatusDto::Routed,
        Status::HandedOver => ApplicationStatusDto::HandedOver,
        Status::Contacted => ApplicationStatusDto::Contacted,
        Status::Admitted => ApplicationStatusDto::Admitted,
        Status::Rejected => ApplicationStatusDto::Rejected,
        Status::Withdrawn => ApplicationStatusDto::Withdrawn,
    }
}

impl From<Event> for TimelineEntry {
    fn from(event: Event) -> Self {
        TimelineEntry {
            id: event.id,
            kind: event.kind,
            from_status: event.from_status.map(status_dto),
            to_status: status_dto(event.to_status),
            actor_id: event.actor_id,
            occurred_at: event.occurred_at,
            data: event.data,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationResponse {
    pub id: Uuid,
    pub status: ApplicationStatusDto,
    pub received_on: NaiveDate,
    pub channel: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub interests: Vec<String>,
    pub preferred_org_unit_id: Option<Uuid>,
    pub notes: Option<String>,
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    /// received_on + admission.objection_days: from then on the applicant is
    /// a member by statute.
    pub objection_deadline: NaiveDate,
    /// Open and past the objection deadline: a member without a record.
    pub member_by_statute: bool,
    /// The stage an open application waits in: handover, first_contact or decision.
    pub stage: Option<String>,
    /// Days in the current stage (open applications).
    pub days_in_stage: Option<i64>,
    /// Days since the declaration was received (open applications).
    pub days_waiting: Option<i64>,
    pub overdue: bool,
    pub escalated: bool,
    pub registered_at: DateTime<Utc>,
    pub registered_by: Uuid,
    pub routed_at: Option<DateTime<Utc>>,
    pub handed_over_at: Option<DateTime<Utc>>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub contacted_on: Option<NaiveDate>,
    pub contact_channel: Option<String>,
    pub contact_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_on: Option<NaiveDate>,
    pub decision_reason: Option<String>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_reason: Option<String>,
    pub member_id: Option<Uuid>,
    pub membership_number: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// On registration and on reading one application: members and open
    /// applications that may be the same person (ids and units only), as
    /// far as they lie inside the reader's scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possible_duplicates: Option<Vec<DuplicateDto>>,
    /// On reading one application: its full history, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

impl ApplicationResponse {
    fn new(state: &AppState, application: Application) -> Self {
        let today = local_time::local_date(state.clock.now());
        let clocks = clocks_of(state, &application, today);
        let deadline = objection_deadline(state, &application);
        let open = application.state.status.is_open();
        let a = application;
        let person = a.applicant;
        let contact = a.state.contact;
        let decision = a.state.decision;
        ApplicationResponse {
            id: a.id,
            status: status_dto(a.state.status),
            received_on: a.received_on,
            channel: a.channel,
            first_name: person.first_name,
            last_name: person.last_name,
            date_of_birth: person.date_of_birth,
            email: person.email.map(|e| e.to_string()),
            phone: person.phone,
            street: person.street,
            postal_code: person.postal_code.to_string(),
            city: person.city,
            interests: person.interests,
            preferred_org_unit_id: a.preferred_org_unit_id,
            notes: a.notes,
            district_id: a.state.route.map(|r| r.district_id),
            local_id: a.state.route.and_then(|r| r.local_id),
            objection_deadline: deadline,
            member_by_statute: open && today > deadline,
            stage: clocks.map(|c| c.stage.as_str().to_owned()),
            days_in_stage: clocks.map(|c| c.stage_days),
            days_waiting: clocks.map(|c| c.entry_days),
            overdue: clocks.is_some_and(|c| c.overdue),
            escalated: clocks.is_some_and(|c| c.escalated),
            registered_at: a.registered_at,
            registered_by: a.registered_by,
            routed_at: a.routed_at,
            handed_over_at: a.handed_over_at,
            contacted_at: a.contacted_at,
            contacted_on: contact.as_ref().map(|c| c.contacted_on),
            contact_channel: contact.as_ref().map(|c| c.channel.clone()),
            contact_note: contact.and_then(|c| c.note),
            decided_at: a.decided_at,
            decided_on: decision.as_ref().map(|d| d.decided_on),
            decision_reason: decision.and_then(|d| d.reason),
            withdrawn_on: a.state.withdrawn_on,
            withdrawal_reason: a.withdrawal_reason,
            member_id: a.member_id,
            membership_number: None,
            version: a.version,
            updated_at: a.updated_at,
            possible_duplicates: None,
            timeline: None,
        }
    }

    /// The full view, for the GDPR export.
    pub async fn full_for_export(state: &AppState, application: Application) -> ApiResult<Self> {
        Self::full(state, application).await
    }

    /// The full view of one application: timeline and membership number.
    async fn full(state: &AppState, application: Application) -> ApiResult<Self> {
        let events = applications::events(&state.db, application.id).await?;
        let member_id = application.member_id;
        let mut response = ApplicationResponse::new(state, application);
        if let Some(member_id) = member_id {
            response.membership_number =
                Some(members::get(&state.db, member_id).await?.membership_number);
        }
        response.timeline = Some(events.into_iter().map(TimelineEntry::from).collect());
        Ok(response)
    }
}

pub fn optional_text(raw: Option<String>) -> Option<String> {
    raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub fn multi_line(raw: &str, max: usize) -> Result<String, String> {
    let text = raw.trim();
    if text.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        Err("must not contain control characters".into())
    } else {
        Ok(text.to_owned())
    }
}

pub fn one_of(value: &str, allowed: &[&str]) -> Result<String, String> {
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(format!("must be one of {}", allowed.join(", ")))
    }
}

async fn parse_registration(state: &AppState, request: RegisterRequest) -> ApiResult<Registration> {
    let today = local_time::local_date(state.clock.now());
    let mut checks = Checks::new();
    let received_on = checks.field(
        "received_on",
        person::not_in_future(request.received_on, today),
    );
    let channel = checks.field("channel", one_of(&request.channel, &INTAKE_CHANNELS));
    let applicant = person_input::parse(
        &mut checks,
        &PersonInput {
            first_name: &request.first_name,
            last_name: &request.last_name,
            date_of_birth: request.date_of_birth,
            email: request.email.as_deref(),
            phone: request.phone.as_deref(),
            street: &request.street,
            postal_code: &request.postal_code,
            city: &request.city,
            interests: &request.interests,
        },
        received_on.unwrap_or(today),
    );
    let notes = match optional_text(request.notes) {
        Some(raw) => checks.field("notes", multi_line(&raw, NOTES_MAX)).map(Some),
        None => Some(None),
    };
    let preferred_route = match request.preferred_org_unit_id {
        Some(unit) => match route_to(state, unit).await? {
            Some(route) => Some(route),
            None => {
                checks.fail(
                    "preferred_org_unit_id",
                    "must be a district or a local branch",
                );
                None
            }
        },
        None => None,
    };
    checks.finish()?;
    let (Some(received_on), Some(channel), Some(applicant), Some(notes)) =
        (received_on, channel, applicant, notes)
    else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };
    Ok(Registration {
        received_on,
        channel,
        applicant,
        preferred_org_unit_id: request.preferred_org_unit_id,
        preferred_route,
        notes,
    })
}

/// Register a membership declaration; it is routed at once.
#[utoipa::path(
    post, path = "/applications", tag = "applications", security(("bearer" = [])),
    request_body = RegisterRequest,
    responses(
        (status = 201, body = ApplicationResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn register_application(
    State(state): State<AppState>,
    staff: Staff,
    Json(request): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<ApplicationResponse>)> {
    authorize(&staff.actor(), Action::RegisterApplication, None)?;
    let registration = parse_registration(&state, request).await?;
    let (application, duplicates) = onboarding::register(&state, &staff, registration).await?;
    let duplicates = onboarding::visible_duplicates(&state, &staff, duplicates).await?;
    let mut response = ApplicationResponse::new(&state, application);
    response.possible_duplicates = Some(duplicates.into_iter().map(DuplicateDto::from).collect());
    Ok((StatusCode::CREATED, Json(response)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub status: Option<ApplicationStatusDto>,
    /// A district or local branch.
    pub org_unit_id: Option<Uuid>,
    /// Only applications past a service level.
    pub overdue: Option<bool>,
    /// A name prefix or an e-mail address.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The filter for what `staff` may see.
pub async fn scope_filter(state: &AppState, staff: &Staff) -> ApiResult<Option<UnitFilter>> {
    Ok(match visible_scope(&staff.actor()) {
        Scope::Everything => Some(UnitFilter::All),
        Scope::Subtree(unit) => Some(unit_filter(state, unit).await?),
        Scope::Nothing => None,
    })
}

/// The unit a list was asked to narrow to (`?org_unit_id=`); an unknown
/// one is a field error, since it is a filter, not the resource asked for.
pub async fn requested_unit(state: &AppState, unit: Option<Uuid>) -> ApiResult<Option<UnitFilter>> {
    let Some(unit) = unit else {
        return Ok(None);
    };
    match unit_filter(state, unit).await {
        Ok(filter) => Ok(Some(filter)),
        Err(ApiError::NotFound) => Err(ApiError::validation("org_unit_id", "no such org unit")),
        Err(err) => Err(err),
    }
}

pub async fn unit_filter(state: &AppState, unit: Uuid) -> ApiResult<UnitFilter> {
    Ok(match org_units::get(&state.db, unit).await?.kind {
        OrgUnitKind::State => UnitFilter::All,
        OrgUnitKind::District => UnitFilter::District(unit),
        OrgUnitKind::Local => UnitFilter::Local(unit),
    })
}

/// Applications the caller may see, filtered.
#[utoipa::path(
    get, path = "/applications", tag = "applications", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, body = ListResponse<ApplicationResponse>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_applications(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<ListResponse<ApplicationResponse>>> {
    authorize(&staff.actor(), Action::ReadApplications, None)?;
    let (limit, after) = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .resolve()?;
    let Some(scope) = scope_filter(&state, &staff).await? else {
        return Ok(Json(ListResponse {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let unit = requested_unit(&state, params.org_unit_id).await?;
    let today = local_time::local_date(state.clock.now());
    let filter = ListFilter {
        scope: Some(scope),
        unit,
        status: params.status.map(Into::into),
        overdue: params
            .overdue
            .filter(|o| *o)
            .map(|_| onboarding::overdue_cutoffs(&state, today)),
        query: params.q,
    };
    let page = applications::list(&state.db, &filter, after, limit).await?;
    Ok(Json(ListResponse::from_page(page, |a| {
        ApplicationResponse::new(&state, a)
    })))
}

/// One application with its timeline.
#[utoipa::path(
    get, path = "/applications/{id}", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_application(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ApplicationResponse>> {
    let application = onboarding::read(&state, &staff, id).await?;
    let duplicates = applications::duplicates_of(&state.db, id).await?;
    let duplicates = onboarding::visible_duplicates(&state, &staff, duplicates).await?;
    let mut response = ApplicationResponse::full(&state, application).await?;
    response.possible_duplicates = Some(duplicates.into_iter().map(DuplicateDto::from).collect());
    Ok(Json(response))
}

async fn transition_response(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    command: Command,
) -> ApiResult<Json<ApplicationResponse>> {
    let application = onboarding::apply(state, staff, id, command).await?;
    Ok(Json(ApplicationResponse::full(state, application).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRequest {
    /// A district or local branch.
    pub org_unit_id: Uuid,
}

async fn required_route(
    state: &AppState,
    field: &str,
    unit: Uuid,
) -> ApiResult<kartei_domain::application::Route> {
    route_to(state, unit)
        .await?
        .ok_or_else(|| ApiError::validation(field, "must be a district or a local branch"))
}

/// Route by hand (the state office's manual queue, or before hand-over).
#[utoipa::path(
    post, path = "/applications/{id}/route", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RouteRequest,
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn route_application(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<RouteRequest>,
) -> ApiResult<Json<ApplicationResponse>> {
    authorize(&staff.actor(), Action::RouteApplication, None)?;
    let route = required_route(&state, "org_unit_id", request.org_unit_id).await?;
    transition_response(&state, &staff, id, Command::Route(route)).await
}

/// The district confirms it has taken the application over.
#[utoipa::path(
    post, path = "/applications/{id}/handover", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn confirm_handover(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ApplicationResponse>> {
    transition_response(&state, &staff, id, Command::ConfirmHandover).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RerouteRequest {
    pub reason: String,
    /// Another district or branch; without it the application goes back to
    /// the state office's queue.
    pub org_unit_id: Option<Uuid>,
}

/// Send the application back (wrong district), to the state office or to another unit.
#[utoipa::path(
    post, path = "/applications/{id}/reroute", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RerouteRequest,
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn reroute_application(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<RerouteRequest>,
) -> ApiResult<Json<ApplicationResponse>> {
    authorize(&staff.actor(), Action::RerouteApplication, None)?;
    let mut checks = Checks::new();
    let reason = checks.field(
        "reason",
        multi_line(&request.reason, REASON_MAX).and_then(non_empty),
    );
    let to = match request.org_unit_id {
        Some(unit) => match route_to(&state, unit).await? {
            Some(route) => Some(route),
            None => {
                checks.fail("org_unit_id", "must be a district or a local branch");
                None
            }
        },
        None => None,
    };
    checks.finish()?;
    let reason = reason.unwrap_or_default();
    transition_response(&state, &staff, id, Command::Reroute { to, reason }).await
}

fn non_empty(text: String) -> Result<String, String> {
    if text.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(text)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub contacted_on: NaiveDate,
    /// phone, email, in_person, letter, video or other
    pub channel: String,
    pub note: Option<String>,
}

fn parse_contact(checks: &mut Checks, prefix: &str, request: ContactRequest) -> Option<Contact> {
    let channel = checks.field(
        &format!("{prefix}channel"),
        one_of(&request.channel, &CONTACT_CHANNELS),
    );
    let note = match optional_text(request.note) {
        Some(raw) => checks
            .field(&format!("{prefix}note"), multi_line(&raw, NOTES_MAX))
            .map(Some),
        None => Some(None),
    };
    Some(Contact {
        contacted_on: request.contacted_on,
        channel: channel?,
        note: note?,
    })
}

/// Record the first contact with the applicant.
#[utoipa::path(
    post, path = "/applications/{id}/contact", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ContactRequest,
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record_contact(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<ContactRequest>,
) -> ApiResult<Json<ApplicationResponse>> {
    authorize(&staff.actor(), Action::RecordContact, None)?;
    let mut checks = Checks::new();
    let contact = parse_contact(&mut checks, "", request);
    checks.finish()?;
    let Some(contact) = contact else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };
    transition_response(&state, &staff, id, Command::RecordContact(contact)).await
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictDto {
    Admitted,
    Rejected,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: VerdictDto,
    pub decided_on: NaiveDate,
    /// Required when rejecting.
    pub reason: Option<String>,
    /// The first contact, when it is recorded together with the decision.
    pub contact: Option<ContactRequest>,
}

/// Admit (creates the member record with a new membership number) or reject.
#[utoipa::path(
    post, path = "/applications/{id}/decision", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DecisionRequest,
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn decide_application(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<DecisionRequest>,
) -> ApiResult<Json<ApplicationResponse>> {
    authorize(&staff.actor(), Action::DecideApplication, None)?;
    let verdict = match request.decision {
        VerdictDto::Admitted => Verdict::Admitted,
        VerdictDto::Rejected => Verdict::Rejected,
    };
    let mut checks = Checks::new();
    let reason = match optional_text(request.reason) {
        Some(raw) => checks
            .field("reason", multi_line(&raw, REASON_MAX))
            .map(Some),
        None if verdict == Verdict::Rejected => {
            checks.fail("reason", "a rejection needs a reason");
            None
        }
        None => Some(None),
    };
    let contact = request
        .contact
        .map(|contact| parse_contact(&mut checks, "contact.", contact));
    checks.finish()?;
    let command = Command::Decide {
        decision: Decision {
            verdict,
            decided_on: request.decided_on,
            reason: reason.flatten(),
        },
        contact: contact.flatten(),
    };
    transition_response(&state, &staff, id, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    pub withdrawn_on: NaiveDate,
    pub reason: Option<String>,
}

/// The applicant withdrew the declaration.
#[utoipa::path(
    post, path = "/applications/{id}/withdrawal", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = WithdrawalRequest,
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn withdraw_application(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<WithdrawalRequest>,
) -> ApiResult<Json<ApplicationResponse>> {
    authorize(&staff.actor(), Action::WithdrawApplication, None)?;
    let mut checks = Checks::new();
    let reason = match optional_text(request.reason) {
        Some(raw) => checks
            .field("reason", multi_line(&raw, REASON_MAX))
            .map(Some),
        None => Some(None),
    };
    checks.finish()?;
    let command = Command::Withdraw {
        withdrawn_on: request.withdrawn_on,
        reason: reason.flatten(),
    };
    transition_response(&state, &staff, id, command).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationExport {
    pub exported_at: DateTime<Utc>,
    /// The declaration with its whole timeline.
    pub application: ApplicationResponse,
    /// Purposes, recipients and the retention rule (Art. 15 (1) a, c, d).
    pub processing: ProcessingDto,
}

/// Everything kartei stores about an applicant (GDPR Art. 15), for one who
/// never became a member; the export is recorded in the audit trail.
#[utoipa::path(
    get, path = "/applications/{id}/export", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ApplicationExport),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn export_application(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ApplicationExport>> {
    let actor = staff.actor();
    authorize(&actor, Action::ExportApplicant, None)?;
    let application = applications::get(&state.db, id).await?;
    let path = onboarding::scope_path(&state, &application).await?;
    authorize(&actor, Action::ExportApplicant, Some(&path))?;
    let now = state.clock.now();
    // Recorded before it is handed out: an export that happened is never missing.
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(staff.0.id),
            action: "application_exported",
            subject_type: "application",
            subject_id: Some(id),
            details: serde_json::json!({}),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;
    let processing = privacy::of_application(
        &application,
        crate::members::state_unit_id(&state).await?,
        state.settings.retention.days_after_closing,
    );
    Ok(Json(ApplicationExport {
        exported_at: now,
        application: ApplicationResponse::full(&state, application).await?,
        processing: processing.into(),
    }))
}
