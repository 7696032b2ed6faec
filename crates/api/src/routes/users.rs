use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kartei_app::accounts::{self, AccountInput, AccountPatch};
use kartei_domain::StaffAccount;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ListResponse;
use crate::auth::Staff;
use crate::dto::RoleDto;
use crate::dto::double_option;
use crate::error::ApiResult;
use crate::extract::{IfMatch, Json, PageParams, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: RoleDto,
    pub org_unit_id: Option<Uuid>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<StaffAccount> for UserResponse {
    fn from(account: StaffAccount) -> Self {
        UserResponse {
            id: account.id,
            email: account.email.to_string(),
            display_name: account.display_name,
            role: account.role.into(),
            org_unit_id: account.org_unit_id,
            active: account.active,
            version: account.version,
            created_at: account.created_at,
            updated_at: account.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub email: String,
    pub display_name: String,
    pub role: RoleDto,
    pub org_unit_id: Option<Uuid>,
    #[schema(value_type = String, format = Password, min_length = 12)]
    pub password: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<RoleDto>,
    /// `null` unbinds the account from its unit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub org_unit_id: Option<Option<Uuid>>,
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
    /// `false` deactivates the account at once, ending its sessions.
    pub active: Option<bool>,
}

/// List staff accounts.
#[utoipa::path(
    get, path = "/users", tag = "users", security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, body = ListResponse<UserResponse>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_users(
    State(state): State<AppState>,
    staff: Staff,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<ListResponse<UserResponse>>> {
    let page = accounts::list(&state.app, &staff.actor(), &page.into()).await?;
    Ok(Json(ListResponse::from_page(page, UserResponse::from)))
}

/// Create a staff account.
#[utoipa::path(
    post, path = "/users", tag = "users", security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = UserResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "E-mail address taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_user(
    State(state): State<AppState>,
    staff: Staff,
    Json(request): Json<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserResponse>)> {
    let account = accounts::create(
        &state.app,
        &staff.actor(),
        AccountInput {
            email: request.email,
            display_name: request.display_name,
            role: request.role.into(),
            org_unit_id: request.org_unit_id,
            password: request.password,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// Read a staff account.
#[utoipa::path(
    get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = UserResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_user(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<UserResponse>> {
    Ok(Json(
        accounts::get(&state.app, &staff.actor(), id).await?.into(),
    ))
}

/// Change a staff account; `active: false` deactivates it.
#[utoipa::path(
    patch, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The version edited, quoted")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn update_user(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    Json(request): Json<UpdateUserRequest>,
) -> ApiResult<Json<UserResponse>> {
    let version = if_match
        .version_after(accounts::get(&state.app, &staff.actor(), id))
        .await?;
    let patch = AccountPatch {
        email: request.email,
        display_name: request.display_name,
        role: request.role.map(Into::into),
        org_unit_id: request.org_unit_id,
        password: request.password,
        active: request.active,
    };
    let account = accounts::update(&state.app, &staff.actor(), id, version, patch).await?;
    Ok(Json(account.into()))
}
