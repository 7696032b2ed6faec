//! The tree as pages list it and forms offer it: each state, then every
//! district by name, each followed by its branches by name.

use std::collections::HashMap;

use kartei_app::org_units;
use kartei_domain::authz::Scope;
use kartei_domain::{OrgUnit, OrgUnitKind, UnitPath};
use uuid::Uuid;

use crate::error::WebResult;
use crate::session::{SignedIn, WebState};

/// One option of the select.
pub struct UnitChoice {
    pub value: Uuid,
    pub label: String,
    pub selected: bool,
}

/// A unit in its place in the tree.
pub struct Placed<'a> {
    pub unit: &'a OrgUnit,
    /// A branch's district.
    pub district: Option<&'a OrgUnit>,
}

impl Placed<'_> {
    /// The unit and the units above it, as the scope rules read them.
    fn path(&self) -> UnitPath {
        let above_district = self.district.and_then(|district| district.parent_id);
        UnitPath::new(
            [Some(self.unit.id), self.unit.parent_id, above_district]
                .into_iter()
                .flatten()
                .collect(),
        )
    }

    /// "Ortsverband (Kreisverband)", or the unit's name alone.
    pub fn label(&self) -> String {
        match self.district {
            Some(district) => format!("{} ({})", self.unit.name, district.name),
            None => self.unit.name.clone(),
        }
    }
}

/// The units in reading order; a branch whose district is unknown has no
/// place.
pub fn in_tree_order(units: &[OrgUnit]) -> Vec<Placed<'_>> {
    let by_name = |kind: OrgUnitKind, parent: Option<Uuid>| {
        let mut found: Vec<&OrgUnit> = units
            .iter()
            .filter(|u| u.kind == kind && (parent.is_none() || u.parent_id == parent))
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found
    };
    let mut placed: Vec<Placed<'_>> = by_name(OrgUnitKind::State, None)
        .into_iter()
        .map(|unit| Placed {
            unit,
            district: None,
        })
        .collect();
    for district in by_name(OrgUnitKind::District, None) {
        placed.push(Placed {
            unit: district,
            district: None,
        });
        placed.extend(
            by_name(OrgUnitKind::Local, Some(district.id))
                .into_iter()
                .map(|unit| Placed {
                    unit,
                    district: Some(district),
                }),
        );
    }
    placed
}

/// Which units a choice offers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Districts and branches: where members and declarations go.
    HoldingMembers,
    /// The state too: where an account may sit.
    Everything,
    /// The state and the districts: what a new unit may hang below.
    Parents,
    /// The districts alone: what a report breaks down by branches.
    Districts,
    /// Districts and branches within the part of the tree an account
    /// sees: what its own lists narrow to.
    HoldingMembersWithin(Scope),
}

impl Offer {
    fn offers(self, placed: &Placed<'_>) -> bool {
        let kind = placed.unit.kind;
        match self {
            Offer::HoldingMembers => kind.holds_members(),
            Offer::Everything => true,
            Offer::Parents => kind != OrgUnitKind::Local,
            Offer::Districts => kind == OrgUnitKind::District,
            Offer::HoldingMembersWithin(scope) => {
                kind.holds_members() && scope.sees(&placed.path())
            }
        }
    }
}

/// The units `offer` names but `except` and its branches; `chosen` is
/// preselected.
pub async fn unit_choices(
    state: &WebState,
    signed_in: &SignedIn,
    offer: Offer,
    except: Option<Uuid>,
    chosen: Option<Uuid>,
) -> WebResult<Vec<UnitChoice>> {
    let units = org_units::all(&state.app, &signed_in.actor()).await?;
    Ok(in_tree_order(&units)
        .into_iter()
        .filter(|p| offer.offers(p))
        .filter(|p| {
            except.is_none() || ![Some(p.unit.id), p.district.map(|d| d.id)].contains(&except)
        })
        .map(|p| UnitChoice {
            value: p.unit.id,
            label: match p.district {
                Some(_) => format!("– {}", p.label()),
                None => p.label(),
            },
            selected: chosen == Some(p.unit.id),
        })
        .collect())
}

/// Every unit's name by id, for lists that name units.
pub async fn unit_names(
    state: &WebState,
    signed_in: &SignedIn,
) -> WebResult<HashMap<Uuid, String>> {
    Ok(org_units::all(&state.app, &signed_in.actor())
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit.name))
        .collect())
}
