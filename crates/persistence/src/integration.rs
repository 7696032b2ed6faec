//! Integration steps after admission: opened with a new member, done once,
//! and read three ways: one member's steps, the register of members still
//! owed a step (oldest due first), and the figures per unit and step.
//!
//! Who owes an open step is read from the member row as it is now (its
//! branch, else its district), and only members whose membership lasts
//! owe anything: both conditions are written into every query here.

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
use crate::reports::Grouping;
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

/// Opens `steps` for a member entered on `started_on`, in the caller's
/// transaction (the one that creates the member).
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
    Ok(())
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

/// Records step `id` as done, if it is still open; `false` when someone
/// recorded it first (the caller reads it again and decides).
pub async fn mark_done<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    done: &Done,
    recorded_by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, RepoError> {
    use integration_step::Column as S;
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
        .filter(S::DoneOn.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
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

fn figures_statement(backend: DbBackend, query: &FiguresQuery) -> Statement {
    let mut sql = Sql::new(backend);
    let (from, to) = (sql.bind(query.from), sql.bind(query.to));
    let names: Vec<String> = query
        .steps
        .iter()
        .map(|s| sql.bind(s.step.clone()))
        .collect();
    let mut conditions = vec![
        format!("s.started_on >= {from}"),
        format!("s.started_on <= {to}"),
        format!("s.step IN ({})", names.join(", ")),
    ];
    let district = match query.grouping {
        Grouping::Districts { only } => only,
        Grouping::Branches { district } => Some(district),
    };
    if let Some(district) = district {
        conditions.push(format!("m.district_id = {}", sql.bind(district)));
    }
    let unit = match query.grouping {
        Grouping::Districts { .. } => "m.district_id",
        Grouping::Branches { .. } => "m.local_id",
    };
    let mut cutoffs = Vec::new();
    for (name, step) in names.iter().zip(&query.steps) {
        cutoffs.push((name.clone(), sql.bind(step.overdue_started_before)));
    }
    let cutoff = per_step(&cutoffs);
    let owed = format!(
        "s.done_on IS NULL AND m.status = '{}'",
        MemberStatus::Active.as_str()
    );
    let text = format!(
        "SELECT unit, step, days, COUNT(*) AS n, SUM(owed) AS open, SUM(late) AS overdue FROM (\
           SELECT {unit} AS unit, s.step AS step, \
                  CASE WHEN s.done_on IS NULL THEN NULL ELSE {days} END AS days, \
                  CASE WHEN {owed} THEN 1 ELSE 0 END AS owed, \
                  CASE WHEN {owed} AND s.started_on < {cutoff} THEN 1 ELSE 0 END AS late \
           FROM integration_steps s JOIN members m ON m.id = s.member_id \
           WHERE {conditions}\
         ) steps GROUP BY unit, step, days",
        days = sql.days("s.done_on", "s.started_on"),
        conditions = conditions.join(" AND "),
    );
    sql.statement(text)
}

/// Histogram rows per unit, step and days to done, with the open and
/// overdue among the not done (see [`FigureRow`]).
pub async fn figures<C: ConnectionTrait>(
    db: &C,
    query: &FiguresQuery,
) -> Result<Vec<FigureRow>, RepoError> {
    if query.steps.is_empty() {
        return Ok(Vec::new());
    }
    let statement = figures_statement(db.get_database_backend(), query);
    let mut rows = Vec::new();
    for row in db.query_all_raw(statement).await? {
        rows.push(FigureRow {
            unit: get(&row, "unit")?,
            step: get(&row, "step")?,
            days: get(&row, "days")?,
            n: get(&row, "n")?,
            open: get::<Option<i64>>(&row, "open")?.unwrap_or(0),
            overdue: get::<Option<i64>>(&row, "overdue")?.unwrap_or(0),
        });
    }
    Ok(rows)
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
    fn the_figures_group_by_unit_step_and_days() {
        let query = FiguresQuery {
            from: NaiveDate::MIN,
            to: NaiveDate::MAX,
            grouping: Grouping::Branches {
                district: Uuid::nil(),
            },
            steps: vec![StepCutoff {
                step: "welcome".into(),
                overdue_started_before: NaiveDate::MIN,
            }],
        };
        let text = figures_statement(DbBackend::Postgres, &query).sql;
        assert!(text.contains("GROUP BY unit, step, days"), "{text}");
        assert!(text.contains("m.local_id AS unit"), "{text}");
        assert!(
            text.contains("CAST(s.done_on - s.started_on AS BIGINT)"),
            "{text}"
        );
        let text = figures_statement(DbBackend::Sqlite, &query).sql;
        assert!(text.contains("julianday(s.done_on)"), "{text}");
    }
}
