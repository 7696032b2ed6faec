//! Integration after admission: the steps a new member is owed by the local
//! branch (or, without one, the district) once the record exists, such as a
//! welcome and a first invitation, each with a service level in days from
//! the day the member was entered.
//!
//! The steps come from configuration ([`IntegrationPlan`]); a step is due
//! `level` days after it started and escalated after twice that
//! ([`clock`]); it is recorded once, with the day, the channel and an
//! optional note ([`record`]). A member whose membership ended is owed
//! nothing any more ([`owes`]).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use crate::application::ContactChannel;
use crate::member::MemberStatus;
use crate::text::Note;

/// The longest step name kartei takes: it is a configuration key, not text.
pub const STEP_NAME_MAX: usize = 40;
/// The longest service level kartei takes: ten years, far beyond any
/// welcome, and far from the end of any calendar a database keeps.
pub const LEVEL_MAX_DAYS: u32 = 3650;

/// The name of a step, as configured: lower-case ASCII letters and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepName(String);

impl StepName {
    pub fn parse(raw: &str) -> Result<StepName, PlanError> {
        let valid = !raw.is_empty()
            && raw.len() <= STEP_NAME_MAX
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if valid {
            Ok(StepName(raw.to_owned()))
        } else {
            Err(PlanError::BadName(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StepName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One configured step and its service level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: StepName,
    /// Days from the start until the step is due; at least 1.
    pub level_days: u32,
}

/// What is wrong with the configured steps. [`PlanError::key`] names the
/// configuration key to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("step name {0:?} must be lower-case letters and _ (at most 40)")]
    BadName(String),
    #[error("step {0:?} is listed twice")]
    Repeated(String),
    #[error("step {0:?} has no service level: set integration.service_level_days.{0}")]
    NoLevel(String),
    #[error("the service level of step {0:?} must be at least 1 day")]
    ZeroLevel(String),
    #[error("the service level of step {0:?} must be at most 3650 days")]
    LevelTooLong(String),
}

impl PlanError {
    /// The configuration key the error is about.
    pub fn key(&self) -> &'static str {
        match self {
            PlanError::BadName(_) | PlanError::Repeated(_) => "integration.steps",
            PlanError::NoLevel(_) | PlanError::ZeroLevel(_) | PlanError::LevelTooLong(_) => {
                "integration.service_level_days"
            }
        }
    }
}

/// The integration steps in their configured order. Empty means a
/// configuration without integration steps: nobody is owed anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrationPlan {
    steps: Vec<Step>,
}

impl IntegrationPlan {
    /// The plan of `steps` with the levels in `levels`. Levels of steps
    /// not listed are ignored: configuration layers merge maps, so the
    /// defaults' levels stay when a deployment lists other steps.
    pub fn new(
        steps: &[String],
        levels: &BTreeMap<String, u32>,
    ) -> Result<IntegrationPlan, PlanError> {
        let mut plan = Vec::with_capacity(steps.len());
        for raw in steps {
            let name = StepName::parse(raw)?;
            if plan.iter().any(|s: &Step| s.name == name) {
                return Err(PlanError::Repeated(raw.clone()));
            }
            let level_days = match levels.get(raw) {
                None => return Err(PlanError::NoLevel(raw.clone())),
                Some(0) => return Err(PlanError::ZeroLevel(raw.clone())),
                Some(&days) if days > LEVEL_MAX_DAYS => {
                    return Err(PlanError::LevelTooLong(raw.clone()));
                }
                Some(&days) => days,
            };
            plan.push(Step { name, level_days });
        }
        Ok(IntegrationPlan { steps: plan })
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name.as_str() == name)
    }

    /// The configured names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.name.as_str()).collect()
    }

    /// Checks a step name a person sent: one of the configured ones.
    pub fn parse_step(&self, raw: &str) -> Result<&Step, UnknownStep> {
        self.step(raw).ok_or_else(|| UnknownStep {
            allowed: self.names().join(", "),
        })
    }
}

/// A step name that is not configured; the message names the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of the configured steps: {allowed}")]
pub struct UnknownStep {
    allowed: String,
}

