//! The life of a membership declaration, from the state office's inbox to an
//! entered member, as a pure state machine: [`transition`] takes the current
//! state, a command and today's date, and answers the next state with the
//! event to record, "nothing to do" for a repeat, or why not.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use uuid::Uuid;

pub mod channel;

pub use channel::{ContactChannel, IntakeChannel, UnknownChannel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Received,
    Unroutable,
    Routed,
    HandedOver,
    Contacted,
    Admitted,
    Rejected,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Received,
        Status::Unroutable,
        Status::Routed,
        Status::HandedOver,
        Status::Contacted,
        Status::Admitted,
        Status::Rejected,
        Status::Withdrawn,
    ];

    /// The states in which a declaration still waits for someone.
    pub const OPEN: [Status; 5] = [
        Status::Received,
        Status::Unroutable,
        Status::Routed,
        Status::HandedOver,
        Status::Contacted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Unroutable => "unroutable",
            Status::Routed => "routed",
            Status::HandedOver => "handed_over",
            Status::Contacted => "contacted",
            Status::Admitted => "admitted",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn is_open(self) -> bool {
        Status::OPEN.contains(&self)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown application status")]
pub struct UnknownStatus;

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or(UnknownStatus)
    }
}

/// Where a declaration is routed: a district, and a local branch of it where
/// the routing table or the applicant names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub district_id: Uuid,
    pub local_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub contacted_on: NaiveDate,
    pub channel: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Admitted,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Admitted => "admitted",
            Verdict::Rejected => "rejected",
        }
    }

    fn status(self) -> Status {
        match self {
            Verdict::Admitted => Status::Admitted,
            Verdict::Rejected => Status::Rejected,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub decided_on: NaiveDate,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionReasonError {
    #[error("{0}")]
    Text(#[from] crate::text::TextError),
    /// The onboarding flow records a rejection with its reason: whoever
    /// reads the declaration later (the applicant's Art. 15 export
    /// included) must learn why it was turned down.
    #[error("a rejection needs a reason")]
    Missing,
}

/// The reason of a decision as typed (absent or blank counts as none):
/// optional for an admission, required for a rejection.
pub fn decision_reason(
    verdict: Verdict,
    raw: Option<&str>,
) -> Result<Option<crate::text::Reason>, DecisionReasonError> {
    match (crate::text::Reason::optional(raw)?, verdict) {
        (None, Verdict::Rejected) => Err(DecisionReasonError::Missing),
        (reason, _) => Ok(reason),
    }
}

/// What the state machine needs to know of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: Status,
    pub received_on: NaiveDate,
    pub route: Option<Route>,
    pub contact: Option<Contact>,
    pub decision: Option<Decision>,
    pub withdrawn_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// No routing rule covers the postal code: into the state office's queue.
    NoRoute,
    /// The state office routes by hand (from the manual queue, or to another
    /// unit before the hand-over).
    Route(Route),
    ConfirmHandover,
    /// The district sends it back: to the state office's queue, or straight
    /// to another unit.
    Reroute {
        to: Option<Route>,
        reason: String,
    },
    RecordContact(Contact),
    /// A decision; `contact` records the first contact together with it.
    Decide {
        decision: Decision,
        contact: Option<Contact>,
    },
    Withdraw {
        withdrawn_on: NaiveDate,
        reason: Option<String>,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::NoRoute => "no_route",
            Command::Route(_) => "route",
            Command::ConfirmHandover => "handover",
            Command::Reroute { .. } => "reroute",
            Command::RecordContact(_) => "contact",
            Command::Decide { .. } => "decision",
            Command::Withdraw { .. } => "withdrawal",
        }
    }
}

/// What happened, as recorded in the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Registered,
    Routed,
    Unroutable,
    HandoverConfirmed,
    Rerouted,
    ContactRecorded,
    Admitted,
    Rejected,
    Withdrawn,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Registered => "registered",
            EventKind::Routed => "routed",
            EventKind::Unroutable => "unroutable",
            EventKind::HandoverConfirmed => "handover_confirmed",
            EventKind::Rerouted => "rerouted",
            EventKind::ContactRecorded => "contact_recorded",
            EventKind::Admitted => "admitted",
            EventKind::Rejected => "rejected",
            EventKind::Withdrawn => "withdrawn",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Move to `next` and record `events`, in order.
    Changed { next: State, events: Vec<EventKind> },
    /// The same transition happened before: answer the current state.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("an application that is {status} cannot take a {command}")]
    NotAllowed {
        status: Status,
        command: &'static str,
    },
    /// Admission straight from hand-over needs the first contact recorded
    /// with it: nobody is decided on whom nobody has spoken to.
    #[error("the first contact must be recorded before or together with the decision")]
    ContactMissing,
    #[error("{field}: {message}")]
    InvalidDate {
        field: &'static str,
        message: &'static str,
    },
}

