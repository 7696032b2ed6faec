//! The entry-lag figures, computed in the database: histograms of the lags
//! (from which totals, medians and percentiles are exact) and the open
//! items' clocks, grouped by district or by local branch, with one SQL text
//! for SQLite and PostgreSQL apart from the day arithmetic. Whole months
//! come from `lag_rollup` (see `crate::rollup`), the days of a partial month
//! from the applications and members themselves.
//!
//! The population of a report is every declaration received in the period:
//! the applications, plus the members entered directly with their own
//! `received_on`. Imported members are not in it: their lag happened before
//! kartei and is unknown.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kartei_domain::lag::{LagStage, Percentiles, percentiles_of};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};
use uuid::Uuid;

use crate::RepoError;
use crate::applications::UnitFilter;
use crate::lag_sql::{
    ENTRY, OverdueCutoffs, RECEIVED, items_cte, lags_cte, past_levels, waiting_stage,
};
use crate::sql::Sql;

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
    /// The local date of the report. Nothing is received after it (every
    /// input refuses a `received_on` in the future), so the month of a
    /// period reaching it is whole as far as it goes: it comes from the
    /// rollup too, however many declarations a campaign month brought.
    pub today: NaiveDate,
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

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> Result<T, RepoError> {
    Ok(row.try_get::<T>("", column)?)
}

/// Where the figures of received, entered and the lags come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The applications and members themselves: the reference.
    Raw,
    /// `lag_rollup` for the whole months of the period, the applications
    /// and members for the days of a partial month at either end.
    Rollup,
}

/// The district a report is restricted to, if any.
fn district_of(grouping: Grouping) -> Option<Uuid> {
    match grouping {
        Grouping::Districts { only } => only,
        Grouping::Branches { district } => Some(district),
    }
}

/// The raw and rollup columns naming a row's unit.
fn unit_columns(grouping: Grouping) -> (&'static str, &'static str) {
    match grouping {
        Grouping::Districts { .. } => ("district_id", "district_key"),
        Grouping::Branches { .. } => ("local_id", "local_key"),
    }
}

/// A period cut into whole months (for the rollup) and the days before and
/// after them (for the raw tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    /// First days of the first and the last whole month.
    pub(crate) months: Option<(NaiveDate, NaiveDate)>,
    pub(crate) days: Vec<(NaiveDate, NaiveDate)>,
}

pub(crate) fn split(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Split {
    let month_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let next_month = |d: NaiveDate| {
        month_of(d)
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX)
    };
    let first = if from.day() == 1 {
        from
    } else {
        next_month(from)
    };
    // The first day after the last whole month; up to today, the current
    // month is whole (nothing can be received later in it yet).
    let end = if to >= today || to.succ_opt().is_some_and(|d| d.day() == 1) {
        next_month(to)
    } else {
        month_of(to)
    };
    if first >= end {
        return Split {
            months: None,
            days: vec![(from, to)],
        };
    }
    let last = end
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(first);
    let mut days = Vec::new();
    if from < first {
        days.push((from, first.pred_opt().unwrap_or(first)));
    }
    if end <= to {
        days.push((end, to));
    }
    Split {
        months: Some((first, last)),
        days,
    }
}

/// What a statement's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Waiting,
    Histogram,
}

/// The statements of one report, and how to read each.
fn statements(
    backend: DbBackend,
    query: &LagQuery,
    source: Source,
    trend: bool,
) -> Vec<(Read, Statement)> {
    let mut out = Vec::new();
    if !trend {
        out.push((Read::Waiting, waiting_statement(backend, query)));
    }
    let split = match source {
        Source::Raw => Split {
            months: None,
            days: vec![(query.from, query.to)],
        },
        Source::Rollup => split(query.from, query.to, query.today),
    };
    if let Some(months) = split.months {
        out.push((
            Read::Histogram,
            rollup_histogram(backend, query.grouping, months, trend),
        ));
    }
    for period in split.days {
        out.push((
            Read::Histogram,
            raw_histogram(backend, query.grouping, period, trend),
        ));
    }
    out
}

/// The open applications of the period per unit and waiting stage, with
/// their clocks; from the partial index of open applications.
fn waiting_statement(backend: DbBackend, query: &LagQuery) -> Statement {
    let mut sql = Sql::new(backend);
    let (from, to) = (sql.bind(query.from), sql.bind(query.to));
    let mut filter = format!("received_on >= {from} AND received_on <= {to}");
    if let Some(district) = district_of(query.grouping) {
        filter.push_str(&format!(" AND district_id = {}", sql.bind(district)));
    }
    let overdue = past_levels(&mut sql, &query.overdue);
    let escalated = past_levels(&mut sql, &query.escalated);
    let text = format!(
        "SELECT {unit} AS unit, {stage} AS stage, COUNT(*) AS open, \
                SUM({overdue}) AS overdue, SUM({escalated}) AS escalated, \
                MIN(received_on) AS oldest_received_on, \
                MIN(stage_started_at) AS oldest_stage_started_at \
         FROM applications WHERE {open} AND {filter} \
         GROUP BY unit, stage",
        unit = unit_columns(query.grouping).0,
        stage = waiting_stage(),
        open = migration::OPEN_APPLICATIONS,
    );
    sql.statement(text)
}

