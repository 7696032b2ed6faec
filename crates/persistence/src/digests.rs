//! The record that a unit's daily digest was written, so that exactly one
//! goes out per unit and day however many instances run.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::RepoError;
use crate::entities::digest::{self, Entity as Digests};

/// Claims the digest of `kind` for `unit` on `day`. Returns false when it
/// was claimed before (by this or another instance); the unique index
/// decides, so two instances cannot both win.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    unit: Uuid,
    day: NaiveDate,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<bool, RepoError> {
    let row = digest::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_unit_id: Set(unit),
        day: Set(day),
        kind: Set(kind.to_owned()),
        created_at: Set(now),
    };
    match Digests::insert(row).exec_without_returning(db).await {
        Ok(_) => Ok(true),
        Err(err) => match RepoError::from(err) {
            RepoError::Conflict => Ok(false),
            other => Err(other),
        },
    }
}
