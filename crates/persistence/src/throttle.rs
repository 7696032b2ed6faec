//! Failed logins, counted per account and per client address. Kept in the
//! database so that every instance behind a load balancer sees the same count.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::RepoError;
use crate::entities::login_failure::{self, Entity as LoginFailures};

/// Makes login attempts on these keys take turns until the transaction `txn`
/// ends, so that counting the earlier attempts and recording this one is one
/// step: twenty guesses sent at once cannot all count the same few failures
/// and all go on to the password check (ADR 0005).
///
/// PostgreSQL: a transaction-scoped advisory lock per key, taken in one
/// order so two attempts never wait for each other crosswise. SQLite has a
/// single writer: the first write of a transaction takes the database's
/// write lock until it ends, and dropping failures that can no longer lock
/// anybody is a write that is useful anyway.
pub async fn take_turn<C: ConnectionTrait>(
    txn: &C,
    keys: &[&str],
    since: DateTime<Utc>,
) -> Result<(), RepoError> {
    match txn.get_database_backend() {
        DbBackend::Postgres => {
            let mut locks: Vec<i64> = keys.iter().map(|key| lock_id(key)).collect();
            locks.sort_unstable();
            locks.dedup();
            for lock in locks {
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [lock.into()],
                ))
                .await?;
            }
            Ok(())
        }
        _ => prune_before(txn, since).await,
    }
}

/// An advisory lock number for a throttling key. The keys are hex SHA-256
/// values, so their first 64 bits are as good as random (and kartei takes no
/// other advisory locks).
fn lock_id(key: &str) -> i64 {
    let bits = key
        .get(..16)
        .and_then(|prefix| u64::from_str_radix(prefix, 16).ok())
        .unwrap_or_default();
    i64::from_ne_bytes(bits.to_ne_bytes())
}

/// Records an attempt that goes on to the password check. It counts as a
/// failure until a successful login clears the account's attempts.
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
