//! Integration steps after admission: opened with a new member, done once,
//! and read three ways: one member's steps, the register of members still
//! owed a step (oldest due first), and the figures per unit and step.
//!
//! Who owes an open step is read from the member row as it is now (its
//! branch, else its district), and only members whose membership lasts
//! owe anything: both conditions are written into every query here.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use kartei_domain::application::ContactChannel;
use kartei_domain::integration::{Done, OwedStep};
use kartei_domain::member::MemberStatus;
use kartei_domain::text::Note;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryResult, Statement,
};
use uuid::Uuid;

use crate::RepoError;
use crate::applications::UnitFilter;
use crate::entities::integration_step::{self, Entity as IntegrationSteps};
use crate::integration_rollup::{self, NOT_DONE, Owner, StepFacts, step_rows};
use crate::reports::{Grouping, Source, Split, split};
use crate::sql::Sql;

/// The condition of the partial index `idx_integration_steps_open`, as the
/// queries that should use it write it.
const OPEN: &str = "s.done_on IS NULL";

impl TryFrom<integration_step::Model> for OwedStep {
    type Error = RepoError;

    fn try_from(row: integration_step::Model) -> Result<Self, Self::Error> {
        let id = row.id;
        let corrupt = |what: &str| RepoError::Corrupt(format!("integration step {id}: {what}"));
        let done = match (row.done_on, row.channel) {
            (None, _) => None,
            (Some(done_on), Some(channel)) => Some(Done {
                done_on,
                channel: ContactChannel::parse(&channel).map_err(|_| corrupt("channel"))?,
                note: Note::optional(row.note.as_deref()).map_err(|_| corrupt("note"))?,
            }),
            (Some(_), None) => return Err(corrupt("done without a channel")),
        };
        Ok(OwedStep {
            id,
            member_id: row.member_id,
            step: row.step,
            started_on: row.started_on,
            done,
        })
    }
}

/// Who owes a member's steps as its row has it now; with `lock`, after
/// taking the row's write lock (see `rollup::lock_and_read`), so that a
/// move of the member cannot slip between reading and counting.
async fn owner_of<C: ConnectionTrait>(
    db: &C,
    member: Uuid,
    lock: bool,
) -> Result<Owner, RepoError> {
    let mut sql = Sql::new(db.get_database_backend());
    let member = sql.bind(member);
    let text = if lock {
        format!(
            "UPDATE members SET version = version WHERE id = {member} \
             RETURNING district_id, local_id"
        )
    } else {
        format!("SELECT district_id, local_id FROM members WHERE id = {member}")
    };
    let row = db
        .query_one_raw(sql.statement(text))
        .await?
        .ok_or(RepoError::NotFound)?;
    Ok(Owner {
        district: get(&row, "district_id")?,
        local: get(&row, "local_id")?,
    })
}

/// Opens `steps` for a member entered on `started_on`, in the caller's
/// transaction (the one that creates the member), and counts them in the
/// integration rollup.
pub async fn open<C: ConnectionTrait>(
    db: &C,
    member_id: Uuid,
    started_on: NaiveDate,
    steps: &[&str],
) -> Result<(), RepoError> {
    if steps.is_empty() {
        return Ok(());
    }
    let rows = steps.iter().map(|step| integration_step::ActiveModel {
        id: Set(Uuid::now_v7()),
        member_id: Set(member_id),
        step: Set((*step).to_owned()),
        started_on: Set(started_on),
        done_on: Set(None),
        channel: Set(None),
        note: Set(None),
        recorded_by: Set(None),
        recorded_at: Set(None),
    });
    IntegrationSteps::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    let owner = owner_of(db, member_id, false).await?;
    let facts: Vec<StepFacts> = steps
        .iter()
        .map(|step| StepFacts {
            step: (*step).to_owned(),
            started_on,
            done_on: None,
        })
        .collect();
    integration_rollup::opened(db, owner, &facts).await
}

/// Every step stored for a member, in no particular order.
pub async fn for_member<C: ConnectionTrait>(
    db: &C,
    member_id: Uuid,
) -> Result<Vec<OwedStep>, RepoError> {
    IntegrationSteps::find()
        .filter(integration_step::Column::MemberId.eq(member_id))
        .all(db)
        .await?
        .into_iter()
        .map(OwedStep::try_from)
        .collect()
}

