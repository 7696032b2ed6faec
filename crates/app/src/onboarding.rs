//! Onboarding: registering declarations, routing them, and every transition
//! of their lifecycle, each in one unit of work with its timeline events,
//! the member record it creates and the e-mails it causes; and reading them
//! with their clocks, within the reader's scope.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::{
    self as rules, Applicant, Application, Command, Contact, ContactChannel, Decision, Event,
    EventKind, IntakeChannel, Outcome, Route, State, Status, TransitionError, Verdict, transition,
};
use kartei_domain::authz::sees_state_queue;
use kartei_domain::lag::{self, Clocks, Cutoffs, Threshold};
use kartei_domain::privacy::{self, Processing};
use kartei_domain::text::{Note, Reason};
use kartei_domain::{Action, Actor, UnitPath, authorize, person};
use kartei_persistence::applications::{
    self, DuplicateCandidate, ListFilter, NewApplication, NewEvent, OverdueCutoffs, PersonKeys,
    Transition,
};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::members::{self, NewMember};
use kartei_persistence::{Page, RepoError, Tx, org_units, outbox, routing, unit_of_work};
use uuid::Uuid;

use crate::checks::Checks;
use crate::paging::PageRequest;
use crate::person_input::{self, PersonInput};
use crate::scope::{self, UnitPaths, route_to};
use crate::{App, AppError, AppResult, local_time, mail_texts};

/// An application as a reader sees it: with its clocks and deadline today,
/// and, when read on its own, its timeline, membership number and the
/// likely duplicates inside the reader's scope.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub application: Application,
    pub clocks: Option<Clocks>,
    /// From this day on an open applicant is a member by statute.
    pub objection_deadline: NaiveDate,
    pub member_by_statute: bool,
    pub membership_number: Option<String>,
    pub timeline: Option<Vec<Event>>,
    pub duplicates: Option<Vec<DuplicateCandidate>>,
}

/// The instants before which each clock has passed its level today.
pub fn overdue_cutoffs(app: &App, today: NaiveDate) -> OverdueCutoffs {
    stored(lag::cutoffs(
        &app.service_levels(),
        today,
        Threshold::Overdue,
    ))
}

/// The instants before which each clock has passed twice its level today.
pub fn escalation_cutoffs(app: &App, today: NaiveDate) -> OverdueCutoffs {
    stored(lag::cutoffs(
        &app.service_levels(),
        today,
        Threshold::Escalated,
    ))
}

fn stored(cutoffs: Cutoffs) -> OverdueCutoffs {
    OverdueCutoffs {
        handover_stage_before: cutoffs.handover_stage_before,
        first_contact_stage_before: cutoffs.first_contact_stage_before,
        received_before: cutoffs.received_before,
    }
}

pub fn clocks_of(app: &App, application: &Application, today: NaiveDate) -> Option<Clocks> {
    lag::clocks(
        application.state.status,
        application.received_on,
        local_time::local_date(application.stage_started_at),
        today,
        &app.service_levels(),
    )
}

pub fn objection_deadline(app: &App, application: &Application) -> NaiveDate {
    rules::objection_deadline(
        application.received_on,
        app.settings.admission.objection_days,
    )
}

/// The view of `application` today, without the parts read separately.
pub fn view(app: &App, application: Application) -> ApplicationView {
    let today = app.today();
    let clocks = clocks_of(app, &application, today);
    let deadline = objection_deadline(app, &application);
    let member_by_statute = rules::member_by_statute(
        application.state.status,
        application.received_on,
        app.settings.admission.objection_days,
        today,
    );
    ApplicationView {
        application,
        clocks,
        objection_deadline: deadline,
        member_by_statute,
        membership_number: None,
        timeline: None,
        duplicates: None,
    }
}

/// The full view of one application: timeline and membership number.
async fn full_view(app: &App, application: Application) -> AppResult<ApplicationView> {
    let events = applications::events(&app.db, application.id).await?;
    let member_id = application.member_id;
    let mut view = view(app, application);
    if let Some(member_id) = member_id {
        view.membership_number = Some(members::get(&app.db, member_id).await?.membership_number);
    }
    view.timeline = Some(events);
    Ok(view)
}

/// The full view of application `id` without a scope check, for the
/// member's Art. 15 export, whose caller has checked the member.
pub async fn full_view_unchecked(app: &App, id: Uuid) -> AppResult<ApplicationView> {
    let application = applications::get(&app.db, id).await?;
    full_view(app, application).await
}

