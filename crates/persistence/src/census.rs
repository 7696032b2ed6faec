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
//!
//! Two ways to the same figures ([`Source`]). `Raw` reads every member.
//! `Census` starts from `member_census`, the members whose membership has
//! not ended per unit and month of birth, kept current in the transaction
//! of every change, and takes back what happened after the day: who joined
//! since, who left since, who moved since; the moves come from the
//! transfers alone, each of which carries a copy of its member's facts
//! (migration 12, kept current here). The members born in the month an age
//! band starts in are read one by one, since their band depends on the day
//! of birth. A recent cut-off day reads a year's changes instead of every
//! member. The tests check that both ways agree, and that the kept table
//! equals a rebuild.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use kartei_domain::census::AgeLimits;
use kartei_domain::member::{Member, TransferStatus};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, TransactionTrait};
use uuid::Uuid;

use crate::entities::member;
use crate::reports::Grouping;
use crate::sql::Sql;
use crate::{RepoError, stale_marks};

/// Where the counts of members on the day come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Every member, read on each request, each with its transfers
    /// looked up: the reference.
    Raw,
    /// `member_census`, the changes after the day, and the moves from the
    /// transfers' copies of their members' facts.
    Census,
}

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
    source: Source,
) -> Result<BTreeMap<Option<Uuid>, CensusFigures>, RepoError> {
    let mut figures: BTreeMap<Option<Uuid>, CensusFigures> = BTreeMap::new();
    let backend = db.get_database_backend();

    let flow = |flow| match source {
        Source::Raw => flow_of_each_member(backend, query, flow),
        Source::Census => flow_from_transfers(backend, query, flow),
    };
    // Four independent reads: on a pool they run at once, each on a
    // connection of its own, so a count takes as long as the longest.
    let (members, joined, left, by_statute) = tokio::try_join!(
        db.query_all_raw(match source {
            Source::Raw => members_statement(backend, query),
            Source::Census => census_statement(backend, query),
        }),
        db.query_all_raw(flow(Flow::Joined)),
        db.query_all_raw(flow(Flow::Left)),
        db.query_all_raw(by_statute_statement(backend, query)),
    )?;
    for row in members {
        let entry = figures.entry(unit_of(&row)?).or_default();
        let members: i64 = row.try_get("", "members")?;
        let band = match row.try_get::<i64>("", "band")? {
            BAND_UP_TO_35 => &mut entry.age_up_to_35,
            BAND_36_TO_60 => &mut entry.age_36_to_60,
            BAND_OVER_60 => &mut entry.age_over_60,
            _ => &mut entry.age_unknown,
        };
        *band += members;
        entry.members += members;
    }
    for (rows, flow) in [(joined, Flow::Joined), (left, Flow::Left)] {
        for row in rows {
            let entry = figures.entry(unit_of(&row)?).or_default();
            let items: i64 = row.try_get("", "items")?;
            match flow {
                Flow::Joined => entry.joined += items,
                Flow::Left => entry.left += items,
            }
        }
    }
    for row in by_statute {
        let items: i64 = row.try_get("", "items")?;
        figures
            .entry(unit_of(&row)?)
            .or_default()
            .members_by_statute += items;
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

/// The codes of the age bands in the statements' `band` column.
const BAND_UP_TO_35: i64 = 0;
const BAND_36_TO_60: i64 = 1;
const BAND_OVER_60: i64 = 2;
const BAND_UNKNOWN: i64 = 3;

/// The age band of member `m` on the day, as a code.
fn band_of_member(sql: &mut Sql, ages: AgeLimits) -> String {
    band(sql, ages, "m.anonymised_at IS NOT NULL", "m.date_of_birth")
}

/// The age band on the day, as a code, of whoever `anonymised` and `born`
/// describe.
fn band(sql: &mut Sql, ages: AgeLimits, anonymised: &str, born: &str) -> String {
    let from_36 = sql.bind(ages.from_36);
    let over_60 = sql.bind(ages.over_60);
    format!(
        "CAST(CASE WHEN {anonymised} THEN {BAND_UNKNOWN} \
              WHEN {born} <= {over_60} THEN {BAND_OVER_60} \
              WHEN {born} <= {from_36} THEN {BAND_36_TO_60} \
              ELSE {BAND_UP_TO_35} END AS BIGINT)"
    )
}

/// `moved`, the confirmed transfers that `condition` picks, each with the
/// facts of its member copied onto it, the member's band on the day, and
/// `nth`, its place among the picked transfers of its member in the order
/// they took effect: `nth = 1` is the first.
fn moves(sql: &mut Sql, ages: AgeLimits, condition: &str) -> String {
    let confirmed = sql.bind(TransferStatus::Confirmed.as_str());
    let band = band(sql, ages, "t.member_anonymised", "t.member_born_on");
    format!(
        "moved AS (SELECT t.from_district_id, t.from_local_id, \
           t.member_district_id, t.member_local_id, {band} AS band, \
           ROW_NUMBER() OVER (PARTITION BY t.member_id ORDER BY t.effective_on, t.id) AS nth \
         FROM transfers t WHERE t.status = {confirmed} AND {condition})"
    )
}

/// The two parts that take back the first of the `moved` of each member:
/// less where the member is now, plus where it was. `band` is the column
/// to group by besides the unit, if any.
fn moved_back(sql: &mut Sql, grouping: Grouping, band: Option<&str>) -> [String; 2] {
    let (now_unit, now_filter) = grouped(
        sql,
        grouping,
        "moved.member_district_id",
        "moved.member_local_id",
    );
    let (then_unit, then_filter) = grouped(
        sql,
        grouping,
        "moved.from_district_id",
        "moved.from_local_id",
    );
    let (band, group) = band.map_or((String::new(), "1"), |b| (format!("{b}, "), "1, 2"));
    [
        format!(
            "SELECT {now_unit}, {band}-COUNT(*) FROM moved \
             WHERE moved.nth = 1 AND {now_filter} GROUP BY {group}"
        ),
        format!(
            "SELECT {then_unit}, {band}COUNT(*) FROM moved \
             WHERE moved.nth = 1 AND {then_filter} GROUP BY {group}"
        ),
    ]
}

/// Every member on the day, read one by one.
fn members_statement(backend: DbBackend, query: &CensusQuery) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    let day = sql.bind(query.as_of);
    let moved = first_move_after_day(&mut sql, &day);
    let (unit, filter) = grouped(&mut sql, query.grouping, DISTRICT_THEN, LOCAL_THEN);
    let band = band_of_member(&mut sql, query.ages);
    let text = format!(
        "SELECT {unit} AS unit, {band} AS band, COUNT(*) AS members \
         FROM members m {moved} \
         WHERE m.joined_on <= {day} AND ({ENDED_ON} IS NULL OR {ENDED_ON} > {day}) \
           AND {filter} \
         GROUP BY {unit}, {band}"
    );
    sql.statement(text)
}

/// Members whose membership has not ended: the ones `member_census` counts.
const NOT_ENDED: &str = "m.left_on IS NULL AND m.resigns_on IS NULL";

/// `local_key` of the `member_census` rows that count a whole district.
const WHOLE_DISTRICT: Uuid = Uuid::max();

/// The members on the day from `member_census` and the changes after it,
/// as signed counts per unit and band, summed by the caller:
///
/// - the table's rows, but for the two months of birth in which an age
///   band starts on the day;
/// - the members of those two months who have not left, one by one;
/// - less those of them all who joined after the day;
/// - plus those who were members on the day and have left since;
/// - for the members of the day whom a confirmed transfer has moved since,
///   less where they are now and plus where they were.
///
/// So every member is read where it is now, from covering indexes, and
/// the moves since the day from the transfers alone, which carry the facts
/// of their member.
fn census_statement(backend: DbBackend, query: &CensusQuery) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    let day = sql.bind(query.as_of);
    let month = |day: NaiveDate| day.with_day(1).unwrap_or(day);
    let (born_36, born_61) = (month(query.ages.from_36), month(query.ages.over_60));
    let next = |m: NaiveDate| m.checked_add_months(Months::new(1)).unwrap_or(m);
    let (m36, m61) = (sql.bind(born_36), sql.bind(born_61));
    let (m36_end, m61_end) = (sql.bind(next(born_36)), sql.bind(next(born_61)));
    let band = band_of_member(&mut sql, query.ages);
    let whole = sql.bind(WHOLE_DISTRICT);
    let nil = sql.bind(Uuid::nil());

    let (census_unit, census_filter) = match query.grouping {
        Grouping::Districts { only } => {
            let only = only.map_or_else(
                || "1 = 1".to_owned(),
                |id| format!("c.district_key = {}", sql.bind(id)),
            );
            (
                "c.district_key".to_owned(),
                format!("c.local_key = {whole} AND {only}"),
            )
        }
        Grouping::Branches { district } => (
            format!("CASE WHEN c.local_key = {nil} THEN NULL ELSE c.local_key END"),
            format!(
                "c.district_key = {} AND c.local_key <> {whole}",
                sql.bind(district)
            ),
        ),
    };
    let (now_unit, now_filter) = grouped(&mut sql, query.grouping, "m.district_id", "m.local_id");
    let moves = moves(
        &mut sql,
        query.ages,
        &format!(
            "t.effective_on > {day} AND t.member_joined_on <= {day} \
             AND (t.member_ended_on IS NULL OR t.member_ended_on > {day})"
        ),
    );
    let [moved_from_now, moved_back_then] = moved_back(&mut sql, query.grouping, Some("band"));
    // One part per month, so that each is a range of the birth index.
    let born_in_band_month = [(&m36, &m36_end), (&m61, &m61_end)].map(|(start, end)| {
        format!(
            "SELECT {now_unit}, {band}, COUNT(*) FROM members m \
             WHERE {NOT_ENDED} AND m.date_of_birth >= {start} AND m.date_of_birth < {end} \
               AND {now_filter} GROUP BY 1, 2"
        )
    });
    let text = format!(
        "WITH {moves} \
         SELECT {census_unit} AS unit, \
           CAST(CASE WHEN c.born_month < {m61} THEN {BAND_OVER_60} \
                WHEN c.born_month < {m36} THEN {BAND_36_TO_60} \
                ELSE {BAND_UP_TO_35} END AS BIGINT) AS band, \
           CAST(SUM(c.members) AS BIGINT) AS members \
         FROM member_census c \
         WHERE {census_filter} AND c.born_month <> {m36} AND c.born_month <> {m61} \
         GROUP BY 1, 2 \
         UNION ALL \
         {born_in_first_month} UNION ALL {born_in_second_month} \
         UNION ALL \
         SELECT {now_unit}, {band}, -COUNT(*) FROM members m \
         WHERE {NOT_ENDED} AND m.joined_on > {day} AND {now_filter} GROUP BY 1, 2 \
         UNION ALL \
         SELECT {now_unit}, {band}, COUNT(*) FROM members m \
         WHERE m.left_on > {day} AND m.joined_on <= {day} AND {now_filter} GROUP BY 1, 2 \
         UNION ALL \
         SELECT {now_unit}, {band}, COUNT(*) FROM members m \
         WHERE m.left_on IS NULL AND m.resigns_on > {day} AND m.joined_on <= {day} \
           AND {now_filter} GROUP BY 1, 2 \
         UNION ALL {moved_from_now} UNION ALL {moved_back_then}",
        born_in_first_month = born_in_band_month[0],
        born_in_second_month = born_in_band_month[1],
    );
    sql.statement(text)
}

