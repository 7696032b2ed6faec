use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kartei_domain::org::check_parent;
use kartei_domain::{Action, EmailAddress, OrgUnit, OrgUnitKind, authorize, text};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::org_units::{self, NewOrgUnit, OrgUnitChanges};
use kartei_persistence::{RepoError, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ListResponse;
use crate::auth::Staff;
use crate::checks::Checks;
use crate::dto::OrgUnitKindDto;
use crate::dto::double_option;
use crate::error::{ApiError, ApiResult};
use crate::extract::{IfMatch, Json, PageParams, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_units, create_org_unit))
        .routes(routes!(get_org_unit, update_org_unit))
}

const NAME_MAX: usize = 200;
const SHORT_CODE_MAX: usize = 32;

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

/// A short code: letters, digits and hyphens, as used on letterheads.
fn short_code(raw: &str) -> Result<String, String> {
    let code = text::single_line(raw, SHORT_CODE_MAX).map_err(|e| e.to_string())?;
    if code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(code)
    } else {
        Err("may contain only letters, digits and hyphens".into())
    }
}

fn conflict_on_short_code(err: RepoError) -> ApiError {
    match err {
        RepoError::Conflict => ApiError::Conflict("Another unit has this short code.".into()),
        other => other.into(),
    }
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
    authorize(&staff.actor(), Action::ReadOrgUnits, None)?;
    let (limit, after) = page.resolve()?;
    let page = org_units::list(&state.db, after, limit).await?;
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
    authorize(&staff.actor(), Action::ManageOrgUnits, None)?;
    let kind: OrgUnitKind = request.kind.into();
    let mut checks = Checks::new();
    let name = checks.field("name", text::single_line(&request.name, NAME_MAX));
    let code = checks.field("short_code", short_code(&request.short_code));
    let email = request
        .email
        .as_deref()
        .and_then(|e| checks.field("email", EmailAddress::parse(e)));
    let parent_kind = match request.parent_id {
        None => None,
        Some(parent) => match org_units::get(&state.db, parent).await {
            Ok(unit) => Some(unit.kind),
            Err(RepoError::NotFound) => {
                checks.fail("parent_id", "no such org unit");
                None
            }
            Err(err) => return Err(err.into()),
        },
    };
    if checks.is_ok() {
        checks.field("parent_id", check_parent(kind, parent_kind));
    }
    checks.finish()?;
    let (Some(name), Some(short_code)) = (name, code) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "checks passed without values"
        )));
    };

    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    let unit = org_units::insert(
        &txn,
        NewOrgUnit {
            id: Uuid::now_v7(),
            kind,
            name,
            short_code,
            parent_id: request.parent_id,
            email,
        },
        now,
    )
    .await
    .map_err(conflict_on_short_code)?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(staff.0.id),
            action: "org_unit_created",
            subject_type: "org_unit",
            subject_id: Some(unit.id),
            details: serde_json::json!({ "kind": unit.kind.as_str(), "parent_id": unit.parent_id }),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;
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
    authorize(&staff.actor(), Action::ReadOrgUnits, None)?;
    Ok(Json(org_units::get(&state.db, id).await?.into()))
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
    authorize(&staff.actor(), Action::ManageOrgUnits, None)?;
    org_units::get(&state.db, id).await?;
    let version = if_match.version()?;
    let mut checks = Checks::new();
    let name = request
        .name
        .as_deref()
        .and_then(|n| checks.field("name", text::single_line(n, NAME_MAX)));
    let code = request
        .short_code
        .as_deref()
        .and_then(|c| checks.field("short_code", short_code(c)));
    let email = match request.email {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => checks.field("email", EmailAddress::parse(&raw)).map(Some),
    };
    checks.finish()?;

    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    let changed: Vec<&str> = [
        ("name", name.is_some()),
        ("short_code", code.is_some()),
        ("email", email.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect();
    let unit = org_units::update(
        &txn,
        id,
        version,
        OrgUnitChanges {
            name,
            short_code: code,
            email,
        },
        now,
    )
    .await
    .map_err(conflict_on_short_code)?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(staff.0.id),
            action: "org_unit_changed",
            subject_type: "org_unit",
            subject_id: Some(id),
            details: serde_json::json!({ "fields": changed }),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(Json(unit.into()))
}
