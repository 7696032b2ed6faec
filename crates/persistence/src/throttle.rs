//! Failed logins, counted per account and per client address. Kept in the
//! database so that every instance behind a load balancer sees the same count.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::RepoError;
use crate::entities::login_failure::{self, Entity as LoginFailures};

pub async fn record_failure<C: ConnectionTrait>(
    db: &C,
    account_key: &str,
    client_key: &str,
    at: DateTime<Utc>,
) -> Result<(), RepoError> {
    let row = login_failure::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_key: Set(account_key.to_owned()),
        client_key: Set(client_key.to_owned()),
        failed_at: Set(at),
    };
    LoginFailures::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Account(&'a str),
    Client(&'a str),
}

/// The times of the failures for `key` since `since`, oldest first, at most
/// `limit` of the newest ones (older ones cannot change the decision).
pub async fn failures_since<C: ConnectionTrait>(
    db: &C,
    key: Key<'_>,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DateTime<Utc>>, RepoError> {
    let filter = match key {
        Key::Account(k) => login_failure::Column::AccountKey.eq(k),
        Key::Client(k) => login_failure::Column::ClientKey.eq(k),
    };
    let mut times: Vec<DateTime<Utc>> = LoginFailures::find()
        .select_only()
        .column(login_failure::Column::FailedAt)
        .filter(filter)
        .filter(login_failure::Column::FailedAt.gt(since))
        .order_by_desc(login_failure::Column::FailedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    times.reverse();
    Ok(times)
}

/// A successful login forgives the account's earlier failures.
pub async fn clear_account<C: ConnectionTrait>(db: &C, account_key: &str) -> Result<(), RepoError> {
    LoginFailures::delete_many()
        .filter(login_failure::Column::AccountKey.eq(account_key))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops failures that can no longer lock anybody.
pub async fn prune_before<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
) -> Result<(), RepoError> {
    LoginFailures::delete_many()
        .filter(login_failure::Column::FailedAt.lt(before))
        .exec(db)
        .await?;
    Ok(())
}