/// Records step `id` of `member_id` as done, if it is still open; `false`
/// when someone recorded it first (the caller reads it again and decides).
/// Moves the step's count in the integration rollup from not done to its
/// days, under the member's write lock (taken first, so that a move of the
/// member waits, and on SQLite the write comes first).
pub async fn mark_done<C: ConnectionTrait>(
    db: &C,
    member_id: Uuid,
    id: Uuid,
    done: &Done,
    recorded_by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, RepoError> {
    use integration_step::Column as S;
    let owner = owner_of(db, member_id, true).await?;
    let result = IntegrationSteps::update_many()
        .col_expr(S::DoneOn, Expr::value(done.done_on))
        .col_expr(S::Channel, Expr::value(done.channel.as_str()))
        .col_expr(
            S::Note,
            Expr::value(done.note.as_ref().map(|n| n.as_str().to_owned())),
        )
        .col_expr(S::RecordedBy, Expr::value(recorded_by))
        .col_expr(S::RecordedAt, Expr::value(now))
        .filter(S::Id.eq(id))
        .filter(S::MemberId.eq(member_id))
        .filter(S::DoneOn.is_null())
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(false);
    }
    let row = IntegrationSteps::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)?;
    let before = StepFacts {
        step: row.step.clone(),
        started_on: row.started_on,
        done_on: None,
    };
    let after = StepFacts {
        done_on: row.done_on,
        ..before.clone()
    };
    integration_rollup::changed(db, owner, &before, &after).await?;
    Ok(true)
}

