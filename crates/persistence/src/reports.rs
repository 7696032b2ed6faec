//! The entry-lag figures, computed in the database: counts, order
//! statistics for the percentiles and the open items' clocks, grouped by
//! district or by local branch, with one SQL text for SQLite and PostgreSQL
//! apart from the day arithmetic.
//!
//! The population of a report is every declaration received in the period:
//! the applications, plus the members entered directly with their own
//! `received_on`. Imported members are not in it: their lag happened before
//! kartei and is unknown.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::Status;
use kartei_domain::lag::{LagStage, Percentiles, percentiles_of};
use kartei_domain::member::EntrySource;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::RepoError;
use crate::applications::OverdueCutoffs;

/// How the rows of a report are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One row per district; `only` restricts the report to one district.
    /// Applications no district holds yet (unroutable, not yet routed) form
    /// the row `None`.
    Districts { only: Option<Uuid> },
    /// One row per local branch of `district`; what the district holds
    /// itself, with no branch, forms the row `None`.
    Branches { district: Uuid },
}

#[derive(Debug, Clone, Copy)]
pub struct LagQuery {
    /// First and last day of `received_on`, both included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub grouping: Grouping,
    /// The clocks past their levels today.
    pub overdue: OverdueCutoffs,
    /// The clocks past twice their levels today.
    pub escalated: OverdueCutoffs,
}

/// Open items waiting in one stage of one unit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Waiting {
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
    /// The earliest `received_on` among them.
    pub oldest_received_on: Option<NaiveDate>,
    /// The earliest start of their current stage.
    pub oldest_stage_started_at: Option<DateTime<Utc>>,
}

impl Waiting {
    fn add(&mut self, other: &Waiting) {
        self.open += other.open;
        self.overdue += other.overdue;
        self.escalated += other.escalated;
        self.oldest_received_on = earliest(self.oldest_received_on, other.oldest_received_on);
        self.oldest_stage_started_at =
            earliest(self.oldest_stage_started_at, other.oldest_stage_started_at);
    }
}

fn earliest<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The figures of one stage of one unit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageFigures {
    /// Items that went through the stage (and so have a lag for it).
    pub completed: i64,
    pub lag: Percentiles,
    pub waiting: Waiting,
}

/// The figures of one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFigures {
    pub received: i64,
    pub entered: i64,
    pub lag: Percentiles,
    pub waiting: Waiting,
    pub stages: BTreeMap<LagStage, StageFigures>,
}

impl Default for UnitFigures {
    fn default() -> Self {
        UnitFigures {
            received: 0,
            entered: 0,
            lag: Percentiles::default(),
            waiting: Waiting::default(),
            stages: LagStage::ALL
                .into_iter()
                .map(|s| (s, StageFigures::default()))
                .collect(),
        }
    }
}

/// A SQL text and its parameters, numbered `$n` (sqlx reads `$n` on SQLite
/// too), so that one value can be used in several places.
struct Sql {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            values: Vec::new(),
        }
    }

    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Whole days from `earlier` to `later`, two date columns, as BIGINT.
    fn days(&self, later: &str, earlier: &str) -> String {
        match self.backend {
            DbBackend::Postgres => format!("CAST({later} - {earlier} AS BIGINT)"),
            _ => format!("CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"),
        }
    }

    /// `YYYY-MM` of a date column.
    fn month(&self, column: &str) -> String {
        match self.backend {
            DbBackend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
            _ => format!("strftime('%Y-%m', {column})"),
        }
    }

    fn statement(self, text: String) -> Statement {
        Statement::from_sql_and_values(self.backend, text, self.values)
    }
}

