//! `integration_rollup`: how many integration steps were done after how
//! many days (`NOT_DONE` while open), per district, local branch, month of
//! `started_on` and step. From these counts the integration report's
//! admitted, done, medians and shares over whole months are exact.
//!
//! Kept current in the transaction of every write that moves a figure:
//! opening a member's steps adds them as not done, marking one done moves
//! it from not done to its days, and a member's move to another district
//! or branch (`members::save`) moves the counts of all its steps. Erasing a
//! step's note changes no figure, and the membership ending neither: what
//! is still owed comes from the open steps themselves. `rebuild`
//! recomputes the table from [`step_rows`], the same definition the raw
//! report reads; a test checks that both agree after a history of every
//! kind of change.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use crate::sql::Sql;
use crate::{RepoError, stale_marks};

/// The `days` of a step not done yet (a key column cannot be NULL).
pub(crate) const NOT_DONE: i64 = -1;

/// Who owes a member's steps, as the member row has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) district: Uuid,
    pub(crate) local: Option<Uuid>,
}

/// What one step counts under, apart from its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepFacts {
    pub(crate) step: String,
    pub(crate) started_on: NaiveDate,
    pub(crate) done_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    district: Uuid,
    local: Uuid,
    month: NaiveDate,
    step: String,
    days: i64,
}

fn key(owner: Owner, facts: &StepFacts) -> Key {
    Key {
        district: owner.district,
        local: owner.local.unwrap_or(Uuid::nil()),
        month: facts.started_on.with_day(1).unwrap_or(facts.started_on),
        step: facts.step.clone(),
        days: facts
            .done_on
            .map_or(NOT_DONE, |done| (done - facts.started_on).num_days()),
    }
}

/// The rows the figures are made of: one per step with the member's
/// district and branch, `started_on`, the step and the days to done (NULL
/// while not done), under `conditions` on `s` (steps) and `m` (members).
/// The raw report and [`rebuild`] both read this.
pub(crate) fn step_rows(sql: &Sql, conditions: &[String]) -> String {
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    format!(
        "SELECT m.district_id AS district_id, m.local_id AS local_id, \
                s.started_on AS started_on, s.step AS step, \
                CASE WHEN s.done_on IS NULL THEN NULL ELSE {days} END AS days \
         FROM integration_steps s JOIN members m ON m.id = s.member_id{filter}",
        days = sql.days("s.done_on", "s.started_on"),
    )
}

/// Adds `delta` to the count of each key.
async fn apply<C: ConnectionTrait>(db: &C, deltas: BTreeMap<Key, i64>) -> Result<(), RepoError> {
    for (key, delta) in deltas.into_iter().filter(|(_, d)| *d != 0) {
        let mut sql = Sql::new(db.get_database_backend());
        let values = [
            sql.bind(key.district),
            sql.bind(key.local),
            sql.bind(key.month),
            sql.bind(key.step),
            sql.bind(key.days),
            sql.bind(delta),
        ]
        .join(", ");
        let text = format!(
            "INSERT INTO integration_rollup (district_key, local_key, month, step, days, items) \
             VALUES ({values}) \
             ON CONFLICT (district_key, local_key, month, step, days) \
             DO UPDATE SET items = integration_rollup.items + excluded.items"
        );
        db.execute_raw(sql.statement(text)).await?;
    }
    Ok(())
}

/// Counts newly opened steps.
pub(crate) async fn opened<C: ConnectionTrait>(
    db: &C,
    owner: Owner,
    steps: &[StepFacts],
) -> Result<(), RepoError> {
    let mut deltas = BTreeMap::new();
    for facts in steps {
        *deltas.entry(key(owner, facts)).or_default() += 1;
    }
    apply(db, deltas).await
}

/// Moves one step's count from what it was to what it is.
pub(crate) async fn changed<C: ConnectionTrait>(
    db: &C,
    owner: Owner,
    before: &StepFacts,
    after: &StepFacts,
) -> Result<(), RepoError> {
    let mut deltas = BTreeMap::new();
    *deltas.entry(key(owner, before)).or_default() -= 1;
    *deltas.entry(key(owner, after)).or_default() += 1;
    apply(db, deltas).await
}

/// Moves the counts of a member's steps from one owner to another; the
/// caller holds the member row's write lock.
pub(crate) async fn moved<C: ConnectionTrait>(
    db: &C,
    member_id: Uuid,
    before: Owner,
    after: Owner,
) -> Result<(), RepoError> {
    if before == after {
        return Ok(());
    }
    let mut sql = Sql::new(db.get_database_backend());
    let member = sql.bind(member_id);
    let text = format!(
        "SELECT step, started_on, done_on FROM integration_steps WHERE member_id = {member}"
    );
    let mut deltas = BTreeMap::new();
    for row in db.query_all_raw(sql.statement(text)).await? {
        let facts = StepFacts {
            step: row.try_get("", "step")?,
            started_on: row.try_get("", "started_on")?,
            done_on: row.try_get("", "done_on")?,
        };
        *deltas.entry(key(before, &facts)).or_default() -= 1;
        *deltas.entry(key(after, &facts)).or_default() += 1;
    }
    apply(db, deltas).await
}

/// Recomputes the whole table from the steps and members, in one
/// transaction: once after the migration that created the table.
pub async fn rebuild(db: &DatabaseConnection) -> Result<(), RepoError> {
    let txn = db.begin().await?;
    txn.execute_unprepared("DELETE FROM integration_rollup")
        .await?;
    let mut sql = Sql::new(txn.get_database_backend());
    let nil = sql.bind(Uuid::nil());
    let not_done = sql.bind(NOT_DONE);
    let text = format!(
        "INSERT INTO integration_rollup (district_key, local_key, month, step, days, items) \
         SELECT district_id, COALESCE(local_id, {nil}), {month}, step, \
                COALESCE(days, {not_done}), COUNT(*) \
         FROM ({rows}) steps GROUP BY 1, 2, 3, 4, 5",
        month = sql.month_start("started_on"),
        rows = step_rows(&sql, &[]),
    );
    txn.execute_raw(sql.statement(text)).await?;
    stale_marks::clear(&txn, migration::INTEGRATION_ROLLUP_STALE).await?;
    txn.commit().await?;
    Ok(())
}

/// Fills the table if a migration left it stale.
pub async fn rebuild_if_stale(db: &DatabaseConnection) -> Result<(), RepoError> {
    if stale_marks::is_set(db, migration::INTEGRATION_ROLLUP_STALE).await? {
        rebuild(db).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
    }

    #[test]
    fn a_step_counts_under_its_month_of_start_and_days_to_done() {
        let owner = Owner {
            district: Uuid::from_u128(7),
            local: None,
        };
        let open = StepFacts {
            step: "welcome".into(),
            started_on: day(3, 30),
            done_on: None,
        };
        let k = key(owner, &open);
        assert_eq!(
            (k.month, k.days, k.local),
            (day(3, 1), NOT_DONE, Uuid::nil())
        );
        let done = StepFacts {
            done_on: Some(day(4, 2)),
            ..open
        };
        let k = key(owner, &done);
        // Counted under the month it started in, not the one it was done in.
        assert_eq!((k.month, k.days), (day(3, 1), 3));
    }
}
