//! Member records and the membership number counter.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::Applicant;
use kartei_domain::member::{EntrySource, Member, MemberStatus};
use kartei_domain::{EmailAddress, PostalCode};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TryIntoModel,
};
use uuid::Uuid;

use crate::applications::UnitFilter;
use crate::applications::interests_from_json;
use crate::entities::member::{self, Entity as Members};
use crate::{RepoError, person_columns, rollup};

impl TryFrom<member::Model> for Member {
    type Error = RepoError;

    fn try_from(row: member::Model) -> Result<Self, Self::Error> {
        let id = row.id;
        let corrupt = |what: &str| RepoError::Corrupt(format!("member {id}: {what}"));
        Ok(Member {
            id,
            membership_number: row.membership_number,
            person: Applicant {
                first_name: row.first_name,
                last_name: row.last_name,
                date_of_birth: row.date_of_birth,
                email: row
                    .email
                    .as_deref()
                    .map(EmailAddress::parse)
                    .transpose()
                    .map_err(|_| corrupt("email"))?,
                phone: row.phone,
                street: row.street,
                postal_code: PostalCode::parse(&row.postal_code)
                    .map_err(|_| corrupt("postal code"))?,
                city: row.city,
                interests: interests_from_json(id, row.interests)?,
            },
            district_id: row.district_id,
            local_id: row.local_id,
            status: row.status.parse().map_err(|_| corrupt("status"))?,
            left_on: row.left_on,
            status_reason: row.status_reason,
            consents: match row.consents {
                Some(value) => serde_json::from_value(value).map_err(|_| corrupt("consents"))?,
                None => Default::default(),
            },
            home_district_id: row.home_district_id,
            resigns_on: row.resigns_on,
            anonymised_at: row.anonymised_at,
            received_on: row.received_on,
            joined_on: row.joined_on,
            entered_at: row.entered_at,
            application_id: row.application_id,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sea_orm::DeriveIden)]
enum Counters {
    Table,
    Name,
    Value,
}

/// The next membership number. Numbers come from a counter row updated in
/// the caller's transaction, so a number is never handed out twice and never
/// reused, even when the member record is later anonymised.
pub async fn next_membership_number<C: ConnectionTrait>(db: &C) -> Result<String, RepoError> {
    Ok(reserve_membership_numbers(db, 1).await?.to_string())
}

pub struct NewMember {
    pub id: Uuid,
    pub membership_number: String,
    pub person: Applicant,
    pub district_id: Uuid,
    pub local_id: Option<Uuid>,
    pub received_on: NaiveDate,
    pub joined_on: NaiveDate,
    pub application_id: Option<Uuid>,
    pub consents: std::collections::BTreeMap<String, DateTime<Utc>>,
    pub source: EntrySource,
}

pub(crate) fn active_model(
    new: NewMember,
    now: DateTime<Utc>,
) -> Result<member::ActiveModel, DbErr> {
    let mut row = member::ActiveModel {
        id: Set(new.id),
        membership_number: Set(new.membership_number),
        district_id: Set(new.district_id),
        local_id: Set(new.local_id),
        status: Set(MemberStatus::Active.as_str().to_owned()),
        received_on: Set(new.received_on),
        joined_on: Set(new.joined_on),
        entered_at: Set(now),
        application_id: Set(new.application_id),
        left_on: Set(None),
        resigns_on: Set(None),
        status_reason: Set(None),
        consents: Set(Some(serde_json::json!(new.consents))),
        home_district_id: Set(None),
        anonymised_at: Set(None),
        entered_on: Set(Some(kartei_domain::calendar::local_date(now))),
        source: Set(Some(new.source.as_str().to_owned())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    person_columns::set_on(&mut row, &new.person)?;
    Ok(row)
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewMember,
    now: DateTime<Utc>,
) -> Result<Member, RepoError> {
    let row = Members::insert(active_model(new, now)?)
        .exec_with_returning(db)
        .await?;
    // The rollup counts the row as the INSERT returned it, without reading
    // it back.
    rollup::apply(db, None, rollup::Facts::of_member(&row).as_ref()).await?;
    row.try_into()
}

/// Rows per INSERT statement: with a member's 33 columns, below SQLite's
/// limit of 32,766 bound parameters and PostgreSQL's 65,535.
const INSERT_CHUNK: usize = 900;

/// Inserts many members with multi-row statements; a taken membership
/// number fails the whole call with `Conflict`.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    new: Vec<NewMember>,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    let mut rows = Vec::with_capacity(new.len());
    let mut counted = Vec::new();
    for n in new {
        // Only directly entered members count in the lag rollup (imported
        // ones have no known lag; those of applications count through the
        // application): the check spares an import's rows a copy.
        let direct = n.source == EntrySource::DirectEntry;
        let row = active_model(n, now)?;
        if direct {
            counted.extend(rollup::Facts::of_member(&row.clone().try_into_model()?));
        }
        rows.push(row);
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        Members::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    for facts in &counted {
        rollup::apply(db, None, Some(facts)).await?;
    }
    Ok(())
}

/// Reserves `count` consecutive membership numbers and returns the first.
pub async fn reserve_membership_numbers<C: ConnectionTrait>(
    db: &C,
    count: u64,
) -> Result<i64, RepoError> {
    let count = i64::try_from(count).map_err(|_| RepoError::Corrupt("too many numbers".into()))?;
    let statement = Query::update()
        .table(Counters::Table)
        .value(Counters::Value, Expr::col(Counters::Value).add(count))
        .and_where(Expr::col(Counters::Name).eq("membership_number"))
        .returning(Query::returning().column(Counters::Value))
        .to_owned();
    let row = db
        .query_one(&statement)
        .await?
        .ok_or_else(|| RepoError::Corrupt("membership number counter missing".into()))?;
    let last: i64 = row.try_get("", "value")?;
    Ok(last - count + 1)
}

/// Which of `numbers` are already taken.
pub async fn taken_membership_numbers<C: ConnectionTrait>(
    db: &C,
    numbers: &[String],
) -> Result<Vec<String>, RepoError> {
    use member::Column as M;
    let mut taken = Vec::new();
    for chunk in numbers.chunks(INSERT_CHUNK) {
        let found: Vec<String> = Members::find()
            .select_only()
            .column(M::MembershipNumber)
            .filter(M::MembershipNumber.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        taken.extend(found);
    }
    Ok(taken)
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Member, RepoError> {
    Members::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)?
        .try_into()
}

/// Writes `next` over `current` if nobody changed the member since it was
/// read (its `version`); every change of a member goes through here.
pub async fn save<C: ConnectionTrait>(
    db: &C,
    current: &Member,
    next: &Member,
    now: DateTime<Utc>,
) -> Result<Member, RepoError> {
    use member::Column as M;
    let mut columns: Vec<(M, sea_orm::sea_query::SimpleExpr)> =
        person_columns::assignments(&next.person);
    columns.extend([
        (M::DistrictId, Expr::value(next.district_id)),
        (M::LocalId, Expr::value(next.local_id)),
        (M::Status, Expr::value(next.status.as_str())),
        (M::LeftOn, Expr::value(next.left_on)),
        (M::ResignsOn, Expr::value(next.resigns_on)),
        (M::StatusReason, Expr::value(next.status_reason.clone())),
        (M::Consents, Expr::value(serde_json::json!(next.consents))),
        (M::HomeDistrictId, Expr::value(next.home_district_id)),
        (M::AnonymisedAt, Expr::value(next.anonymised_at)),
        (
            M::MembershipNumber,
            Expr::value(next.membership_number.clone()),
        ),
        (M::Version, Expr::value(current.version + 1)),
        (M::UpdatedAt, Expr::value(now)),
    ]);
    let update = columns.into_iter().fold(
        Members::update_many()
            .filter(M::Id.eq(current.id))
            .filter(M::Version.eq(current.version)),
        |update, (column, value)| update.col_expr(column, value),
    );
    let facts_before = rollup::lock_and_read(db, rollup::Table::Members, current.id).await?;
    if update.exec(db).await?.rows_affected == 0 {
        get(db, current.id).await?;
        return Err(RepoError::StaleVersion);
    }
    let facts_after = rollup::read(db, rollup::Table::Members, current.id).await?;
    rollup::apply(db, facts_before.as_ref(), facts_after.as_ref()).await?;
    get(db, current.id).await
}

/// Active members whose resignation takes effect on or before `today`.
pub async fn resignations_due<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
    limit: u64,
) -> Result<Vec<Uuid>, RepoError> {
    use member::Column as M;
    Ok(Members::find()
        .select_only()
        .column(M::Id)
        .filter(M::ResignsOn.lte(today))
        .filter(M::Status.eq(MemberStatus::Active.as_str()))
        .order_by_asc(M::Id)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// How a member list is searched.
#[derive(Debug, Clone)]
pub enum MemberQuery {
    /// A prefix of the last or first name, as typed.
    Name(String),
    MembershipNumber(String),
    Email(String),
}

impl MemberQuery {
    /// Reads what a person typed into the search box.
    pub fn parse(raw: &str) -> Option<MemberQuery> {
        let q = raw.trim();
        if q.is_empty() {
            None
        } else if q.contains('@') {
            Some(MemberQuery::Email(q.to_lowercase()))
        } else if q.chars().all(|c| c.is_ascii_digit()) {
            Some(MemberQuery::MembershipNumber(q.to_owned()))
        } else {
            Some(MemberQuery::Name(q.to_owned()))
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub scope: Option<UnitFilter>,
    /// Former districts also see members they keep home ties with.
    pub include_home_ties_of: Option<Uuid>,
    pub unit: Option<UnitFilter>,
    pub status: Option<MemberStatus>,
    pub query: Option<MemberQuery>,
}

/// The key a member list is ordered by: last name key, then id.
pub type MemberCursor = (String, Uuid);

fn unit_condition(filter: UnitFilter) -> Condition {
    use member::Column as M;
    match filter {
        UnitFilter::All => Condition::all(),
        UnitFilter::District(id) => Condition::all().add(M::DistrictId.eq(id)),
        UnitFilter::Local(id) => Condition::all().add(M::LocalId.eq(id)),
    }
}

/// A page of members in alphabetical order (by the search key, so that the
/// index on (unit, last_name_key, id) gives the order at any size).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &MemberFilter,
    after: Option<MemberCursor>,
    limit: u64,
) -> Result<(Vec<Member>, Option<MemberCursor>), RepoError> {
    use member::Column as M;
    let mut query = Members::find()
        .order_by_asc(M::LastNameKey)
        .order_by_asc(M::Id);
    if let Some(unit) = filter.unit {
        query = query.filter(unit_condition(unit));
    }
    if let Some(status) = filter.status {
        query = query.filter(M::Status.eq(status.as_str()));
    }
    match &filter.query {
        Some(MemberQuery::Name(raw)) => {
            let key = kartei_domain::text::search_key(raw);
            let mut end = key.clone();
            end.push(char::MAX);
            query = query
                .filter(M::LastNameKey.gte(key.as_str()))
                .filter(M::LastNameKey.lt(end.as_str()));
        }
        Some(MemberQuery::MembershipNumber(number)) => {
            query = query.filter(M::MembershipNumber.eq(number.as_str()));
        }
        Some(MemberQuery::Email(email)) => {
            query = query.filter(M::EmailKey.eq(email.as_str()));
        }
        None => {}
    }
    if let Some((key, id)) = after {
        query = query.filter(
            Condition::any().add(M::LastNameKey.gt(key.as_str())).add(
                Condition::all()
                    .add(M::LastNameKey.eq(key.as_str()))
                    .add(M::Id.gt(id)),
            ),
        );
    }
    let query = query.limit(limit + 1);
    // Own members and home-ties members are read separately and merged: each
    // half walks its own index in order, where one OR would sort the district.
    let rows = match (filter.scope, filter.include_home_ties_of) {
        (None, _) => query.all(db).await?,
        (Some(scope), None) => query.filter(unit_condition(scope)).all(db).await?,
        (Some(scope), Some(home)) => {
            let mut rows = query.clone().filter(unit_condition(scope)).all(db).await?;
            // Home ties end with the membership (`Member::home_ties`).
            let tied = query
                .filter(M::HomeDistrictId.eq(home))
                .filter(M::Status.eq(MemberStatus::Active.as_str()));
            rows.extend(tied.all(db).await?);
            rows.sort_by(|a, b| (&a.last_name_key, a.id).cmp(&(&b.last_name_key, b.id)));
            rows.dedup_by_key(|row| row.id);
            rows.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
            rows
        }
    };
    let mut members = rows
        .into_iter()
        .map(Member::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let more = members.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    members.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = more
        .then(|| {
            members
                .last()
                .map(|m| (kartei_domain::text::search_key(&m.person.last_name), m.id))
        })
        .flatten();
    Ok((members, next))
}

/// Raises the membership number counter to at least `at_least`, so that
/// numbers handed out later never collide with imported ones.
pub async fn raise_number_counter<C: ConnectionTrait>(
    db: &C,
    at_least: i64,
) -> Result<(), RepoError> {
    let statement = Query::update()
        .table(Counters::Table)
        .value(Counters::Value, Expr::value(at_least))
        .and_where(Expr::col(Counters::Name).eq("membership_number"))
        .and_where(Expr::col(Counters::Value).lt(at_least))
        .to_owned();
    db.execute(&statement).await?;
    Ok(())
}

/// Refreshes PostgreSQL's statistics on members after a bulk load, so that
/// plans made while the table was small (and cached per connection) are
/// replaced; SQLite plans from its indexes without them.
pub async fn refresh_statistics<C: ConnectionTrait>(db: &C) -> Result<(), RepoError> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE members").await?;
    }
    Ok(())
}

/// The members with these ids, in no particular order.
pub async fn get_many<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<Vec<Member>, RepoError> {
    Members::find()
        .filter(member::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(Member::try_from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_of_many_members_stays_within_the_bound_parameters() {
        use sea_orm::Iterable;
        assert!(member::Column::iter().count() * INSERT_CHUNK <= 32_766);
    }
}
