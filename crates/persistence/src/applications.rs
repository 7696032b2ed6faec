//! Applications, their timeline, and the queries onboarding needs.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::{
    Applicant, Application, Contact, Decision, Event, EventKind, Route, State, Status, Verdict,
};
use kartei_domain::{EmailAddress, PostalCode};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entities::application::{self, Column as C, Entity as Applications};
use crate::entities::application_duplicate::{self, Entity as Duplicates};
use crate::entities::application_event::{self, Entity as Events};
use crate::entities::member::{self, Entity as Members};
pub use crate::person_columns::PersonKeys;
use crate::{Page, RepoError, person_columns, rollup};

// Their home is with the reports' SQL; callers name them here, as before.
pub use crate::lag_sql::{OverdueCutoffs, overdue_condition};

fn corrupt(id: Uuid, what: &str) -> RepoError {
    RepoError::Corrupt(format!("application {id}: {what}"))
}

pub(crate) fn interests_from_json(
    id: Uuid,
    value: serde_json::Value,
) -> Result<Vec<String>, RepoError> {
    serde_json::from_value(value).map_err(|_| corrupt(id, "interests"))
}

impl TryFrom<application::Model> for Application {
    type Error = RepoError;

    fn try_from(row: application::Model) -> Result<Self, Self::Error> {
        let id = row.id;
        let status: Status = row.status.parse().map_err(|_| corrupt(id, "status"))?;
        let route = row.district_id.map(|district_id| Route {
            district_id,
            local_id: row.local_id,
        });
        let contact = match (row.contacted_on, row.contact_channel) {
            (Some(contacted_on), Some(channel)) => Some(Contact {
                contacted_on,
                channel,
                note: row.contact_note,
            }),
            _ => None,
        };
        let decision = match (status, row.decided_on) {
            (Status::Admitted, Some(decided_on)) => Some((Verdict::Admitted, decided_on)),
            (Status::Rejected, Some(decided_on)) => Some((Verdict::Rejected, decided_on)),
            _ => None,
        }
        .map(|(verdict, decided_on)| Decision {
            verdict,
            decided_on,
            reason: row.decision_reason.clone(),
        });
        let applicant = Applicant {
            first_name: row.first_name,
            last_name: row.last_name,
            date_of_birth: row.date_of_birth,
            email: row
                .email
                .as_deref()
                .map(EmailAddress::parse)
                .transpose()
                .map_err(|_| corrupt(id, "email"))?,
            phone: row.phone,
            street: row.street,
            postal_code: PostalCode::parse(&row.postal_code)
                .map_err(|_| corrupt(id, "postal code"))?,
            city: row.city,
            interests: interests_from_json(id, row.interests)?,
        };
        Ok(Application {
            id,
            received_on: row.received_on,
            channel: row.channel,
            applicant,
            preferred_org_unit_id: row.preferred_org_unit_id,
            notes: row.notes,
            state: State {
                status,
                received_on: row.received_on,
                route,
                contact,
                decision,
                withdrawn_on: row.withdrawn_on,
            },
            registered_at: row.registered_at,
            registered_by: row.registered_by,
            routed_at: row.routed_at,
            handed_over_at: row.handed_over_at,
            contacted_at: row.contacted_at,
            decided_at: row.decided_at,
            stage_started_at: row.stage_started_at,
            closed_at: row.closed_at,
            withdrawal_reason: row.withdrawal_reason,
            member_id: row.member_id,
            version: row.version,
            updated_at: row.updated_at,
        })
    }
}

pub struct NewApplication {
    pub id: Uuid,
    pub received_on: NaiveDate,
    pub channel: String,
    pub applicant: Applicant,
    pub preferred_org_unit_id: Option<Uuid>,
    pub notes: Option<String>,
    /// Where the registration's first step (routing) took it: `Routed`
    /// with its route, or `Unroutable` without one. Written with the row,
    /// so that registering is one write and never passes through the state
    /// office's queue (and its lag_rollup rows, which every registration
    /// would otherwise lock).
    pub status: Status,
    pub route: Option<Route>,
    pub registered_by: Uuid,
    /// What the first step wrote in the timeline (`routed` or
    /// `unroutable`), after the `registered` event.
    pub events: Vec<NewEvent>,
}

/// An entry of the timeline as a transition of the domain produced it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub from: Option<Status>,
    pub to: Status,
    pub data: serde_json::Value,
}