/// The path that decides who sees `application`: its branch or district, or
/// the state unit while it waits in the manual queue.
pub async fn scope_path(app: &App, application: &Application) -> AppResult<UnitPath> {
    match application.holding_unit() {
        Some(unit) => scope::path_of(app, unit).await,
        None => {
            let state_unit = org_units::state_unit(&app.db).await?.map(|u| u.id);
            Ok(UnitPath::new(state_unit.into_iter().collect()))
        }
    }
}

/// Reads an application `actor` may see; anything else is 404.
async fn read_for(app: &App, actor: &Actor, id: Uuid, action: Action) -> AppResult<Application> {
    authorize(actor, action, None)?;
    let application = applications::get(&app.db, id).await?;
    let path = scope_path(app, &application).await?;
    authorize(actor, action, Some(&path))?;
    Ok(application)
}

/// One application with its timeline and the duplicates the reader may
/// learn of.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<ApplicationView> {
    let application = read_for(app, actor, id, Action::ReadApplications).await?;
    let duplicates = applications::duplicates_of(&app.db, id).await?;
    let duplicates = visible_duplicates(app, actor, duplicates).await?;
    let mut view = full_view(app, application).await?;
    view.duplicates = Some(duplicates);
    Ok(view)
}

/// What a list of applications is narrowed to.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub status: Option<Status>,
    /// A district or local branch.
    pub org_unit_id: Option<Uuid>,
    /// Only applications past a service level.
    pub overdue: bool,
    /// A name prefix or an e-mail address.
    pub q: Option<String>,
}

/// The applications `actor` may see, filtered, one keyset page.
pub async fn list(
    app: &App,
    actor: &Actor,
    query: ListQuery,
    page: &PageRequest,
) -> AppResult<Page<ApplicationView>> {
    authorize(actor, Action::ReadApplications, None)?;
    let (limit, after) = page.by_id()?;
    let Some(scope) = scope::visible_units(actor) else {
        return Ok(Page {
            items: Vec::new(),
            next_after: None,
        });
    };
    let unit = scope::requested_unit(app, query.org_unit_id).await?;
    let today = app.today();
    let filter = ListFilter {
        scope: Some(scope),
        unit,
        status: query.status,
        overdue: query.overdue.then(|| overdue_cutoffs(app, today)),
        query: query.q,
    };
    let page = applications::list(&app.db, &filter, after, limit).await?;
    Ok(page.map(|a| view(app, a)))
}

/// A declaration as the office types it in: the raw fields, checked by
/// [`register`].
#[derive(Debug, Clone)]
pub struct Declaration {
    pub received_on: NaiveDate,
    /// paper, email, online, event, phone or other
    pub channel: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub interests: Vec<String>,
    /// A district or local branch the applicant chose; wins over the postal code.
    pub preferred_org_unit_id: Option<Uuid>,
    pub notes: Option<String>,
}

/// A declaration whose every field passed its rules.
struct Registration {
    received_on: NaiveDate,
    channel: String,
    applicant: Applicant,
    preferred_org_unit_id: Option<Uuid>,
    /// The route the preferred unit gives.
    preferred_route: Option<Route>,
    notes: Option<String>,
}

/// An optional note: absent when blank, else checked.
fn optional_note(checks: &mut Checks, field: &str, raw: Option<&str>) -> Option<Option<String>> {
    checks
        .field(field, Note::optional(raw))
        .map(|note| note.map(String::from))
}

fn checks_passed<T>(value: Option<T>) -> AppResult<T> {
    value.ok_or_else(|| AppError::internal(anyhow::anyhow!("checks passed without values")))
}

async fn parse_declaration(app: &App, input: Declaration) -> AppResult<Registration> {
    let today = app.today();
    let mut checks = Checks::new();
    let received_on = checks.field(
        "received_on",
        person::not_in_future(input.received_on, today),
    );
    let channel = checks.field("channel", IntakeChannel::parse(&input.channel));
    let applicant = person_input::parse(
        &mut checks,
        &PersonInput {
            first_name: &input.first_name,
            last_name: &input.last_name,
            date_of_birth: input.date_of_birth,
            email: input.email.as_deref(),
            phone: input.phone.as_deref(),
            street: &input.street,
            postal_code: &input.postal_code,
            city: &input.city,
            interests: &input.interests,
        },
        received_on.unwrap_or(today),
    );
    let notes = optional_note(&mut checks, "notes", input.notes.as_deref());
    let preferred_route = match input.preferred_org_unit_id {
        Some(unit) => match route_to(app, unit).await? {
            Some(route) => Some(route),
            None => {
                checks.fail(
                    "preferred_org_unit_id",
                    "must be a district or a local branch",
                );
                None
            }
        },
        None => None,
    };
    checks.finish()?;
    Ok(Registration {
        received_on: checks_passed(received_on)?,
        channel: checks_passed(channel)?.as_str().to_owned(),
        applicant: checks_passed(applicant)?,
        preferred_org_unit_id: input.preferred_org_unit_id,
        preferred_route,
        notes: checks_passed(notes)?,
    })
}

