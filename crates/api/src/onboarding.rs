//! Onboarding: registering declarations, routing them, and every transition
//! of their lifecycle, each in one transaction with its timeline events, the
//! member record it creates and the e-mails it causes.

use chrono::NaiveDate;
use kartei_domain::application::{
    Applicant, Application, Command, EventKind, Outcome, Route, State, Status, TransitionError,
    transition,
};
use kartei_domain::authz::{Scope, visible_scope};
use kartei_domain::lag::{self, Clocks, ServiceLevels};
use kartei_domain::{Action, OrgUnitKind, UnitPath, authorize};
use kartei_persistence::applications::{
    self, DuplicateCandidate, NewApplication, OverdueCutoffs, PersonKeys,
};
use kartei_persistence::members::{self, NewMember};
use kartei_persistence::{
    DatabaseTransaction, RepoError, TransactionTrait, org_units, outbox, routing,
};
use uuid::Uuid;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::local_time;
use crate::mail::templates;
use crate::members::UnitPaths;
use crate::state::AppState;

pub fn service_levels(state: &AppState) -> ServiceLevels {
    let levels = &state.settings.service_levels;
    ServiceLevels {
        handover_days: levels.handover_days,
        first_contact_days: levels.first_contact_days,
        entered_days: levels.entered_days,
    }
}

/// The instants before which each clock has passed its level today.
pub fn overdue_cutoffs(state: &AppState, today: NaiveDate) -> OverdueCutoffs {
    cutoffs_at(state, today, 1)
}

/// The instants before which each clock has passed twice its level today.
pub fn escalation_cutoffs(state: &AppState, today: NaiveDate) -> OverdueCutoffs {
    cutoffs_at(state, today, 2)
}

fn cutoffs_at(state: &AppState, today: NaiveDate, factor: u32) -> OverdueCutoffs {
    let levels = service_levels(state);
    let days_before = |days: u32| {
        today
            .checked_sub_days(chrono::Days::new(u64::from(days) * u64::from(factor)))
            .unwrap_or(NaiveDate::MIN)
    };
    OverdueCutoffs {
        handover_stage_before: local_time::start_of_day(days_before(levels.handover_days)),
        first_contact_stage_before: local_time::start_of_day(days_before(
            levels.first_contact_days,
        )),
        received_before: days_before(levels.entered_days),
    }
}

pub fn clocks_of(state: &AppState, application: &Application, today: NaiveDate) -> Option<Clocks> {
    lag::clocks(
        application.state.status,
        application.received_on,
        local_time::local_date(application.stage_started_at),
        today,
        &service_levels(state),
    )
}

pub fn objection_deadline(state: &AppState, application: &Application) -> NaiveDate {
    lag::objection_deadline(
        application.received_on,
        state.settings.admission.objection_days,
    )
}

/// The path that decides who sees `application`: its branch or district, or
/// the state unit while it waits in the manual queue.
pub async fn scope_path(state: &AppState, application: &Application) -> Result<UnitPath, ApiError> {
    match application.holding_unit() {
        Some(unit) => Ok(org_units::path_of(&state.db, unit).await?),
        None => {
            let state_unit = org_units::state_unit(&state.db).await?.map(|u| u.id);
            Ok(UnitPath::new(state_unit.into_iter().collect()))
        }
    }
}

/// Reads an application the caller may see; anything else is 404.
pub async fn read(state: &AppState, staff: &Staff, id: Uuid) -> Result<Application, ApiError> {
    let application = applications::get(&state.db, id).await?;
    let path = scope_path(state, &application).await?;
    authorize(&staff.actor(), Action::ReadApplications, Some(&path))?;
    Ok(application)
}

