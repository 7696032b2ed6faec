//! Member records and the membership number counter.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::Applicant;
use kartei_domain::member::{EntrySource, Member, MemberStatus};
use kartei_domain::text::search_key;
use kartei_domain::{EmailAddress, PostalCode};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, TryIntoModel,
};
use uuid::Uuid;

use crate::applications::{UnitFilter, interests_from_json, prefix_end};
use crate::entities::member::{self, Entity as Members};
use crate::{RepoError, census, integration_rollup, person_columns, rollup};

/// Declares [`StoredMember`], the columns of `members` a [`Member`] is
/// made of, from one list of field and column: the statement that selects
/// them and the reader that takes them by position cannot disagree on the
/// order.
macro_rules! stored_member {
    ($($field:ident: $type:ty => $column:ident,)*) => {
        /// A member's row as stored, without the search keys and the
        /// bookkeeping no member shows (`entered_on`, `source`): what a
        /// list needs to read and decode for each of its rows.
        struct StoredMember {
            $($field: $type,)*
        }

        /// The columns of [`StoredMember`], in the order of its fields.
        const STORED_MEMBER_COLUMNS: &[member::Column] = &[$(member::Column::$column,)*];

        impl StoredMember {
            /// The first columns of `row`, selected as
            /// [`STORED_MEMBER_COLUMNS`]. By position: by name, sea-orm looks
            /// up every column and formats an error text for each NULL (a
            /// fifth of a search request's time at fifty rows,
            /// `docs/benchmarks.md`).
            fn at_positions(row: &QueryResult) -> Result<Self, DbErr> {
                let mut positions = 0..;
                // A struct expression evaluates its fields in the order written.
                Ok(Self {
                    $($field: row.try_get_by_index(positions.next().unwrap_or_default())?,)*
                })
            }
        }

        impl From<member::Model> for StoredMember {
            fn from(row: member::Model) -> Self {
                Self { $($field: row.$field,)* }
            }
        }
    };
}

stored_member! {
    id: Uuid => Id,
    membership_number: String => MembershipNumber,
    first_name: String => FirstName,
    last_name: String => LastName,
    date_of_birth: NaiveDate => DateOfBirth,
    email: Option<String> => Email,
    phone: Option<String> => Phone,
    street: String => Street,
    postal_code: String => PostalCode,
    city: String => City,
    interests: serde_json::Value => Interests,
    district_id: Uuid => DistrictId,
    local_id: Option<Uuid> => LocalId,
    status: String => Status,
    left_on: Option<NaiveDate> => LeftOn,
    status_reason: Option<String> => StatusReason,
    consents: Option<serde_json::Value> => Consents,
    home_district_id: Option<Uuid> => HomeDistrictId,
    resigns_on: Option<NaiveDate> => ResignsOn,
    anonymised_at: Option<DateTime<Utc>> => AnonymisedAt,
    received_on: NaiveDate => ReceivedOn,
    joined_on: NaiveDate => JoinedOn,
    entered_at: DateTime<Utc> => EnteredAt,
    application_id: Option<Uuid> => ApplicationId,
    version: i64 => Version,
    created_at: DateTime<Utc> => CreatedAt,
    updated_at: DateTime<Utc> => UpdatedAt,
}

impl TryFrom<member::Model> for Member {
    type Error = RepoError;

    fn try_from(row: member::Model) -> Result<Self, Self::Error> {
        StoredMember::from(row).try_into()
    }
}

impl TryFrom<StoredMember> for Member {
    type Error = RepoError;