/// A step of an application: the state it leaves, the state it takes, and
/// every event the step produced.
pub struct Transition<'a> {
    pub current: &'a Application,
    pub next: &'a State,
    pub events: Vec<NewEvent>,
    pub actor_id: Option<Uuid>,
    pub withdrawal_reason: Option<String>,
    /// The member record an admission created.
    pub member_id: Option<Uuid>,
}

/// Stores a new application, already in the state of its first step, with
/// its `registered` event and the events of that step.
pub async fn insert<Db: ConnectionTrait>(
    db: &Db,
    new: NewApplication,
    now: DateTime<Utc>,
) -> Result<Application, RepoError> {
    let mut row = application::ActiveModel {
        id: Set(new.id),
        received_on: Set(new.received_on),
        channel: Set(new.channel),
        preferred_org_unit_id: Set(new.preferred_org_unit_id),
        notes: Set(new.notes),
        status: Set(new.status.as_str().to_owned()),
        district_id: Set(new.route.map(|r| r.district_id)),
        local_id: Set(new.route.and_then(|r| r.local_id)),
        registered_at: Set(now),
        registered_by: Set(new.registered_by),
        routed_at: Set(new.route.map(|_| now)),
        handed_over_at: Set(None),
        contacted_at: Set(None),
        contacted_on: Set(None),
        contact_channel: Set(None),
        contact_note: Set(None),
        decided_at: Set(None),
        decided_on: Set(None),
        decision_reason: Set(None),
        withdrawn_on: Set(None),
        withdrawal_reason: Set(None),
        stage_started_at: Set(now),
        closed_at: Set(None),
        member_id: Set(None),
        anonymised_at: Set(None),
        registered_on: Set(Some(kartei_domain::calendar::local_date(now))),
        routed_on: Set(new.route.map(|_| kartei_domain::calendar::local_date(now))),
        handed_over_on: Set(None),
        entered_on: Set(None),
        version: Set(1),
        updated_at: Set(now),
        ..Default::default()
    };
    person_columns::set_on(&mut row, &new.applicant)?;
    let row = Applications::insert(row).exec_with_returning(db).await?;
    // The rollup counts the row as the INSERT returned it; reading it back
    // would only cost a statement in every registration.
    let facts = rollup::Facts::of_application(&row);
    let application: Application = row.try_into()?;
    let registered = NewEvent {
        kind: EventKind::Registered,
        from: None,
        to: Status::Received,
        data: serde_json::json!({ "received_on": application.received_on }),
    };
    let events = std::iter::once(registered).chain(new.events).collect();
    record_events(db, application.id, Some(new.registered_by), now, events).await?;
    rollup::apply(db, None, Some(&facts)).await?;
    Ok(application)
}

pub async fn get<Db: ConnectionTrait>(db: &Db, id: Uuid) -> Result<Application, RepoError> {
    Applications::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)?
        .try_into()
}

/// Writes a step's events in one statement, in the order given (their
/// ids, UUIDv7, sort as they were made).
async fn record_events<Db: ConnectionTrait>(
    db: &Db,
    application_id: Uuid,
    actor_id: Option<Uuid>,
    at: DateTime<Utc>,
    events: Vec<NewEvent>,
) -> Result<(), RepoError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events
        .into_iter()
        .map(|event| application_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            application_id: Set(application_id),
            kind: Set(event.kind.as_str().to_owned()),
            from_status: Set(event.from.map(|s| s.as_str().to_owned())),
            to_status: Set(event.to.as_str().to_owned()),
            actor_id: Set(actor_id),
            occurred_at: Set(at),
            data: Set(event.data),
        });
    Events::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// The timeline, oldest first.
pub async fn events<Db: ConnectionTrait>(
    db: &Db,
    application_id: Uuid,
) -> Result<Vec<Event>, RepoError> {
    Events::find()
        .filter(application_event::Column::ApplicationId.eq(application_id))
        .order_by_asc(application_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let bad = || corrupt(application_id, "event status");
            Ok(Event {
                id: row.id,
                kind: row.kind,
                from_status: row
                    .from_status
                    .map(|s| s.parse().map_err(|_| bad()))
                    .transpose()?,
                to_status: row.to_status.parse().map_err(|_| bad())?,
                actor_id: row.actor_id,
                occurred_at: row.occurred_at,
                data: row.data,
            })
        })
        .collect()
}