/// Turns a unit into a route: a district, or a branch with its district.
pub async fn route_to(state: &AppState, unit_id: Uuid) -> Result<Option<Route>, ApiError> {
    let unit = match org_units::get(&state.db, unit_id).await {
        Ok(unit) => unit,
        Err(RepoError::NotFound) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    Ok(match (unit.kind, unit.parent_id) {
        (OrgUnitKind::District, _) => Some(Route {
            district_id: unit.id,
            local_id: None,
        }),
        (OrgUnitKind::Local, Some(district_id)) => Some(Route {
            district_id,
            local_id: Some(unit.id),
        }),
        _ => None,
    })
}

pub struct Registration {
    pub received_on: NaiveDate,
    pub channel: String,
    pub applicant: Applicant,
    pub preferred_org_unit_id: Option<Uuid>,
    /// The route the preferred unit gives, checked by the caller.
    pub preferred_route: Option<Route>,
    pub notes: Option<String>,
}

/// Registers a declaration and routes it: to the applicant's chosen unit,
/// else by postal code, else into the state office's queue.
pub async fn register(
    state: &AppState,
    staff: &Staff,
    registration: Registration,
) -> Result<(Application, Vec<DuplicateCandidate>), ApiError> {
    let route = match registration.preferred_route {
        Some(route) => Some(route),
        None => match routing::resolve(&state.db, &registration.applicant.postal_code).await? {
            Some(unit) => route_to(state, unit).await?,
            None => None,
        },
    };
    let routed_by = if registration.preferred_route.is_some() {
        "preferred_org_unit"
    } else {
        "postal_code"
    };
    let now = state.clock.now();
    let keys = PersonKeys::of(&registration.applicant);
    let date_of_birth = registration.applicant.date_of_birth;
    let command = match route {
        Some(route) => Command::Route(route),
        None => Command::NoRoute,
    };
    let received = State {
        status: Status::Received,
        received_on: registration.received_on,
        route: None,
        contact: None,
        decision: None,
        withdrawn_on: None,
    };
    let today = local_time::local_date(now);
    let Outcome::Changed { next, events } =
        transition(&received, &command, today).map_err(transition_error)?
    else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a new application did not move"
        )));
    };
    let id = Uuid::now_v7();
    // Read before the write: once committed, the answer must not turn into
    // an error (a client would register the declaration again).
    let duplicates = applications::find_duplicates(&state.db, &keys, date_of_birth, id).await?;
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    let application = applications::insert(
        &txn,
        NewApplication {
            id,
            received_on: registration.received_on,
            channel: registration.channel,
            applicant: registration.applicant,
            preferred_org_unit_id: registration.preferred_org_unit_id,
            notes: registration.notes,
            status: next.status,
            route: next.route,
            registered_by: staff.0.id,
        },
        now,
    )
    .await?;
    for event in events {
        let data = match next.route {
            Some(route) => serde_json::json!({
                "district_id": route.district_id,
                "local_id": route.local_id,
                "by": routed_by,
            }),
            None => serde_json::json!({ "reason": "no routing rule for the postal code" }),
        };
        applications::record_event(
            &txn,
            application.id,
            event.as_str(),
            Some(Status::Received),
            next.status,
            Some(staff.0.id),
            now,
            data,
        )
        .await?;
    }
    applications::record_duplicates(&txn, application.id, &duplicates).await?;
    notify(state, &txn, &application, &next, false).await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok((application, duplicates))
}

/// The likely duplicates `staff` may learn of: those held inside its scope.
/// The others stay recorded on the application for the state office and
/// are never named, hinted at or counted to anyone else.
pub async fn visible_duplicates(
    state: &AppState,
    staff: &Staff,
    candidates: Vec<DuplicateCandidate>,
) -> Result<Vec<DuplicateCandidate>, ApiError> {
    let actor = staff.actor();
    let mut paths = UnitPaths::new(state);
    let mut visible = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let action = match candidate.kind {
            "member" => Action::ReadMembers,
            _ => Action::ReadApplications,
        };
        let sees = match candidate.local_id.or(candidate.district_id) {
            Some(unit) => match paths.of(unit).await {
                Ok(path) => authorize(&actor, action, Some(&path)).is_ok(),
                Err(ApiError::NotFound) => false,
                Err(err) => return Err(err),
            },
            // In the manual queue: held by the state level.
            None => visible_scope(&actor) == Scope::Everything,
        };
        if sees {
            visible.push(candidate);
        }
    }
    Ok(visible)
}

fn action_for(command: &Command) -> Action {
    match command {
        Command::NoRoute | Command::Route(_) => Action::RouteApplication,
        Command::ConfirmHandover => Action::ConfirmHandover,
        Command::Reroute { .. } => Action::RerouteApplication,
        Command::RecordContact(_) => Action::RecordContact,
        Command::Decide { .. } => Action::DecideApplication,
        Command::Withdraw { .. } => Action::WithdrawApplication,
    }
}

pub fn transition_error(err: TransitionError) -> ApiError {
    match err {
        TransitionError::NotAllowed { .. } | TransitionError::ContactMissing => {
            ApiError::Conflict(err.to_string())
        }
        TransitionError::InvalidDate { field, message } => ApiError::validation(field, message),
    }
}

/// The data a transition records in the timeline.
fn event_data(command: &Command, member: Option<(Uuid, &str)>) -> serde_json::Value {
    match command {
        Command::NoRoute => serde_json::json!({}),
        Command::Route(route) => {
            serde_json::json!({ "district_id": route.district_id, "local_id": route.local_id, "by": "manual" })
        }
        Command::ConfirmHandover => serde_json::json!({}),
        Command::Reroute { to, reason } => serde_json::json!({
            "reason": reason,
            "district_id": to.map(|r| r.district_id),
            "local_id": to.and_then(|r| r.local_id),
        }),
        Command::RecordContact(contact) => serde_json::json!({
            "contacted_on": contact.contacted_on,
            "channel": contact.channel,
            "note": contact.note,
        }),
        Command::Decide { decision, .. } => serde_json::json!({
            "decision": decision.verdict.as_str(),
            "decided_on": decision.decided_on,
            "reason": decision.reason,
            "member_id": member.map(|(id, _)| id),
            "membership_number": member.map(|(_, number)| number),
        }),
        Command::Withdraw {
            withdrawn_on,
            reason,
        } => serde_json::json!({
            "withdrawn_on": withdrawn_on,
            "reason": reason,
        }),
    }
}

