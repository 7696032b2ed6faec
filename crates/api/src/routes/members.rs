use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use kartei_app::import::Imported;
use kartei_app::members::{
    self, DirectEntry, MemberEdit, MemberExport as Export, MemberListQuery, MemberView as View,
    Resignation, Seen,
};
use kartei_app::paging::PageRequest;
use kartei_domain::member::{Member, MemberStatus};
use kartei_persistence::audit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::applications::ApplicationResponse;
use super::integration::{IntegrationStepDto, steps_dto};
use super::transfers::TransferResponse;
use crate::auth::Staff;
use crate::csv_out::{ListFormat, excel_csv, optional};
use crate::dto::double_option;
use crate::dto::{DateFormatDto, DelimiterDto, ProcessingDto, TextEncodingDto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{IfMatch, ImportBody, Json, Path, Query};
use crate::state::AppState;

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
    #[serde(serialize_with = "crate::json_time::option_date")]
    pub date_of_birth: Option<NaiveDate>,
    pub interests: Option<Vec<String>>,
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    pub status: Option<MemberStatusDto>,
    #[serde(serialize_with = "crate::json_time::option_date")]
    pub received_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::json_time::option_date")]
    pub joined_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::json_time::option_time")]
    pub entered_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::json_time::option_date")]
    pub left_on: Option<NaiveDate>,
    /// A resignation recorded for a later day: the member is active until
    /// then, and `left` from that day on.
    #[serde(serialize_with = "crate::json_time::option_date")]
    pub resigns_on: Option<NaiveDate>,
    pub status_reason: Option<String>,
    /// Consent kind → when it was given.
    pub consents: Option<BTreeMap<String, DateTime<Utc>>>,
    pub home_district_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub version: Option<i64>,
    #[serde(serialize_with = "crate::json_time::option_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::json_time::option_time")]
    pub updated_at: Option<DateTime<Utc>>,
    /// When the retention job removed the person's data.
    #[serde(serialize_with = "crate::json_time::option_time")]
    pub anonymised_at: Option<DateTime<Utc>>,
    /// `GET /members/{id}` in the full view only: the integration steps
    /// the member is owed, in configuration order (empty for a member who
    /// owes none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<Vec<IntegrationStepDto>>,
}

