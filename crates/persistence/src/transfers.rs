//! Transfers of members between districts.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::member::TransferStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::RepoError;
use crate::applications::UnitFilter;
use crate::entities::transfer::{self, Column as T, Entity as Transfers};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: Uuid,
    pub member_id: Uuid,
    pub from_district_id: Uuid,
    pub from_local_id: Option<Uuid>,
    pub to_district_id: Uuid,
    pub to_local_id: Option<Uuid>,
    pub effective_on: NaiveDate,
    pub keep_home_ties: bool,
    pub status: TransferStatus,
    pub reason: Option<String>,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub answered_by: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl TryFrom<transfer::Model> for Transfer {
    type Error = RepoError;

    fn try_from(row: transfer::Model) -> Result<Self, Self::Error> {
        Ok(Transfer {
            id: row.id,
            member_id: row.member_id,
            from_district_id: row.from_district_id,
            from_local_id: row.from_local_id,
            to_district_id: row.to_district_id,
            to_local_id: row.to_local_id,
            effective_on: row.effective_on,
            keep_home_ties: row.keep_home_ties,
            status: row
                .status
                .parse()
                .map_err(|_| RepoError::Corrupt(format!("transfer {}: status", row.id)))?,
            reason: row.reason,
            requested_by: row.requested_by,
            requested_at: row.requested_at,
            answered_by: row.answered_by,
            answered_at: row.answered_at,
        })
    }
}

pub async fn insert<C: ConnectionTrait>(db: &C, transfer: &Transfer) -> Result<(), RepoError> {
    Transfers::insert(active_model(transfer))
        .exec_without_returning(db)
        .await?;
    crate::census::copy_member_facts(db, transfer.member_id).await
}

pub(crate) fn active_model(transfer: &Transfer) -> transfer::ActiveModel {
    transfer::ActiveModel {
        id: Set(transfer.id),
        member_id: Set(transfer.member_id),
        from_district_id: Set(transfer.from_district_id),
        from_local_id: Set(transfer.from_local_id),
        to_district_id: Set(transfer.to_district_id),
        to_local_id: Set(transfer.to_local_id),
        effective_on: Set(transfer.effective_on),
        keep_home_ties: Set(transfer.keep_home_ties),
        status: Set(transfer.status.as_str().to_owned()),
        reason: Set(transfer.reason.clone()),
        requested_by: Set(transfer.requested_by),
        requested_at: Set(transfer.requested_at),
        answered_by: Set(transfer.answered_by),
        answered_at: Set(transfer.answered_at),
    }
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Transfer, RepoError> {
    Transfers::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)?
        .try_into()
}

pub async fn for_member<C: ConnectionTrait>(
    db: &C,
    member_id: Uuid,
) -> Result<Vec<Transfer>, RepoError> {
    Transfers::find()
        .filter(T::MemberId.eq(member_id))
        .order_by_asc(T::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Transfer::try_from)
        .collect()
}

/// Records the answer if the transfer is still pending; false otherwise.
pub async fn answer<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    status: TransferStatus,
    reason: Option<String>,
    by: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, RepoError> {
    let mut update = Transfers::update_many()
        .col_expr(T::Status, Expr::value(status.as_str()))
        .col_expr(T::AnsweredBy, Expr::value(by))
        .col_expr(T::AnsweredAt, Expr::value(at))
        .filter(T::Id.eq(id))
        .filter(T::Status.eq(TransferStatus::Pending.as_str()));
    if let Some(reason) = reason {
        update = update.col_expr(T::Reason, Expr::value(reason));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Transfers that touch the units of `scope` on either side, newest first,
/// optionally only those with `status`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &UnitFilter,
    status: Option<TransferStatus>,
    limit: u64,
) -> Result<Vec<Transfer>, RepoError> {
    let sides = match *scope {
        UnitFilter::All => Condition::all(),
        UnitFilter::District(unit) => Condition::any()
            .add(T::FromDistrictId.eq(unit))
            .add(T::ToDistrictId.eq(unit)),
        UnitFilter::Local(unit) => Condition::any()
            .add(T::FromLocalId.eq(unit))
            .add(T::ToLocalId.eq(unit)),
    };
    let mut query = Transfers::find().filter(sides);
    if let Some(status) = status {
        query = query.filter(T::Status.eq(status.as_str()));
    }
    query
        .order_by_desc(T::RequestedAt)
        .order_by_desc(T::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Transfer::try_from)
        .collect()
}

/// Forgets the free-text reason of a member's transfers (anonymisation).
pub async fn clear_reasons<C: ConnectionTrait>(db: &C, member_id: Uuid) -> Result<(), RepoError> {
    Transfers::update_many()
        .col_expr(T::Reason, Expr::value(Option::<String>::None))
        .filter(T::MemberId.eq(member_id))
        .exec(db)
        .await?;
    Ok(())
}