/// The heart of onboarding. Pure: no clock, no database.
pub fn transition(
    state: &State,
    command: &Command,
    today: NaiveDate,
) -> Result<Outcome, TransitionError> {
    use Status::*;
    let not_allowed = || TransitionError::NotAllowed {
        status: state.status,
        command: command.name(),
    };
    let changed = |next: State, events: Vec<EventKind>| Ok(Outcome::Changed { next, events });

    match command {
        Command::NoRoute => match state.status {
            Received => changed(
                State {
                    status: Unroutable,
                    ..state.clone()
                },
                vec![EventKind::Unroutable],
            ),
            Unroutable => Ok(Outcome::Unchanged),
            _ => Err(not_allowed()),
        },
        Command::Route(route) => match state.status {
            Received | Unroutable => changed(
                State {
                    status: Routed,
                    route: Some(*route),
                    ..state.clone()
                },
                vec![EventKind::Routed],
            ),
            Routed if state.route == Some(*route) => Ok(Outcome::Unchanged),
            Routed => changed(
                State {
                    route: Some(*route),
                    ..state.clone()
                },
                vec![EventKind::Routed],
            ),
            _ => Err(not_allowed()),
        },
        Command::ConfirmHandover => match state.status {
            Routed => changed(
                State {
                    status: HandedOver,
                    ..state.clone()
                },
                vec![EventKind::HandoverConfirmed],
            ),
            HandedOver => Ok(Outcome::Unchanged),
            _ => Err(not_allowed()),
        },
        Command::Reroute { to, .. } => match (state.status, to) {
            (Routed | HandedOver, None) => changed(
                State {
                    status: Unroutable,
                    route: None,
                    ..state.clone()
                },
                vec![EventKind::Rerouted],
            ),
            (Routed | HandedOver, Some(route)) if state.route == Some(*route) => Err(not_allowed()),
            (Routed | HandedOver, Some(route)) => changed(
                State {
                    status: Routed,
                    route: Some(*route),
                    ..state.clone()
                },
                vec![EventKind::Rerouted],
            ),
            (Unroutable, None) => Ok(Outcome::Unchanged),
            _ => Err(not_allowed()),
        },
        Command::RecordContact(contact) => {
            check_date(
                contact.contacted_on,
                "contacted_on",
                state.received_on,
                today,
            )?;
            match state.status {
                HandedOver => changed(
                    State {
                        status: Contacted,
                        contact: Some(contact.clone()),
                        ..state.clone()
                    },
                    vec![EventKind::ContactRecorded],
                ),
                Contacted if state.contact.as_ref() == Some(contact) => Ok(Outcome::Unchanged),
                _ => Err(not_allowed()),
            }
        }
        Command::Decide { decision, contact } => {
            let earliest = state
                .contact
                .as_ref()
                .or(contact.as_ref())
                .map_or(state.received_on, |c| c.contacted_on);
            if let Some(contact) = contact {
                check_date(
                    contact.contacted_on,
                    "contacted_on",
                    state.received_on,
                    today,
                )?;
            }
            check_date(decision.decided_on, "decided_on", earliest, today)?;
            let mut events = Vec::with_capacity(2);
            let contact = match (state.status, contact) {
                (HandedOver, Some(contact)) => {
                    events.push(EventKind::ContactRecorded);
                    Some(contact.clone())
                }
                (HandedOver, None) => return Err(TransitionError::ContactMissing),
                (Contacted, _) => state.contact.clone(),
                (Admitted | Rejected, _)
                    if state.decision.as_ref().map(|d| (d.verdict, d.decided_on))
                        == Some((decision.verdict, decision.decided_on)) =>
                {
                    return Ok(Outcome::Unchanged);
                }
                _ => return Err(not_allowed()),
            };
            events.push(match decision.verdict {
                Verdict::Admitted => EventKind::Admitted,
                Verdict::Rejected => EventKind::Rejected,
            });
            changed(
                State {
                    status: decision.verdict.status(),
                    contact,
                    decision: Some(decision.clone()),
                    ..state.clone()
                },
                events,
            )
        }
        Command::Withdraw { withdrawn_on, .. } => {
            check_date(*withdrawn_on, "withdrawn_on", state.received_on, today)?;
            match state.status {
                status if status.is_open() => changed(
                    State {
                        status: Withdrawn,
                        withdrawn_on: Some(*withdrawn_on),
                        ..state.clone()
                    },
                    vec![EventKind::Withdrawn],
                ),
                Withdrawn if state.withdrawn_on == Some(*withdrawn_on) => Ok(Outcome::Unchanged),
                _ => Err(not_allowed()),
            }
        }
    }
}

