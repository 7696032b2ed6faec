use chrono::{DateTime, Utc};
use kartei_domain::{EmailAddress, OrgUnit, OrgUnitKind, UnitPath};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entities::org_unit::{self, Entity as OrgUnits};
use crate::{Page, RepoError};

impl TryFrom<org_unit::Model> for OrgUnit {
    type Error = RepoError;

    fn try_from(row: org_unit::Model) -> Result<Self, Self::Error> {
        let kind = row
            .kind
            .parse::<OrgUnitKind>()
            .map_err(|e| RepoError::Corrupt(format!("org unit {}: {e}", row.id)))?;
        let email = row
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(|e| RepoError::Corrupt(format!("org unit {}: e-mail {e}", row.id)))?;
        Ok(OrgUnit {
            id: row.id,
            kind,
            name: row.name,
            short_code: row.short_code,
            parent_id: row.parent_id,
            email,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewOrgUnit {
    pub id: Uuid,
    pub kind: OrgUnitKind,
    pub name: String,
    pub short_code: String,
    pub parent_id: Option<Uuid>,
    pub email: Option<EmailAddress>,
}

/// The editable fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrgUnitChanges {
    pub name: Option<String>,
    pub short_code: Option<String>,
    pub email: Option<Option<EmailAddress>>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    unit: NewOrgUnit,
    now: DateTime<Utc>,
) -> Result<OrgUnit, RepoError> {
    let row = org_unit::ActiveModel {
        id: Set(unit.id),
        kind: Set(unit.kind.as_str().to_owned()),
        name: Set(unit.name),
        short_code: Set(unit.short_code),
        parent_id: Set(unit.parent_id),
        email: Set(unit.email.map(|e| e.as_str().to_owned())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    OrgUnits::insert(row)
        .exec_with_returning(db)
        .await?
        .try_into()
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<OrgUnit, RepoError> {
    OrgUnits::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)?
        .try_into()
}

/// The root of the tree: the state association.
pub async fn state_unit<C: ConnectionTrait>(db: &C) -> Result<Option<OrgUnit>, RepoError> {
    OrgUnits::find()
        .filter(org_unit::Column::Kind.eq(OrgUnitKind::State.as_str()))
        .one(db)
        .await?
        .map(OrgUnit::try_from)
        .transpose()
}

pub async fn find_by_short_code<C: ConnectionTrait>(
    db: &C,
    short_code: &str,
) -> Result<Option<OrgUnit>, RepoError> {
    OrgUnits::find()
        .filter(org_unit::Column::ShortCode.eq(short_code))
        .one(db)
        .await?
        .map(OrgUnit::try_from)
        .transpose()
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<OrgUnit>, RepoError> {
    let mut query = OrgUnits::find().order_by_asc(org_unit::Column::Id);
    if let Some(after) = after {
        query = query.filter(org_unit::Column::Id.gt(after));
    }
    let rows = query.limit(limit + 1).all(db).await?;
    let units = rows
        .into_iter()
        .map(OrgUnit::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(units, limit, |u| u.id))
}

pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<OrgUnit>, RepoError> {
    OrgUnits::find()
        .order_by_asc(org_unit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(OrgUnit::try_from)
        .collect()
}

pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, RepoError> {
    Ok(OrgUnits::find().count(db).await?)
}

/// Applies `changes` if the unit is still at `expected_version`.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    expected_version: i64,
    changes: OrgUnitChanges,
    now: DateTime<Utc>,
) -> Result<OrgUnit, RepoError> {
    let mut update = OrgUnits::update_many()
        .col_expr(org_unit::Column::Version, Expr::value(expected_version + 1))
        .col_expr(org_unit::Column::UpdatedAt, Expr::value(now))
        .filter(org_unit::Column::Id.eq(id))
        .filter(org_unit::Column::Version.eq(expected_version));
    if let Some(name) = changes.name {
        update = update.col_expr(org_unit::Column::Name, Expr::value(name));
    }
    if let Some(short_code) = changes.short_code {
        update = update.col_expr(org_unit::Column::ShortCode, Expr::value(short_code));
    }
    if let Some(email) = changes.email {
        update = update.col_expr(
            org_unit::Column::Email,
            Expr::value(email.map(|e| e.as_str().to_owned())),
        );
    }
    let result = update.exec(db).await?;
    if result.rows_affected == 0 {
        // Either gone or changed meanwhile; tell which.
        get(db, id).await?;
        return Err(RepoError::StaleVersion);
    }
    get(db, id).await
}

/// The unit and all units above it, nearest first.
pub async fn path_of<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<UnitPath, RepoError> {
    // The tree has three levels; the bound guards against a corrupt cycle.
    const MAX_DEPTH: usize = 8;
    let mut units = Vec::with_capacity(3);
    let mut next = Some(id);
    while let Some(current) = next {
        if units.len() == MAX_DEPTH || units.contains(&current) {
            return Err(RepoError::Corrupt(format!(
                "org unit {id}: parent chain loops"
            )));
        }
        let row = OrgUnits::find_by_id(current)
            .one(db)
            .await?
            .ok_or(RepoError::NotFound)?;
        units.push(row.id);
        next = row.parent_id;
    }
    Ok(UnitPath::new(units))
}