/// Forgets the free text of a member's steps (anonymisation); the days and
/// channels stay for the figures.
pub async fn erase_notes<C: ConnectionTrait>(db: &C, member_id: Uuid) -> Result<(), RepoError> {
    use integration_step::Column as S;
    IntegrationSteps::update_many()
        .col_expr(S::Note, Expr::value(Option::<String>::None))
        .filter(S::MemberId.eq(member_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A configured step with its service level, as the queries need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLevel {
    pub step: String,
    pub level_days: u32,
}

/// Where the register of owed steps continues: after this due day and
/// step id.
pub type DueCursor = (NaiveDate, Uuid);

/// One step a member is still owed, with who the member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedItem {
    pub step_id: Uuid,
    pub member_id: Uuid,
    pub membership_number: String,
    pub first_name: String,
    pub last_name: String,
    pub district_id: Uuid,
    pub local_id: Option<Uuid>,
    pub step: String,
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
}

/// What part of the register is read.
#[derive(Debug, Clone)]
pub struct OwedQuery {
    /// What the reader may see.
    pub scope: UnitFilter,
    /// The unit asked for, within the scope.
    pub unit: Option<UnitFilter>,
    /// The configured steps; others are not owed.
    pub steps: Vec<StepLevel>,
}

/// `day + days` as a date, `days` a bound integer.
fn plus_days(sql: &Sql, day: &str, days: &str) -> String {
    match sql.backend {
        DbBackend::Postgres => format!("({day} + CAST({days} AS INTEGER))"),
        _ => format!("date({day}, '+' || {days} || ' days')"),
    }
}

/// `CASE s.step WHEN name THEN value … END`, one branch per step.
fn per_step(branches: &[(String, String)]) -> String {
    let branches: String = branches
        .iter()
        .map(|(name, then)| format!(" WHEN {name} THEN {then}"))
        .collect();
    format!("CASE s.step{branches} END")
}

fn scope_condition(sql: &mut Sql, filter: UnitFilter) -> Option<String> {
    match filter {
        UnitFilter::All => None,
        UnitFilter::District(id) => Some(format!("m.district_id = {}", sql.bind(id))),
        UnitFilter::Local(id) => Some(format!("m.local_id = {}", sql.bind(id))),
    }
}

fn i32_days(days: u32) -> i32 {
    i32::try_from(days).unwrap_or(i32::MAX)
}

/// One statement for a page of `rows` owed steps: for each configured
/// step, the first `rows` open ones in the order of the partial index
/// (`step, started_on, id`; within a step, due order is start order), then
/// those merged by due day and id. A cursor `(due, id)` is, within a step
/// of `level` days, the start `due - level` and the id.
fn owed_statement(
    backend: DbBackend,
    query: &OwedQuery,
    after: Option<DueCursor>,
    rows: u64,
) -> Statement {
    let mut sql = Sql::new(backend);
    let rows = sql.bind(i64::try_from(rows).unwrap_or(i64::MAX));
    let mut common = vec![
        OPEN.to_owned(),
        format!("m.status = '{}'", MemberStatus::Active.as_str()),
    ];
    for filter in std::iter::once(query.scope).chain(query.unit) {
        common.extend(scope_condition(&mut sql, filter));
    }
    let ranges: Vec<String> = query
        .steps
        .iter()
        .enumerate()
        .map(|(n, step)| {
            let mut conditions = common.clone();
            conditions.push(format!("s.step = {}", sql.bind(step.step.clone())));
            if let Some((due_on, id)) = after {
                let started = due_on
                    .checked_sub_days(Days::new(u64::from(step.level_days)))
                    .unwrap_or(NaiveDate::MIN);
                let (started, id) = (sql.bind(started), sql.bind(id));
                conditions.push(format!(
                    "(s.started_on > {started} OR (s.started_on = {started} AND s.id > {id}))"
                ));
            }
            let level = sql.bind(i32_days(step.level_days));
            format!(
                "SELECT * FROM (\
                   SELECT s.id AS step_id, s.member_id, s.step, s.started_on, \
                          {due} AS due_on, m.membership_number, m.first_name, m.last_name, \
                          m.district_id, m.local_id \
                   FROM integration_steps s JOIN members m ON m.id = s.member_id \
                   WHERE {conditions} \
                   ORDER BY s.started_on, s.id LIMIT {rows}\
                 ) step{n}",
                due = plus_days(&sql, "s.started_on", &level),
                conditions = conditions.join(" AND "),
            )
        })
        .collect();
    let text = format!(
        "{} ORDER BY due_on, step_id LIMIT {rows}",
        ranges.join(" UNION ALL ")
    );
    sql.statement(text)
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> Result<T, RepoError> {
    Ok(row.try_get::<T>("", column)?)
}

/// One page of the steps still owed within the query's scope, the one due
/// first first (then by step id), with where the next page starts.
pub async fn owed<C: ConnectionTrait>(
    db: &C,
    query: &OwedQuery,
    after: Option<DueCursor>,
    limit: u64,
) -> Result<(Vec<OwedItem>, Option<DueCursor>), RepoError> {
    if query.steps.is_empty() {
        return Ok((Vec::new(), None));
    }
    let statement = owed_statement(db.get_database_backend(), query, after, limit + 1);
    let mut items = Vec::new();
    for row in db.query_all_raw(statement).await? {
        items.push(OwedItem {
            step_id: get(&row, "step_id")?,
            member_id: get(&row, "member_id")?,
            membership_number: get(&row, "membership_number")?,
            first_name: get(&row, "first_name")?,
            last_name: get(&row, "last_name")?,
            district_id: get(&row, "district_id")?,
            local_id: get(&row, "local_id")?,
            step: get(&row, "step")?,
            started_on: get(&row, "started_on")?,
            due_on: get(&row, "due_on")?,
        });
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|item| (item.due_on, item.step_id))
    } else {
        None
    };
    Ok((items, next))
}

/// A configured step with the day before which an open one, started then,
/// is overdue today (`kartei_domain::integration::started_before`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCutoff {
    pub step: String,
    pub overdue_started_before: NaiveDate,
}

/// The figures asked for: the steps started in a period, per unit.
#[derive(Debug, Clone)]
pub struct FiguresQuery {
    /// First and last day of `started_on`, both included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub grouping: Grouping,
    /// The local date of the report: no step starts after it, so a month
    /// reaching it is whole as far as it goes (read from the rollup).
    pub today: NaiveDate,
    pub steps: Vec<StepCutoff>,
}

/// One histogram bin of one unit and step: `n` steps started in the
/// period that were done after `days` days (`None`: not done), of which
/// `open` are still owed and `overdue` past their level today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureRow {
    pub unit: Option<Uuid>,
    pub step: String,
    pub days: Option<i64>,
    pub n: i64,
    pub open: i64,
    pub overdue: i64,
}

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

fn step_names(sql: &mut Sql, query: &FiguresQuery) -> Vec<String> {
    query
        .steps
        .iter()
        .map(|s| sql.bind(s.step.clone()))
        .collect()
}

/// What the statements' rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// unit, step, open, overdue
    Owed,
    /// unit, step, days, n
    Histogram,
}

