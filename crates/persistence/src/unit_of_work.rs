//! The one way a caller changes data: a unit of work runs its closure inside
//! a transaction, commits when the closure succeeds and rolls back when it
//! fails (the transaction is dropped unfinished). Callers never hold a
//! `begin`/`commit` pair of their own, so no path can forget either half.

use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::RepoError;

/// The transaction a unit of work hands to the repositories it calls.
pub type Tx = DatabaseTransaction;

/// Runs `work` in one transaction on `db`.
///
/// The closure's error type is the caller's own (a use-case error), so a
/// rule that refuses halfway through rolls back everything written before
/// it without translating errors back and forth.
pub async fn unit_of_work<T, E>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&Tx) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<RepoError>,
{
    let txn = db.begin().await.map_err(RepoError::from)?;
    let value = work(&txn).await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(value)
}