    fn try_from(row: StoredMember) -> Result<Self, Self::Error> {
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
    census::apply(db, [(None, census::CensusKey::of_row(&row))]).await?;
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
    let census_keys: Vec<_> = new
        .iter()
        .map(|n| {
            let key = census::CensusKey::entered(n.district_id, n.local_id, n.person.date_of_birth);
            (None, key)
        })
        .collect();
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
    census::apply(db, census_keys).await
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
    // A move to another district or branch moves who owes its integration
    // steps, and their counts with it.
    let owner = |m: &Member| integration_rollup::Owner {
        district: m.district_id,
        local: m.local_id,
    };
    integration_rollup::moved(db, current.id, owner(current), owner(next)).await?;
    // The version matched, so the row held `current` before the write.
    census::apply(
        db,
        [(
            census::CensusKey::of_member(current),
            census::CensusKey::of_member(next),
        )],
    )
    .await?;
    census::member_changed(db, current, next).await?;
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

/// How a member list is searched: what a person typed into the search box,
/// read as the ways a member can match it. Names and cities compare by
/// their keys (`kartei_domain::text::search_key`: lower case, umlauts and ß
/// spelled out, accents dropped, spaces collapsed), so "MÜLLER" finds
/// "Müller" and "Mueller", while "muller" finds neither.
///
/// - With an `@`: the e-mail address, whole, in any case.
/// - Digits only: the membership number, whole.
/// - With a comma, "Nachname, Vorname": the last name starts with what
///   stands before the first comma and the first name is what follows
///   ("Schmidt, Anna", "von der He, Hans"); one side may be left empty
///   ("Schmidt,", ", Anna").
/// - Otherwise, one word or several: the last name starts with all of them
///   ("schm", "von der He"), or the city is all of them ("leipzig", "Bad
///   Schandau"), or the first name is the first one, two or three words
///   and the last name starts with the rest, if any ("anna", "Anna
///   Schmidt", "Hans von der Heide", "Anna Maria").
///
/// A first name and a city must be typed whole, a last name may be begun:
/// each way is then a range of one index in the list's order (last name
/// key, then id) inside the caller's scope, and a page reads only the first
/// rows of each range instead of sorting every match. (A begun first name
/// would be a range of first names, whose members are not in list order.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberQuery {
    ways: Vec<Match>,
}

/// One way a member matches a search.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Match {
    /// The last name starts with this.
    LastName(String),
    /// The first name is `first` and the last name starts with `last`.
    FirstName {
        first: String,
        last: String,
    },
    City(String),
    MembershipNumber(String),
    Email(String),
}

/// The most words the search tries as a first name before the last name:
/// each more is one more range to read for every search of that many words.
const FIRST_NAME_WORDS: usize = 3;

impl MemberQuery {
    /// Reads what a person typed into the search box; `None` when nothing
    /// is left to search for.
    pub fn parse(raw: &str) -> Option<MemberQuery> {
        let q = raw.trim();
        let ways = if q.contains('@') {
            vec![Match::Email(q.to_lowercase())]
        } else if !q.is_empty() && q.chars().all(|c| c.is_ascii_digit()) {
            vec![Match::MembershipNumber(q.to_owned())]
        } else if let Some((last, first)) = q.split_once(',') {
            let (last, first) = (search_key(last), search_key(first));
            match (last.is_empty(), first.is_empty()) {
                (true, true) => Vec::new(),
                (false, true) => vec![Match::LastName(last)],
                (_, false) => vec![Match::FirstName { first, last }],
            }
        } else {
            Match::words(&search_key(q))
        };
        (!ways.is_empty()).then_some(MemberQuery { ways })
    }
}

impl Match {
    /// The ways a key of one word or several matches.
    fn words(key: &str) -> Vec<Match> {
        if key.is_empty() {
            return Vec::new();
        }
        let words: Vec<&str> = key.split(' ').collect();
        let mut ways = vec![Match::LastName(key.to_owned()), Match::City(key.to_owned())];
        for split in 1..=words.len().min(FIRST_NAME_WORDS) {
            ways.push(Match::FirstName {
                first: words[..split].join(" "),
                last: words[split..].join(" "),
            });
        }
        ways
    }

    /// Whether this way names a member or two wherever they are.
    fn is_lookup(&self) -> bool {
        matches!(self, Match::MembershipNumber(_) | Match::Email(_))
    }

