//! Where things sit in the organisation, as the use cases need it for need-
//! to-know: the path of a unit (who above it may see into it), the filter
//! every list applies, and the route a unit stands for.

use std::collections::HashMap;

use kartei_domain::application::Route;
use kartei_domain::authz::{self, ListScope, UnitScope};
use kartei_domain::{Actor, OrgUnitKind, UnitPath};
use kartei_persistence::applications::UnitFilter;
use kartei_persistence::{RepoError, org_units};
use uuid::Uuid;

use crate::{App, AppError, AppResult};

pub async fn path_of(app: &App, unit: Uuid) -> AppResult<UnitPath> {
    Ok(org_units::path_of(&app.db, unit).await?)
}

/// The paths of units, each read once: a page of records held by a few
/// units asks the database once per unit, not once per record.
pub struct UnitPaths<'a> {
    app: &'a App,
    known: HashMap<Uuid, UnitPath>,
}

impl<'a> UnitPaths<'a> {
    pub fn new(app: &'a App) -> Self {
        UnitPaths {
            app,
            known: HashMap::new(),
        }
    }

    pub async fn of(&mut self, unit: Uuid) -> AppResult<UnitPath> {
        if let Some(path) = self.known.get(&unit) {
            return Ok(path.clone());
        }
        let path = path_of(self.app, unit).await?;
        self.known.insert(unit, path.clone());
        Ok(path)
    }
}

/// The state unit, which stands for every account of the state level.
pub async fn state_unit_id(app: &App) -> AppResult<Uuid> {
    org_units::state_unit(&app.db)
        .await?
        .map(|unit| unit.id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the organisation has no state unit")))
}

/// Turns a unit into a route: a district, or a branch with its district;
/// `None` for the state unit or a unit that does not exist.
pub async fn route_to(app: &App, unit_id: Uuid) -> AppResult<Option<Route>> {
    let unit = match org_units::get(&app.db, unit_id).await {
        Ok(unit) => unit,
        Err(RepoError::NotFound) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    Ok(match (unit.kind, unit.parent_id) {
        (OrgUnitKind::District, _) => Some(Route {
            district_id: unit.id,
            local_id: None,
        }),
        (OrgUnitKind::Local, Some(district_id)) => Some(Route {
            district_id,
            local_id: Some(unit.id),
        }),
        _ => None,
    })
}

/// Like [`route_to`], for an input field: anything but a district or a
/// branch is that field's error.
pub async fn required_route(app: &App, field: &str, unit: Uuid) -> AppResult<Route> {
    route_to(app, unit)
        .await?
        .ok_or_else(|| AppError::invalid(field, "must be a district or a local branch"))
}

/// The part of the tree every list shows `actor` (the domain's
/// `authz::list_scope`), as persistence filters by it; `None` for an
/// account that sees no list at all.
pub fn visible_units(actor: &Actor) -> Option<UnitFilter> {
    match authz::list_scope(actor, None) {
        ListScope::Within { visible, .. } => Some(stored(visible)),
        ListScope::Nothing => None,
    }
}

/// A part of the tree as persistence filters by it.
pub(crate) fn stored(scope: UnitScope) -> UnitFilter {
    match scope {
        UnitScope::All => UnitFilter::All,
        UnitScope::District(unit) => UnitFilter::District(unit),
        UnitScope::Local(unit) => UnitFilter::Local(unit),
    }
}

/// The unit a list was asked to narrow to (`org_unit_id`); an unknown one
/// is a field error, since it is a filter, not the resource asked for.
pub async fn requested_unit(app: &App, unit: Option<Uuid>) -> AppResult<Option<UnitFilter>> {
    let Some(unit) = unit else {
        return Ok(None);
    };
    match unit_filter(app, unit).await {
        Ok(filter) => Ok(Some(filter)),
        Err(AppError::NotFound) => Err(AppError::invalid("org_unit_id", "no such org unit")),
        Err(err) => Err(err),
    }
}

pub async fn unit_filter(app: &App, unit: Uuid) -> AppResult<UnitFilter> {
    Ok(match org_units::get(&app.db, unit).await?.kind {
        OrgUnitKind::State => UnitFilter::All,
        OrgUnitKind::District => UnitFilter::District(unit),
        OrgUnitKind::Local => UnitFilter::Local(unit),
    })
}

/// Whether a unit is a district (the receiving side of a transfer).
pub async fn is_district(app: &App, unit: Uuid) -> AppResult<bool> {
    Ok(org_units::get(&app.db, unit).await?.kind == OrgUnitKind::District)
}
