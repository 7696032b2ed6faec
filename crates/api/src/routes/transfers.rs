use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use kartei_app::transfers::{self, TransferListQuery, TransferStart, TransferView};
use kartei_domain::member::{Member, TransferStatus};
use kartei_persistence::transfers::Transfer;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Staff;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_transfer))
        .routes(routes!(list_transfers))
        .routes(routes!(get_transfer))
        .routes(routes!(confirm_transfer))
        .routes(routes!(decline_transfer))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatusDto {
    Pending,
    Confirmed,
    Declined,
}

impl From<TransferStatus> for TransferStatusDto {
    fn from(status: TransferStatus) -> Self {
        match status {
            TransferStatus::Pending => TransferStatusDto::Pending,
            TransferStatus::Confirmed => TransferStatusDto::Confirmed,
            TransferStatus::Declined => TransferStatusDto::Declined,
        }
    }
}

impl From<TransferStatusDto> for TransferStatus {
    fn from(status: TransferStatusDto) -> Self {
        match status {
            TransferStatusDto::Pending => TransferStatus::Pending,
            TransferStatusDto::Confirmed => TransferStatus::Confirmed,
            TransferStatusDto::Declined => TransferStatus::Declined,
        }
    }
}

/// Who is moving: what the receiving district needs to decide.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferMember {
    pub first_name: String,
    pub last_name: String,
    pub membership_number: String,
    pub postal_code: String,
    pub city: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferResponse {
    pub id: Uuid,
    pub member_id: Uuid,
    pub from_district_id: Uuid,
    pub from_local_id: Option<Uuid>,
    pub to_district_id: Uuid,
    pub to_local_id: Option<Uuid>,
    pub effective_on: NaiveDate,
    pub keep_home_ties: bool,
    pub status: TransferStatusDto,
    /// Why it was declined.
    pub reason: Option<String>,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub answered_by: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Only in lists and single reads, and only while the transfer is open
    /// or to whoever reads the member record: the person concerned.
    pub member: Option<TransferMember>,
}

impl TransferResponse {
    pub fn new(t: Transfer, member: Option<TransferMember>) -> Self {
        TransferResponse {
            id: t.id,
            member_id: t.member_id,
            from_district_id: t.from_district_id,
            from_local_id: t.from_local_id,
            to_district_id: t.to_district_id,
            to_local_id: t.to_local_id,
            effective_on: t.effective_on,
            keep_home_ties: t.keep_home_ties,
            status: t.status.into(),
            reason: t.reason,
            requested_by: t.requested_by,
            requested_at: t.requested_at,
            answered_by: t.answered_by,
            answered_at: t.answered_at,
            member,
        }
    }
}

impl From<TransferView> for TransferResponse {
    fn from(view: TransferView) -> Self {
        TransferResponse::new(view.transfer, view.member.map(summary))
    }
}

fn summary(member: Member) -> TransferMember {
    let p = member.person;
    TransferMember {
        first_name: p.first_name,
        last_name: p.last_name,
        membership_number: member.membership_number,
        postal_code: p.postal_code.to_string(),
        city: p.city,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartTransferRequest {
    /// The receiving district, or one of its local branches.
    pub to_org_unit_id: Uuid,
    pub effective_on: NaiveDate,
    /// Whether the former district keeps read access to name and contact data.
    #[serde(default)]
    pub keep_home_ties: bool,
}

/// Start moving a member to another district; the receiving district is
/// asked by e-mail to confirm.
#[utoipa::path(
    post, path = "/members/{id}/transfers", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = StartTransferRequest,
    responses(
        (status = 201, body = TransferResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn start_transfer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<StartTransferRequest>,
) -> ApiResult<(StatusCode, Json<TransferResponse>)> {
    let start = TransferStart {
        to_org_unit_id: request.to_org_unit_id,
        effective_on: request.effective_on,
        keep_home_ties: request.keep_home_ties,
    };
    let transfer = transfers::start(&state.app, &staff.actor(), id, start).await?;
    Ok((
        StatusCode::CREATED,
        Json(TransferResponse::new(transfer, None)),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TransferListParams {
    pub status: Option<TransferStatusDto>,
    /// At most this many, newest first (default 50, at most 200).
    pub limit: Option<u64>,
}

/// Transfers from or to the caller's part of the organisation, newest first.
#[utoipa::path(
    get, path = "/transfers", tag = "members", security(("bearer" = [])),
    params(TransferListParams),
    responses(
        (status = 200, body = Vec<TransferResponse>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_transfers(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<TransferListParams>,
) -> ApiResult<Json<Vec<TransferResponse>>> {
    let query = TransferListQuery {
        status: params.status.map(Into::into),
        limit: params.limit,
    };
    let found = transfers::list(&state.app, &staff.actor(), query).await?;
    Ok(Json(
        found.into_iter().map(TransferResponse::from).collect(),
    ))
}

/// One transfer, for either side of it.
#[utoipa::path(
    get, path = "/transfers/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TransferResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_transfer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<TransferResponse>> {
    let view = transfers::get(&state.app, &staff.actor(), id).await?;
    Ok(Json(view.into()))
}

/// The receiving district takes the member; it holds the record from now on.
#[utoipa::path(
    post, path = "/transfers/{id}/confirm", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TransferResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn confirm_transfer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<TransferResponse>> {
    let transfer = transfers::confirm(&state.app, &staff.actor(), id).await?;
    Ok(Json(TransferResponse::new(transfer, None)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineTransferRequest {
    pub reason: String,
}

/// The receiving district declines; the member stays where it is.
#[utoipa::path(
    post, path = "/transfers/{id}/decline", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DeclineTransferRequest,
    responses(
        (status = 200, body = TransferResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn decline_transfer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<DeclineTransferRequest>,
) -> ApiResult<Json<TransferResponse>> {
    let transfer = transfers::decline(&state.app, &staff.actor(), id, &request.reason).await?;
    Ok(Json(TransferResponse::new(transfer, None)))
}
