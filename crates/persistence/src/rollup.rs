//! `lag_rollup`: how many declarations took how many days, per district,
//! local branch, month of `received_on` and metric (`received` with 0 days,
//! `entry`, and the four stages). From these counts the reports' totals,
//! medians and percentiles over whole months are exact, and a year of all
//! districts is a sum over a few thousand rows.
//!
//! The table is kept current in the transaction of every change that can
//! move a figure: for a new application (or directly entered member) the
//! repository adds the keys of the row its INSERT returned; for a change it
//! reads the facts before and after its write and applies the difference of
//! their keys. `rebuild` recomputes the whole table from the same lag
//! definitions the raw report uses (`lag_sql::lags_cte`); a test checks that
//! both agree after a history of every kind of change.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use kartei_domain::lag::LagStage;
use kartei_domain::member::EntrySource;
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, TransactionTrait};
use uuid::Uuid;

use crate::entities::{application, member};
use crate::lag_sql::{ENTRY, RECEIVED, items_cte, lags_cte};
use crate::sql::Sql;
use crate::{RepoError, stale_marks};

/// The dates and units of one declaration that the lags are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Facts {
    district: Option<Uuid>,
    local: Option<Uuid>,
    received_on: NaiveDate,
    entered_on: Option<NaiveDate>,
    registered_on: Option<NaiveDate>,
    routed_on: Option<NaiveDate>,
    handed_over_on: Option<NaiveDate>,
    contacted_on: Option<NaiveDate>,
    decided_on: Option<NaiveDate>,
}

impl Facts {
    /// The facts of an application as written: the same columns that
    /// `Table::Applications` reads (the rebuild test catches a difference).
    pub(crate) fn of_application(row: &application::Model) -> Facts {
        Facts {
            district: row.district_id,
            local: row.local_id,
            received_on: row.received_on,
            entered_on: row.entered_on,
            registered_on: row.registered_on,
            routed_on: row.routed_on,
            handed_over_on: row.handed_over_on,
            contacted_on: row.contacted_on,
            decided_on: row.decided_on,
        }
    }

