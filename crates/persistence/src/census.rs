//! Member counts at a cut-off date, per district or per branch of one
//! district: who was a member that day in the unit it belonged to
//! (`kartei_domain::census` has the rules), who joined and left in the
//! twelve months before, the age bands, and the declarations that made
//! someone a member by statute that day without a record.
//!
//! One SQL text for both databases. A confirmed transfer moved the member
//! when it was confirmed (ADR 0009) but counts from its `effective_on`:
//! the unit on a day is the sending side of the first confirmed transfer
//! taking effect after it, or the member's unit now when there is none.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kartei_domain::application::Status;
use kartei_domain::census::AgeLimits;
use kartei_domain::member::TransferStatus;
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

use crate::RepoError;
use crate::reports::Grouping;
use crate::sql::Sql;

#[derive(Debug, Clone, Copy)]
pub struct CensusQuery {
    /// The cut-off day.
    pub as_of: NaiveDate,
    /// The day before the twelve months the joined and left figures cover
    /// (`kartei_domain::census::year_before`).
    pub year_before: NaiveDate,
    pub ages: AgeLimits,
    /// A declaration received before this day had passed its objection
    /// deadline by the cut-off day.
    pub by_statute_before: NaiveDate,
    pub grouping: Grouping,
}

/// The figures of one unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CensusFigures {
    pub members: i64,
    pub joined: i64,
    pub left: i64,
    pub age_up_to_35: i64,
    pub age_36_to_60: i64,
    pub age_over_60: i64,
    /// Anonymised former members: their birth date is gone.
    pub age_unknown: i64,
    pub members_by_statute: i64,
}

/// The counts per row key (`None`: see [`Grouping`]).
pub async fn count<C: ConnectionTrait>(
    db: &C,
    query: &CensusQuery,
) -> Result<BTreeMap<Option<Uuid>, CensusFigures>, RepoError> {
    let mut figures: BTreeMap<Option<Uuid>, CensusFigures> = BTreeMap::new();
    let backend = db.get_database_backend();

    for row in db.query_all_raw(members_statement(backend, query)).await? {
        let entry = figures.entry(unit_of(&row)?).or_default();
        entry.members = row.try_get("", "members")?;
        entry.age_up_to_35 = row.try_get("", "age_up_to_35")?;
        entry.age_36_to_60 = row.try_get("", "age_36_to_60")?;
        entry.age_over_60 = row.try_get("", "age_over_60")?;
        entry.age_unknown = row.try_get("", "age_unknown")?;
    }
    for flow in [Flow::Joined, Flow::Left] {
        for row in db
            .query_all_raw(flow_statement(backend, query, flow))
            .await?
        {
            let entry = figures.entry(unit_of(&row)?).or_default();
            let items = row.try_get("", "items")?;
            match flow {
                Flow::Joined => entry.joined = items,
                Flow::Left => entry.left = items,
            }
        }
    }
    for row in db
        .query_all_raw(by_statute_statement(backend, query))
        .await?
    {
        figures
            .entry(unit_of(&row)?)
            .or_default()
            .members_by_statute = row.try_get("", "items")?;
    }
    Ok(figures)
}

fn unit_of(row: &QueryResult) -> Result<Option<Uuid>, RepoError> {
    Ok(row.try_get("", "unit")?)
}

/// The day a membership ended, a pending resignation included (on its day
/// the member is no longer active, whenever the job gets to it).
const ENDED_ON: &str = "COALESCE(m.left_on, m.resigns_on)";

/// The condition that no confirmed transfer of `moved.member_id` takes
/// effect after `day` and before `moved`: `moved` is the first.
fn is_first_after(sql: &mut Sql, day: &str) -> String {
    let confirmed = sql.bind(TransferStatus::Confirmed.as_str());
    format!(
        "moved.status = {confirmed} AND moved.effective_on > {day} \
         AND NOT EXISTS (SELECT 1 FROM transfers earlier \
           WHERE earlier.member_id = moved.member_id AND earlier.status = {confirmed} \
             AND earlier.effective_on > {day} \
             AND (earlier.effective_on < moved.effective_on \
               OR (earlier.effective_on = moved.effective_on AND earlier.id < moved.id)))"
    )
}

/// A join of `moved`: the first confirmed transfer of member `m` taking
/// effect after the bound day `day`, whose sending side held the member
/// that day. The few transfers are picked once and joined by hash.
fn first_move_after_day(sql: &mut Sql, day: &str) -> String {
    let first = is_first_after(sql, day);
    format!(
        "LEFT JOIN (SELECT moved.* FROM transfers moved WHERE {first}) moved \
           ON moved.member_id = m.id"
    )
}

/// The same for a day that differs per member (`day` names a column of
/// `m`): looked up for each member, so only for the few rows of a window.
fn first_move_after_each(sql: &mut Sql, day: &str) -> String {
    let first = is_first_after(sql, day);
    format!("LEFT JOIN transfers moved ON moved.member_id = m.id AND {first}")
}