/// The steps of the period still owed by active members, per unit and
/// step, with how many are overdue today: from the open steps (the
/// partial index), whatever the source of the histogram.
fn owed_figures_statement(backend: DbBackend, query: &FiguresQuery) -> Statement {
    let mut sql = Sql::new(backend);
    let (from, to) = (sql.bind(query.from), sql.bind(query.to));
    let names = step_names(&mut sql, query);
    let mut conditions = vec![
        OPEN.to_owned(),
        format!("m.status = '{}'", MemberStatus::Active.as_str()),
        format!("s.started_on >= {from}"),
        format!("s.started_on <= {to}"),
        format!("s.step IN ({})", names.join(", ")),
    ];
    if let Some(district) = district_of(query.grouping) {
        conditions.push(format!("m.district_id = {}", sql.bind(district)));
    }
    let mut cutoffs = Vec::new();
    for (name, step) in names.iter().zip(&query.steps) {
        cutoffs.push((name.clone(), sql.bind(step.overdue_started_before)));
    }
    let text = format!(
        "SELECT m.{unit} AS unit, s.step AS step, COUNT(*) AS open, \
                SUM(CASE WHEN s.started_on < {cutoff} THEN 1 ELSE 0 END) AS overdue \
         FROM integration_steps s JOIN members m ON m.id = s.member_id \
         WHERE {conditions} GROUP BY m.{unit}, s.step",
        unit = unit_columns(query.grouping).0,
        cutoff = per_step(&cutoffs),
        conditions = conditions.join(" AND "),
    );
    sql.statement(text)
}

/// Histogram rows (unit, step, days, n) of the steps started in `period`,
/// from the steps and members themselves.
fn raw_histogram(
    backend: DbBackend,
    query: &FiguresQuery,
    (from, to): (NaiveDate, NaiveDate),
) -> Statement {
    let mut sql = Sql::new(backend);
    let (from, to) = (sql.bind(from), sql.bind(to));
    let names = step_names(&mut sql, query);
    let mut conditions = vec![
        format!("s.started_on >= {from}"),
        format!("s.started_on <= {to}"),
        format!("s.step IN ({})", names.join(", ")),
    ];
    if let Some(district) = district_of(query.grouping) {
        conditions.push(format!("m.district_id = {}", sql.bind(district)));
    }
    let text = format!(
        "SELECT {unit} AS unit, step, days, COUNT(*) AS n FROM ({rows}) steps \
         GROUP BY {unit}, step, days",
        unit = unit_columns(query.grouping).0,
        rows = step_rows(&sql, &conditions),
    );
    sql.statement(text)
}

/// Histogram rows (unit, step, days, n) of the whole months `first` to
/// `last` from `integration_rollup`.
fn rollup_histogram(
    backend: DbBackend,
    query: &FiguresQuery,
    (first, last): (NaiveDate, NaiveDate),
) -> Statement {
    let mut sql = Sql::new(backend);
    let (first, last) = (sql.bind(first), sql.bind(last));
    let names = step_names(&mut sql, query);
    let mut filter = format!(
        "month >= {first} AND month <= {last} AND step IN ({})",
        names.join(", ")
    );
    if let Some(district) = district_of(query.grouping) {
        filter.push_str(&format!(" AND district_key = {}", sql.bind(district)));
    }
    let not_done = sql.bind(NOT_DONE);
    let text = format!(
        "SELECT {unit} AS unit, step, \
                CASE WHEN days = {not_done} THEN NULL ELSE days END AS days, \
                CAST(SUM(items) AS BIGINT) AS n \
         FROM integration_rollup WHERE {filter} GROUP BY 1, 2, 3",
        unit = unit_columns(query.grouping).1,
    );
    sql.statement(text)
}

fn figures_statements(
    backend: DbBackend,
    query: &FiguresQuery,
    source: Source,
) -> Vec<(Read, Statement)> {
    let mut out = vec![(Read::Owed, owed_figures_statement(backend, query))];
    let split = match source {
        Source::Raw => Split {
            months: None,
            days: vec![(query.from, query.to)],
        },
        Source::Rollup => split(query.from, query.to, query.today),
    };
    if let Some(months) = split.months {
        out.push((Read::Histogram, rollup_histogram(backend, query, months)));
    }
    for period in split.days {
        out.push((Read::Histogram, raw_histogram(backend, query, period)));
    }
    out
}

