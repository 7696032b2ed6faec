use axum::extract::State;
use kartei_app::org_units;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::org_units::OrgUnitResponse;
use super::users::UserResponse;
use crate::auth::Staff;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    #[serde(flatten)]
    pub account: UserResponse,
    /// The unit the account is bound to, if any.
    pub org_unit: Option<OrgUnitResponse>,
}

/// The account behind the token, with its role and org unit.
#[utoipa::path(
    get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, body = MeResponse),
    )
)]
async fn me(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<MeResponse>> {
    let org_unit = org_units::own_unit(&state.app, &staff.actor())
        .await?
        .map(Into::into);
    Ok(Json(MeResponse {
        account: staff.0.into(),
        org_unit,
    }))
}