impl From<Seen> for MemberResponse {
    fn from(seen: Seen) -> Self {
        MemberResponse::new(seen.member, seen.view)
    }
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
            integration: None,
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
    let entry = DirectEntry {
        first_name: request.first_name,
        last_name: request.last_name,
        date_of_birth: request.date_of_birth,
        email: request.email,
        phone: request.phone,
        street: request.street,
        postal_code: request.postal_code,
        city: request.city,
        org_unit_id: request.org_unit_id,
        received_on: request.received_on,
        joined_on: request.joined_on,
        interests: request.interests,
        consents: request.consents,
    };
    let member = members::create(&state.app, &staff.actor(), entry).await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberResponse::new(member, View::Full)),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberListParams {
    /// A last name or its start, a first name, "Vorname Nachname",
    /// "Nachname, Vorname", a city, a membership number or an e-mail
    /// address; case and umlauts (ü, ue) do not matter. First names and
    /// cities are matched whole, last names by their start.
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
    let query = MemberListQuery {
        q: params.q,
        org_unit_id: params.org_unit_id,
        status: params.status.map(Into::into),
        joined_from: None,
        page: PageRequest {
            limit: params.limit,
            cursor: params.cursor,
        },
    };
    if params.format == Some(ListFormat::Csv) {
        // An account that sees nothing gets the empty list, not a file.
        if let Some(rows) = members::list_for_csv(&state.app, &staff.actor(), query).await? {
            let rows: Vec<MemberResponse> = rows.into_iter().map(MemberResponse::from).collect();
            return csv_response(&rows);
        }
        return Ok(Json(MemberList {
            items: Vec::new(),
            next_cursor: None,
        })
        .into_response());
    }
    let page = members::list(&state.app, &staff.actor(), query).await?;
    Ok(Json(MemberList {
        items: page.items.into_iter().map(MemberResponse::from).collect(),
        next_cursor: page.next_cursor,
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
    let record = kartei_app::integration::member_record(&state.app, &staff.actor(), id).await?;
    let mut response = MemberResponse::from(record.seen);
    response.integration = steps_dto(record.integration);
    Ok(Json(response))
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
    let actor = staff.actor();
    let version = if_match
        .version_after(members::check_editable(&state.app, &actor, id))
        .await?;
    let edit = MemberEdit {
        first_name: request.first_name,
        last_name: request.last_name,
        date_of_birth: request.date_of_birth,
        email: request.email,
        phone: request.phone,
        street: request.street,
        postal_code: request.postal_code,
        city: request.city,
        interests: request.interests,
        local_id: request.local_id,
        consents: request.consents,
        status: request.status.map(Into::into),
        left_on: request.left_on,
        status_reason: request.status_reason,
    };
    let member = members::update(&state.app, &actor, id, version, edit).await?;
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
    let resignation = Resignation {
        effective_on: request.effective_on,
        reason: request.reason,
    };
    let member = members::resign(&state.app, &staff.actor(), id, resignation).await?;
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
    let records = members::history(&state.app, &staff.actor(), id).await?;
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
    let export = members::export(&state.app, &staff.actor(), id).await?;
    Ok(Json(export.into()))
}

impl From<Export> for MemberExport {
    fn from(export: Export) -> Self {
        MemberExport {
            exported_at: export.exported_at,
            member: MemberResponse::new(export.member, View::Full),
            applications: export.application.into_iter().map(Into::into).collect(),
            history: export.history.into_iter().map(HistoryEntry::from).collect(),
            transfers: export
                .transfers
                .into_iter()
                .map(|t| TransferResponse::new(t, None))
                .collect(),
            processing: export.processing.into(),
        }
    }
}

/// A member list taken whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    /// Members created: one per data row.
    pub imported: usize,
    pub read_as: ImportReadAs,
}

/// How the file was read, for the office to see that it came through as
/// meant; nothing of the file's contents.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReadAs {
    /// `utf-8` (with or without byte order mark), or `windows-1252` for a
    /// file that is not UTF-8, as Excel saves "CSV (Trennzeichen-getrennt)".
    pub encoding: TextEncodingDto,
    pub delimiter: DelimiterDto,
    /// The formats the file's dates were written in, `YYYY-MM-DD` before
    /// `DD.MM.YYYY`; empty for a file without data rows.
    pub date_formats: Vec<DateFormatDto>,
    /// Rows whose postal code had four digits, its leading zero dropped by
    /// a spreadsheet, and was read with it (`1067` as `01067`).
    pub postal_codes_padded: usize,
}

impl From<Imported> for ImportResponse {
    fn from(imported: Imported) -> Self {
        let read_as = imported.read_as;
        ImportResponse {
            imported: imported.count,
            read_as: ImportReadAs {
                encoding: read_as.encoding.into(),
                delimiter: read_as.delimiter.into(),
                date_formats: read_as.date_formats.into_iter().map(Into::into).collect(),
                postal_codes_padded: read_as.postal_codes_padded,
            },
        }
    }
}

/// Import a member list from CSV: every row or none. A refused file is
/// answered with every rejected row and field (`errors[].row`, 1 being the
/// first data row, 0 the header).
#[utoipa::path(
    post, path = "/members/import", tag = "members", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "A header row with the field names of direct entry; `org_unit` (a short code) may replace `org_unit_id`; optional `membership_number`, `interests`, `consents`. Fields separated by `,` or `;`; UTF-8 with or without byte order mark, any other file read as Windows-1252 (Excel's \"CSV (Trennzeichen-getrennt)\") unless it is UTF-8 but for a few broken bytes (422 at their row); dates `YYYY-MM-DD` or `DD.MM.YYYY`; a four-digit postal code gets back its leading zero."),
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
    let actor = staff.actor();
    kartei_app::import::may_import(&actor)?;
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
    let imported =
        kartei_app::import::import(&state.app, &actor, &body, &state.settings.import, None).await?;
    Ok((StatusCode::CREATED, Json(imported.into())))
}
