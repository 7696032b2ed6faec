//! The routing table: which district or local branch a postal code goes to.

use kartei_domain::PostalCode;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::RepoError;
use crate::entities::routing_rule::{self, Entity as RoutingRules};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    pub postal_code: PostalCode,
    pub org_unit_id: Uuid,
}

pub async fn all<C: sea_orm::ConnectionTrait>(db: &C) -> Result<Vec<RoutingRule>, RepoError> {
    RoutingRules::find()
        .order_by_asc(routing_rule::Column::PostalCode)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let postal_code = PostalCode::parse(&row.postal_code)
                .map_err(|_| RepoError::Corrupt("routing rule postal code".into()))?;
            Ok(RoutingRule {
                postal_code,
                org_unit_id: row.org_unit_id,
            })
        })
        .collect()
}

/// Replaces the whole table. Run it in a unit of work: either every new
/// rule is in force afterwards, or the old table is untouched.
pub async fn replace_all<C: sea_orm::ConnectionTrait>(
    txn: &C,
    rules: Vec<RoutingRule>,
) -> Result<(), RepoError> {
    RoutingRules::delete_many().exec(txn).await?;
    // Inserting in chunks keeps every statement below SQLite's and
    // PostgreSQL's limits on bound parameters.
    for chunk in rules.chunks(500) {
        let rows = chunk.iter().map(|rule| routing_rule::ActiveModel {
            postal_code: Set(rule.postal_code.as_str().to_owned()),
            org_unit_id: Set(rule.org_unit_id),
        });
        RoutingRules::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

pub async fn resolve<C: sea_orm::ConnectionTrait>(
    db: &C,
    postal_code: &PostalCode,
) -> Result<Option<Uuid>, RepoError> {
    Ok(RoutingRules::find()
        .filter(routing_rule::Column::PostalCode.eq(postal_code.as_str()))
        .one(db)
        .await?
        .map(|row| row.org_unit_id))
}