/// Histogram rows per unit, step and days to done, with the open and
/// overdue among the not done (see [`FigureRow`]), in key order; bins of
/// nothing are left out. With [`Source::Rollup`] the whole months come
/// from `integration_rollup`, the days of a partial month at either end
/// from the steps; [`Source::Raw`] reads the steps only (the reference).
pub async fn figures<C: ConnectionTrait>(
    db: &C,
    query: &FiguresQuery,
    source: Source,
) -> Result<Vec<FigureRow>, RepoError> {
    if query.steps.is_empty() {
        return Ok(Vec::new());
    }
    // (unit, step, days) → (n, open, overdue)
    type Bins = BTreeMap<(Option<Uuid>, String, Option<i64>), (i64, i64, i64)>;
    let mut bins = Bins::new();
    for (read, statement) in figures_statements(db.get_database_backend(), query, source) {
        for row in db.query_all_raw(statement).await? {
            // NULL and the rollup's nil UUID both mean no branch.
            let unit: Option<Uuid> = get::<Option<Uuid>>(&row, "unit")?.filter(|u| !u.is_nil());
            let step: String = get(&row, "step")?;
            match read {
                Read::Owed => {
                    let bin = bins.entry((unit, step, None)).or_default();
                    bin.1 += get::<i64>(&row, "open")?;
                    bin.2 += get::<Option<i64>>(&row, "overdue")?.unwrap_or(0);
                }
                Read::Histogram => {
                    let days: Option<i64> = get(&row, "days")?;
                    bins.entry((unit, step, days)).or_default().0 += get::<i64>(&row, "n")?;
                }
            }
        }
    }
    Ok(bins
        .into_iter()
        .filter(|(_, counts)| *counts != (0, 0, 0))
        .map(|((unit, step, days), (n, open, overdue))| FigureRow {
            unit,
            step,
            days,
            n,
            open,
            overdue,
        })
        .collect())
}

/// A configured step with the days before which an open one, started
/// then, is overdue and escalated today
/// (`kartei_domain::integration::started_before` with factor 1 and 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepClockCutoffs {
    pub step: String,
    pub overdue_started_before: NaiveDate,
    pub escalated_started_before: NaiveDate,
}

/// An open step of an active member past its level today, with whom it is
/// owed by; no name, only the membership number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueStep {
    pub step_id: Uuid,
    pub member_id: Uuid,
    pub membership_number: String,
    pub district_id: Uuid,
    pub local_id: Option<Uuid>,
    pub step: String,
    pub started_on: NaiveDate,
}

/// Every open step of an active member that is overdue today (escalated
/// ones included), over all units: one range of the partial index of open
/// steps per configured step, oldest first.
pub async fn overdue<C: ConnectionTrait>(
    db: &C,
    steps: &[StepClockCutoffs],
) -> Result<Vec<OverdueStep>, RepoError> {
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(db.get_database_backend());
    let ranges: Vec<String> = steps
        .iter()
        .map(|step| {
            let (name, cutoff) = (
                sql.bind(step.step.clone()),
                sql.bind(step.overdue_started_before),
            );
            format!(
                "SELECT s.id AS step_id, s.member_id, s.step, s.started_on, \
                        m.membership_number, m.district_id, m.local_id \
                 FROM integration_steps s JOIN members m ON m.id = s.member_id \
                 WHERE {OPEN} AND m.status = '{active}' AND s.step = {name} \
                   AND s.started_on < {cutoff}",
                active = MemberStatus::Active.as_str(),
            )
        })
        .collect();
    let text = format!(
        "{} ORDER BY started_on, step_id",
        ranges.join(" UNION ALL ")
    );
    let mut out = Vec::new();
    for row in db.query_all_raw(sql.statement(text)).await? {
        out.push(OverdueStep {
            step_id: get(&row, "step_id")?,
            member_id: get(&row, "member_id")?,
            membership_number: get(&row, "membership_number")?,
            district_id: get(&row, "district_id")?,
            local_id: get(&row, "local_id")?,
            step: get(&row, "step")?,
            started_on: get(&row, "started_on")?,
        });
    }
    Ok(out)
}

/// Open steps of one district and step: how many, and how many of them
/// are overdue and escalated today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenSteps {
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
}