/// What a member counts under in `member_census`: its units and month of
/// birth while its membership has not ended (the same condition as
/// [`NOT_ENDED`]). Anonymisation only reaches former members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CensusKey {
    district: Uuid,
    local: Option<Uuid>,
    born_month: NaiveDate,
}

impl CensusKey {
    fn counted(
        district: Uuid,
        local: Option<Uuid>,
        date_of_birth: NaiveDate,
        ended: bool,
    ) -> Option<CensusKey> {
        (!ended).then(|| CensusKey {
            district,
            local,
            born_month: date_of_birth.with_day(1).unwrap_or(date_of_birth),
        })
    }

    pub(crate) fn of_row(row: &member::Model) -> Option<CensusKey> {
        let ended = row.left_on.is_some() || row.resigns_on.is_some();
        Self::counted(row.district_id, row.local_id, row.date_of_birth, ended)
    }

    pub(crate) fn of_member(member: &Member) -> Option<CensusKey> {
        let ended = member.left_on.is_some() || member.resigns_on.is_some();
        Self::counted(
            member.district_id,
            member.local_id,
            member.person.date_of_birth,
            ended,
        )
    }

    /// A member just entered: not ended.
    pub(crate) fn entered(
        district: Uuid,
        local: Option<Uuid>,
        date_of_birth: NaiveDate,
    ) -> Option<CensusKey> {
        Self::counted(district, local, date_of_birth, false)
    }
}

