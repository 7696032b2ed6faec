//! Rows a migration leaves in `counters` for work that only this crate can
//! do, because it needs the domain's definitions (the lags, the search
//! keys): set by the migration, cleared in the transaction that does the
//! work, so that an interrupted fill is done again at the next start.

use sea_orm::ConnectionTrait;

use crate::RepoError;
use crate::sql::Sql;

pub(crate) async fn is_set<C: ConnectionTrait>(db: &C, mark: &str) -> Result<bool, RepoError> {
    let mut sql = Sql::new(db.get_database_backend());
    let mark = sql.bind(mark);
    let text = format!("SELECT value FROM counters WHERE name = {mark}");
    Ok(db.query_one_raw(sql.statement(text)).await?.is_some())
}

pub(crate) async fn clear<C: ConnectionTrait>(db: &C, mark: &str) -> Result<(), RepoError> {
    let mut sql = Sql::new(db.get_database_backend());
    let mark = sql.bind(mark);
    db.execute_raw(sql.statement(format!("DELETE FROM counters WHERE name = {mark}")))
        .await?;
    Ok(())
}