/// Registers a declaration and routes it: to the applicant's chosen unit,
/// else by postal code, else into the state office's queue. Answers the
/// new application with the likely duplicates `actor` may learn of.
pub async fn register(app: &App, actor: &Actor, input: Declaration) -> AppResult<ApplicationView> {
    authorize(actor, Action::RegisterApplication, None)?;
    let registration = parse_declaration(app, input).await?;
    let route = match registration.preferred_route {
        Some(route) => Some(route),
        None => match routing::resolve(&app.db, &registration.applicant.postal_code).await? {
            Some(unit) => route_to(app, unit).await?,
            None => None,
        },
    };
    let routed_by = if registration.preferred_route.is_some() {
        "preferred_org_unit"
    } else {
        "postal_code"
    };
    let now = app.now();
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
    let Outcome::Changed { next, events } =
        transition(&received, &command, local_time::local_date(now)).map_err(transition_error)?
    else {
        return Err(AppError::internal(anyhow::anyhow!(
            "a new application did not move"
        )));
    };
    let id = Uuid::now_v7();
    // Read before the write: once committed, the answer must not turn into
    // an error (a client would register the declaration again).
    let duplicates = applications::find_duplicates(&app.db, &keys, date_of_birth, id).await?;
    let visible = visible_duplicates(app, actor, duplicates.clone()).await?;
    let data = match next.route {
        Some(route) => serde_json::json!({
            "district_id": route.district_id,
            "local_id": route.local_id,
            "by": routed_by,
        }),
        None => serde_json::json!({ "reason": "no routing rule for the postal code" }),
    };
    let events = events
        .into_iter()
        .map(|kind| NewEvent {
            kind,
            from: Some(Status::Received),
            to: next.status,
            data: data.clone(),
        })
        .collect();
    let application = unit_of_work(&app.db, async |txn: &Tx| -> AppResult<Application> {
        let application = applications::insert(
            txn,
            NewApplication {
                id,
                received_on: registration.received_on,
                channel: registration.channel,
                applicant: registration.applicant,
                preferred_org_unit_id: registration.preferred_org_unit_id,
                notes: registration.notes,
                status: next.status,
                route: next.route,
                registered_by: actor.user_id,
                events,
            },
            now,
        )
        .await?;
        applications::record_duplicates(txn, application.id, &duplicates).await?;
        notify(app, txn, &application, &next, false).await?;
        Ok(application)
    })
    .await?;
    let mut view = view(app, application);
    view.duplicates = Some(visible);
    Ok(view)
}