/// Moves the counts of members from the keys they had to the keys they
/// have: `-1` for a key left, `+1` for a key taken. Each key counts in its
/// branch's row and in its district's.
pub(crate) async fn apply<C: ConnectionTrait>(
    db: &C,
    changes: impl IntoIterator<Item = (Option<CensusKey>, Option<CensusKey>)>,
) -> Result<(), RepoError> {
    let mut deltas: BTreeMap<(Uuid, Uuid, NaiveDate), i64> = BTreeMap::new();
    for (before, after) in changes {
        if before == after {
            continue;
        }
        for (key, delta) in [(before, -1), (after, 1)] {
            let Some(key) = key else { continue };
            let local = key.local.unwrap_or(Uuid::nil());
            for local_key in [local, WHOLE_DISTRICT] {
                *deltas
                    .entry((key.district, local_key, key.born_month))
                    .or_default() += delta;
            }
        }
    }
    for ((district, local, born_month), delta) in deltas.into_iter().filter(|(_, d)| *d != 0) {
        let mut sql = Sql::new(db.get_database_backend());
        let values = [
            sql.bind(district),
            sql.bind(local),
            sql.bind(born_month),
            sql.bind(delta),
        ]
        .join(", ");
        let text = format!(
            "INSERT INTO member_census (district_key, local_key, born_month, members) \
             VALUES ({values}) \
             ON CONFLICT (district_key, local_key, born_month) \
             DO UPDATE SET members = member_census.members + excluded.members"
        );
        db.execute_raw(sql.statement(text)).await?;
    }
    Ok(())
}

