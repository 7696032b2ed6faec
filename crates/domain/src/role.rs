use std::fmt;
use std::str::FromStr;

/// What a staff account is for. The role decides which actions an account may
/// ever take; its org unit decides where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    StateOffice,
    DistrictOffice,
    LocalBranch,
    Board,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::StateOffice,
        Role::DistrictOffice,
        Role::LocalBranch,
        Role::Board,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::StateOffice => "state_office",
            Role::DistrictOffice => "district_office",
            Role::LocalBranch => "local_branch",
            Role::Board => "board",
        }
    }

    /// The kind of org unit an account of this role must be bound to, if the
    /// role is bound to one below the state at all.
    pub fn required_unit_kind(self) -> Option<crate::OrgUnitKind> {
        match self {
            Role::DistrictOffice => Some(crate::OrgUnitKind::District),
            Role::LocalBranch => Some(crate::OrgUnitKind::Local),
            Role::Admin | Role::StateOffice | Role::Board => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role; expected one of admin, state_office, district_office, local_branch, board")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or(UnknownRole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("Admin".parse::<Role>(), Err(UnknownRole));
    }
}