/// The day from which a declaration makes its applicant a member by
/// statute unless the district objects: `objection_days` after receipt.
pub fn objection_deadline(received_on: NaiveDate, objection_days: u32) -> NaiveDate {
    received_on
        .checked_add_days(chrono::Days::new(u64::from(objection_days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Whether the applicant is a member by statute on `today`: the
/// declaration is still open and the objection deadline has passed. A
/// decided or withdrawn declaration is no longer waiting for anyone, so
/// the statute has nothing to say about it.
pub fn member_by_statute(
    status: Status,
    received_on: NaiveDate,
    objection_days: u32,
    today: NaiveDate,
) -> bool {
    status.is_open() && today > objection_deadline(received_on, objection_days)
}

/// A date of a step: not before `earliest`, not after today.
fn check_date(
    date: NaiveDate,
    field: &'static str,
    earliest: NaiveDate,
    today: NaiveDate,
) -> Result<(), TransitionError> {
    if date > today {
        Err(TransitionError::InvalidDate {
            field,
            message: "must not be in the future",
        })
    } else if date < earliest {
        Err(TransitionError::InvalidDate {
            field,
            message: "must not be before the step it follows",
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    fn route(n: u128) -> Route {
        Route {
            district_id: Uuid::from_u128(n),
            local_id: None,
        }
    }

    fn contact() -> Contact {
        Contact {
            contacted_on: day(5),
            channel: "phone".into(),
            note: None,
        }
    }

    fn decision(verdict: Verdict) -> Decision {
        Decision {
            verdict,
            decided_on: day(6),
            reason: None,
        }
    }

    /// A plausible state for each status, routed to district 1.
    fn state_in(status: Status) -> State {
        let routed = !matches!(status, Received | Unroutable);
        State {
            status,
            received_on: day(1),
            route: routed.then(|| route(1)),
            contact: matches!(status, Contacted | Admitted | Rejected).then(contact),
            decision: match status {
                Admitted => Some(decision(Verdict::Admitted)),
                Rejected => Some(decision(Verdict::Rejected)),
                _ => None,
            },
            withdrawn_on: (status == Withdrawn).then(|| day(4)),
        }
    }

    fn commands() -> Vec<Command> {
        vec![
            Command::Route(route(1)),
            Command::Route(route(2)),
            Command::ConfirmHandover,
            Command::Reroute {
                to: None,
                reason: "falscher Kreis".into(),
            },
            Command::Reroute {
                to: Some(route(1)),
                reason: "gleich".into(),
            },
            Command::Reroute {
                to: Some(route(2)),
                reason: "Nachbarkreis".into(),
            },
            Command::RecordContact(contact()),
            Command::RecordContact(Contact {
                channel: "email".into(),
                ..contact()
            }),
            Command::Decide {
                decision: decision(Verdict::Admitted),
                contact: None,
            },
            Command::Decide {
                decision: decision(Verdict::Rejected),
                contact: None,
            },
            Command::Decide {
                decision: decision(Verdict::Admitted),
                contact: Some(contact()),
            },
            Command::Withdraw {
                withdrawn_on: day(4),
                reason: None,
            },
            Command::Withdraw {
                withdrawn_on: day(3),
                reason: None,
            },
            Command::NoRoute,
        ]
    }

    /// The expected answer for every state × command, written as a table:
    /// `Some(status)` moves there, `None` is "unchanged", `Err` is 409.
    fn expected(status: Status, index: usize) -> Result<Option<Status>, ()> {
        let open = status.is_open();
        match (index, status) {
            // route to 1 (the current route of routed states), route to 2
            (0, Received | Unroutable) => Ok(Some(Routed)),
            (0, Routed) => Ok(None),
            (1, Received | Unroutable | Routed) => Ok(Some(Routed)),
            // confirm hand-over
            (2, Routed) => Ok(Some(HandedOver)),
            (2, HandedOver) => Ok(None),
            // reroute to the queue, to the same unit, to another unit
            (3, Routed | HandedOver) => Ok(Some(Unroutable)),
            (3, Unroutable) => Ok(None),
            (5, Routed | HandedOver) => Ok(Some(Routed)),
            // first contact, and a different first contact
            (6, HandedOver) => Ok(Some(Contacted)),
            (6, Contacted) => Ok(None),
            (7, HandedOver) => Ok(Some(Contacted)),
            // decisions: the repeat of the same decision is unchanged
            // without a first contact only from contacted
            (8, Contacted) => Ok(Some(Admitted)),
            (8, Admitted) => Ok(None),
            (9, Contacted) => Ok(Some(Rejected)),
            (9, Rejected) => Ok(None),
            (10, HandedOver | Contacted) => Ok(Some(Admitted)),
            (10, Admitted) => Ok(None),
            // withdrawal from any open state; the same withdrawal again
            (11 | 12, _) if open => Ok(Some(Withdrawn)),
            (11, Withdrawn) => Ok(None),
            // no routing rule: only from received
            (13, Received) => Ok(Some(Unroutable)),
            (13, Unroutable) => Ok(None),
            _ => Err(()),
        }
    }

    #[test]
    fn every_state_times_every_command() {
        for status in Status::ALL {
            let state = state_in(status);
            for (index, command) in commands().iter().enumerate() {
                let got = transition(&state, command, day(10));
                let want = expected(status, index);
                match (&got, want) {
                    (Ok(Outcome::Changed { next, events }), Ok(Some(to))) => {
                        assert_eq!(next.status, to, "{status} {command:?}");
                        assert!(!events.is_empty());
                    }
                    (Ok(Outcome::Unchanged), Ok(None)) => {}
                    (
                        Err(TransitionError::NotAllowed { .. } | TransitionError::ContactMissing),
                        Err(()),
                    ) => {}
                    _ => panic!("{status} × {command:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn routing_and_rerouting_move_the_route() {
        let routed = transition(&state_in(Unroutable), &Command::Route(route(7)), day(10));
        let Ok(Outcome::Changed { next, events }) = routed else {
            panic!("{routed:?}")
        };
        assert_eq!(next.route, Some(route(7)));
        assert_eq!(events, [EventKind::Routed]);
        let back = transition(
            &state_in(HandedOver),
            &Command::Reroute {
                to: None,
                reason: "x".into(),
            },
            day(10),
        );
        let Ok(Outcome::Changed { next, .. }) = back else {
            panic!("{back:?}")
        };
        assert_eq!(next.route, None);
        assert_eq!(next.status, Unroutable);
    }

    #[test]
    fn a_decision_from_hand_over_can_carry_the_first_contact() {
        let outcome = transition(
            &state_in(HandedOver),
            &Command::Decide {
                decision: decision(Verdict::Admitted),
                contact: Some(contact()),
            },
            day(10),
        );
        let Ok(Outcome::Changed { next, events }) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(events, [EventKind::ContactRecorded, EventKind::Admitted]);
        assert_eq!(next.contact, Some(contact()));
        assert_eq!(next.decision, Some(decision(Verdict::Admitted)));
    }

    #[test]
    fn no_decision_from_hand_over_without_a_first_contact() {
        for verdict in [Verdict::Admitted, Verdict::Rejected] {
            let outcome = transition(
                &state_in(HandedOver),
                &Command::Decide {
                    decision: decision(verdict),
                    contact: None,
                },
                day(10),
            );
            assert_eq!(outcome, Err(TransitionError::ContactMissing), "{verdict:?}");
        }
    }

    #[test]
    fn step_dates_lie_between_the_previous_step_and_today() {
        let state = state_in(HandedOver);
        let future = Command::RecordContact(Contact {
            contacted_on: day(11),
            ..contact()
        });
        assert!(matches!(
            transition(&state, &future, day(10)),
            Err(TransitionError::InvalidDate {
                field: "contacted_on",
                ..
            })
        ));
        let early = Command::RecordContact(Contact {
            contacted_on: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap_or_default(),
            ..contact()
        });
        assert!(matches!(
            transition(&state, &early, day(10)),
            Err(TransitionError::InvalidDate { .. })
        ));
        let before_contact = Command::Decide {
            decision: Decision {
                decided_on: day(4),
                ..decision(Verdict::Rejected)
            },
            contact: None,
        };
        assert!(matches!(
            transition(&state_in(Contacted), &before_contact, day(10)),
            Err(TransitionError::InvalidDate {
                field: "decided_on",
                ..
            })
        ));
    }

    #[test]
    fn statuses_round_trip_and_open_ones_are_known() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
        }
        assert!(Routed.is_open());
        assert!(!Admitted.is_open() && !Rejected.is_open() && !Withdrawn.is_open());
    }

    #[test]
    fn an_open_declaration_makes_a_member_by_statute_after_the_deadline() {
        let received = day(1);
        // 2026-11-01 + 10 days: the deadline is the 11th, the day after it counts.
        assert_eq!(objection_deadline(received, 10), day(11));
        // Across the turn of the year.
        assert_eq!(
            objection_deadline(
                NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default(),
                42
            ),
            NaiveDate::from_ymd_opt(2027, 1, 5).unwrap_or_default()
        );
        assert!(!member_by_statute(Contacted, received, 10, day(11)));
        assert!(member_by_statute(Contacted, received, 10, day(12)));
        for status in Status::OPEN {
            assert!(member_by_statute(status, received, 0, day(2)), "{status}");
        }
        for status in [Admitted, Rejected, Withdrawn] {
            assert!(
                !member_by_statute(status, received, 10, day(30)),
                "{status}"
            );
        }
        assert!(!member_by_statute(Received, received, u32::MAX, day(30)));
    }

    #[test]
    fn a_rejection_needs_a_reason_and_an_admission_may_have_one() {
        use crate::text::TextError;
        assert_eq!(
            decision_reason(Verdict::Rejected, None),
            Err(DecisionReasonError::Missing)
        );
        assert_eq!(
            decision_reason(Verdict::Rejected, Some("  ")),
            Err(DecisionReasonError::Missing)
        );
        assert_eq!(
            decision_reason(Verdict::Rejected, Some(" Satzung § 3 ")).map(|r| r.map(String::from)),
            Ok(Some("Satzung § 3".to_owned()))
        );
        assert_eq!(decision_reason(Verdict::Admitted, None), Ok(None));
        assert_eq!(decision_reason(Verdict::Admitted, Some("")), Ok(None));
        assert_eq!(
            decision_reason(Verdict::Admitted, Some(&"x".repeat(1001))),
            Err(DecisionReasonError::Text(TextError::TooLong(1000)))
        );
        assert_eq!(
            DecisionReasonError::Missing.to_string(),
            "a rejection needs a reason"
        );
        assert_eq!(
            DecisionReasonError::Text(TextError::ControlCharacter).to_string(),
            "must not contain control characters"
        );
    }
}

/// How a declaration reached the party: the names of [`IntakeChannel`].
pub const INTAKE_CHANNELS: [&str; 6] = IntakeChannel::NAMES;
/// How the first contact was made: the names of [`ContactChannel`].
pub const CONTACT_CHANNELS: [&str; 6] = ContactChannel::NAMES;

/// The applicant as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<crate::EmailAddress>,
    pub phone: Option<String>,
    pub street: String,
    pub postal_code: crate::PostalCode,
    pub city: String,
    pub interests: Vec<String>,
}

/// A stored application with everything kartei knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: Uuid,
    pub received_on: NaiveDate,
    pub channel: String,
    pub applicant: Applicant,
    pub preferred_org_unit_id: Option<Uuid>,
    pub notes: Option<String>,
    pub state: State,
    pub registered_at: chrono::DateTime<chrono::Utc>,
    pub registered_by: Uuid,
    pub routed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub handed_over_at: Option<chrono::DateTime<chrono::Utc>>,
    pub contacted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub stage_started_at: chrono::DateTime<chrono::Utc>,
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub withdrawal_reason: Option<String>,
    pub member_id: Option<Uuid>,
    pub version: i64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Application {
    /// The unit whose scope decides who sees this application: its branch,
    /// else its district; `None` while it waits in the state office's queue.
    pub fn holding_unit(&self) -> Option<Uuid> {
        self.state
            .route
            .map(|route| route.local_id.unwrap_or(route.district_id))
    }
}

/// One entry of an application's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Uuid,
    pub kind: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub actor_id: Option<Uuid>,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub data: serde_json::Value,
}
