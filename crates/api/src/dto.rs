//! Schema-carrying mirrors of the domain's enums, so that the domain crate
//! needs no OpenAPI dependency.

use kartei_domain::{OrgUnitKind, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    Admin,
    StateOffice,
    DistrictOffice,
    LocalBranch,
    Board,
}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::Admin => Role::Admin,
            RoleDto::StateOffice => Role::StateOffice,
            RoleDto::DistrictOffice => Role::DistrictOffice,
            RoleDto::LocalBranch => Role::LocalBranch,
            RoleDto::Board => Role::Board,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => RoleDto::Admin,
            Role::StateOffice => RoleDto::StateOffice,
            Role::DistrictOffice => RoleDto::DistrictOffice,
            Role::LocalBranch => RoleDto::LocalBranch,
            Role::Board => RoleDto::Board,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKindDto {
    State,
    District,
    Local,
}

impl From<OrgUnitKindDto> for OrgUnitKind {
    fn from(kind: OrgUnitKindDto) -> Self {
        match kind {
            OrgUnitKindDto::State => OrgUnitKind::State,
            OrgUnitKindDto::District => OrgUnitKind::District,
            OrgUnitKindDto::Local => OrgUnitKind::Local,
        }
    }
}

impl From<OrgUnitKind> for OrgUnitKindDto {
    fn from(kind: OrgUnitKind) -> Self {
        match kind {
            OrgUnitKind::State => OrgUnitKindDto::State,
            OrgUnitKind::District => OrgUnitKindDto::District,
            OrgUnitKind::Local => OrgUnitKindDto::Local,
        }
    }
}
