use std::collections::HashSet;

use axum::extract::State;
use kartei_domain::{Action, OrgUnitKind, PostalCode, authorize};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::routing::{self, RoutingRule};
use kartei_persistence::{RepoError, org_units};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Staff;
use crate::checks::Checks;
use crate::error::{ApiError, ApiResult};
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
    authorize(&staff.actor(), Action::ManageRoutingRules, None)?;
    let rules = routing::all(&state.db).await?;
    Ok(Json(
        rules
            .into_iter()
            .map(|rule| RoutingRuleDto {
                postal_code: rule.postal_code.to_string(),
                org_unit_id: rule.org_unit_id,
            })
            .collect(),
    ))
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
    authorize(&staff.actor(), Action::ManageRoutingRules, None)?;
    let units: std::collections::HashMap<Uuid, OrgUnitKind> = org_units::all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.kind))
        .collect();
    let mut checks = Checks::new();
    let mut seen = HashSet::new();
    let mut rules = Vec::with_capacity(request.len());
    for (index, dto) in request.iter().enumerate() {
        let postal_code = checks.field(
            &format!("[{index}].postal_code"),
            PostalCode::parse(&dto.postal_code),
        );
        if let Some(code) = &postal_code
            && !seen.insert(code.clone())
        {
            checks.fail(&format!("[{index}].postal_code"), "appears more than once");
        }
        match units.get(&dto.org_unit_id) {
            Some(kind) if kind.holds_members() => {}
            Some(_) => checks.fail(
                &format!("[{index}].org_unit_id"),
                "must be a district or a local branch",
            ),
            None => checks.fail(&format!("[{index}].org_unit_id"), "no such org unit"),
        }
        if let Some(postal_code) = postal_code {
            rules.push(RoutingRule {
                postal_code,
                org_unit_id: dto.org_unit_id,
            });
        }
    }
    checks.finish()?;
    let count = rules.len();
    routing::replace_all(&state.db, rules).await?;
    audit::record(
        &state.db,
        AuditEntry {
            actor_id: Some(staff.0.id),
            action: "routing_rules_replaced",
            subject_type: "routing_rules",
            subject_id: None,
            details: serde_json::json!({ "rules": count }),
        },
        state.clock.now(),
    )
    .await?;
    get_rules(State(state), staff).await
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
    authorize(&staff.actor(), Action::ResolveRouting, None)?;
    let postal_code = PostalCode::parse(&params.postal_code)
        .map_err(|e| ApiError::validation("postal_code", e))?;
    let unit_id = routing::resolve(&state.db, &postal_code)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (district_id, local_id) = district_and_local(&state, unit_id).await?;
    Ok(Json(Resolution {
        postal_code: postal_code.to_string(),
        district_id,
        local_id,
    }))
}

/// The district a unit belongs to, and the unit itself when it is a branch.
pub async fn district_and_local(
    state: &AppState,
    unit_id: Uuid,
) -> Result<(Uuid, Option<Uuid>), ApiError> {
    let unit = org_units::get(&state.db, unit_id).await?;
    match (unit.kind, unit.parent_id) {
        (OrgUnitKind::District, _) => Ok((unit.id, None)),
        (OrgUnitKind::Local, Some(district)) => Ok((district, Some(unit.id))),
        _ => Err(ApiError::internal(RepoError::Corrupt(format!(
            "routing rule points at unit {unit_id}, which holds no members"
        )))),
    }
}
