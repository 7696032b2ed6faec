//! The routing table: which district or local branch a postal code sends a
//! declaration to. The state office replaces it as a whole; every account
//! that registers declarations may ask where a code goes.

use std::collections::{HashMap, HashSet};

use kartei_domain::{Action, Actor, OrgUnitKind, PostalCode, authorize};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::routing::{self, RoutingRule};
use kartei_persistence::{RepoError, Tx, org_units, unit_of_work};
use uuid::Uuid;

use crate::checks::Checks;
use crate::{App, AppError, AppResult};

/// One rule as typed in; checked by [`replace`].
#[derive(Debug, Clone)]
pub struct RuleInput {
    pub postal_code: String,
    /// A district or a local branch.
    pub org_unit_id: Uuid,
}

/// Where a postal code routes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub postal_code: PostalCode,
    pub district_id: Uuid,
    /// The local branch, where the table routes this code to one.
    pub local_id: Option<Uuid>,
}

/// The whole table, by postal code.
pub async fn all(app: &App, actor: &Actor) -> AppResult<Vec<RoutingRule>> {
    authorize(actor, Action::ManageRoutingRules, None)?;
    Ok(routing::all(&app.db).await?)
}

/// Replaces the whole table in one step: every rule is checked first, and
/// either all of them are in force afterwards or none. Answers the table.
pub async fn replace(
    app: &App,
    actor: &Actor,
    input: Vec<RuleInput>,
) -> AppResult<Vec<RoutingRule>> {
    authorize(actor, Action::ManageRoutingRules, None)?;
    let units: HashMap<Uuid, OrgUnitKind> = org_units::all(&app.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.kind))
        .collect();
    let mut checks = Checks::new();
    let mut seen = HashSet::new();
    let mut rules = Vec::with_capacity(input.len());
    for (index, rule) in input.iter().enumerate() {
        let postal_code = checks.field(
            &format!("[{index}].postal_code"),
            PostalCode::parse(&rule.postal_code),
        );
        if let Some(code) = &postal_code
            && !seen.insert(code.clone())
        {
            checks.fail(&format!("[{index}].postal_code"), "appears more than once");
        }
        match units.get(&rule.org_unit_id) {
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
                org_unit_id: rule.org_unit_id,
            });
        }
    }
    checks.finish()?;
    let count = rules.len();
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        routing::replace_all(txn, rules).await?;
        audit::record(
            txn,
            AuditEntry {
                actor_id: Some(actor.user_id),
                action: "routing_rules_replaced",
                subject_type: "routing_rules",
                subject_id: None,
                details: serde_json::json!({ "rules": count }),
            },
            now,
        )
        .await?;
        Ok(())
    })
    .await?;
    all(app, actor).await
}

/// The district (and local branch) a postal code routes to; no rule for
/// it is [`AppError::NotFound`].
pub async fn resolve(app: &App, actor: &Actor, postal_code: &str) -> AppResult<Resolution> {
    authorize(actor, Action::ResolveRouting, None)?;
    let postal_code =
        PostalCode::parse(postal_code).map_err(|e| AppError::invalid("postal_code", e))?;
    let unit_id = routing::resolve(&app.db, &postal_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let (district_id, local_id) = district_and_local(app, unit_id).await?;
    Ok(Resolution {
        postal_code,
        district_id,
        local_id,
    })
}

/// The district a unit belongs to, and the unit itself when it is a branch.
async fn district_and_local(app: &App, unit_id: Uuid) -> AppResult<(Uuid, Option<Uuid>)> {
    let unit = org_units::get(&app.db, unit_id).await?;
    match (unit.kind, unit.parent_id) {
        (OrgUnitKind::District, _) => Ok((unit.id, None)),
        (OrgUnitKind::Local, Some(district)) => Ok((district, Some(unit.id))),
        _ => Err(AppError::internal(RepoError::Corrupt(format!(
            "routing rule points at unit {unit_id}, which holds no members"
        )))),
    }
}
