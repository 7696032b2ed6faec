use axum::extract::State;
use kartei_app::routing_rules::{self, RuleInput};
use kartei_persistence::routing::RoutingRule;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Staff;
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rules, replace_rules))
        .routes(routes!(resolve))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleDto {
    /// Five digits.
    #[schema(pattern = "^[0-9]{5}$")]
    pub postal_code: String,
    /// A district or a local branch.
    pub org_unit_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Resolution {
    pub postal_code: String,
    pub district_id: Uuid,
    /// The local branch, where the table routes this code to one.
    pub local_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResolveParams {
    /// Five digits.
    pub postal_code: String,
}

/// The whole routing table.
#[utoipa::path(
    get, path = "/routing-rules", tag = "routing", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<RoutingRuleDto>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_rules(
    State(state): State<AppState>,
    staff: Staff,
) -> ApiResult<Json<Vec<RoutingRuleDto>>> {
    let rules = routing_rules::all(&state.app, &staff.actor()).await?;
    Ok(Json(rules_dto(rules)))
}

fn rules_dto(rules: Vec<RoutingRule>) -> Vec<RoutingRuleDto> {
    rules
        .into_iter()
        .map(|rule| RoutingRuleDto {
            postal_code: rule.postal_code.to_string(),
            org_unit_id: rule.org_unit_id,
        })
        .collect()
}

/// Replace the whole routing table in one step: every rule is checked first,
/// and either all of them are in force afterwards or none.
#[utoipa::path(
    put, path = "/routing-rules", tag = "routing", security(("bearer" = [])),
    request_body = Vec<RoutingRuleDto>,
    responses(
        (status = 200, body = Vec<RoutingRuleDto>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn replace_rules(
    State(state): State<AppState>,
    staff: Staff,
    Json(request): Json<Vec<RoutingRuleDto>>,
) -> ApiResult<Json<Vec<RoutingRuleDto>>> {
    let input = request
        .into_iter()
        .map(|rule| RuleInput {
            postal_code: rule.postal_code,
            org_unit_id: rule.org_unit_id,
        })
        .collect();
    let rules = routing_rules::replace(&state.app, &staff.actor(), input).await?;
    Ok(Json(rules_dto(rules)))
}

/// The district (and local branch) a postal code routes to.
#[utoipa::path(
    get, path = "/routing/resolve", tag = "routing", security(("bearer" = [])),
    params(ResolveParams),
    responses(
        (status = 200, body = Resolution),
        (status = 404, description = "No rule covers this postal code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn resolve(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<ResolveParams>,
) -> ApiResult<Json<Resolution>> {
    let resolution =
        routing_rules::resolve(&state.app, &staff.actor(), &params.postal_code).await?;
    Ok(Json(Resolution {
        postal_code: resolution.postal_code.to_string(),
        district_id: resolution.district_id,
        local_id: resolution.local_id,
    }))
}