    /// What a member must match besides its last name, and what the last
    /// name must start with (anything, when empty).
    fn condition(&self) -> (Condition, &str) {
        use member::Column as M;
        let is = |column: M, value: &str| Condition::all().add(column.eq(value));
        match self {
            Match::LastName(last) => (Condition::all(), last),
            Match::FirstName { first, last } => (is(M::FirstNameKey, first), last),
            Match::City(city) => (is(M::CityKey, city), ""),
            Match::MembershipNumber(number) => (is(M::MembershipNumber, number), ""),
            Match::Email(email) => (is(M::EmailKey, email), ""),
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
    /// Only members who joined on this day or later.
    pub joined_from: Option<NaiveDate>,
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

/// The last names a range reads: those starting with `prefix`, after the
/// cursor.
fn last_names(prefix: &str, after: Option<&MemberCursor>) -> Condition {
    use member::Column as M;
    let mut range = Condition::all();
    // One lower bound, the later of the two, where the index scan starts:
    // given both, SQLite may start at the prefix and skip to the cursor.
    let from = match after {
        Some((key, _)) if key.as_str() > prefix => key.as_str(),
        _ => prefix,
    };
    if !from.is_empty() {
        range = range.add(M::LastNameKey.gte(from));
    }
    if !prefix.is_empty() {
        range = range.add(M::LastNameKey.lt(prefix_end(prefix)));
    }
    if let Some((key, id)) = after {
        range = range.add(
            Condition::any()
                .add(M::LastNameKey.gt(key.as_str()))
                .add(M::Id.gt(*id)),
        );
    }
    range
}

/// The largest LIMIT both databases take.
const ALL_ROWS: u64 = i64::MAX as u64;

/// One statement for a page of `rows` members: for each way the search
/// matches and each part of the scope, the first `rows` keys along that
/// way's index, merged without repeats; then those members, in list order.
fn page_statement(
    filter: &MemberFilter,
    after: Option<&MemberCursor>,
    rows: u64,
) -> SelectStatement {
    use member::Column as M;
    let mut narrowed = Condition::all();
    if let Some(unit) = filter.unit {
        narrowed = narrowed.add(unit_condition(unit));
    }
    if let Some(status) = filter.status {
        narrowed = narrowed.add(M::Status.eq(status.as_str()));
    }
    if let Some(day) = filter.joined_from {
        narrowed = narrowed.add(M::JoinedOn.gte(day));
    }
    // Own members and home-ties members are separate ranges, each along its
    // own index in order, where one OR would sort the district.
    let mut scopes = vec![filter.scope.map_or_else(Condition::all, unit_condition)];
    if let (Some(_), Some(home)) = (filter.scope, filter.include_home_ties_of) {
        // Home ties end with the membership (`Member::home_ties`).
        scopes.push(
            Condition::all()
                .add(M::HomeDistrictId.eq(home))
                .add(M::Status.eq(MemberStatus::Active.as_str())),
        );
    }
    let no_search = [None];
    let ways = match &filter.query {
        Some(query) => query.ways.iter().map(Some).collect(),
        None => no_search.to_vec(),
    };
    // Built as a bare query: `Members::find()` would list every column
    // first, only for `select_only` to drop them again, six times a search.
    let range = |within: Condition, way: Option<&Match>| {
        let (matches, last_name) = way.map_or((Condition::all(), ""), Match::condition);
        let mut range = Query::select();
        range
            .column((Members, M::LastNameKey))
            .column((Members, M::Id))
            .from(Members)
            .cond_where(within.add(matches).add(last_names(last_name, after)))
            .order_by((Members, M::LastNameKey), Order::Asc)
            .order_by((Members, M::Id), Order::Asc);
        range
    };
    let mut ranges = Vec::new();
    for way in ways {
        if way.is_some_and(Match::is_lookup) {
            // An address or a number names a member or two in the whole
            // register: looked up along its own index, all of them, and
            // held against the scope below. Inside the scope SQLite, which
            // has no statistics, would walk the district in name order. The
            // limit is none, but keeps SQLite from merging the lookup into
            // the page's join, where it again starts from the scope.
            let mut lookup = range(Condition::all(), way);
            lookup.limit(ALL_ROWS);
            ranges.push(lookup);
        } else {
            for scope in &scopes {
                let within = scope.clone().add(narrowed.clone());
                let mut part = range(within, way);
                part.limit(rows);
                ranges.push(part);
            }
        }
    }
    // Every member of the page is held against the scope, which the
    // lookups above were not read inside.
    let mut allowed = narrowed;
    if !matches!(filter.scope, None | Some(UnitFilter::All)) {
        allowed = allowed.add(scopes.into_iter().fold(Condition::any(), Condition::add));
    }
    // Each statement is built in place: `to_owned()` at the end of a
    // builder chain would copy the whole tree.
    let mut keys = ranges.into_iter().enumerate().map(|(n, range)| {
        let mut keys = Query::select();
        keys.column(M::LastNameKey)
            .column(M::Id)
            .from_subquery(range, Alias::new(format!("range{n}")));
        keys
    });
    // Never empty: there is a scope, and a way or no search at all.
    let mut hits = keys.next().unwrap_or_else(Query::select);
    hits.unions(keys.map(|more| (UnionType::Distinct, more)));
    let hit = Alias::new("hit");
    let mut page = Query::select();
    // The cursor's key comes last, after the member's columns.
    page.columns(
        STORED_MEMBER_COLUMNS
            .iter()
            .map(|column| (Members, *column)),
    )
    .column((hit.clone(), M::LastNameKey))
    .from(Members)
    .join_subquery(
        JoinType::InnerJoin,
        hits,
        hit.clone(),
        Expr::col((Members, M::Id)).equals((hit.clone(), M::Id)),
    )
    .cond_where(allowed)
    .order_by((hit.clone(), M::LastNameKey), Order::Asc)
    .order_by((hit, M::Id), Order::Asc)
    .limit(rows);
    page
}

/// A page of members in alphabetical order (by the search key, so that the
/// indexes on (unit, searched key, last_name_key, id) give the order at any
/// size), in one round trip, each row read by position
/// ([`StoredMember::at_positions`]).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &MemberFilter,
    after: Option<MemberCursor>,
    limit: u64,
) -> Result<(Vec<Member>, Option<MemberCursor>), RepoError> {
    let statement = page_statement(filter, after.as_ref(), limit + 1);
    let cursor_key = STORED_MEMBER_COLUMNS.len();
    let mut rows = db
        .query_all_raw(db.get_database_backend().build(&statement))
        .await?
        .iter()
        .map(|row| {
            Ok((
                StoredMember::at_positions(row)?,
                row.try_get_by_index(cursor_key)?,
            ))
        })
        .collect::<Result<Vec<(StoredMember, String)>, DbErr>>()?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
            .map(|(row, last_name_key)| (last_name_key.clone(), row.id))
    } else {
        None
    };
    let members = rows
        .into_iter()
        .map(|(row, _)| Member::try_from(row))
        .collect::<Result<Vec<_>, _>>()?;
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

    fn ways(raw: &str) -> Vec<Match> {
        MemberQuery::parse(raw).map(|q| q.ways).unwrap_or_default()
    }

    fn last(key: &str) -> Match {
        Match::LastName(key.to_owned())
    }

    fn city(key: &str) -> Match {
        Match::City(key.to_owned())
    }

    fn first(first: &str, last: &str) -> Match {
        Match::FirstName {
            first: first.to_owned(),
            last: last.to_owned(),
        }
    }

    #[test]
    fn one_word_is_a_last_name_begun_a_first_name_or_a_city() {
        assert_eq!(
            ways(" Müller "),
            [last("mueller"), city("mueller"), first("mueller", "")]
        );
        assert_eq!(
            ways("LEIPZIG"),
            [last("leipzig"), city("leipzig"), first("leipzig", "")]
        );
    }

    #[test]
    fn several_words_split_into_first_and_last_name_at_every_word() {
        assert_eq!(
            ways("Anna  Schmidt"),
            [
                last("anna schmidt"),
                city("anna schmidt"),
                first("anna", "schmidt"),
                first("anna schmidt", ""),
            ]
        );
        assert_eq!(
            ways("Hans von der Heide"),
            [
                last("hans von der heide"),
                city("hans von der heide"),
                first("hans", "von der heide"),
                first("hans von", "der heide"),
                first("hans von der", "heide"),
            ]
        );
        // A first name has at most three words: five words are read in
        // five ways, not seven.
        assert_eq!(ways("a b c d e").len(), 5);
    }

    #[test]
    fn a_comma_puts_the_last_name_first() {
        assert_eq!(ways("Schmidt, Anna-Lena"), [first("anna-lena", "schmidt")]);
        assert_eq!(ways("von der He,Hans"), [first("hans", "von der he")]);
        assert_eq!(
            ways("Schmidt, Anna Maria"),
            [first("anna maria", "schmidt")]
        );
        assert_eq!(ways("Schmidt ,"), [last("schmidt")]);
        assert_eq!(ways(", Anna"), [first("anna", "")]);
        assert_eq!(ways(" , "), []);
    }

    #[test]
    fn digits_are_a_membership_number_and_an_at_sign_an_email() {
        assert_eq!(ways(" 100042 "), [Match::MembershipNumber("100042".into())]);
        assert_eq!(
            ways(" M1@Example.org "),
            [Match::Email("m1@example.org".into())]
        );
        // Not only digits: a name, which no member has.
        assert_eq!(ways("1000 42")[0], last("1000 42"));
    }

    #[test]
    fn nothing_to_search_for_is_no_search() {
        assert_eq!(MemberQuery::parse(""), None);
        assert_eq!(MemberQuery::parse("   "), None);
        // A lone combining mark has no key.
        assert_eq!(MemberQuery::parse("\u{308}"), None);
    }

    #[test]
    fn a_range_starts_at_the_later_of_prefix_and_cursor() {
        use sea_orm::sea_query::PostgresQueryBuilder;
        let sql = |prefix: &str, after: Option<&MemberCursor>| {
            Query::select()
                .column(member::Column::Id)
                .from(Members)
                .cond_where(last_names(prefix, after))
                .to_string(PostgresQueryBuilder)
        };
        let id = Uuid::nil();
        let before = ("mue".to_owned(), id);
        let inside = ("mueller".to_owned(), id);
        assert!(sql("mue", None).contains(r#""last_name_key" >= 'mue'"#));
        assert!(sql("mue", Some(&before)).contains(r#""last_name_key" >= 'mue'"#));
        let from_cursor = sql("mue", Some(&inside));
        assert!(from_cursor.contains(r#""last_name_key" >= 'mueller'"#));
        assert!(!from_cursor.contains(r#""last_name_key" >= 'mue'"#));
        assert!(!sql("", None).contains("last_name_key"));
    }

    #[test]
    fn an_address_is_looked_up_everywhere_and_held_against_the_scope() {
        use sea_orm::sea_query::PostgresQueryBuilder;
        let district = Uuid::from_u128(7);
        let statement = |scope, query: &str| {
            let filter = MemberFilter {
                scope: Some(scope),
                include_home_ties_of: match scope {
                    UnitFilter::District(id) => Some(id),
                    _ => None,
                },
                query: MemberQuery::parse(query),
                ..MemberFilter::default()
            };
            page_statement(&filter, None, 51).to_string(PostgresQueryBuilder)
        };
        let scope = format!(r#""district_id" = '{district}'"#);
        let by_address = statement(UnitFilter::District(district), "a@example.org");
        let (ranges, page) = by_address.split_once(r#") AS "hit""#).unwrap_or_default();
        assert!(ranges.contains(r#""email_key" = 'a@example.org'"#));
        assert!(!ranges.contains(&scope), "{ranges}");
        assert!(page.contains(&scope), "{page}");
        assert!(page.contains(r#""home_district_id" = "#), "{page}");
        // A name is read inside the scope: once among the district's own
        // members, once among its home ties.
        let by_name = statement(UnitFilter::District(district), "schm");
        let (ranges, _) = by_name.split_once(r#") AS "hit""#).unwrap_or_default();
        assert_eq!(ranges.matches(&scope).count(), 3, "{ranges}");
        assert_eq!(ranges.matches("LIMIT 51").count(), 6, "{ranges}");
        // The state office's page has no scope to hold anything against.
        let everywhere = statement(UnitFilter::All, "a@example.org");
        assert!(!everywhere.contains(" OR "), "{everywhere}");
    }

    #[test]
    fn an_insert_of_many_members_stays_within_the_bound_parameters() {
        use sea_orm::Iterable;
        assert!(member::Column::iter().count() * INSERT_CHUNK <= 32_766);
    }
}