/// Applies `command` to application `id` as `staff`. A repeat of what
/// already happened answers the current state and records nothing; a
/// concurrent change is detected by the version and the command re-decided
/// on the fresh state.
pub async fn apply(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    command: Command,
) -> Result<Application, ApiError> {
    const ATTEMPTS: usize = 5;
    for _ in 0..ATTEMPTS {
        let application = applications::get(&state.db, id).await?;
        let path = scope_path(state, &application).await?;
        // The role first (403), then the scope (404, as if it did not exist).
        authorize(&staff.actor(), action_for(&command), Some(&path))?;
        let now = state.clock.now();
        let outcome = transition(&application.state, &command, local_time::local_date(now))
            .map_err(transition_error)?;
        let Outcome::Changed { next, events } = outcome else {
            return Ok(application);
        };
        match save_transition(state, staff, &application, &command, next, events).await {
            Err(ApiError::PreconditionFailed) => continue,
            Err(err) => return Err(err),
            Ok(()) => return Ok(applications::get(&state.db, id).await?),
        }
    }
    Err(ApiError::Conflict(
        "The application is being changed by others; try again.".into(),
    ))
}

async fn save_transition(
    state: &AppState,
    staff: &Staff,
    application: &Application,
    command: &Command,
    next: State,
    events: Vec<EventKind>,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    let member = match (&next.status, &next.route, &next.decision) {
        (Status::Admitted, Some(route), Some(decision)) => {
            let number = members::next_membership_number(&txn).await?;
            let member = members::insert(
                &txn,
                NewMember {
                    id: Uuid::now_v7(),
                    membership_number: number,
                    person: application.applicant.clone(),
                    district_id: route.district_id,
                    local_id: route.local_id,
                    received_on: application.received_on,
                    joined_on: decision.decided_on,
                    application_id: Some(application.id),
                    consents: Default::default(),
                    source: kartei_domain::member::EntrySource::Application,
                },
                now,
            )
            .await?;
            Some(member)
        }
        _ => None,
    };
    let withdrawal_reason = match command {
        Command::Withdraw { reason, .. } => reason.clone(),
        _ => None,
    };
    match applications::save_state(
        &txn,
        application,
        &next,
        withdrawal_reason,
        member.as_ref().map(|m| m.id),
        now,
    )
    .await
    {
        Err(RepoError::StaleVersion) => return Err(ApiError::PreconditionFailed),
        other => other?,
    }
    let data = event_data(
        command,
        member
            .as_ref()
            .map(|m| (m.id, m.membership_number.as_str())),
    );
    let mut from = application.state.status;
    for event in &events {
        let to = match event {
            EventKind::ContactRecorded if next.status != Status::Contacted => Status::Contacted,
            _ => next.status,
        };
        let event_data = match event {
            EventKind::ContactRecorded => match (command, &next.contact) {
                (Command::Decide { .. }, Some(contact)) => {
                    event_data(&Command::RecordContact(contact.clone()), None)
                }
                _ => data.clone(),
            },
            _ => data.clone(),
        };
        applications::record_event(
            &txn,
            application.id,
            event.as_str(),
            Some(from),
            to,
            Some(staff.0.id),
            now,
            event_data,
        )
        .await?;
        from = to;
    }
    let sent_back = matches!(command, Command::Reroute { to: None, .. });
    let moved = next.route != application.state.route || next.status == Status::Unroutable;
    if moved {
        notify(state, &txn, application, &next, sent_back).await?;
    }
    txn.commit().await.map_err(RepoError::from)?;
    Ok(())
}

/// Queues the e-mails a routing causes: to the district and branch it went
/// to, or to the state office when it landed in the manual queue.
async fn notify(
    state: &AppState,
    txn: &DatabaseTransaction,
    application: &Application,
    next: &State,
    sent_back: bool,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    match next.route {
        Some(route) => {
            for unit_id in std::iter::once(route.district_id).chain(route.local_id) {
                let unit = org_units::get(txn, unit_id).await?;
                let Some(email) = unit.email else {
                    tracing::warn!(org_unit_id = %unit_id, "routing mail skipped: the unit has no e-mail address");
                    continue;
                };
                let mail = templates::application_routed(
                    email.to_string(),
                    &unit.name,
                    application.id,
                    application.received_on,
                    state.settings.service_levels.handover_days,
                );
                outbox::enqueue(txn, mail, now).await?;
            }
        }
        None => {
            let state_unit = org_units::state_unit(txn).await?;
            match state_unit.and_then(|u| u.email) {
                Some(email) => {
                    let mail = templates::application_needs_routing(
                        email.to_string(),
                        application.id,
                        application.received_on,
                        sent_back,
                    );
                    outbox::enqueue(txn, mail, now).await?;
                }
                None => tracing::warn!("queue mail skipped: the state unit has no e-mail address"),
            }
        }
    }
    Ok(())
}