/// Saves a step: writes `next` over `current` if nobody changed the
/// application since it was read (the stage clocks set from what changed),
/// then every event of the step.
pub async fn save_transition<Db: ConnectionTrait>(
    db: &Db,
    transition: Transition<'_>,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    let Transition {
        current,
        next,
        events,
        actor_id,
        withdrawal_reason,
        member_id,
    } = transition;
    save_state(db, current, next, withdrawal_reason, member_id, now).await?;
    record_events(db, current.id, actor_id, now, events).await
}

async fn save_state<Db: ConnectionTrait>(
    db: &Db,
    current: &Application,
    next: &State,
    withdrawal_reason: Option<String>,
    member_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    let facts_before = rollup::lock_and_read(db, rollup::Table::Applications, current.id).await?;
    let before = &current.state;
    let mut columns: Vec<(C, SimpleExpr)> = vec![
        (C::Status, Expr::value(next.status.as_str())),
        (
            C::DistrictId,
            Expr::value(next.route.map(|r| r.district_id)),
        ),
        (C::LocalId, Expr::value(next.route.and_then(|r| r.local_id))),
        (C::Version, Expr::value(current.version + 1)),
        (C::UpdatedAt, Expr::value(now)),
    ];
    let mut set = |column: C, value: SimpleExpr| columns.push((column, value));
    let stage_changed = next.status != before.status || next.route != before.route;
    if stage_changed {
        match next.status {
            Status::Routed => {
                set(C::RoutedAt, Expr::value(now));
                set(
                    C::RoutedOn,
                    Expr::value(kartei_domain::calendar::local_date(now)),
                );
                set(C::StageStartedAt, Expr::value(now));
            }
            // Back in the state office's queue, the hand-over clock runs from
            // registration again.
            Status::Unroutable | Status::Received => {
                set(C::StageStartedAt, Expr::value(current.registered_at));
            }
            Status::HandedOver => {
                set(C::HandedOverAt, Expr::value(now));
                set(
                    C::HandedOverOn,
                    Expr::value(kartei_domain::calendar::local_date(now)),
                );
                set(C::StageStartedAt, Expr::value(now));
            }
            Status::Contacted => {
                set(C::ContactedAt, Expr::value(now));
                set(C::StageStartedAt, Expr::value(now));
            }
            Status::Admitted | Status::Rejected => {
                set(C::DecidedAt, Expr::value(now));
                set(C::ClosedAt, Expr::value(now));
            }
            Status::Withdrawn => set(C::ClosedAt, Expr::value(now)),
        }
    }
    if next.contact != before.contact {
        let contact = next.contact.as_ref();
        set(C::ContactedOn, Expr::value(contact.map(|c| c.contacted_on)));
        set(
            C::ContactChannel,
            Expr::value(contact.map(|c| c.channel.clone())),
        );
        set(
            C::ContactNote,
            Expr::value(contact.and_then(|c| c.note.clone())),
        );
        if before.contact.is_none() && next.status != Status::Contacted {
            // Recorded together with the decision.
            set(C::ContactedAt, Expr::value(now));
        }
    }
    if next.decision != before.decision {
        let decision = next.decision.as_ref();
        set(C::DecidedOn, Expr::value(decision.map(|d| d.decided_on)));
        set(
            C::DecisionReason,
            Expr::value(decision.and_then(|d| d.reason.clone())),
        );
    }
    if next.withdrawn_on != before.withdrawn_on {
        set(C::WithdrawnOn, Expr::value(next.withdrawn_on));
        set(C::WithdrawalReason, Expr::value(withdrawal_reason));
    }
    if let Some(member_id) = member_id {
        // The member record is created in this transaction: entered today.
        set(C::MemberId, Expr::value(member_id));
        set(
            C::EnteredOn,
            Expr::value(kartei_domain::calendar::local_date(now)),
        );
    }
    let update = columns.into_iter().fold(
        Applications::update_many()
            .filter(C::Id.eq(current.id))
            .filter(C::Version.eq(current.version)),
        |update, (column, value)| update.col_expr(column, value),
    );
    let result = update.exec(db).await?;
    if result.rows_affected == 0 {
        return Err(RepoError::StaleVersion);
    }
    let facts_after = rollup::read(db, rollup::Table::Applications, current.id).await?;
    rollup::apply(db, facts_before.as_ref(), facts_after.as_ref()).await
}