/// Rows (unit, metric or month, days, n) from the applications and members.
fn raw_histogram(
    backend: DbBackend,
    grouping: Grouping,
    period: (NaiveDate, NaiveDate),
    trend: bool,
) -> Statement {
    let mut sql = Sql::new(backend);
    let items = items_cte(&mut sql, Some(period), district_of(grouping));
    let lags = lags_cte(&sql);
    let unit = unit_columns(grouping).0;
    let text = if trend {
        format!(
            "WITH {items}, {lags} \
             SELECT {unit} AS unit, {month} AS month, days, COUNT(*) AS n FROM lags \
             WHERE metric = '{ENTRY}' GROUP BY 1, 2, 3",
            month = sql.month_start("received_on"),
        )
    } else {
        format!(
            "WITH {items}, {lags} \
             SELECT {unit} AS unit, metric, days, COUNT(*) AS n FROM lags GROUP BY 1, 2, 3"
        )
    };
    sql.statement(text)
}

/// Rows (unit, metric or month, days, n) from `lag_rollup`.
fn rollup_histogram(
    backend: DbBackend,
    grouping: Grouping,
    (first, last): (NaiveDate, NaiveDate),
    trend: bool,
) -> Statement {
    let mut sql = Sql::new(backend);
    let (first, last) = (sql.bind(first), sql.bind(last));
    let mut filter = format!("month >= {first} AND month <= {last}");
    if let Some(district) = district_of(grouping) {
        filter.push_str(&format!(" AND district_key = {}", sql.bind(district)));
    }
    let unit = unit_columns(grouping).1;
    let text = if trend {
        format!(
            "SELECT {unit} AS unit, month, days, CAST(SUM(items) AS BIGINT) AS n \
             FROM lag_rollup WHERE metric = '{ENTRY}' AND {filter} GROUP BY 1, 2, 3"
        )
    } else {
        format!(
            "SELECT {unit} AS unit, metric, days, CAST(SUM(items) AS BIGINT) AS n \
             FROM lag_rollup WHERE {filter} GROUP BY 1, 2, 3"
        )
    };
    sql.statement(text)
}

/// A unit as read back: NULL and the rollup's nil UUID both mean none.
fn unit_of(row: &QueryResult) -> Result<Option<Uuid>, RepoError> {
    let unit: Option<Uuid> = get(row, "unit")?;
    Ok(unit.filter(|u| !u.is_nil()))
}