/// The likely duplicates `actor` may learn of: those held inside its scope.
/// The others stay recorded on the application for the state office and
/// are never named, hinted at or counted to anyone else.
pub async fn visible_duplicates(
    app: &App,
    actor: &Actor,
    candidates: Vec<DuplicateCandidate>,
) -> AppResult<Vec<DuplicateCandidate>> {
    let mut paths = UnitPaths::new(app);
    let mut visible = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let action = match candidate.kind {
            "member" => Action::ReadMembers,
            _ => Action::ReadApplications,
        };
        let sees = match candidate.local_id.or(candidate.district_id) {
            Some(unit) => match paths.of(unit).await {
                Ok(path) => authorize(actor, action, Some(&path)).is_ok(),
                Err(AppError::NotFound) => false,
                Err(err) => return Err(err),
            },
            // In the manual queue: held by the state level.
            None => sees_state_queue(actor),
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

pub fn transition_error(err: TransitionError) -> AppError {
    match err {
        TransitionError::NotAllowed { .. } | TransitionError::ContactMissing => {
            AppError::Conflict(err.to_string())
        }
        TransitionError::InvalidDate { field, message } => AppError::invalid(field, message),
    }
}

/// Route by hand (the state office's manual queue, or before hand-over).
pub async fn route(
    app: &App,
    actor: &Actor,
    id: Uuid,
    org_unit_id: Uuid,
) -> AppResult<ApplicationView> {
    authorize(actor, Action::RouteApplication, None)?;
    let route = scope::required_route(app, "org_unit_id", org_unit_id).await?;
    apply(app, actor, id, Command::Route(route)).await
}

/// The district confirms it has taken the application over.
pub async fn confirm_handover(app: &App, actor: &Actor, id: Uuid) -> AppResult<ApplicationView> {
    apply(app, actor, id, Command::ConfirmHandover).await
}

/// Sending an application back: why, and to whom (none: the state office).
#[derive(Debug, Clone)]
pub struct Reroute {
    pub reason: String,
    pub org_unit_id: Option<Uuid>,
}

pub async fn reroute(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: Reroute,
) -> AppResult<ApplicationView> {
    authorize(actor, Action::RerouteApplication, None)?;
    let mut checks = Checks::new();
    let reason = checks.field("reason", Reason::parse(&input.reason));
    let to = match input.org_unit_id {
        Some(unit) => match route_to(app, unit).await? {
            Some(route) => Some(route),
            None => {
                checks.fail("org_unit_id", "must be a district or a local branch");
                None
            }
        },
        None => None,
    };
    checks.finish()?;
    let reason = checks_passed(reason)?.into();
    apply(app, actor, id, Command::Reroute { to, reason }).await
}

/// A first contact as recorded: the day, how, and an optional note.
#[derive(Debug, Clone)]
pub struct ContactInput {
    pub contacted_on: NaiveDate,
    /// phone, email, in_person, letter, video or other
    pub channel: String,
    pub note: Option<String>,
}

fn parse_contact(checks: &mut Checks, prefix: &str, input: ContactInput) -> Option<Contact> {
    let channel = checks.field(
        &format!("{prefix}channel"),
        ContactChannel::parse(&input.channel),
    );
    let note = optional_note(checks, &format!("{prefix}note"), input.note.as_deref());
    Some(Contact {
        contacted_on: input.contacted_on,
        channel: channel?.as_str().to_owned(),
        note: note?,
    })
}

pub async fn record_contact(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: ContactInput,
) -> AppResult<ApplicationView> {
    authorize(actor, Action::RecordContact, None)?;
    let mut checks = Checks::new();
    let contact = parse_contact(&mut checks, "", input);
    checks.finish()?;
    apply(
        app,
        actor,
        id,
        Command::RecordContact(checks_passed(contact)?),
    )
    .await
}

/// Admission or rejection, with the first contact when it is recorded
/// together with the decision.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub verdict: Verdict,
    pub decided_on: NaiveDate,
    /// Required when rejecting.
    pub reason: Option<String>,
    pub contact: Option<ContactInput>,
}

/// Admit (creates the member record with a new membership number) or reject.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: DecisionInput,
) -> AppResult<ApplicationView> {
    authorize(actor, Action::DecideApplication, None)?;
    let mut checks = Checks::new();
    let reason = checks.field(
        "reason",
        rules::decision_reason(input.verdict, input.reason.as_deref()),
    );
    let contact = input
        .contact
        .map(|contact| parse_contact(&mut checks, "contact.", contact));
    checks.finish()?;
    let command = Command::Decide {
        decision: Decision {
            verdict: input.verdict,
            decided_on: input.decided_on,
            reason: reason.flatten().map(String::from),
        },
        contact: contact.flatten(),
    };
    apply(app, actor, id, command).await
}

#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub withdrawn_on: NaiveDate,
    pub reason: Option<String>,
}

/// The applicant withdrew the declaration.
pub async fn withdraw(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: Withdrawal,
) -> AppResult<ApplicationView> {
    authorize(actor, Action::WithdrawApplication, None)?;
    let mut checks = Checks::new();
    let reason = checks.field("reason", Reason::optional(input.reason.as_deref()));
    checks.finish()?;
    let command = Command::Withdraw {
        withdrawn_on: input.withdrawn_on,
        reason: reason.flatten().map(String::from),
    };
    apply(app, actor, id, command).await
}

/// Everything kartei stores about an applicant (GDPR Art. 15), with the
/// processing it is subject to.
#[derive(Debug, Clone)]
pub struct ApplicantExport {
    pub exported_at: DateTime<Utc>,
    pub application: ApplicationView,
    pub processing: Processing,
}

/// The Art. 15 export of an applicant; recorded in the audit trail before
/// it is handed out, so an export that happened is never missing.
pub async fn export(app: &App, actor: &Actor, id: Uuid) -> AppResult<ApplicantExport> {
    let application = read_for(app, actor, id, Action::ExportApplicant).await?;
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        audit::record(
            txn,
            AuditEntry {
                actor_id: Some(actor.user_id),
                action: "application_exported",
                subject_type: "application",
                subject_id: Some(id),
                details: serde_json::json!({}),
            },
            now,
        )
        .await?;
        Ok(())
    })
    .await?;
    let processing = privacy::of_application(
        &application,
        scope::state_unit_id(app).await?,
        app.settings.retention.days_after_closing,
    );
    Ok(ApplicantExport {
        exported_at: now,
        application: full_view(app, application).await?,
        processing,
    })
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

