use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A node of the party's tree: the state association, its districts, and the
/// local branches below them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKind {
    State,
    District,
    Local,
}

impl OrgUnitKind {
    pub const ALL: [OrgUnitKind; 3] = [
        OrgUnitKind::State,
        OrgUnitKind::District,
        OrgUnitKind::Local,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgUnitKind::State => "state",
            OrgUnitKind::District => "district",
            OrgUnitKind::Local => "local",
        }
    }

    /// The kind a unit's parent must have; `None` for the root.
    pub fn parent_kind(self) -> Option<OrgUnitKind> {
        match self {
            OrgUnitKind::State => None,
            OrgUnitKind::District => Some(OrgUnitKind::State),
            OrgUnitKind::Local => Some(OrgUnitKind::District),
        }
    }

    /// Whether applications and members can be held by a unit of this kind
    /// (routing rules and member records point at districts or branches).
    pub fn holds_members(self) -> bool {
        matches!(self, OrgUnitKind::District | OrgUnitKind::Local)
    }
}

impl fmt::Display for OrgUnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown org unit kind; expected state, district or local")]
pub struct UnknownOrgUnitKind;

impl FromStr for OrgUnitKind {
    type Err = UnknownOrgUnitKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgUnitKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or(UnknownOrgUnitKind)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TreeError {
    #[error("a state unit has no parent")]
    StateWithParent,
    #[error("a {0} needs a parent unit")]
    MissingParent(OrgUnitKind),
    #[error("the parent of a {child} must be a {expected}")]
    WrongParentKind {
        child: OrgUnitKind,
        expected: OrgUnitKind,
    },
}

/// Checks that a unit of `kind` may hang below a parent of `parent_kind`.
pub fn check_parent(kind: OrgUnitKind, parent_kind: Option<OrgUnitKind>) -> Result<(), TreeError> {
    match (kind.parent_kind(), parent_kind) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(TreeError::StateWithParent),
        (Some(_), None) => Err(TreeError::MissingParent(kind)),
        (Some(expected), Some(actual)) if expected == actual => Ok(()),
        (Some(expected), Some(_)) => Err(TreeError::WrongParentKind {
            child: kind,
            expected,
        }),
    }
}

/// A unit together with all units above it, nearest first: the local branch,
/// its district, the state. Scope decisions only need this chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPath {
    units: Vec<Uuid>,
}

impl UnitPath {
    /// `units` starts with the unit itself and walks up to the root.
    pub fn new(units: Vec<Uuid>) -> Self {
        Self { units }
    }

    pub fn unit(&self) -> Option<Uuid> {
        self.units.first().copied()
    }

    /// True when `unit` is this unit or one of its ancestors.
    pub fn is_at_or_below(&self, unit: Uuid) -> bool {
        self.units.contains(&unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_is_state_then_district_then_local() {
        use OrgUnitKind::*;
        assert_eq!(check_parent(State, None), Ok(()));
        assert_eq!(check_parent(District, Some(State)), Ok(()));
        assert_eq!(check_parent(Local, Some(District)), Ok(()));
        assert_eq!(
            check_parent(State, Some(State)),
            Err(TreeError::StateWithParent)
        );
        assert_eq!(
            check_parent(District, None),
            Err(TreeError::MissingParent(District))
        );
        assert_eq!(
            check_parent(Local, Some(State)),
            Err(TreeError::WrongParentKind {
                child: Local,
                expected: District
            })
        );
        assert_eq!(
            check_parent(District, Some(Local)),
            Err(TreeError::WrongParentKind {
                child: District,
                expected: State
            })
        );
    }

    #[test]
    fn a_path_contains_the_unit_and_its_ancestors() {
        let (local, district, state, other) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let path = UnitPath::new(vec![local, district, state]);
        assert_eq!(path.unit(), Some(local));
        assert!(path.is_at_or_below(local));
        assert!(path.is_at_or_below(district));
        assert!(path.is_at_or_below(state));
        assert!(!path.is_at_or_below(other));
    }
}
