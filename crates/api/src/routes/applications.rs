use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use kartei_app::onboarding::{
    self, ApplicationView, ContactInput, DecisionInput, Declaration, ListQuery, Reroute, Withdrawal,
};
use kartei_app::paging::PageRequest;
use kartei_domain::application::{Event, Status, Verdict};
use kartei_persistence::applications::DuplicateCandidate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ListResponse;
use crate::auth::Staff;
use crate::dto::ProcessingDto;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
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

impl From<ApplicationView> for ApplicationResponse {
    fn from(view: ApplicationView) -> Self {
        let clocks = view.clocks;
        let a = view.application;
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
            objection_deadline: view.objection_deadline,
            member_by_statute: view.member_by_statute,
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
            membership_number: view.membership_number,
            version: a.version,
            updated_at: a.updated_at,
            possible_duplicates: view
                .duplicates
                .map(|d| d.into_iter().map(DuplicateDto::from).collect()),
            timeline: view
                .timeline
                .map(|t| t.into_iter().map(TimelineEntry::from).collect()),
        }
    }
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
    let declaration = Declaration {
        received_on: request.received_on,
        channel: request.channel,
        first_name: request.first_name,
        last_name: request.last_name,
        date_of_birth: request.date_of_birth,
        email: request.email,
        phone: request.phone,
        street: request.street,
        postal_code: request.postal_code,
        city: request.city,
        interests: request.interests,
        preferred_org_unit_id: request.preferred_org_unit_id,
        notes: request.notes,
    };
    let view = onboarding::register(&state.app, &staff.actor(), declaration).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
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
    let page = PageRequest {
        limit: params.limit,
        cursor: params.cursor,
    };
    let query = ListQuery {
        status: params.status.map(Into::into),
        org_unit_id: params.org_unit_id,
        overdue: params.overdue == Some(true),
        q: params.q,
    };
    let page = onboarding::list(&state.app, &staff.actor(), query, &page).await?;
    Ok(Json(ListResponse::from_page(
        page,
        ApplicationResponse::from,
    )))
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
    let view = onboarding::get(&state.app, &staff.actor(), id).await?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRequest {
    /// A district or local branch.
    pub org_unit_id: Uuid,
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
    let view = onboarding::route(&state.app, &staff.actor(), id, request.org_unit_id).await?;
    Ok(Json(view.into()))
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
    let view = onboarding::confirm_handover(&state.app, &staff.actor(), id).await?;
    Ok(Json(view.into()))
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
    let input = Reroute {
        reason: request.reason,
        org_unit_id: request.org_unit_id,
    };
    let view = onboarding::reroute(&state.app, &staff.actor(), id, input).await?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub contacted_on: NaiveDate,
    /// phone, email, in_person, letter, video or other
    pub channel: String,
    pub note: Option<String>,
}

impl From<ContactRequest> for ContactInput {
    fn from(request: ContactRequest) -> Self {
        ContactInput {
            contacted_on: request.contacted_on,
            channel: request.channel,
            note: request.note,
        }
    }
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
    let view = onboarding::record_contact(&state.app, &staff.actor(), id, request.into()).await?;
    Ok(Json(view.into()))
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
    let input = DecisionInput {
        verdict: match request.decision {
            VerdictDto::Admitted => Verdict::Admitted,
            VerdictDto::Rejected => Verdict::Rejected,
        },
        decided_on: request.decided_on,
        reason: request.reason,
        contact: request.contact.map(ContactInput::from),
    };
    let view = onboarding::decide(&state.app, &staff.actor(), id, input).await?;
    Ok(Json(view.into()))
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
    let input = Withdrawal {
        withdrawn_on: request.withdrawn_on,
        reason: request.reason,
    };
    let view = onboarding::withdraw(&state.app, &staff.actor(), id, input).await?;
    Ok(Json(view.into()))
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
    let export = onboarding::export(&state.app, &staff.actor(), id).await?;
    Ok(Json(ApplicationExport {
        exported_at: export.exported_at,
        application: export.application.into(),
        processing: export.processing.into(),
    }))
}