fn quoted(statuses: &[Status]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

const HANDOVER_STATUSES: [Status; 3] = [Status::Received, Status::Unroutable, Status::Routed];

/// The SQL for "overdue by either clock" against `cutoffs`, 1 or 0.
fn past_levels(sql: &mut Sql, cutoffs: &OverdueCutoffs) -> String {
    let handover = sql.bind(cutoffs.handover_stage_before);
    let contact = sql.bind(cutoffs.first_contact_stage_before);
    let received = sql.bind(cutoffs.received_before);
    format!(
        "CASE WHEN status IN ({h}) AND stage_started_at < {handover} THEN 1 \
              WHEN status = '{ho}' AND stage_started_at < {contact} THEN 1 \
              WHEN status IN ({open}) AND received_on < {received} THEN 1 ELSE 0 END",
        h = quoted(&HANDOVER_STATUSES),
        ho = Status::HandedOver.as_str(),
        open = quoted(&Status::OPEN),
    )
}

/// The common table `items`: one row per declaration received in the
/// period, with the unit it counts for and every date the lags need.
fn items_cte(sql: &mut Sql, query: &LagQuery) -> String {
    let from = sql.bind(query.from);
    let to = sql.bind(query.to);
    let (unit_a, unit_m, scope_a, scope_m) = match query.grouping {
        Grouping::Districts { only: None } => (
            "a.district_id",
            "m.district_id",
            String::new(),
            String::new(),
        ),
        Grouping::Districts {
            only: Some(district),
        }
        | Grouping::Branches { district } => {
            let d = sql.bind(district);
            let unit = matches!(query.grouping, Grouping::Branches { .. });
            (
                if unit { "a.local_id" } else { "a.district_id" },
                if unit { "m.local_id" } else { "m.district_id" },
                format!(" AND a.district_id = {d}"),
                format!(" AND m.district_id = {d}"),
            )
        }
    };
    format!(
        "items AS ( \
           SELECT {unit_a} AS unit, a.received_on AS received_on, a.status AS status, \
                  a.stage_started_at AS stage_started_at, a.entered_on AS entered_on, \
                  a.registered_on AS registered_on, a.routed_on AS routed_on, \
                  a.handed_over_on AS handed_over_on, a.contacted_on AS contacted_on, \
                  a.decided_on AS decided_on \
           FROM applications a \
           WHERE a.received_on >= {from} AND a.received_on <= {to}{scope_a} \
           UNION ALL \
           SELECT {unit_m}, m.received_on, '{admitted}', NULL, m.entered_on, \
                  NULL, NULL, NULL, NULL, NULL \
           FROM members m \
           WHERE m.source = '{direct}' AND m.received_on >= {from} AND m.received_on <= {to}{scope_m} \
         )",
        admitted = Status::Admitted.as_str(),
        direct = EntrySource::DirectEntry.as_str(),
    )
}

/// The SQL naming the stage an open item waits in, NULL once closed.
fn waiting_stage() -> String {
    format!(
        "CASE WHEN status IN ({h}) THEN '{handover}' \
              WHEN status = '{ho}' THEN '{contact}' \
              WHEN status = '{c}' THEN '{decision}' END",
        h = quoted(&HANDOVER_STATUSES),
        ho = Status::HandedOver.as_str(),
        c = Status::Contacted.as_str(),
        handover = LagStage::Handover.as_str(),
        contact = LagStage::Contact.as_str(),
        decision = LagStage::Decision.as_str(),
    )
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> Result<T, RepoError> {
    Ok(row.try_get::<T>("", column)?)
}

/// The counts and the open items' clocks per unit and waiting stage.
fn counts_statement(backend: DbBackend, query: &LagQuery) -> Statement {
    let mut sql = Sql::new(backend);
    let items = items_cte(&mut sql, query);
    let overdue = past_levels(&mut sql, &query.overdue);
    let escalated = past_levels(&mut sql, &query.escalated);
    let text = format!(
        "WITH {items}, \
         clocks AS ( \
           SELECT unit, received_on, stage_started_at, \
                  CASE WHEN entered_on IS NULL THEN 0 ELSE 1 END AS entered, \
                  {stage} AS stage, {overdue} AS overdue, {escalated} AS escalated \
           FROM items) \
         SELECT unit, stage, COUNT(*) AS items, SUM(entered) AS entered, \
                SUM(overdue) AS overdue, SUM(escalated) AS escalated, \
                MIN(received_on) AS oldest_received_on, \
                MIN(stage_started_at) AS oldest_stage_started_at \
         FROM clocks GROUP BY unit, stage",
        stage = waiting_stage(),
    );
    sql.statement(text)
}

/// The statements [`entry_lag`] runs, for timing them bare.
pub fn entry_lag_statements(backend: DbBackend, query: &LagQuery) -> [Statement; 2] {
    [
        counts_statement(backend, query),
        histogram_statement(backend, query),
    ]
}

/// The entry-lag figures per unit (see [`Grouping`] for what a unit is).
/// Units with nothing in the period are absent; the caller lists them.
pub async fn entry_lag<C: ConnectionTrait>(
    db: &C,
    query: &LagQuery,
) -> Result<BTreeMap<Option<Uuid>, UnitFigures>, RepoError> {
    let mut units: BTreeMap<Option<Uuid>, UnitFigures> = BTreeMap::new();

    for row in db
        .query_all_raw(counts_statement(db.get_database_backend(), query))
        .await?
    {
        let unit: Option<Uuid> = get(&row, "unit")?;
        let stage: Option<String> = get(&row, "stage")?;
        let figures = units.entry(unit).or_default();
        let items: i64 = get(&row, "items")?;
        figures.received += items;
        figures.entered += get::<Option<i64>>(&row, "entered")?.unwrap_or(0);
        let Some(stage) = stage.as_deref().and_then(LagStage::parse) else {
            continue;
        };
        let waiting = Waiting {
            open: items,
            overdue: get::<Option<i64>>(&row, "overdue")?.unwrap_or(0),
            escalated: get::<Option<i64>>(&row, "escalated")?.unwrap_or(0),
            oldest_received_on: get(&row, "oldest_received_on")?,
            oldest_stage_started_at: get(&row, "oldest_stage_started_at")?,
        };
        figures.waiting.add(&waiting);
        if let Some(s) = figures.stages.get_mut(&stage) {
            s.waiting = waiting;
        }
    }

    for (unit, metric, n, lag) in lag_histograms(db, query).await? {
        let figures = units.entry(unit).or_default();
        match metric {
            Metric::Entry => figures.lag = lag,
            Metric::Stage(stage) => {
                if let Some(s) = figures.stages.get_mut(&stage) {
                    s.completed = n;
                    s.lag = lag;
                }
            }
        }
    }
    Ok(units)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Metric {
    Entry,
    Stage(LagStage),
}

impl Metric {
    fn parse(text: &str) -> Option<Metric> {
        if text == "entry" {
            Some(Metric::Entry)
        } else {
            LagStage::parse(text).map(Metric::Stage)
        }
    }
}

/// The lags in days, one row per item and metric, from the `items` table.
fn lags_cte(sql: &Sql) -> String {
    let lag = |metric: &str, later: &str, earlier: &str| {
        format!(
            "SELECT unit, '{metric}' AS metric, {days} AS days, received_on FROM items \
             WHERE {later} IS NOT NULL AND {earlier} IS NOT NULL",
            days = sql.days(later, earlier)
        )
    };
    format!(
        "lags AS ({} UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL {})",
        lag("entry", "entered_on", "received_on"),
        lag(
            LagStage::Registration.as_str(),
            "registered_on",
            "received_on"
        ),
        lag(LagStage::Handover.as_str(), "handed_over_on", "routed_on"),
        lag(LagStage::Contact.as_str(), "contacted_on", "handed_over_on"),
        lag(LagStage::Decision.as_str(), "decided_on", "contacted_on"),
    )
}

/// Reads histogram rows (key, days, count) into percentiles per key, with
/// the number of values behind them.
fn percentiles_from_histograms<K: Ord>(
    rows: impl IntoIterator<Item = (K, i64, i64)>,
) -> BTreeMap<K, (i64, Percentiles)> {
    let mut histograms: BTreeMap<K, BTreeMap<i64, u64>> = BTreeMap::new();
    for (key, days, count) in rows {
        *histograms.entry(key).or_default().entry(days).or_default() +=
            u64::try_from(count).unwrap_or(0);
    }
    histograms
        .into_iter()
        .map(|(key, histogram)| {
            let bins: Vec<(i64, u64)> = histogram.into_iter().collect();
            let n = bins.iter().map(|(_, c)| c).sum::<u64>();
            (
                key,
                (i64::try_from(n).unwrap_or(i64::MAX), percentiles_of(&bins)),
            )
        })
        .collect()
}

/// How many items took how many days, per unit and metric.
fn histogram_statement(backend: DbBackend, query: &LagQuery) -> Statement {
    let mut sql = Sql::new(backend);
    let items = items_cte(&mut sql, query);
    let lags = lags_cte(&sql);
    let text = format!(
        "WITH {items}, {lags} \
         SELECT unit, metric, days, COUNT(*) AS n FROM lags GROUP BY unit, metric, days"
    );
    sql.statement(text)
}

async fn lag_histograms<C: ConnectionTrait>(
    db: &C,
    query: &LagQuery,
) -> Result<Vec<(Option<Uuid>, Metric, i64, Percentiles)>, RepoError> {
    let mut rows = Vec::new();
    for row in db
        .query_all_raw(histogram_statement(db.get_database_backend(), query))
        .await?
    {
        let metric: String = get(&row, "metric")?;
        let Some(metric) = Metric::parse(&metric) else {
            continue;
        };
        let unit: Option<Uuid> = get(&row, "unit")?;
        rows.push(((unit, metric), get(&row, "days")?, get(&row, "n")?));
    }
    Ok(percentiles_from_histograms(rows)
        .into_iter()
        .map(|((unit, metric), (n, p))| (unit, metric, n, p))
        .collect())
}

/// How many items took how many days, per unit and month of receipt.
pub fn trend_statement(backend: DbBackend, query: &LagQuery) -> Statement {
    let mut sql = Sql::new(backend);
    let items = items_cte(&mut sql, query);
    let days = sql.days("entered_on", "received_on");
    let month = sql.month("received_on");
    let text = format!(
        "WITH {items}, \
         lags AS (SELECT unit, {month} AS month, {days} AS days FROM items \
                  WHERE entered_on IS NOT NULL) \
         SELECT unit, month, days, COUNT(*) AS n FROM lags GROUP BY unit, month, days"
    );
    sql.statement(text)
}

/// The median entry lag of one unit in one month of `received_on`.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyMedian {
    pub unit: Option<Uuid>,
    /// `YYYY-MM`.
    pub month: String,
    /// Declarations of that month entered so far.
    pub entered: i64,
    pub median_lag_days: Option<f64>,
}

/// The median entry lag per unit and month of `received_on`, for the
/// declarations of the period that are entered.
pub async fn monthly_medians<C: ConnectionTrait>(
    db: &C,
    query: &LagQuery,
) -> Result<Vec<MonthlyMedian>, RepoError> {
    let mut rows = Vec::new();
    for row in db
        .query_all_raw(trend_statement(db.get_database_backend(), query))
        .await?
    {
        let unit: Option<Uuid> = get(&row, "unit")?;
        let month: String = get(&row, "month")?;
        rows.push(((unit, month), get(&row, "days")?, get(&row, "n")?));
    }
    Ok(percentiles_from_histograms(rows)
        .into_iter()
        .map(|((unit, month), (n, p))| MonthlyMedian {
            unit,
            month,
            entered: n,
            median_lag_days: p.median,
        })
        .collect())
}

/// Open applications per district (`None`: no district yet) and stage,
/// with how many are overdue and escalated: the operator's gauges.
pub async fn open_by_district_and_stage<C: ConnectionTrait>(
    db: &C,
    overdue: &OverdueCutoffs,
    escalated: &OverdueCutoffs,
) -> Result<BTreeMap<(Option<Uuid>, LagStage), Waiting>, RepoError> {
    let mut sql = Sql::new(db.get_database_backend());
    let overdue = past_levels(&mut sql, overdue);
    let escalated = past_levels(&mut sql, escalated);
    let text = format!(
        "SELECT district_id, stage, COUNT(*) AS open, SUM(overdue) AS overdue, \
                SUM(escalated) AS escalated \
         FROM (SELECT district_id, {stage} AS stage, {overdue} AS overdue, \
                      {escalated} AS escalated \
               FROM applications WHERE {open}) AS waiting \
         GROUP BY district_id, stage",
        stage = waiting_stage(),
        open = migration::OPEN_APPLICATIONS,
    );
    let mut out = BTreeMap::new();
    for row in db.query_all_raw(sql.statement(text)).await? {
        let stage: Option<String> = get(&row, "stage")?;
        let Some(stage) = stage.as_deref().and_then(LagStage::parse) else {
            continue;
        };
        out.insert(
            (get(&row, "district_id")?, stage),
            Waiting {
                open: get(&row, "open")?,
                overdue: get::<Option<i64>>(&row, "overdue")?.unwrap_or(0),
                escalated: get::<Option<i64>>(&row, "escalated")?.unwrap_or(0),
                oldest_received_on: None,
                oldest_stage_started_at: None,
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_condition_of_the_partial_index_names_the_open_statuses() {
        assert_eq!(
            migration::OPEN_APPLICATIONS,
            format!("status IN ({})", quoted(&Status::OPEN))
        );
    }

    #[test]
    fn histogram_rows_give_percentiles_per_key() {
        // Unit a: 10, 20, 30, 40; unit b: 7 three times.
        let rows = [
            ("a", 40, 1),
            ("a", 10, 1),
            ("b", 7, 3),
            ("a", 30, 1),
            ("a", 20, 1),
        ];
        let figures = percentiles_from_histograms(rows);
        let (n, p) = figures["a"];
        assert_eq!(n, 4);
        assert_eq!(p.median, Some(25.0));
        assert!(p.p90.is_some_and(|v| (v - 37.0).abs() < 1e-9));
        assert_eq!(
            figures["b"],
            (
                3,
                Percentiles {
                    median: Some(7.0),
                    p90: Some(7.0)
                }
            )
        );
    }
}
