use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kartei_app::org_units::{self, NewUnit, UnitPatch};
use kartei_domain::OrgUnit;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ListResponse;
use crate::auth::Staff;
use crate::dto::OrgUnitKindDto;
use crate::dto::double_option;
use crate::error::ApiResult;
use crate::extract::{IfMatch, Json, PageParams, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_units, create_org_unit))
        .routes(routes!(get_org_unit, update_org_unit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgUnitResponse {
    pub id: Uuid,
    pub name: String,
    pub kind: OrgUnitKindDto,
    pub parent_id: Option<Uuid>,
    pub short_code: String,
    pub email: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrgUnit> for OrgUnitResponse {
    fn from(unit: OrgUnit) -> Self {
        OrgUnitResponse {
            id: unit.id,
            name: unit.name,
            kind: unit.kind.into(),
            parent_id: unit.parent_id,
            short_code: unit.short_code,
            email: unit.email.map(|e| e.to_string()),
            version: unit.version,
            created_at: unit.created_at,
            updated_at: unit.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgUnitRequest {
    pub name: String,
    pub kind: OrgUnitKindDto,
    pub parent_id: Option<Uuid>,
    pub short_code: String,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgUnitRequest {
    pub name: Option<String>,
    pub short_code: Option<String>,
    /// `null` removes the address.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
}

/// List org units (every staff account may read the tree).
#[utoipa::path(
    get, path = "/org-units", tag = "org-units", security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, body = ListResponse<OrgUnitResponse>),
    )
)]
async fn list_org_units(
    State(state): State<AppState>,
    staff: Staff,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<ListResponse<OrgUnitResponse>>> {
    let page = org_units::list(&state.app, &staff.actor(), &page.into()).await?;
    Ok(Json(ListResponse::from_page(page, OrgUnitResponse::from)))
}

/// Create an org unit: a state (no parent), a district below the state, or
/// a local branch below a district.
#[utoipa::path(
    post, path = "/org-units", tag = "org-units", security(("bearer" = [])),
    request_body = CreateOrgUnitRequest,
    responses(
        (status = 201, body = OrgUnitResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Short code taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_org_unit(
    State(state): State<AppState>,
    staff: Staff,
    Json(request): Json<CreateOrgUnitRequest>,
) -> ApiResult<(StatusCode, Json<OrgUnitResponse>)> {
    let input = NewUnit {
        name: request.name,
        kind: request.kind.into(),
        parent_id: request.parent_id,
        short_code: request.short_code,
        email: request.email,
    };
    let unit = org_units::create(&state.app, &staff.actor(), input).await?;
    Ok((StatusCode::CREATED, Json(unit.into())))
}

/// Read an org unit.
#[utoipa::path(
    get, path = "/org-units/{id}", tag = "org-units", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = OrgUnitResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_org_unit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<OrgUnitResponse>> {
    Ok(Json(
        org_units::get(&state.app, &staff.actor(), id).await?.into(),
    ))
}

/// Rename an org unit, change its short code or e-mail address.
#[utoipa::path(
    patch, path = "/org-units/{id}", tag = "org-units", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The version edited, quoted")),
    request_body = UpdateOrgUnitRequest,
    responses(
        (status = 200, body = OrgUnitResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn update_org_unit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    Json(request): Json<UpdateOrgUnitRequest>,
) -> ApiResult<Json<OrgUnitResponse>> {
    let version = if_match
        .version_after(org_units::get_for_change(&state.app, &staff.actor(), id))
        .await?;
    let patch = UnitPatch {
        name: request.name,
        short_code: request.short_code,
        email: request.email,
    };
    let unit = org_units::update(&state.app, &staff.actor(), id, version, patch).await?;
    Ok(Json(unit.into()))
}
