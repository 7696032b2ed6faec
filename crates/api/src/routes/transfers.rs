use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kartei_domain::Action;
use kartei_domain::authorize;
use kartei_domain::authz::transfer_names_person;
use kartei_domain::member::{Member, TransferStatus};
use kartei_persistence::members as member_repo;
use kartei_persistence::transfers::{self as transfer_repo, Transfer};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Staff;
use crate::checks::Checks;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::local_time;
use crate::members;
use crate::state::AppState;
use crate::transfers::{self, Destination, TransferRequest};
use kartei_app::onboarding::{multi_line, optional_text};
use kartei_app::scope::list_scope;

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

    async fn with_member(state: &AppState, staff: &Staff, t: Transfer) -> ApiResult<Self> {
        let member = member_repo::get(&state.db, t.member_id).await?;
        let mut paths = members::UnitPaths::new(state);
        let named = names_person(&mut paths, staff, &t, &member).await?;
        Ok(TransferResponse::new(t, named.then(|| summary(member))))
    }
}

/// `transfer_names_person` for the caller: after the answer, only whoever
/// reads the member record learns whom the transfer is about.
async fn names_person(
    paths: &mut members::UnitPaths<'_>,
    staff: &Staff,
    transfer: &Transfer,
    member: &Member,
) -> ApiResult<bool> {
    let reads_member = transfer.status != TransferStatus::Pending
        && members::view_of(paths, &staff.actor(), member, Action::ReadMembers)
            .await
            .is_ok();
    Ok(transfer_names_person(transfer.status, reads_member))
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
    authorize(&staff.actor(), Action::StartTransfer, None)?;
    let today = local_time::local_date(state.clock.now());
    let mut checks = Checks::new();
    if (request.effective_on - today).abs() > Duration::days(366) {
        checks.fail("effective_on", "must lie within a year of today");
    }
    let to = match members::holding(&state, request.to_org_unit_id).await? {
        Some((district_id, local_id)) => Some(Destination {
            district_id,
            local_id,
        }),
        None => {
            checks.fail("to_org_unit_id", "must be a district or a local branch");
            None
        }
    };
    checks.finish()?;
    let Some(to) = to else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "checks passed without a destination"
        )));
    };
    let transfer = transfers::start(
        &state,
        &staff,
        TransferRequest {
            member_id: id,
            to,
            effective_on: request.effective_on,
            keep_home_ties: request.keep_home_ties,
        },
    )
    .await?;
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
    authorize(&staff.actor(), Action::ReadMembers, None)?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 200"));
    }
    let Some(scope) = list_scope(&state.app, &staff.actor()).await? else {
        return Ok(Json(Vec::new()));
    };
    let found =
        transfer_repo::list(&state.db, &scope, params.status.map(Into::into), limit).await?;
    // One query for the people of the whole page.
    let ids: Vec<Uuid> = found.iter().map(|t| t.member_id).collect();
    let mut people: HashMap<Uuid, Member> = member_repo::get_many(&state.db, &ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut paths = members::UnitPaths::new(&state);
    let mut items = Vec::with_capacity(found.len());
    for t in found {
        let member = match people.remove(&t.member_id) {
            Some(member) if names_person(&mut paths, &staff, &t, &member).await? => {
                Some(summary(member))
            }
            _ => None,
        };
        items.push(TransferResponse::new(t, member));
    }
    Ok(Json(items))
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
    authorize(&staff.actor(), Action::ReadMembers, None)?;
    let transfer = transfers::read(&state, &staff, id).await?;
    Ok(Json(
        TransferResponse::with_member(&state, &staff, transfer).await?,
    ))
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
    let transfer = transfers::answer(&state, &staff, id, TransferStatus::Confirmed, None).await?;
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
    authorize(&staff.actor(), Action::AnswerTransfer, None)?;
    let mut checks = Checks::new();
    let reason = match optional_text(Some(request.reason)) {
        Some(raw) => checks.field("reason", multi_line(&raw, 1000)),
        None => {
            checks.fail("reason", "is required");
            None
        }
    };
    checks.finish()?;
    let transfer = transfers::answer(&state, &staff, id, TransferStatus::Declined, reason).await?;
    Ok(Json(TransferResponse::new(transfer, None)))
}