/// The facts of its member that each transfer carries (migration 12), as
/// an assignment for `UPDATE transfers`.
const MEMBER_FACTS: &str = "(member_joined_on, member_ended_on, member_born_on, \
     member_anonymised, member_district_id, member_local_id) = \
   (SELECT m.joined_on, COALESCE(m.left_on, m.resigns_on), m.date_of_birth, \
     m.anonymised_at IS NOT NULL, m.district_id, m.local_id \
    FROM members m WHERE m.id = transfers.member_id)";

/// Copies the facts of member `id` onto its transfers: after a transfer
/// was asked for, or a change of the member that the facts show.
pub(crate) async fn copy_member_facts<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<(), RepoError> {
    let mut sql = Sql::new(db.get_database_backend());
    let id = sql.bind(id);
    let text = format!("UPDATE transfers SET {MEMBER_FACTS} WHERE member_id = {id}");
    db.execute_raw(sql.statement(text)).await?;
    Ok(())
}

/// After a member changed from `before` to `after`: its transfers' copies
/// of its facts follow, if the facts changed (most changes are of contact
/// data, and most members never move, so most saves write nothing here).
pub(crate) async fn member_changed<C: ConnectionTrait>(
    db: &C,
    before: &Member,
    after: &Member,
) -> Result<(), RepoError> {
    let facts = |m: &Member| {
        (
            m.joined_on,
            m.left_on.or(m.resigns_on),
            m.person.date_of_birth,
            m.anonymised_at.is_some(),
            m.district_id,
            m.local_id,
        )
    };
    if facts(before) == facts(after) {
        return Ok(());
    }
    copy_member_facts(db, after.id).await
}

/// Recomputes `member_census` from the members, and the transfers' copies
/// of their members' facts, in one transaction. For a database filled by
/// bulk inserts, and once after a migration that marked them stale.
pub async fn rebuild(db: &DatabaseConnection) -> Result<(), RepoError> {
    let txn = db.begin().await?;
    txn.execute_unprepared("DELETE FROM member_census").await?;
    let mut sql = Sql::new(txn.get_database_backend());
    let nil = sql.bind(Uuid::nil());
    let whole = sql.bind(WHOLE_DISTRICT);
    let born_month = sql.month_start("m.date_of_birth");
    let text = format!(
        "INSERT INTO member_census (district_key, local_key, born_month, members) \
         SELECT m.district_id, COALESCE(m.local_id, {nil}), {born_month}, COUNT(*) \
         FROM members m WHERE {NOT_ENDED} GROUP BY 1, 2, 3 \
         UNION ALL \
         SELECT m.district_id, {whole}, {born_month}, COUNT(*) \
         FROM members m WHERE {NOT_ENDED} GROUP BY 1, 3"
    );
    txn.execute_raw(sql.statement(text)).await?;
    txn.execute_unprepared(&format!("UPDATE transfers SET {MEMBER_FACTS}"))
        .await?;
    stale_marks::clear(&txn, migration::MEMBER_CENSUS_STALE).await?;
    txn.commit().await?;
    Ok(())
}

