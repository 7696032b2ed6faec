//! The choice of a district or local branch, as forms offer it: every
//! district by name, each followed by its branches.

use kartei_app::org_units;
use kartei_domain::{OrgUnit, OrgUnitKind};
use uuid::Uuid;

use crate::error::WebResult;
use crate::session::{SignedIn, WebState};

/// One option of the select.
pub struct UnitChoice {
    pub id: Uuid,
    pub label: String,
    pub selected: bool,
}

/// Every district but `except`, districts by name, each branch after its
/// district; `chosen` is preselected.
pub async fn unit_choices(
    state: &WebState,
    signed_in: &SignedIn,
    except: Option<Uuid>,
    chosen: Option<Uuid>,
) -> WebResult<Vec<UnitChoice>> {
    let units = org_units::all(&state.app, &signed_in.actor()).await?;
    let mut districts: Vec<&OrgUnit> = units
        .iter()
        .filter(|u| u.kind == OrgUnitKind::District && Some(u.id) != except)
        .collect();
    districts.sort_by(|a, b| a.name.cmp(&b.name));
    let mut choices = Vec::new();
    for district in districts {
        choices.push(UnitChoice {
            id: district.id,
            label: district.name.clone(),
            selected: chosen == Some(district.id),
        });
        let mut branches: Vec<&OrgUnit> = units
            .iter()
            .filter(|u| u.kind == OrgUnitKind::Local && u.parent_id == Some(district.id))
            .collect();
        branches.sort_by(|a, b| a.name.cmp(&b.name));
        choices.extend(branches.into_iter().map(|branch| UnitChoice {
            id: branch.id,
            label: format!("– {} ({})", branch.name, district.name),
            selected: chosen == Some(branch.id),
        }));
    }
    Ok(choices)
}
