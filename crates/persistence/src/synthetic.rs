//! Bulk inserts of generated history for benchmarks and load tests
//! (`kartei generate`): applications with every date of their lifecycle
//! already in the past, members entered on a day of their own, the
//! transfers that moved some of them and the integration steps owed to
//! the new ones. The API
//! never writes through here. Generated applications carry no timeline
//! events and no audit rows; the reports, lists and searches do not read
//! them.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::{Applicant, Status};
use kartei_domain::member::MemberStatus;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use crate::entities::application::{self, Entity as Applications};
use crate::entities::integration_step::{self, Entity as IntegrationSteps};
use crate::entities::member::Entity as Members;
use crate::entities::transfer::Entity as Transfers;
use crate::members::{NewMember, active_model};
use crate::transfers::{self, Transfer};
use crate::{RepoError, person_columns};

/// Rows per multi-row INSERT: applications have 44 columns, which keeps a
/// statement under SQLite's 32,766 bound parameters.
const CHUNK: usize = 500;

/// A member whose record was entered at `entered_at`.
pub struct HistoricMember {
    pub new: NewMember,
    pub entered_at: DateTime<Utc>,
    pub entered_on: NaiveDate,
    pub status: MemberStatus,
    pub left_on: Option<NaiveDate>,
}

/// An application as it stands today, with the instants and days of the
/// steps it has taken.
pub struct HistoricApplication {
    pub id: Uuid,
    pub received_on: NaiveDate,
    pub channel: String,
    pub applicant: Applicant,
    pub status: Status,
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    pub registered_by: Uuid,
    pub registered_at: DateTime<Utc>,
    pub registered_on: NaiveDate,
    pub routed: Option<(DateTime<Utc>, NaiveDate)>,
    pub handed_over: Option<(DateTime<Utc>, NaiveDate)>,
    pub contacted: Option<(DateTime<Utc>, NaiveDate)>,
    pub decided: Option<(DateTime<Utc>, NaiveDate)>,
    pub withdrawn_on: Option<NaiveDate>,
    pub stage_started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub member_id: Option<Uuid>,
}

pub async fn insert_members<C: ConnectionTrait>(
    db: &C,
    members: Vec<HistoricMember>,
) -> Result<(), RepoError> {
    let mut rows = members
        .into_iter()
        .map(|m| {
            let mut row = active_model(m.new, m.entered_at)?;
            row.entered_on = Set(Some(m.entered_on));
            row.status = Set(m.status.as_str().to_owned());
            row.left_on = Set(m.left_on);
            Ok(row)
        })
        .collect::<Result<Vec<_>, DbErr>>()?
        .into_iter()
        .peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        Members::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Transfers as they were asked for and answered; the members were
/// written where the confirmed ones took them.
pub async fn insert_transfers<C: ConnectionTrait>(
    db: &C,
    transfers: &[Transfer],
) -> Result<(), RepoError> {
    for chunk in transfers.chunks(CHUNK) {
        Transfers::insert_many(chunk.iter().map(transfers::active_model))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// An integration step of a generated member: open, or done on a day.
pub struct HistoricStep {
    pub member_id: Uuid,
    pub step: String,
    pub started_on: NaiveDate,
    /// The day, channel, account and instant it was recorded as done.
    pub done: Option<(NaiveDate, String, Uuid, DateTime<Utc>)>,
}

pub async fn insert_integration_steps<C: ConnectionTrait>(
    db: &C,
    steps: Vec<HistoricStep>,
) -> Result<(), RepoError> {
    let mut rows = steps
        .into_iter()
        .map(|s| {
            let (done_on, channel, recorded_by, recorded_at) = match s.done {
                Some((on, channel, by, at)) => (Some(on), Some(channel), Some(by), Some(at)),
                None => (None, None, None, None),
            };
            integration_step::ActiveModel {
                id: Set(Uuid::now_v7()),
                member_id: Set(s.member_id),
                step: Set(s.step),
                started_on: Set(s.started_on),
                done_on: Set(done_on),
                channel: Set(channel),
                note: Set(None),
                recorded_by: Set(recorded_by),
                recorded_at: Set(recorded_at),
            }
        })
        .peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        IntegrationSteps::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn application_row(a: HistoricApplication) -> Result<application::ActiveModel, DbErr> {
    let at = |step: Option<(DateTime<Utc>, NaiveDate)>| step.map(|(at, _)| at);
    let on = |step: Option<(DateTime<Utc>, NaiveDate)>| step.map(|(_, on)| on);
    let updated_at = a.closed_at.unwrap_or(a.stage_started_at);
    let mut row = application::ActiveModel {
        id: Set(a.id),
        received_on: Set(a.received_on),
        channel: Set(a.channel),
        preferred_org_unit_id: Set(None),
        notes: Set(None),
        status: Set(a.status.as_str().to_owned()),
        district_id: Set(a.district_id),
        local_id: Set(a.local_id),
        registered_at: Set(a.registered_at),
        registered_by: Set(a.registered_by),
        routed_at: Set(at(a.routed)),
        handed_over_at: Set(at(a.handed_over)),
        contacted_at: Set(at(a.contacted)),
        contacted_on: Set(on(a.contacted)),
        contact_channel: Set(a.contacted.map(|_| "phone".to_owned())),
        contact_note: Set(None),
        decided_at: Set(at(a.decided)),
        decided_on: Set(on(a.decided)),
        decision_reason: Set((a.status == Status::Rejected).then(|| "generated".to_owned())),
        withdrawn_on: Set(a.withdrawn_on),
        withdrawal_reason: Set(None),
        stage_started_at: Set(a.stage_started_at),
        closed_at: Set(a.closed_at),
        member_id: Set(a.member_id),
        anonymised_at: Set(None),
        registered_on: Set(Some(a.registered_on)),
        routed_on: Set(on(a.routed)),
        handed_over_on: Set(on(a.handed_over)),
        entered_on: Set(a.member_id.and(on(a.decided))),
        version: Set(1),
        updated_at: Set(updated_at),
        ..Default::default()
    };
    person_columns::set_on(&mut row, &a.applicant)?;
    Ok(row)
}

pub async fn insert_applications<C: ConnectionTrait>(
    db: &C,
    applications: Vec<HistoricApplication>,
) -> Result<(), RepoError> {
    let mut rows = applications
        .into_iter()
        .map(application_row)
        .collect::<Result<Vec<_>, DbErr>>()?
        .into_iter()
        .peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        Applications::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// After a bulk load: the lag rollup and the member census recomputed, fresh planner statistics and a visibility map on
/// PostgreSQL (autovacuum may be off or late), so that the first queries
/// run with the plans they will have in production. Nothing on SQLite,
/// whose planner needs no statistics for these indexes.
pub async fn settle(db: &sea_orm::DatabaseConnection) -> Result<(), RepoError> {
    // Bulk inserts bypass the repositories that keep the rollup current.
    crate::rollup::rebuild(db).await?;
    crate::integration_rollup::rebuild(db).await?;
    crate::census::rebuild(db).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(
            "VACUUM (ANALYZE) applications, members, transfers, integration_steps",
        )
        .await?;
    }
    Ok(())
}