/// Fills the table if a migration left it stale.
pub async fn rebuild_if_stale(db: &DatabaseConnection) -> Result<(), RepoError> {
    if stale_marks::is_set(db, migration::MEMBER_CENSUS_STALE).await? {
        rebuild(db).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Flow {
    Joined,
    Left,
}

/// The days a flow covers: the windows of the twelve months on the
/// members, one per date column so that each has its index; the day whose
/// unit a member counts in; and the transfers that moved a member of the
/// windows after that day, on the facts they carry. Joined counts in the
/// unit joined, on the day of joining; left in the unit left, on the last
/// day of the membership (a transfer effective on the day the membership
/// ended took the member nowhere).
struct FlowDays {
    windows: Vec<String>,
    unit_day: String,
    moved_after: String,
}

fn flow_days(sql: &mut Sql, query: &CensusQuery, flow: Flow) -> FlowDays {
    let after = sql.bind(query.year_before);
    let until = sql.bind(query.as_of);
    // Each such transfer took effect after the windows' start.
    let moved_after = |day: &str, effect: &str| {
        format!(
            "t.effective_on > {after} AND {day} > {after} AND {day} <= {until} \
             AND t.effective_on {effect} {day}"
        )
    };
    match flow {
        Flow::Joined => FlowDays {
            windows: vec![format!("m.joined_on > {after} AND m.joined_on <= {until}")],
            unit_day: "m.joined_on".to_owned(),
            moved_after: moved_after("t.member_joined_on", ">"),
        },
        Flow::Left => FlowDays {
            windows: vec![
                format!("m.left_on > {after} AND m.left_on <= {until}"),
                format!("m.left_on IS NULL AND m.resigns_on > {after} AND m.resigns_on <= {until}"),
            ],
            unit_day: match sql.backend {
                sea_orm::DbBackend::Postgres => format!("({ENDED_ON} - 1)"),
                _ => format!("date({ENDED_ON}, '-1 day')"),
            },
            moved_after: moved_after("t.member_ended_on", ">="),
        },
    }
}

/// A flow of the twelve months per unit, each member of the windows read
/// with its first transfer after its day looked up.
fn flow_of_each_member(backend: DbBackend, query: &CensusQuery, flow: Flow) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    let days = flow_days(&mut sql, query, flow);
    let first = is_first_after(&mut sql, &days.unit_day);
    let (unit, filter) = grouped(&mut sql, query.grouping, DISTRICT_THEN, LOCAL_THEN);
    let text = format!(
        "SELECT {unit} AS unit, COUNT(*) AS items FROM members m \
         LEFT JOIN transfers moved ON moved.member_id = m.id AND {first} \
         WHERE (({windows})) AND {filter} GROUP BY {unit}",
        windows = days.windows.join(") OR (")
    );
    sql.statement(text)
}

/// The same flow as signed counts per unit, summed by the caller: the
/// members of the windows where they are now, from covering indexes; then,
/// from the transfers alone, less where they are now and plus where they
/// were for those of them a confirmed transfer moved after their day.
fn flow_from_transfers(backend: DbBackend, query: &CensusQuery, flow: Flow) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    let days = flow_days(&mut sql, query, flow);
    let moves = moves(&mut sql, query.ages, &days.moved_after);
    let (now_unit, now_filter) = grouped(&mut sql, query.grouping, "m.district_id", "m.local_id");
    let mut parts: Vec<String> = days
        .windows
        .iter()
        .map(|window| {
            format!(
                "SELECT {now_unit} AS unit, COUNT(*) AS items FROM members m \
                 WHERE {window} AND {now_filter} GROUP BY 1"
            )
        })
        .collect();
    parts.extend(moved_back(&mut sql, query.grouping, None));
    sql.statement(format!("WITH {moves} {}", parts.join(" UNION ALL ")))
}

/// Declarations received before their deadline could pass by the cut-off
/// day and still open that day: not admitted (the record exists from
/// `entered_on`), rejected or withdrawn before or on it. They count for
/// the district that holds them now; none yet is the row `None`. The open
/// ones come from the partial index of open applications; the ones closed
/// since were closed (`closed_at`) no earlier than the day, which their
/// index finds, and their closing day says the rest.
fn by_statute_statement(backend: DbBackend, query: &CensusQuery) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    let before = sql.bind(query.by_statute_before);
    let day = sql.bind(query.as_of);
    let since = sql.bind(query.as_of.and_time(chrono::NaiveTime::MIN).and_utc());
    let closed_on = "COALESCE(a.entered_on, a.withdrawn_on, a.decided_on)";
    let (unit, filter) = grouped(&mut sql, query.grouping, "a.district_id", "a.local_id");
    let text = format!(
        "SELECT {unit} AS unit, COUNT(*) AS items FROM applications a \
         WHERE {open} AND a.received_on < {before} AND {filter} \
         GROUP BY {unit} \
         UNION ALL \
         SELECT {unit}, COUNT(*) FROM applications a \
         WHERE a.closed_at >= {since} AND {closed_on} > {day} AND a.received_on < {before} \
           AND {filter} \
         GROUP BY {unit}",
        open = migration::OPEN_APPLICATIONS,
    );
    sql.statement(text)
}