/// The open steps of active members per district and configured step,
/// with how many are past their level and twice their level today: the
/// operator's gauges, one grouped query over the open steps.
pub async fn open_by_district_and_step<C: ConnectionTrait>(
    db: &C,
    steps: &[StepClockCutoffs],
) -> Result<BTreeMap<(Uuid, String), OpenSteps>, RepoError> {
    if steps.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut sql = Sql::new(db.get_database_backend());
    let names: Vec<String> = steps.iter().map(|s| sql.bind(s.step.clone())).collect();
    let mut overdue = Vec::new();
    let mut escalated = Vec::new();
    for (name, step) in names.iter().zip(steps) {
        overdue.push((name.clone(), sql.bind(step.overdue_started_before)));
        escalated.push((name.clone(), sql.bind(step.escalated_started_before)));
    }
    let text = format!(
        "SELECT m.district_id AS district_id, s.step AS step, COUNT(*) AS open, \
                SUM(CASE WHEN s.started_on < {overdue} THEN 1 ELSE 0 END) AS overdue, \
                SUM(CASE WHEN s.started_on < {escalated} THEN 1 ELSE 0 END) AS escalated \
         FROM integration_steps s JOIN members m ON m.id = s.member_id \
         WHERE {OPEN} AND m.status = '{active}' AND s.step IN ({names}) \
         GROUP BY m.district_id, s.step",
        overdue = per_step(&overdue),
        escalated = per_step(&escalated),
        active = MemberStatus::Active.as_str(),
        names = names.join(", "),
    );
    let mut out = BTreeMap::new();
    for row in db.query_all_raw(sql.statement(text)).await? {
        out.insert(
            (get(&row, "district_id")?, get(&row, "step")?),
            OpenSteps {
                open: get(&row, "open")?,
                overdue: get::<Option<i64>>(&row, "overdue")?.unwrap_or(0),
                escalated: get::<Option<i64>>(&row, "escalated")?.unwrap_or(0),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps() -> Vec<StepLevel> {
        vec![
            StepLevel {
                step: "welcome".into(),
                level_days: 14,
            },
            StepLevel {
                step: "first_invitation".into(),
                level_days: 42,
            },
        ]
    }

    #[test]
    fn the_register_reads_open_steps_of_active_members_in_due_order() {
        let query = OwedQuery {
            scope: UnitFilter::District(Uuid::nil()),
            unit: None,
            steps: steps(),
        };
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let statement = owed_statement(backend, &query, None, 51);
            let text = statement.sql;
            // The partial index's condition, verbatim.
            assert!(text.contains("s.done_on IS NULL"), "{text}");
            assert!(text.contains("m.status = 'active'"), "{text}");
            assert!(text.contains("m.district_id = $"), "{text}");
            // One range per step along the partial index, merged by due day.
            assert_eq!(text.matches("ORDER BY s.started_on, s.id LIMIT").count(), 2);
            assert!(text.contains(" UNION ALL "), "{text}");
            assert!(
                text.ends_with("ORDER BY due_on, step_id LIMIT $1"),
                "{text}"
            );
        }
        let cursor = (NaiveDate::MIN, Uuid::nil());
        let paged = owed_statement(DbBackend::Sqlite, &query, Some(cursor), 51).sql;
        assert!(paged.contains("date(s.started_on, '+' || $"), "{paged}");
        assert!(paged.contains("(s.started_on > $"), "{paged}");
        assert!(paged.contains("AND s.id > $"), "{paged}");
    }

    #[test]
    fn the_figures_read_the_rollup_for_whole_months_and_the_steps_for_the_rest() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        let query = FiguresQuery {
            from: day(1, 10),
            to: day(3, 31),
            grouping: Grouping::Branches {
                district: Uuid::nil(),
            },
            today: day(6, 1),
            steps: vec![StepCutoff {
                step: "welcome".into(),
                overdue_started_before: NaiveDate::MIN,
            }],
        };
        let statements = figures_statements(DbBackend::Postgres, &query, Source::Rollup);
        let reads: Vec<Read> = statements.iter().map(|(r, _)| *r).collect();
        assert_eq!(reads, [Read::Owed, Read::Histogram, Read::Histogram]);
        let owed = &statements[0].1.sql;
        assert!(owed.contains("s.done_on IS NULL"), "{owed}");
        assert!(owed.contains("m.local_id AS unit"), "{owed}");
        let rollup = &statements[1].1.sql;
        assert!(rollup.contains("FROM integration_rollup"), "{rollup}");
        assert!(rollup.contains("local_key AS unit"), "{rollup}");
        let raw = &statements[2].1.sql;
        assert!(
            raw.contains("CAST(s.done_on - s.started_on AS BIGINT)"),
            "{raw}"
        );
        let raw = figures_statements(DbBackend::Sqlite, &query, Source::Raw);
        assert_eq!(raw.len(), 2);
        assert!(raw[1].1.sql.contains("julianday(s.done_on)"));
    }
}