/// The unit columns of a member on the day its `moved` was joined for.
const DISTRICT_THEN: &str =
    "CASE WHEN moved.id IS NULL THEN m.district_id ELSE moved.from_district_id END";
const LOCAL_THEN: &str = "CASE WHEN moved.id IS NULL THEN m.local_id ELSE moved.from_local_id END";

/// The row key and the filter of a grouping, over a district and a branch
/// column.
fn grouped(sql: &mut Sql, grouping: Grouping, district: &str, local: &str) -> (String, String) {
    match grouping {
        Grouping::Districts { only: None } => (district.to_owned(), "1 = 1".to_owned()),
        Grouping::Districts { only: Some(id) } => {
            let id = sql.bind(id);
            (district.to_owned(), format!("{district} = {id}"))
        }
        Grouping::Branches { district: id } => {
            let id = sql.bind(id);
            (local.to_owned(), format!("{district} = {id}"))
        }
    }
}

fn members_statement(backend: sea_orm::DbBackend, query: &CensusQuery) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    let day = sql.bind(query.as_of);
    let moved = first_move_after_day(&mut sql, &day);
    let (unit, filter) = grouped(&mut sql, query.grouping, DISTRICT_THEN, LOCAL_THEN);
    let from_36 = sql.bind(query.ages.from_36);
    let over_60 = sql.bind(query.ages.over_60);
    let known = "m.anonymised_at IS NULL";
    let text = format!(
        "SELECT {unit} AS unit, COUNT(*) AS members, \
           COALESCE(SUM(CASE WHEN {known} AND m.date_of_birth > {from_36} THEN 1 ELSE 0 END), 0) \
             AS age_up_to_35, \
           COALESCE(SUM(CASE WHEN {known} AND m.date_of_birth <= {from_36} \
             AND m.date_of_birth > {over_60} THEN 1 ELSE 0 END), 0) AS age_36_to_60, \
           COALESCE(SUM(CASE WHEN {known} AND m.date_of_birth <= {over_60} THEN 1 ELSE 0 END), 0) \
             AS age_over_60, \
           COALESCE(SUM(CASE WHEN {known} THEN 0 ELSE 1 END), 0) AS age_unknown \
         FROM members m {moved} \
         WHERE m.joined_on <= {day} AND ({ENDED_ON} IS NULL OR {ENDED_ON} > {day}) \
           AND {filter} \
         GROUP BY {unit}"
    );
    sql.statement(text)
}

#[derive(Debug, Clone, Copy)]
enum Flow {
    Joined,
    Left,
}

/// Joined counts in the unit joined, on the day of joining; left in the
/// unit left, on the last day of the membership.
fn flow_statement(
    backend: sea_orm::DbBackend,
    query: &CensusQuery,
    flow: Flow,
) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    let after = sql.bind(query.year_before);
    let until = sql.bind(query.as_of);
    let (in_window, unit_day) = match flow {
        Flow::Joined => (
            format!("m.joined_on > {after} AND m.joined_on <= {until}"),
            "m.joined_on".to_owned(),
        ),
        // Written out for each column so that their indexes serve it. The
        // unit is the one of the last day: a transfer effective on the day
        // the membership ended took the member nowhere.
        Flow::Left => (
            format!(
                "((m.left_on > {after} AND m.left_on <= {until}) \
                 OR (m.left_on IS NULL AND m.resigns_on > {after} AND m.resigns_on <= {until}))"
            ),
            match backend {
                sea_orm::DbBackend::Postgres => format!("({ENDED_ON} - 1)"),
                _ => format!("date({ENDED_ON}, '-1 day')"),
            },
        ),
    };
    let moved = first_move_after_each(&mut sql, &unit_day);
    let (unit, filter) = grouped(&mut sql, query.grouping, DISTRICT_THEN, LOCAL_THEN);
    let text = format!(
        "SELECT {unit} AS unit, COUNT(*) AS items FROM members m {moved} \
         WHERE {in_window} AND {filter} GROUP BY {unit}"
    );
    sql.statement(text)
}

/// Declarations received before their deadline could pass by the cut-off
/// day and still open that day: not admitted (the record exists from
/// `entered_on`), rejected or withdrawn before or on it. They count for
/// the district that holds them now; none yet is the row `None`.
fn by_statute_statement(backend: sea_orm::DbBackend, query: &CensusQuery) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    let before = sql.bind(query.by_statute_before);
    let day = sql.bind(query.as_of);
    let closed_on = "COALESCE(a.entered_on, a.withdrawn_on, a.decided_on)";
    let (unit, filter) = grouped(&mut sql, query.grouping, "a.district_id", "a.local_id");
    let open_statuses = Status::OPEN
        .iter()
        .map(|status| sql.bind(status.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "SELECT {unit} AS unit, COUNT(*) AS items FROM applications a \
         WHERE a.received_on < {before} \
           AND (a.status IN ({open_statuses}) OR {closed_on} > {day}) \
           AND {filter} \
         GROUP BY {unit}"
    );
    sql.statement(text)
}
