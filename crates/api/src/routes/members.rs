use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::authz::{Scope, visible_scope};
use kartei_domain::member::{self, CONSENT_KINDS, Member, MemberStatus};
use kartei_domain::privacy;
use kartei_domain::{Action, authorize, person};
use kartei_persistence::applications::UnitFilter;
use kartei_persistence::members::{
    self as member_repo, MemberCursor, MemberFilter, MemberQuery, NewMember,
};
use kartei_persistence::{RepoError, TransactionTrait, audit, transfers};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::applications::ApplicationResponse;
use super::transfers::TransferResponse;
use crate::auth::Staff;
use crate::checks::Checks;
use crate::csv_out::{excel_csv, optional};
use crate::dto::ProcessingDto;
use crate::dto::double_option;
use crate::error::{ApiError, ApiResult};
use crate::extract::{IfMatch, ImportBody, Json, Path, Query};
use crate::local_time;
use crate::members::{self, View};
use crate::person_input::{self, PersonInput};
use crate::state::AppState;
use kartei_app::onboarding::{multi_line, optional_text};
use kartei_app::scope::{list_scope, requested_unit};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, create_member))
        .routes(routes!(get_member, update_member))
        .routes(routes!(resign))
        .routes(routes!(member_history))
        .routes(routes!(export_member))
        .routes(routes!(import_members))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatusDto {
    Active,
    Left,
    Deceased,
    Expelled,
}

impl From<MemberStatusDto> for MemberStatus {
    fn from(status: MemberStatusDto) -> Self {
        match status {
            MemberStatusDto::Active => MemberStatus::Active,
            MemberStatusDto::Left => MemberStatus::Left,
            MemberStatusDto::Deceased => MemberStatus::Deceased,
            MemberStatusDto::Expelled => MemberStatus::Expelled,
        }
    }
}

fn status_dto(status: MemberStatus) -> MemberStatusDto {
    match status {
        MemberStatus::Active => MemberStatusDto::Active,
        MemberStatus::Left => MemberStatusDto::Left,
        MemberStatus::Deceased => MemberStatusDto::Deceased,
        MemberStatus::Expelled => MemberStatusDto::Expelled,
    }
}

/// A member record. A former district that keeps home ties sees the
/// `home_ties` view: name and contact data, every other field null.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub id: Uuid,
    /// `full` or `home_ties`
    pub view: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub membership_number: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub interests: Option<Vec<String>>,
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    pub status: Option<MemberStatusDto>,
    pub received_on: Option<NaiveDate>,
    pub joined_on: Option<NaiveDate>,
    pub entered_at: Option<DateTime<Utc>>,
    pub left_on: Option<NaiveDate>,
    /// A resignation recorded for a later day: the member is active until
    /// then, and `left` from that day on.
    pub resigns_on: Option<NaiveDate>,
    pub status_reason: Option<String>,
    /// Consent kind → when it was given.
    pub consents: Option<BTreeMap<String, DateTime<Utc>>>,
    pub home_district_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub version: Option<i64>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// When the retention job removed the person's data.
    pub anonymised_at: Option<DateTime<Utc>>,
}