/// Applies `command` to application `id` as `actor`. A repeat of what
/// already happened answers the current state and records nothing; a
/// concurrent change is detected by the version and the command re-decided
/// on the fresh state.
async fn apply(app: &App, actor: &Actor, id: Uuid, command: Command) -> AppResult<ApplicationView> {
    const ATTEMPTS: usize = 5;
    for _ in 0..ATTEMPTS {
        let application = applications::get(&app.db, id).await?;
        let path = scope_path(app, &application).await?;
        // The role first (403), then the scope (404, as if it did not exist).
        authorize(actor, action_for(&command), Some(&path))?;
        let now = app.now();
        let outcome = transition(&application.state, &command, local_time::local_date(now))
            .map_err(transition_error)?;
        let Outcome::Changed { next, events } = outcome else {
            return full_view(app, application).await;
        };
        match save_transition(app, actor, &application, &command, next, events).await {
            Err(AppError::Stale) => continue,
            Err(err) => return Err(err),
            Ok(()) => return full_view(app, applications::get(&app.db, id).await?).await,
        }
    }
    Err(AppError::Conflict(
        "The application is being changed by others; try again.".into(),
    ))
}

async fn save_transition(
    app: &App,
    actor: &Actor,
    application: &Application,
    command: &Command,
    next: State,
    events: Vec<EventKind>,
) -> AppResult<()> {
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        let member = match (&next.status, &next.route, &next.decision) {
            (Status::Admitted, Some(route), Some(decision)) => {
                let number = members::next_membership_number(txn).await?;
                let member = members::insert(
                    txn,
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
                // A new member is owed the integration steps from the day
                // of entry, by whoever holds the member.
                kartei_persistence::integration::open(
                    txn,
                    member.id,
                    local_time::local_date(member.entered_at),
                    &app.settings.integration.plan().names(),
                )
                .await?;
                Some(member)
            }
            _ => None,
        };
        let data = event_data(
            command,
            member
                .as_ref()
                .map(|m| (m.id, m.membership_number.as_str())),
        );
        let mut from = application.state.status;
        let events = events
            .iter()
            .map(|&kind| {
                let to = match kind {
                    EventKind::ContactRecorded if next.status != Status::Contacted => {
                        Status::Contacted
                    }
                    _ => next.status,
                };
                let data = match (kind, command, &next.contact) {
                    (EventKind::ContactRecorded, Command::Decide { .. }, Some(contact)) => {
                        event_data(&Command::RecordContact(contact.clone()), None)
                    }
                    _ => data.clone(),
                };
                let event = NewEvent {
                    kind,
                    from: Some(from),
                    to,
                    data,
                };
                from = to;
                event
            })
            .collect();
        applications::save_transition(
            txn,
            Transition {
                current: application,
                next: &next,
                events,
                actor_id: Some(actor.user_id),
                withdrawal_reason: match command {
                    Command::Withdraw { reason, .. } => reason.clone(),
                    _ => None,
                },
                member_id: member.as_ref().map(|m| m.id),
            },
            now,
        )
        .await?;
        let sent_back = matches!(command, Command::Reroute { to: None, .. });
        let moved = next.route != application.state.route || next.status == Status::Unroutable;
        if moved {
            notify(app, txn, application, &next, sent_back).await?;
        }
        Ok(())
    })
    .await
}

/// Queues the e-mails a routing causes: to the district and branch it went
/// to, or to the state office when it landed in the manual queue.
async fn notify(
    app: &App,
    txn: &Tx,
    application: &Application,
    next: &State,
    sent_back: bool,
) -> Result<(), RepoError> {
    let now = app.now();
    let links = mail_texts::Links::new(&app.settings.server.public_url);
    match next.route {
        Some(route) => {
            for unit_id in std::iter::once(route.district_id).chain(route.local_id) {
                let unit = org_units::get(txn, unit_id).await?;
                let Some(email) = unit.email else {
                    tracing::warn!(org_unit_id = %unit_id, "routing mail skipped: the unit has no e-mail address");
                    continue;
                };
                let mail = mail_texts::application_routed(
                    &links,
                    email.to_string(),
                    &unit.name,
                    application.id,
                    application.received_on,
                    app.settings.service_levels.handover_days,
                );
                outbox::enqueue(txn, mail, now).await?;
            }
        }
        None => {
            let state_unit = org_units::state_unit(txn).await?;
            match state_unit.and_then(|u| u.email) {
                Some(email) => {
                    let mail = mail_texts::application_needs_routing(
                        &links,
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