/// Who owes a member's open steps: the member's local branch, or its
/// district when it has none. Derived from the member as it is now, so a
/// transfer moves what is owed.
pub fn owner(district_id: Uuid, local_id: Option<Uuid>) -> Uuid {
    local_id.unwrap_or(district_id)
}

/// Whether a member with this status is still owed open steps: only while
/// the membership lasts. A pending resignation leaves the member active,
/// and owed, until its day.
pub fn owes(status: MemberStatus) -> bool {
    status == MemberStatus::Active
}

/// Where an open step stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepClock {
    /// `started_on + level`.
    pub due_on: NaiveDate,
    /// Whole days since the step started.
    pub days_open: i64,
    /// Today is after `due_on`.
    pub overdue: bool,
    /// Today is after `started_on + 2 × level`.
    pub escalated: bool,
}

fn plus_days(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

/// The day a step started on `started_on` with `level_days` is due.
pub fn due_on(started_on: NaiveDate, level_days: u32) -> NaiveDate {
    plus_days(started_on, u64::from(level_days))
}

/// The clock of an open step on `today`.
pub fn clock(started_on: NaiveDate, level_days: u32, today: NaiveDate) -> StepClock {
    let due = due_on(started_on, level_days);
    StepClock {
        due_on: due,
        days_open: (today - started_on).num_days(),
        overdue: today > due,
        escalated: today > plus_days(started_on, 2 * u64::from(level_days)),
    }
}

/// The day before which an open step of this level, started then, has
/// passed `factor` times its level on `today` (1 overdue, 2 escalated):
/// `started_on < cutoff` exactly when [`clock`] says so. What a query
/// compares `started_on` with.
pub fn started_before(level_days: u32, today: NaiveDate, factor: u32) -> NaiveDate {
    today
        .checked_sub_days(Days::new(u64::from(level_days) * u64::from(factor)))
        .unwrap_or(NaiveDate::MIN)
}

/// A step as done: the day, how, and an optional note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub done_on: NaiveDate,
    pub channel: ContactChannel,
    pub note: Option<Note>,
}

/// A member's step as stored: when it started, and whether it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedStep {
    pub id: Uuid,
    pub member_id: Uuid,
    pub step: String,
    pub started_on: NaiveDate,
    pub done: Option<Done>,
}

/// What recording a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// Store it as done.
    Record,
    /// The same was recorded before: answer the current state.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The member owes no such step: imported, entered before integration
    /// steps existed, or the step was configured later.
    #[error(
        "This member owes no {0} step: it is owed by members admitted or entered directly since integration steps were configured."
    )]
    NotOwed(String),
    /// The membership ended before the day given.
    #[error("The membership ended on {0}; a step after that is not owed.")]
    MembershipEnded(NaiveDate),
    /// Done before already, with other data.
    #[error(
        "The {step} step was recorded as done on {done_on} by {channel}; it cannot be recorded again differently."
    )]
    AlreadyDone {
        step: String,
        done_on: NaiveDate,
        channel: ContactChannel,
    },
    #[error("done_on: {0}")]
    InvalidDate(&'static str),
}

impl RecordError {
    /// The request field a date error is about, for a 422.
    pub fn field(&self) -> Option<&'static str> {
        matches!(self, RecordError::InvalidDate(_)).then_some("done_on")
    }
}

/// A `done_on` that cannot be right whatever the step: in the future.
pub fn done_on_in_reach(done_on: NaiveDate, today: NaiveDate) -> Result<(), RecordError> {
    if done_on > today {
        Err(RecordError::InvalidDate("must not be in the future"))
    } else {
        Ok(())
    }
}