impl MemberResponse {
    pub fn new(member: Member, view: View) -> Self {
        let full = view == View::Full;
        let p = member.person;
        MemberResponse {
            id: member.id,
            view: if full { "full" } else { "home_ties" }.into(),
            first_name: p.first_name,
            last_name: p.last_name,
            email: p.email.map(|e| e.to_string()),
            phone: p.phone,
            street: p.street,
            postal_code: p.postal_code.to_string(),
            city: p.city,
            membership_number: full.then_some(member.membership_number),
            date_of_birth: full.then_some(p.date_of_birth),
            interests: full.then_some(p.interests),
            district_id: full.then_some(member.district_id),
            local_id: member.local_id.filter(|_| full),
            status: full.then_some(status_dto(member.status)),
            received_on: full.then_some(member.received_on),
            joined_on: full.then_some(member.joined_on),
            entered_at: full.then_some(member.entered_at),
            left_on: member.left_on.filter(|_| full),
            resigns_on: member.resigns_on.filter(|_| full),
            status_reason: member.status_reason.filter(|_| full),
            consents: full.then_some(member.consents),
            home_district_id: member.home_district_id.filter(|_| full),
            application_id: member.application_id.filter(|_| full),
            version: full.then_some(member.version),
            created_at: full.then_some(member.created_at),
            updated_at: full.then_some(member.updated_at),
            anonymised_at: member.anonymised_at.filter(|_| full),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMemberRequest {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    #[schema(pattern = "^[0-9]{5}$")]
    pub postal_code: String,
    pub city: String,
    /// A district or local branch.
    pub org_unit_id: Uuid,
    /// The day the declaration reached the party.
    pub received_on: NaiveDate,
    pub joined_on: NaiveDate,
    #[serde(default)]
    pub interests: Vec<String>,
    /// Consents given with the declaration.
    #[serde(default)]
    pub consents: Vec<String>,
}

/// The checked data of a direct entry, shared with the CSV import.
pub struct EntryInput<'a> {
    pub person: PersonInput<'a>,
    pub received_on: NaiveDate,
    pub joined_on: NaiveDate,
    pub consents: &'a [String],
}

pub fn check_entry(
    checks: &mut Checks,
    input: &EntryInput<'_>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Option<(
    kartei_domain::application::Applicant,
    BTreeMap<String, DateTime<Utc>>,
)> {
    let received_ok = checks
        .field(
            "received_on",
            person::not_in_future(input.received_on, today),
        )
        .is_some();
    let joined_ok = checks
        .field("joined_on", person::not_in_future(input.joined_on, today))
        .is_some();
    if received_ok && joined_ok && input.joined_on < input.received_on {
        checks.fail("joined_on", "must not be before received_on");
    }
    let applicant = person_input::parse(checks, &input.person, input.received_on);
    let mut consents = BTreeMap::new();
    for kind in input.consents {
        if CONSENT_KINDS.contains(&kind.as_str()) {
            consents.insert(kind.clone(), now);
        } else {
            checks.fail(
                "consents",
                format!("must be among {}", CONSENT_KINDS.join(", ")),
            );
        }
    }
    Some((applicant?, consents))
}

/// Enter a member directly (a declaration that reached a district first).
#[utoipa::path(
    post, path = "/members", tag = "members", security(("bearer" = [])),
    request_body = CreateMemberRequest,
    responses(
        (status = 201, body = MemberResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The unit lies outside the caller's part of the tree", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The membership number is taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_member(
    State(state): State<AppState>,
    staff: Staff,
    Json(request): Json<CreateMemberRequest>,
) -> ApiResult<(StatusCode, Json<MemberResponse>)> {
    authorize(&staff.actor(), Action::CreateMember, None)?;
    let now = state.clock.now();
    let today = local_time::local_date(now);
    let mut checks = Checks::new();
    let entry = check_entry(
        &mut checks,
        &EntryInput {
            person: PersonInput {
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
            received_on: request.received_on,
            joined_on: request.joined_on,
            consents: &request.consents,
        },
        today,
        now,
    );
    let holding = match members::holding(&state, request.org_unit_id).await? {
        Some((district, local)) => {
            let path = members::path_of(&state, local.unwrap_or(district)).await?;
            if authorize(&staff.actor(), Action::CreateMember, Some(&path)).is_ok() {
                Some((district, local))
            } else {
                checks.fail("org_unit_id", "is outside your part of the organisation");
                None
            }
        }
        None => {
            checks.fail("org_unit_id", "must be a district or a local branch");
            None
        }
    };
    checks.finish()?;
    let (Some((person, consents)), Some((district_id, local_id))) = (entry, holding) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };
    let member = members::create(
        &state,
        &staff,
        NewMember {
            id: Uuid::now_v7(),
            membership_number: String::new(),
            person,
            district_id,
            local_id,
            received_on: request.received_on,
            joined_on: request.joined_on,
            application_id: None,
            consents,
            source: kartei_domain::member::EntrySource::DirectEntry,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberResponse::new(member, View::Full)),
    ))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ListFormat {
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberListParams {
    /// A name prefix, a membership number or an e-mail address.
    pub q: Option<String>,
    /// A district or local branch.
    pub org_unit_id: Option<Uuid>,
    pub status: Option<MemberStatusDto>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `csv` for an Excel-ready list (`;`, UTF-8 with BOM) of every match.
    pub format: Option<ListFormat>,
}

fn encode_member_cursor(cursor: &MemberCursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!([cursor.0, cursor.1]).to_string())
}

fn decode_member_cursor(raw: &str) -> Result<MemberCursor, ApiError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<(String, Uuid)>(&bytes).ok())
        .ok_or_else(|| ApiError::validation("cursor", "is not a cursor this API handed out"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<MemberResponse>,
    pub next_cursor: Option<String>,
}

/// Members the caller may see, alphabetically; home-tie members of a former
/// district appear with name and contact only.
#[utoipa::path(
    get, path = "/members", tag = "members", security(("bearer" = [])),
    params(MemberListParams),
    responses(
        (status = 200, description = "JSON, or text/csv with ?format=csv", content(
            (MemberList = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_members(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<MemberListParams>,
) -> ApiResult<Response> {
    let actor = staff.actor();
    authorize(&actor, Action::ReadMembers, None)?;
    let limit = crate::extract::page_size(params.limit)?;
    let after = params
        .cursor
        .as_deref()
        .map(decode_member_cursor)
        .transpose()?;
    let Some(scope) = list_scope(&state.app, &staff.actor()).await? else {
        return Ok(Json(MemberList {
            items: Vec::new(),
            next_cursor: None,
        })
        .into_response());
    };
    let home = match (visible_scope(&actor), scope) {
        (Scope::Subtree(unit), UnitFilter::District(_)) => Some(unit),
        _ => None,
    };
    let unit = requested_unit(&state.app, params.org_unit_id).await?;
    let filter = MemberFilter {
        scope: Some(scope),
        include_home_ties_of: home,
        unit,
        status: params.status.map(Into::into),
        query: params.q.as_deref().and_then(MemberQuery::parse),
    };
    let view_of = |member: &Member| match scope {
        UnitFilter::All => View::Full,
        UnitFilter::District(d) if member.district_id == d => View::Full,
        UnitFilter::Local(l) if member.local_id == Some(l) => View::Full,
        _ => View::HomeTies,
    };
    if params.format == Some(ListFormat::Csv) {
        let mut all = Vec::new();
        let mut cursor = after;
        loop {
            let (page, next) = member_repo::list(&state.db, &filter, cursor, 1000).await?;
            all.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let rows: Vec<MemberResponse> = all
            .into_iter()
            .map(|m| {
                let view = view_of(&m);
                MemberResponse::new(m, view)
            })
            .collect();
        // The search term may be a name or an e-mail address: the trail
        // keeps only that there was one.
        let filter = serde_json::json!({
            "org_unit_id": params.org_unit_id,
            "status": params.status,
            "search_term_given": params.q.is_some(),
        });
        super::audit::record_export(&state, &staff, "member_list", filter, rows.len()).await?;
        return csv_response(&rows);
    }
    let (page, next) = member_repo::list(&state.db, &filter, after, u64::from(limit)).await?;
    let items = page
        .into_iter()
        .map(|m| {
            let view = view_of(&m);
            MemberResponse::new(m, view)
        })
        .collect();
    Ok(Json(MemberList {
        items,
        next_cursor: next.as_ref().map(encode_member_cursor),
    })
    .into_response())
}

/// The member list as an Excel-ready CSV.
fn csv_response(rows: &[MemberResponse]) -> ApiResult<Response> {
    let header = [
        "membership_number",
        "last_name",
        "first_name",
        "date_of_birth",
        "email",
        "phone",
        "street",
        "postal_code",
        "city",
        "status",
        "joined_on",
        "district_id",
        "local_id",
    ];
    let lines = rows.iter().map(|m| {
        vec![
            optional(m.membership_number.clone()),
            m.last_name.clone(),
            m.first_name.clone(),
            optional(m.date_of_birth),
            optional(m.email.clone()),
            optional(m.phone.clone()),
            m.street.clone(),
            m.postal_code.clone(),
            m.city.clone(),
            optional(m.status.map(|s| MemberStatus::from(s).as_str())),
            optional(m.joined_on),
            optional(m.district_id),
            optional(m.local_id),
        ]
    });
    excel_csv("mitglieder.csv", &header, lines)
}

/// One member.
#[utoipa::path(
    get, path = "/members/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = MemberResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_member(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MemberResponse>> {
    let (member, view) = members::read(&state, &staff, id, Action::ReadMembers).await?;
    Ok(Json(MemberResponse::new(member, view)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub interests: Option<Vec<String>>,
    /// A local branch of the member's district; `null` for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub local_id: Option<Option<Uuid>>,
    /// Consent kind → given (`true`) or withdrawn (`false`).
    pub consents: Option<BTreeMap<String, bool>>,
    /// `deceased` or `expelled` (resignations go through /resignation).
    pub status: Option<MemberStatusDto>,
    /// The day the membership ended; required with `status`.
    pub left_on: Option<NaiveDate>,
    pub status_reason: Option<String>,
}

/// Change master data; needs `If-Match` with the version edited.
#[utoipa::path(
    patch, path = "/members/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The version edited, quoted")),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, body = MemberResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn update_member(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    Json(request): Json<UpdateMemberRequest>,
) -> ApiResult<Json<MemberResponse>> {
    authorize(&staff.actor(), Action::EditMember, None)?;
    let (current, view) = members::read(&state, &staff, id, Action::EditMember).await?;
    if view != View::Full {
        return Err(ApiError::NotFound);
    }
    let version = if_match.version()?;
    let now = state.clock.now();
    let today = local_time::local_date(now);
    let p = &current.person;
    let email = match &request.email {
        Some(value) => value.clone(),
        None => p.email.as_ref().map(|e| e.to_string()),
    };
    let phone = match &request.phone {
        Some(value) => value.clone(),
        None => p.phone.clone(),
    };
    let interests = request
        .interests
        .clone()
        .unwrap_or_else(|| p.interests.clone());
    let postal_code = request
        .postal_code
        .clone()
        .unwrap_or_else(|| p.postal_code.to_string());
    let mut checks = Checks::new();
    let person = person_input::parse(
        &mut checks,
        &PersonInput {
            first_name: request.first_name.as_deref().unwrap_or(&p.first_name),
            last_name: request.last_name.as_deref().unwrap_or(&p.last_name),
            date_of_birth: request.date_of_birth.unwrap_or(p.date_of_birth),
            email: email.as_deref(),
            phone: phone.as_deref(),
            street: request.street.as_deref().unwrap_or(&p.street),
            postal_code: &postal_code,
            city: request.city.as_deref().unwrap_or(&p.city),
            interests: &interests,
        },
        current.received_on,
    );
    let local_id = match request.local_id {
        None => Some(current.local_id),
        Some(None) => Some(None),
        Some(Some(branch)) => match members::holding(&state, branch).await? {
            Some((district, Some(local))) if district == current.district_id => Some(Some(local)),
            _ => {
                checks.fail(
                    "local_id",
                    "must be a local branch of the member's district",
                );
                None
            }
        },
    };
    let mut consents = current.consents.clone();
    for (kind, given) in request.consents.iter().flatten() {
        if !CONSENT_KINDS.contains(&kind.as_str()) {
            checks.fail(
                "consents",
                format!("must be among {}", CONSENT_KINDS.join(", ")),
            );
        } else if *given {
            consents.entry(kind.clone()).or_insert(now);
        } else {
            consents.remove(kind);
        }
    }
    let ending = match request.status.map(MemberStatus::from) {
        None => None,
        Some(status @ (MemberStatus::Deceased | MemberStatus::Expelled)) => match request.left_on {
            Some(on) => checks
                .field("left_on", person::not_in_future(on, today))
                .map(|on| (status, on)),
            None => {
                checks.fail("left_on", "is required with a status");
                None
            }
        },
        Some(_) => {
            checks.fail(
                "status",
                "may only be set to deceased or expelled here; use /resignation to leave",
            );
            None
        }
    };
    let reason = match optional_text(request.status_reason.clone()) {
        Some(raw) => checks
            .field("status_reason", multi_line(&raw, 1000))
            .map(Some),
        None => Some(None),
    };
    checks.finish()?;
    let (Some(person), Some(local_id), Some(reason)) = (person, local_id, reason) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };
    let member = members::change(
        &state,
        &staff,
        id,
        Some(version),
        Action::EditMember,
        "member_changed",
        |current| {
            let edited = Member {
                person,
                local_id,
                consents,
                ..current.clone()
            };
            match ending {
                Some((status, on)) => Ok(member::leave(&edited, status, on, reason, today)?),
                None => Ok(edited),
            }
        },
    )
    .await?;
    Ok(Json(MemberResponse::new(member, View::Full)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResignationRequest {
    pub effective_on: NaiveDate,
    pub reason: Option<String>,
}

/// Record a resignation.
#[utoipa::path(
    post, path = "/members/{id}/resignation", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ResignationRequest,
    responses(
        (status = 200, body = MemberResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn resign(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<ResignationRequest>,
) -> ApiResult<Json<MemberResponse>> {
    authorize(&staff.actor(), Action::RecordResignation, None)?;
    let today = local_time::local_date(state.clock.now());
    let mut checks = Checks::new();
    if request.effective_on > today + chrono::Duration::days(366) {
        checks.fail("effective_on", "must lie within a year from today");
    }
    let reason = match optional_text(request.reason) {
        Some(raw) => checks.field("reason", multi_line(&raw, 1000)).map(Some),
        None => Some(None),
    };
    checks.finish()?;
    let reason = reason.flatten();
    let member = members::change(
        &state,
        &staff,
        id,
        None,
        Action::RecordResignation,
        "member_resigned",
        |current| {
            if current.joined_on > request.effective_on {
                return Err(ApiError::validation(
                    "effective_on",
                    "must not be before the member joined",
                ));
            }
            Ok(member::leave(
                current,
                MemberStatus::Left,
                request.effective_on,
                reason,
                today,
            )?)
        },
    )
    .await?;
    Ok(Json(MemberResponse::new(member, View::Full)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    /// For changes: `changes: [{field, old, new}]`; values of an anonymised
    /// member read `{"anonymised": true}`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<audit::AuditRecord> for HistoryEntry {
    fn from(record: audit::AuditRecord) -> Self {
        HistoryEntry {
            id: record.id,
            occurred_at: record.occurred_at,
            actor_id: record.actor_id,
            action: record.action,
            details: record.details,
        }
    }
}

/// The audit trail of this record, oldest first.
#[utoipa::path(
    get, path = "/members/{id}/history", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<HistoryEntry>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn member_history(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    let (member, view) = members::read(&state, &staff, id, Action::ReadMemberHistory).await?;
    if view != View::Full {
        return Err(ApiError::NotFound);
    }
    let records = members::history(&state, member.id).await?;
    Ok(Json(records.into_iter().map(HistoryEntry::from).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberExport {
    pub exported_at: DateTime<Utc>,
    pub member: MemberResponse,
    pub applications: Vec<ApplicationResponse>,
    pub history: Vec<HistoryEntry>,
    pub transfers: Vec<TransferResponse>,
    /// Purposes, recipients and the retention rule (Art. 15 (1) a, c, d).
    pub processing: ProcessingDto,
}

/// Everything kartei stores about the person (GDPR Art. 15); the export is
/// recorded in the audit trail.
#[utoipa::path(
    get, path = "/members/{id}/export", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = MemberExport),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn export_member(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MemberExport>> {
    let (member, _) = members::read(&state, &staff, id, Action::ExportMember).await?;
    let now = state.clock.now();
    // Recorded before it is handed out: an export that happened is never missing.
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    members::audit_member(
        &txn,
        Some(staff.0.id),
        member.id,
        "member_exported",
        Vec::new(),
        serde_json::json!({}),
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;

    let mut applications_out = Vec::new();
    if let Some(application_id) = member.application_id {
        let view = kartei_app::onboarding::full_view_unchecked(&state.app, application_id).await?;
        applications_out.push(view.into());
    }
    let history = members::history(&state, member.id).await?;
    let processing = privacy::of_member(
        &member,
        members::state_unit_id(&state).await?,
        state.settings.retention.years_after_leaving,
    );
    let transfers = transfers::for_member(&state.db, member.id)
        .await?
        .into_iter()
        .map(|t| TransferResponse::new(t, None))
        .collect();
    Ok(Json(MemberExport {
        exported_at: now,
        member: MemberResponse::new(member, View::Full),
        applications: applications_out,
        history: history.into_iter().map(HistoryEntry::from).collect(),
        transfers,
        processing: processing.into(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub imported: usize,
}

/// Import a member list from CSV: every row or none. A refused file is
/// answered with every rejected row and field (`errors[].row`, 1 being the
/// first data row, 0 the header).
#[utoipa::path(
    post, path = "/members/import", tag = "members", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "A header row with the field names of direct entry; `org_unit` (a short code) may replace `org_unit_id`; optional `membership_number`, `interests`, `consents`."),
    responses(
        (status = 201, body = ImportResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn import_members(
    State(state): State<AppState>,
    staff: Staff,
    headers: axum::http::HeaderMap,
    ImportBody(body): ImportBody,
) -> ApiResult<(StatusCode, Json<ImportResponse>)> {
    authorize(&staff.actor(), Action::ImportMembers, None)?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/csv"));
    if !is_csv {
        return Err(ApiError::UnsupportedMediaType(
            "Send the member list as text/csv.".into(),
        ));
    }
    let imported = crate::import::import(&state, &staff, &body).await?;
    Ok((StatusCode::CREATED, Json(ImportResponse { imported })))
}