/// Which applications a list may show.
#[derive(Debug, Clone, Copy)]
pub enum UnitFilter {
    All,
    /// Held by this district (or any branch of it).
    District(Uuid),
    /// Held by this local branch.
    Local(Uuid),
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// What the caller may see.
    pub scope: Option<UnitFilter>,
    /// The unit asked for, within the scope.
    pub unit: Option<UnitFilter>,
    pub status: Option<Status>,
    pub overdue: Option<OverdueCutoffs>,
    /// A name prefix or an e-mail address.
    pub query: Option<String>,
}

fn unit_condition(filter: UnitFilter) -> Condition {
    match filter {
        UnitFilter::All => Condition::all(),
        UnitFilter::District(id) => Condition::all().add(C::DistrictId.eq(id)),
        UnitFilter::Local(id) => Condition::all().add(C::LocalId.eq(id)),
    }
}

fn open_statuses() -> Vec<&'static str> {
    Status::OPEN.iter().map(|s| s.as_str()).collect()
}

/// The smallest string greater than every string starting with `prefix`.
pub(crate) fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    end.push(char::MAX);
    end
}

fn query_condition(query: &str) -> Condition {
    if query.contains('@') {
        return Condition::all().add(C::EmailKey.eq(query.trim().to_lowercase()));
    }
    let key = kartei_domain::text::search_key(query);
    let end = prefix_end(&key);
    Condition::any()
        .add(
            C::LastNameKey
                .gte(key.as_str())
                .and(C::LastNameKey.lt(end.as_str())),
        )
        .add(
            C::FirstNameKey
                .gte(key.as_str())
                .and(C::FirstNameKey.lt(end.as_str())),
        )
}

pub async fn list<Db: ConnectionTrait>(
    db: &Db,
    filter: &ListFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<Application>, RepoError> {
    let mut query = Applications::find().order_by_asc(C::Id);
    for unit in [filter.scope, filter.unit].into_iter().flatten() {
        query = query.filter(unit_condition(unit));
    }
    if let Some(status) = filter.status {
        query = query.filter(C::Status.eq(status.as_str()));
    }
    if let Some(cutoffs) = &filter.overdue {
        query = query.filter(overdue_condition(cutoffs));
    }
    if let Some(q) = filter.query.as_deref().filter(|q| !q.trim().is_empty()) {
        query = query.filter(query_condition(q));
    }
    if let Some(after) = after {
        query = query.filter(C::Id.gt(after));
    }
    let rows = query.limit(limit + 1).all(db).await?;
    let items = rows
        .into_iter()
        .map(Application::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |a| a.id))
}

/// A record that may be the same person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateCandidate {
    pub kind: &'static str,
    pub id: Uuid,
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    pub matched_on: &'static str,
}

/// Members and open applications with the same name and birth date, or the
/// same e-mail address.
pub async fn find_duplicates<Db: ConnectionTrait>(
    db: &Db,
    keys: &PersonKeys,
    date_of_birth: NaiveDate,
    exclude: Uuid,
) -> Result<Vec<DuplicateCandidate>, RepoError> {
    const LIMIT: u64 = 20;
    let matched_on = |first: &str, last: &str, dob: NaiveDate| {
        if first == keys.first_name_key && last == keys.last_name_key && dob == date_of_birth {
            "name_and_birth_date"
        } else {
            "email"
        }
    };
    let mut same = Condition::any().add(
        Condition::all()
            .add(C::LastNameKey.eq(keys.last_name_key.as_str()))
            .add(C::FirstNameKey.eq(keys.first_name_key.as_str()))
            .add(C::DateOfBirth.eq(date_of_birth)),
    );
    if let Some(email) = &keys.email_key {
        same = same.add(C::EmailKey.eq(email.as_str()));
    }
    let applications = Applications::find()
        .filter(same)
        .filter(C::Status.is_in(open_statuses()))
        .filter(C::Id.ne(exclude))
        .limit(LIMIT)
        .all(db)
        .await?;
    let mut candidates: Vec<DuplicateCandidate> = applications
        .into_iter()
        .map(|row| DuplicateCandidate {
            kind: "application",
            id: row.id,
            district_id: row.district_id,
            local_id: row.local_id,
            matched_on: matched_on(&row.first_name_key, &row.last_name_key, row.date_of_birth),
        })
        .collect();

    let mut same_member = Condition::any().add(
        Condition::all()
            .add(member::Column::LastNameKey.eq(keys.last_name_key.as_str()))
            .add(member::Column::FirstNameKey.eq(keys.first_name_key.as_str()))
            .add(member::Column::DateOfBirth.eq(date_of_birth)),
    );
    if let Some(email) = &keys.email_key {
        same_member = same_member.add(member::Column::EmailKey.eq(email.as_str()));
    }
    let members = Members::find()
        .filter(same_member)
        .limit(LIMIT)
        .all(db)
        .await?;
    candidates.extend(members.into_iter().map(|row| DuplicateCandidate {
        kind: "member",
        id: row.id,
        district_id: Some(row.district_id),
        local_id: row.local_id,
        matched_on: matched_on(&row.first_name_key, &row.last_name_key, row.date_of_birth),
    }));
    Ok(candidates)
}