/// The statements the entry-lag report runs, for timing them bare.
pub fn entry_lag_statements(
    backend: DbBackend,
    query: &LagQuery,
    source: Source,
) -> Vec<Statement> {
    statements(backend, query, source, false)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

/// The statements the trend runs, for timing them bare.
pub fn trend_statements(backend: DbBackend, query: &LagQuery, source: Source) -> Vec<Statement> {
    statements(backend, query, source, true)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Metric {
    Received,
    Entry,
    Stage(LagStage),
}

impl Metric {
    fn parse(text: &str) -> Option<Metric> {
        match text {
            RECEIVED => Some(Metric::Received),
            ENTRY => Some(Metric::Entry),
            other => LagStage::parse(other).map(Metric::Stage),
        }
    }
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
    // The rollup keeps rows whose count went back to zero (a declaration
    // that moved on to another district): they are no figure at all.
    histograms
        .into_iter()
        .filter_map(|(key, histogram)| {
            let bins: Vec<(i64, u64)> = histogram.into_iter().filter(|(_, c)| *c > 0).collect();
            let n = bins.iter().map(|(_, c)| c).sum::<u64>();
            (n > 0).then(|| {
                (
                    key,
                    (i64::try_from(n).unwrap_or(i64::MAX), percentiles_of(&bins)),
                )
            })
        })
        .collect()
}

/// The entry-lag figures per unit (see [`Grouping`] for what a unit is).
/// Units with nothing in the period are absent; the caller lists them.
pub async fn entry_lag<C: ConnectionTrait>(
    db: &C,
    query: &LagQuery,
    source: Source,
) -> Result<BTreeMap<Option<Uuid>, UnitFigures>, RepoError> {
    let mut units: BTreeMap<Option<Uuid>, UnitFigures> = BTreeMap::new();
    let mut histogram_rows = Vec::new();
    for (read, statement) in statements(db.get_database_backend(), query, source, false) {
        for row in db.query_all_raw(statement).await? {
            let unit = unit_of(&row)?;
            match read {
                Read::Histogram => {
                    let metric: String = get(&row, "metric")?;
                    if let Some(metric) = Metric::parse(&metric) {
                        histogram_rows.push(((unit, metric), get(&row, "days")?, get(&row, "n")?));
                    }
                }
                Read::Waiting => {
                    let stage: Option<String> = get(&row, "stage")?;
                    let Some(stage) = stage.as_deref().and_then(LagStage::parse) else {
                        continue;
                    };
                    let waiting = Waiting {
                        open: get(&row, "open")?,
                        overdue: get::<Option<i64>>(&row, "overdue")?.unwrap_or(0),
                        escalated: get::<Option<i64>>(&row, "escalated")?.unwrap_or(0),
                        oldest_received_on: get(&row, "oldest_received_on")?,
                        oldest_stage_started_at: get(&row, "oldest_stage_started_at")?,
                    };
                    let figures = units.entry(unit).or_default();
                    figures.waiting.add(&waiting);
                    if let Some(s) = figures.stages.get_mut(&stage) {
                        s.waiting = waiting;
                    }
                }
            }
        }
    }
    for ((unit, metric), (n, lag)) in percentiles_from_histograms(histogram_rows) {
        let figures = units.entry(unit).or_default();
        match metric {
            Metric::Received => figures.received = n,
            Metric::Entry => {
                figures.entered = n;
                figures.lag = lag;
            }
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

/// The median entry lag of one unit in one month of `received_on`.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyMedian {
    pub unit: Option<Uuid>,
    /// The first day of the month.
    pub month: NaiveDate,
    /// Declarations of that month entered so far.
    pub entered: i64,
    pub median_lag_days: Option<f64>,
}

/// The median entry lag per unit and month of `received_on`, for the
/// declarations of the period that are entered.
pub async fn monthly_medians<C: ConnectionTrait>(
    db: &C,
    query: &LagQuery,
    source: Source,
) -> Result<Vec<MonthlyMedian>, RepoError> {
    let mut rows = Vec::new();
    for (_, statement) in statements(db.get_database_backend(), query, source, true) {
        for row in db.query_all_raw(statement).await? {
            let month: NaiveDate = get(&row, "month")?;
            rows.push(((unit_of(&row)?, month), get(&row, "days")?, get(&row, "n")?));
        }
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
/// with how many are overdue and escalated, of those `scope` holds: the
/// operator's gauges (all of them) and an account's start page.
pub async fn open_by_district_and_stage<C: ConnectionTrait>(
    db: &C,
    scope: UnitFilter,
    overdue: &OverdueCutoffs,
    escalated: &OverdueCutoffs,
) -> Result<BTreeMap<(Option<Uuid>, LagStage), Waiting>, RepoError> {
    let mut sql = Sql::new(db.get_database_backend());
    let overdue = past_levels(&mut sql, overdue);
    let escalated = past_levels(&mut sql, escalated);
    let within = match scope {
        UnitFilter::All => String::new(),
        UnitFilter::District(id) => format!(" AND district_id = {}", sql.bind(id)),
        UnitFilter::Local(id) => format!(" AND local_id = {}", sql.bind(id)),
    };
    let text = format!(
        "SELECT district_id, {stage} AS stage, COUNT(*) AS open, SUM({overdue}) AS overdue, \
                SUM({escalated}) AS escalated \
         FROM applications WHERE {open}{within} GROUP BY 1, 2",
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

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn a_period_splits_into_whole_months_and_the_days_around_them() {
        assert_eq!(
            split(day(2025, 11, 26), day(2026, 11, 25), day(2026, 12, 24)),
            Split {
                months: Some((day(2025, 12, 1), day(2026, 10, 1))),
                days: vec![
                    (day(2025, 11, 26), day(2025, 11, 30)),
                    (day(2026, 11, 1), day(2026, 11, 25))
                ],
            }
        );
        assert_eq!(
            split(day(2026, 1, 1), day(2026, 3, 31), day(2026, 12, 24)),
            Split {
                months: Some((day(2026, 1, 1), day(2026, 3, 1))),
                days: vec![],
            }
        );
        // Within one month: all days.
        assert_eq!(
            split(day(2026, 2, 3), day(2026, 2, 27), day(2026, 12, 24)),
            Split {
                months: None,
                days: vec![(day(2026, 2, 3), day(2026, 2, 27))],
            }
        );
        assert_eq!(
            split(day(2026, 2, 1), day(2026, 2, 28), day(2026, 12, 24)).months,
            Some((day(2026, 2, 1), day(2026, 2, 1)))
        );
        // Up to today, the current month comes whole from the rollup…
        assert_eq!(
            split(day(2025, 11, 26), day(2026, 11, 25), day(2026, 11, 25)),
            Split {
                months: Some((day(2025, 12, 1), day(2026, 11, 1))),
                days: vec![(day(2025, 11, 26), day(2025, 11, 30))],
            }
        );
        // …unless the period starts inside it.
        assert_eq!(
            split(day(2026, 11, 3), day(2026, 11, 25), day(2026, 11, 25)),
            Split {
                months: None,
                days: vec![(day(2026, 11, 3), day(2026, 11, 25))],
            }
        );
    }
}
