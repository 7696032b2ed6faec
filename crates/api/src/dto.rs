//! Schema-carrying mirrors of the domain's and the use cases' enums, so
//! that neither crate needs an OpenAPI dependency.

use kartei_app::import::{DateFormat, Delimiter, TextEncoding};
use kartei_domain::{OrgUnitKind, Role};
use serde::{Deserialize, Deserializer, Serialize};
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

/// What the person is told about the processing of their data (GDPR Art. 15
/// (1) a, c, d), from `kartei_domain::privacy`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcessingDto {
    pub purposes: Vec<String>,
    pub legal_basis: String,
    /// The staff who can read the record: a role at an org unit (the state
    /// unit for roles of the state level), and how much of it they read.
    pub recipients: Vec<RecipientDto>,
    pub retention: RetentionDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientDto {
    pub role: RoleDto,
    pub org_unit_id: uuid::Uuid,
    /// `full`, or `name_and_contact` for a former district with home ties.
    pub extent: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionDto {
    pub rule: String,
    /// The first day on which the record is anonymised, once it is known.
    pub anonymised_from: Option<chrono::NaiveDate>,
}

impl From<kartei_domain::privacy::Processing> for ProcessingDto {
    fn from(p: kartei_domain::privacy::Processing) -> Self {
        ProcessingDto {
            purposes: p
                .purposes
                .into_iter()
                .map(|purpose| purpose.as_str().to_owned())
                .collect(),
            legal_basis: p.legal_basis.to_owned(),
            recipients: p
                .recipients
                .into_iter()
                .map(|r| RecipientDto {
                    role: r.role.into(),
                    org_unit_id: r.org_unit_id,
                    extent: r.extent.as_str().to_owned(),
                })
                .collect(),
            retention: RetentionDto {
                rule: p.retention.rule,
                anonymised_from: p.retention.anonymised_from,
            },
        }
    }
}

/// For PATCH bodies: tells "absent" (`None`) from "set to null"
/// (`Some(None)`). Use with `#[serde(default, deserialize_with = ...)]`.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The character encoding an imported file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum TextEncodingDto {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl From<TextEncoding> for TextEncodingDto {
    fn from(encoding: TextEncoding) -> Self {
        match encoding {
            TextEncoding::Utf8 => TextEncodingDto::Utf8,
            TextEncoding::Windows1252 => TextEncodingDto::Windows1252,
        }
    }
}

/// The character between the fields of an imported file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum DelimiterDto {
    #[serde(rename = ",")]
    Comma,
    #[serde(rename = ";")]
    Semicolon,
}

impl From<Delimiter> for DelimiterDto {
    fn from(delimiter: Delimiter) -> Self {
        match delimiter {
            Delimiter::Comma => DelimiterDto::Comma,
            Delimiter::Semicolon => DelimiterDto::Semicolon,
        }
    }
}

/// A way of writing dates that the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum DateFormatDto {
    #[serde(rename = "YYYY-MM-DD")]
    Iso,
    #[serde(rename = "DD.MM.YYYY")]
    German,
}

impl From<DateFormat> for DateFormatDto {
    fn from(format: DateFormat) -> Self {
        match format {
            DateFormat::Iso => DateFormatDto::Iso,
            DateFormat::German => DateFormatDto::German,
        }
    }
}