/// Whether `done` can be recorded on `step` (`None`: the member owes no
/// such step) of a member who left on `left_on` (if so), on `today`. The
/// day lies between the start of the step and today; a repeat of what is
/// recorded changes nothing; anything else on a done step is refused.
pub fn record(
    step_name: &str,
    step: Option<&OwedStep>,
    left_on: Option<NaiveDate>,
    done: &Done,
    today: NaiveDate,
) -> Result<Recording, RecordError> {
    done_on_in_reach(done.done_on, today)?;
    let Some(step) = step else {
        return Err(RecordError::NotOwed(step_name.to_owned()));
    };
    if done.done_on < step.started_on {
        return Err(RecordError::InvalidDate(
            "must not be before the step started (the day the member was entered)",
        ));
    }
    match &step.done {
        Some(recorded) if recorded == done => Ok(Recording::Unchanged),
        Some(recorded) => Err(RecordError::AlreadyDone {
            step: step.step.clone(),
            done_on: recorded.done_on,
            channel: recorded.channel,
        }),
        None => match left_on {
            Some(left_on) if done.done_on > left_on => Err(RecordError::MembershipEnded(left_on)),
            _ => Ok(Recording::Record),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, month, day).unwrap_or_default()
    }

    fn levels(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    fn names(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_default_plan_keeps_its_order_and_levels() {
        let plan = IntegrationPlan::new(
            &names(&["welcome", "first_invitation"]),
            &levels(&[("first_invitation", 42), ("welcome", 14)]),
        );
        let Ok(plan) = plan else { panic!("{plan:?}") };
        assert_eq!(plan.names(), ["welcome", "first_invitation"]);
        assert_eq!(plan.step("welcome").map(|s| s.level_days), Some(14));
        assert_eq!(
            plan.step("first_invitation").map(|s| s.level_days),
            Some(42)
        );
        assert_eq!(plan.step("mentoring"), None);
        assert_eq!(
            plan.parse_step("Welcome").map_err(|e| e.to_string()),
            Err("must be one of the configured steps: welcome, first_invitation".to_owned())
        );
    }

    #[test]
    fn a_plan_refuses_bad_names_repeats_and_missing_or_zero_levels() {
        let plan = |steps: &[&str], pairs: &[(&str, u32)]| {
            IntegrationPlan::new(&names(steps), &levels(pairs))
        };
        assert_eq!(
            plan(&["Welcome"], &[("Welcome", 1)]),
            Err(PlanError::BadName("Welcome".into()))
        );
        for bad in [
            "",
            "welcome-call",
            "erstes treffen",
            "schritt2",
            "begrüßung",
        ] {
            assert_eq!(
                plan(&[bad], &[(bad, 1)]),
                Err(PlanError::BadName(bad.into())),
                "{bad:?}"
            );
        }
        assert_eq!(
            plan(&["welcome", "welcome"], &[("welcome", 1)]),
            Err(PlanError::Repeated("welcome".into()))
        );
        assert_eq!(
            plan(&["welcome"], &[("first_invitation", 3)]),
            Err(PlanError::NoLevel("welcome".into()))
        );
        assert_eq!(
            plan(&["welcome"], &[("welcome", 0)]),
            Err(PlanError::ZeroLevel("welcome".into()))
        );
        assert_eq!(
            plan(&["welcome"], &[("welcome", 3651)]),
            Err(PlanError::LevelTooLong("welcome".into()))
        );
        assert!(plan(&["welcome"], &[("welcome", 3650)]).is_ok());
        assert_eq!(
            PlanError::ZeroLevel("x".into()).key(),
            "integration.service_level_days"
        );
        assert_eq!(PlanError::Repeated("x".into()).key(), "integration.steps");
        // Nothing configured is a plan too; extra levels are ignored.
        assert_eq!(
            plan(&[], &[("welcome", 14)]).map(|p| p.steps().len()),
            Ok(0)
        );
    }

    #[test]
    fn a_step_is_overdue_the_day_after_it_is_due_and_escalated_after_twice_the_level() {
        // Started on 1 March with 14 days: due on the 15th.
        let started = d(3, 1);
        let at = |today| clock(started, 14, today);
        assert_eq!(at(d(3, 15)).due_on, d(3, 15));
        assert!(!at(d(3, 1)).overdue);
        assert!(!at(d(3, 15)).overdue, "on the due day");
        assert!(at(d(3, 16)).overdue, "the day after");
        assert!(!at(d(3, 16)).escalated);
        assert!(!at(d(3, 29)).escalated, "on started + 2 × level");
        assert!(at(d(3, 30)).escalated && at(d(3, 30)).overdue);
        assert_eq!(at(d(3, 30)).days_open, 29);
        // Across the turn of the year.
        let late = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap_or_default();
        assert_eq!(
            due_on(late, 14),
            NaiveDate::from_ymd_opt(2027, 1, 3).unwrap_or_default()
        );
    }

    #[test]
    fn the_cutoff_a_query_uses_agrees_with_the_clock() {
        let today = d(6, 30);
        for level in [1, 3, 14, 42] {
            for back in 0..100u64 {
                let started = today - Days::new(back);
                let c = clock(started, level, today);
                assert_eq!(
                    started < started_before(level, today, 1),
                    c.overdue,
                    "{level} {back}"
                );
                assert_eq!(
                    started < started_before(level, today, 2),
                    c.escalated,
                    "{level} {back}"
                );
            }
        }
        assert_eq!(started_before(u32::MAX, today, 2), NaiveDate::MIN);
    }

    #[test]
    fn the_branch_owes_else_the_district_and_only_while_the_membership_lasts() {
        let (district, local) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(owner(district, Some(local)), local);
        assert_eq!(owner(district, None), district);
        assert!(owes(MemberStatus::Active));
        for ended in [
            MemberStatus::Left,
            MemberStatus::Deceased,
            MemberStatus::Expelled,
        ] {
            assert!(!owes(ended), "{ended}");
        }
    }

    fn open_step() -> OwedStep {
        OwedStep {
            id: Uuid::from_u128(9),
            member_id: Uuid::from_u128(1),
            step: "welcome".into(),
            started_on: d(3, 1),
            done: None,
        }
    }

    fn done(day: NaiveDate, channel: ContactChannel) -> Done {
        Done {
            done_on: day,
            channel,
            note: None,
        }
    }

    #[test]
    fn a_step_is_recorded_once_between_its_start_and_today() {
        let today = d(3, 10);
        let step = open_step();
        let phone = done(d(3, 5), ContactChannel::Phone);
        assert_eq!(
            record("welcome", Some(&step), None, &phone, today),
            Ok(Recording::Record)
        );
        // The first and the last possible day.
        for day in [d(3, 1), today] {
            assert_eq!(
                record(
                    "welcome",
                    Some(&step),
                    None,
                    &done(day, ContactChannel::Email),
                    today
                ),
                Ok(Recording::Record)
            );
        }
        let future = record(
            "welcome",
            Some(&step),
            None,
            &done(d(3, 11), ContactChannel::Phone),
            today,
        );
        assert_eq!(
            future.as_ref().map_err(RecordError::field),
            Err(Some("done_on"))
        );
        let early = record(
            "welcome",
            Some(&step),
            None,
            &done(d(2, 28), ContactChannel::Phone),
            today,
        );
        assert_eq!(
            early.as_ref().map_err(RecordError::field),
            Err(Some("done_on"))
        );

        let recorded = OwedStep {
            done: Some(phone.clone()),
            ..step.clone()
        };
        assert_eq!(
            record("welcome", Some(&recorded), None, &phone, today),
            Ok(Recording::Unchanged)
        );
        for other in [
            done(d(3, 6), ContactChannel::Phone),
            done(d(3, 5), ContactChannel::Letter),
            Done {
                note: Note::optional(Some("Kaffee")).ok().flatten(),
                ..phone.clone()
            },
        ] {
            assert!(
                matches!(
                    record("welcome", Some(&recorded), None, &other, today),
                    Err(RecordError::AlreadyDone { .. })
                ),
                "{other:?}"
            );
        }
    }

    #[test]
    fn a_member_who_owes_no_such_step_or_left_before_the_day_is_refused() {
        let today = d(3, 10);
        let phone = done(d(3, 5), ContactChannel::Phone);
        assert_eq!(
            record("welcome", None, None, &phone, today),
            Err(RecordError::NotOwed("welcome".into()))
        );
        // A date in the future is a field error before anything else.
        assert_eq!(
            record(
                "welcome",
                None,
                None,
                &done(d(3, 11), ContactChannel::Phone),
                today
            )
            .map_err(|e| e.field()),
            Err(Some("done_on"))
        );
        let step = open_step();
        assert_eq!(
            record("welcome", Some(&step), Some(d(3, 4)), &phone, today),
            Err(RecordError::MembershipEnded(d(3, 4)))
        );
        // Done before leaving: still recorded.
        assert_eq!(
            record("welcome", Some(&step), Some(d(3, 5)), &phone, today),
            Ok(Recording::Record)
        );
    }
}
