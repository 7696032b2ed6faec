//! Staff accounts and org units as the rest of kartei sees them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{EmailAddress, OrgUnitKind, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnit {
    pub id: Uuid,
    pub kind: OrgUnitKind,
    pub name: String,
    pub short_code: String,
    pub parent_id: Option<Uuid>,
    pub email: Option<EmailAddress>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: Uuid,
    pub email: EmailAddress,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: Option<Uuid>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("a {role} account must be bound to a {kind} unit")]
    WrongUnitKind { role: Role, kind: OrgUnitKind },
    #[error("a {0} account must be bound to an org unit")]
    MissingUnit(Role),
}

/// Checks that an account of `role` may be bound to a unit of `unit_kind`:
/// district offices to districts, branch contacts to branches, state-level
/// roles to the state unit or to none.
pub fn check_account_unit(role: Role, unit_kind: Option<OrgUnitKind>) -> Result<(), AccountError> {
    match (role.required_unit_kind(), unit_kind) {
        (Some(_), None) => Err(AccountError::MissingUnit(role)),
        (Some(required), Some(actual)) if required != actual => Err(AccountError::WrongUnitKind {
            role,
            kind: required,
        }),
        (None, Some(actual)) if actual != OrgUnitKind::State => Err(AccountError::WrongUnitKind {
            role,
            kind: OrgUnitKind::State,
        }),
        _ => Ok(()),
    }
}

/// The smallest password length kartei accepts for staff accounts.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("must be at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_bound_to_units_of_their_level() {
        use OrgUnitKind::*;
        assert!(check_account_unit(Role::DistrictOffice, Some(District)).is_ok());
        assert!(check_account_unit(Role::LocalBranch, Some(Local)).is_ok());
        assert!(check_account_unit(Role::Admin, None).is_ok());
        assert!(check_account_unit(Role::Board, Some(State)).is_ok());
        assert_eq!(
            check_account_unit(Role::DistrictOffice, None),
            Err(AccountError::MissingUnit(Role::DistrictOffice))
        );
        assert!(check_account_unit(Role::DistrictOffice, Some(Local)).is_err());
        assert!(check_account_unit(Role::LocalBranch, Some(District)).is_err());
        assert!(check_account_unit(Role::StateOffice, Some(District)).is_err());
    }

    #[test]
    fn passwords_have_a_length_range() {
        assert_eq!(check_new_password("short"), Err(PasswordError::TooShort));
        assert_eq!(check_new_password("correct horse battery"), Ok(()));
        assert_eq!(
            check_new_password(&"x".repeat(257)),
            Err(PasswordError::TooLong)
        );
    }
}