/// Keeps the likely duplicates found at registration on the application,
/// all of them, whoever registered it: each reader sees those inside its
/// own scope.
pub async fn record_duplicates<C: ConnectionTrait>(
    db: &C,
    application_id: Uuid,
    candidates: &[DuplicateCandidate],
) -> Result<(), RepoError> {
    if candidates.is_empty() {
        return Ok(());
    }
    let rows = candidates
        .iter()
        .map(|c| application_duplicate::ActiveModel {
            application_id: Set(application_id),
            candidate_id: Set(c.id),
            kind: Set(c.kind.to_owned()),
            district_id: Set(c.district_id),
            local_id: Set(c.local_id),
            matched_on: Set(c.matched_on.to_owned()),
        });
    Duplicates::insert_many(rows).exec(db).await?;
    Ok(())
}

/// The likely duplicates recorded for `application_id`.
pub async fn duplicates_of<C: ConnectionTrait>(
    db: &C,
    application_id: Uuid,
) -> Result<Vec<DuplicateCandidate>, RepoError> {
    use application_duplicate::Column as D;
    let rows = Duplicates::find()
        .filter(D::ApplicationId.eq(application_id))
        .order_by_asc(D::Kind)
        .order_by_asc(D::CandidateId)
        .all(db)
        .await?;
    let known = |value: &str, among: &[&'static str]| {
        among
            .iter()
            .copied()
            .find(|k| *k == value)
            .ok_or_else(|| corrupt(application_id, "duplicate"))
    };
    rows.into_iter()
        .map(|row| {
            Ok(DuplicateCandidate {
                kind: known(&row.kind, &DUPLICATE_KINDS)?,
                id: row.candidate_id,
                district_id: row.district_id,
                local_id: row.local_id,
                matched_on: known(&row.matched_on, &DUPLICATE_MATCHES)?,
            })
        })
        .collect()
}

const DUPLICATE_KINDS: [&str; 2] = ["application", "member"];
const DUPLICATE_MATCHES: [&str; 2] = ["name_and_birth_date", "email"];

/// Where a list of open applications by age continues: after this
/// `received_on` and id.
pub type AgeCursor = (NaiveDate, Uuid);

fn open_by_age(
    scope: UnitFilter,
    unit: Option<UnitFilter>,
    after: Option<AgeCursor>,
    limit: u64,
) -> sea_orm::Select<Applications> {
    let mut query = Applications::find()
        .filter(Expr::cust(migration::OPEN_APPLICATIONS))
        .order_by_asc(C::ReceivedOn)
        .order_by_asc(C::Id);
    for filter in std::iter::once(scope).chain(unit) {
        query = query.filter(unit_condition(filter));
    }
    if let Some((received_on, id)) = after {
        query = query.filter(
            Condition::any().add(C::ReceivedOn.gt(received_on)).add(
                Condition::all()
                    .add(C::ReceivedOn.eq(received_on))
                    .add(C::Id.gt(id)),
            ),
        );
    }
    query.limit(limit + 1)
}

/// The statement [`list_open_by_age`] runs, for timing it bare.
pub fn open_by_age_statement(
    backend: sea_orm::DbBackend,
    scope: UnitFilter,
    unit: Option<UnitFilter>,
    limit: u64,
) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    open_by_age(scope, unit, None, limit).build(backend)
}

/// Open applications within `scope` (and `unit`, if given), oldest
/// declaration first, so that those past their objection deadline lead.
pub async fn list_open_by_age<Db: ConnectionTrait>(
    db: &Db,
    scope: UnitFilter,
    unit: Option<UnitFilter>,
    after: Option<AgeCursor>,
    limit: u64,
) -> Result<(Vec<Application>, Option<AgeCursor>), RepoError> {
    let mut items = open_by_age(scope, unit, after, limit)
        .all(db)
        .await?
        .into_iter()
        .map(Application::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = more
        .then(|| items.last().map(|a| (a.received_on, a.id)))
        .flatten();
    Ok((items, next))
}