    /// The facts of a member as written, `None` unless it counts on its own
    /// (entered directly), like `Table::Members`.
    pub(crate) fn of_member(row: &member::Model) -> Option<Facts> {
        (row.source.as_deref() == Some(EntrySource::DirectEntry.as_str())).then_some(Facts {
            district: Some(row.district_id),
            local: row.local_id,
            received_on: row.received_on,
            entered_on: row.entered_on,
            registered_on: None,
            routed_on: None,
            handed_over_on: None,
            contacted_on: None,
            decided_on: None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    district: Uuid,
    local: Uuid,
    month: NaiveDate,
    metric: &'static str,
    days: i64,
}

/// The rollup keys one declaration counts under, one per metric it has.
fn keys(facts: &Facts) -> Vec<Key> {
    let month = facts.received_on.with_day(1).unwrap_or(facts.received_on);
    let key = |metric, days| Key {
        district: facts.district.unwrap_or(Uuid::nil()),
        local: facts.local.unwrap_or(Uuid::nil()),
        month,
        metric,
        days,
    };
    let lag =
        |later: Option<NaiveDate>, earlier: Option<NaiveDate>| Some((later? - earlier?).num_days());
    let received = Some(facts.received_on);
    [
        (RECEIVED, Some(0)),
        (ENTRY, lag(facts.entered_on, received)),
        (
            LagStage::Registration.as_str(),
            lag(facts.registered_on, received),
        ),
        (
            LagStage::Handover.as_str(),
            lag(facts.handed_over_on, facts.routed_on),
        ),
        (
            LagStage::Contact.as_str(),
            lag(facts.contacted_on, facts.handed_over_on),
        ),
        (
            LagStage::Decision.as_str(),
            lag(facts.decided_on, facts.contacted_on),
        ),
    ]
    .into_iter()
    .filter_map(|(metric, days)| days.map(|d| key(metric, d)))
    .collect()
}

fn facts_of(row: &QueryResult) -> Result<Facts, RepoError> {
    let get = |column: &str| row.try_get::<Option<NaiveDate>>("", column);
    Ok(Facts {
        district: row.try_get("", "district_id")?,
        local: row.try_get("", "local_id")?,
        received_on: row.try_get("", "received_on")?,
        entered_on: get("entered_on")?,
        registered_on: get("registered_on")?,
        routed_on: get("routed_on")?,
        handed_over_on: get("handed_over_on")?,
        contacted_on: get("contacted_on")?,
        decided_on: get("decided_on")?,
    })
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Applications,
    Members,
}

impl Table {
    /// The facts' columns, and `counts`: whether the row counts on its own
    /// (a member only when entered directly; the others count through
    /// their application, or not at all when imported).
    fn columns(self) -> String {
        match self {
            Table::Applications => "district_id, local_id, received_on, entered_on, \
                registered_on, routed_on, handed_over_on, contacted_on, decided_on, \
                1 AS counts"
                .to_owned(),
            Table::Members => format!(
                "district_id, local_id, received_on, entered_on, NULL AS registered_on, \
                 NULL AS routed_on, NULL AS handed_over_on, NULL AS contacted_on, \
                 NULL AS decided_on, \
                 CASE WHEN source = '{}' THEN 1 ELSE 0 END AS counts",
                EntrySource::DirectEntry.as_str()
            ),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Table::Applications => "applications",
            Table::Members => "members",
        }
    }
}

async fn facts<C: ConnectionTrait>(
    db: &C,
    table: Table,
    id: Uuid,
    lock: bool,
) -> Result<Option<Facts>, RepoError> {
    let mut sql = Sql::new(db.get_database_backend());
    let id = sql.bind(id);
    let (name, columns) = (table.name(), table.columns());
    let text = if lock {
        format!("UPDATE {name} SET version = version WHERE id = {id} RETURNING {columns}")
    } else {
        format!("SELECT {columns} FROM {name} WHERE id = {id}")
    };
    match db.query_one_raw(sql.statement(text)).await? {
        Some(row) if row.try_get::<i32>("", "counts")? == 1 => Ok(Some(facts_of(&row)?)),
        _ => Ok(None),
    }
}

/// The facts of a row as stored now, `None` if it does not count.
pub(crate) async fn read<C: ConnectionTrait>(
    db: &C,
    table: Table,
    id: Uuid,
) -> Result<Option<Facts>, RepoError> {
    facts(db, table, id, false).await
}

/// The facts of a row, after taking its write lock so that they cannot
/// change before the caller's update: a row lock on PostgreSQL, and on
/// SQLite the database's write lock, taken with a write as the
/// transaction's first statement (a transaction that reads first and writes
/// later fails at once with `SQLITE_BUSY` when another writer committed in
/// between, instead of waiting its turn). One statement: a no-op UPDATE
/// that returns the facts.
pub(crate) async fn lock_and_read<C: ConnectionTrait>(
    db: &C,
    table: Table,
    id: Uuid,
) -> Result<Option<Facts>, RepoError> {
    facts(db, table, id, true).await
}

/// Moves the counts of one declaration from what it was to what it is.
pub(crate) async fn apply<C: ConnectionTrait>(
    db: &C,
    before: Option<&Facts>,
    after: Option<&Facts>,
) -> Result<(), RepoError> {
    if before == after {
        return Ok(());
    }
    let mut deltas: BTreeMap<Key, i64> = BTreeMap::new();
    for key in before.map(keys).unwrap_or_default() {
        *deltas.entry(key).or_default() -= 1;
    }
    for key in after.map(keys).unwrap_or_default() {
        *deltas.entry(key).or_default() += 1;
    }
    for (key, delta) in deltas.into_iter().filter(|(_, d)| *d != 0) {
        let mut sql = Sql::new(db.get_database_backend());
        let values = [
            sql.bind(key.district),
            sql.bind(key.local),
            sql.bind(key.month),
            sql.bind(key.metric),
            sql.bind(key.days),
            sql.bind(delta),
        ]
        .join(", ");
        let text = format!(
            "INSERT INTO lag_rollup (district_key, local_key, month, metric, days, items) \
             VALUES ({values}) \
             ON CONFLICT (district_key, local_key, month, metric, days) \
             DO UPDATE SET items = lag_rollup.items + excluded.items"
        );
        db.execute_raw(sql.statement(text)).await?;
    }
    Ok(())
}

/// Recomputes the whole table from the applications and members, in one
/// transaction. For a database filled by bulk inserts, and once after the
/// migration that created the table.
pub async fn rebuild(db: &DatabaseConnection) -> Result<(), RepoError> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    txn.execute_unprepared("DELETE FROM lag_rollup").await?;
    let mut sql = Sql::new(backend);
    let items = items_cte(&mut sql, None, None);
    let lags = lags_cte(&sql);
    let nil = sql.bind(Uuid::nil());
    let text = format!(
        "WITH {items}, {lags} \
         INSERT INTO lag_rollup (district_key, local_key, month, metric, days, items) \
         SELECT COALESCE(district_id, {nil}), COALESCE(local_id, {nil}), {month}, metric, days, \
                COUNT(*) \
         FROM lags GROUP BY 1, 2, 3, 4, 5",
        month = sql.month_start("received_on"),
    );
    txn.execute_raw(sql.statement(text)).await?;
    stale_marks::clear(&txn, migration::LAG_ROLLUP_STALE).await?;
    txn.commit().await?;
    Ok(())
}

/// Fills the table if a migration left it stale.
pub async fn rebuild_if_stale(db: &DatabaseConnection) -> Result<(), RepoError> {
    if stale_marks::is_set(db, migration::LAG_ROLLUP_STALE).await? {
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
    fn a_declaration_counts_once_per_metric_it_has() {
        let open = Facts {
            district: None,
            local: None,
            received_on: day(3, 30),
            entered_on: None,
            registered_on: Some(day(4, 2)),
            routed_on: None,
            handed_over_on: None,
            contacted_on: None,
            decided_on: None,
        };
        let keys_of_open = keys(&open);
        assert_eq!(
            keys_of_open
                .iter()
                .map(|k| (k.metric, k.days))
                .collect::<Vec<_>>(),
            [(RECEIVED, 0), ("registration", 3)]
        );
        // Counted under the month it was received in, not registered in.
        assert!(keys_of_open.iter().all(|k| k.month == day(3, 1)));
        assert!(keys_of_open.iter().all(|k| k.district.is_nil()));

        let admitted = Facts {
            district: Some(Uuid::from_u128(7)),
            routed_on: Some(day(4, 2)),
            handed_over_on: Some(day(4, 3)),
            contacted_on: Some(day(4, 10)),
            decided_on: Some(day(4, 12)),
            entered_on: Some(day(4, 12)),
            ..open
        };
        let lags: Vec<(&str, i64)> = keys(&admitted).iter().map(|k| (k.metric, k.days)).collect();
        assert_eq!(
            lags,
            [
                (RECEIVED, 0),
                (ENTRY, 13),
                ("registration", 3),
                ("handover", 1),
                ("contact", 7),
                ("decision", 2)
            ]
        );
    }
}
