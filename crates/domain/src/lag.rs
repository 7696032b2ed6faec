//! The clocks on an open application: the clock of the stage it waits in and
//! the entry clock since the declaration was received, against the service
//! levels. All in calendar days; the caller converts times to local dates.

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::application::Status;
use crate::calendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceLevels {
    pub handover_days: u32,
    pub first_contact_days: u32,
    pub entered_days: u32,
}

/// The stage an open application waits in: who owes the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Waiting for routing or for the district to confirm the hand-over.
    Handover,
    /// Waiting for the first contact.
    FirstContact,
    /// Waiting for the district's decision.
    Decision,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Handover, Stage::FirstContact, Stage::Decision];

    pub fn of(status: Status) -> Option<Stage> {
        match status {
            Status::Received | Status::Unroutable | Status::Routed => Some(Stage::Handover),
            Status::HandedOver => Some(Stage::FirstContact),
            Status::Contacted => Some(Stage::Decision),
            Status::Admitted | Status::Rejected | Status::Withdrawn => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Handover => "handover",
            Stage::FirstContact => "first_contact",
            Stage::Decision => "decision",
        }
    }

    /// The German label used in e-mails to the offices.
    pub fn label_de(self) -> &'static str {
        match self {
            Stage::Handover => "Übernahme",
            Stage::FirstContact => "Erstkontakt",
            Stage::Decision => "Aufnahmeentscheidung",
        }
    }

    /// The service level of this stage, if it has one of its own.
    pub fn level(self, levels: &ServiceLevels) -> Option<u32> {
        match self {
            Stage::Handover => Some(levels.handover_days),
            Stage::FirstContact => Some(levels.first_contact_days),
            Stage::Decision => None,
        }
    }
}

/// The stages the lag report measures, in the order an application passes
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LagStage {
    /// From `received_on` to the day it was registered in kartei.
    Registration,
    /// From routing to the district's confirmation.
    Handover,
    /// From the hand-over to the first contact.
    Contact,
    /// From the first contact to the decision.
    Decision,
}

impl LagStage {
    pub const ALL: [LagStage; 4] = [
        LagStage::Registration,
        LagStage::Handover,
        LagStage::Contact,
        LagStage::Decision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LagStage::Registration => "registration",
            LagStage::Handover => "handover",
            LagStage::Contact => "contact",
            LagStage::Decision => "decision",
        }
    }

    pub fn parse(text: &str) -> Option<LagStage> {
        LagStage::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The report stage an open item in `stage` waits in.
    pub fn waiting_in(stage: Stage) -> LagStage {
        match stage {
            Stage::Handover => LagStage::Handover,
            Stage::FirstContact => LagStage::Contact,
            Stage::Decision => LagStage::Decision,
        }
    }
}

/// The median and the 90th percentile of a set of lags in days; `None` for
/// an empty set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Percentiles {
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// Where the `percent`th percentile of `n` sorted values lies: between the
/// values of rank `lower` and `lower + 1` (1-based), `fraction` of the way.
/// This is linear interpolation between closest ranks, the definition of
/// PostgreSQL's `percentile_cont` and of spreadsheets' `PERCENTILE.INC`:
/// position `(n - 1) * percent / 100`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PercentileRanks {
    pub lower: u64,
    pub fraction: f64,
}

/// The ranks the `percent`th percentile of `n` values needs; `None` when
/// there are no values.
pub fn percentile_ranks(n: u64, percent: u64) -> Option<PercentileRanks> {
    let scaled = n.checked_sub(1)?.checked_mul(percent.min(100))?;
    Some(PercentileRanks {
        lower: scaled / 100 + 1,
        fraction: (scaled % 100) as f64 / 100.0,
    })
}

impl PercentileRanks {
    /// The percentile from the values at rank `lower` and `lower + 1`.
    pub fn interpolate(self, lower: i64, upper: i64) -> f64 {
        lower as f64 + self.fraction * (upper - lower) as f64
    }
}

/// The median and 90th percentile of lags given as a histogram: how many
/// items took each number of days, sorted by days. Exact, with the
/// definition of [`percentile_ranks`].
pub fn percentiles_of(histogram: &[(i64, u64)]) -> Percentiles {
    let n: u64 = histogram.iter().map(|(_, count)| count).sum();
    // The value at a 1-based rank, walking the cumulative counts.
    let at_rank = |rank: u64| {
        let mut seen = 0;
        histogram.iter().find_map(|(days, count)| {
            seen += count;
            (seen >= rank).then_some(*days)
        })
    };
    let percentile = |percent| {
        let ranks = percentile_ranks(n, percent)?;
        let lower = at_rank(ranks.lower)?;
        let upper = at_rank(ranks.lower + 1).unwrap_or(lower);
        Some(ranks.interpolate(lower, upper))
    };
    Percentiles {
        median: percentile(50),
        p90: percentile(90),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clocks {
    pub stage: Stage,
    /// Days spent in the current stage.
    pub stage_days: i64,
    /// Days since the declaration was received.
    pub entry_days: i64,
    /// Either clock has passed its level.
    pub overdue: bool,
    /// Either clock has passed twice its level.
    pub escalated: bool,
}

/// The clocks of an application in `status`, or `None` once it is closed.
/// `stage_started_on` is the local date its current stage began.
pub fn clocks(
    status: Status,
    received_on: NaiveDate,
    stage_started_on: NaiveDate,
    today: NaiveDate,
    levels: &ServiceLevels,
) -> Option<Clocks> {
    let stage = Stage::of(status)?;
    let stage_days = (today - stage_started_on).num_days();
    let entry_days = (today - received_on).num_days();
    let past = |days: i64, level: u32, factor: i64| days > i64::from(level) * factor;
    let stage_past = |factor| {
        stage
            .level(levels)
            .is_some_and(|l| past(stage_days, l, factor))
    };
    let entry_past = |factor| past(entry_days, levels.entered_days, factor);
    Some(Clocks {
        stage,
        stage_days,
        entry_days,
        overdue: stage_past(1) || entry_past(1),
        escalated: stage_past(2) || entry_past(2),
    })
}

/// How far past its level a clock is looked at: overdue once past the
/// level, escalated once past twice the level (the same factors as
/// [`Clocks::overdue`] and [`Clocks::escalated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Threshold {
    Overdue,
    Escalated,
}

impl Threshold {
    pub fn factor(self) -> u32 {
        match self {
            Threshold::Overdue => 1,
            Threshold::Escalated => 2,
        }
    }
}

/// The moments before which each clock of an open application has passed
/// its level times a factor, on a given day: what a database query compares
/// the stored timestamps with, so that "overdue" in a list means what
/// [`clocks`] says of one application. The stage clocks start at an
/// instant (`stage_started_at`), the entry clock on a date (`received_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Waiting for routing or hand-over since before this instant.
    pub handover_stage_before: DateTime<Utc>,
    /// Waiting for the first contact since before this instant.
    pub first_contact_stage_before: DateTime<Utc>,
    /// Received before this day.
    pub received_before: NaiveDate,
}

/// The cut-offs on `today` at `threshold`. A clock has passed `level ×
/// factor` days when it started before the local day `today - level ×
/// factor` began; [`clocks`] counts the same whole local days.
pub fn cutoffs(levels: &ServiceLevels, today: NaiveDate, threshold: Threshold) -> Cutoffs {
    cutoffs_with_factor(levels, today, threshold.factor())
}

/// [`cutoffs`] for any factor; `factor` 1 is overdue, 2 escalated.
pub fn cutoffs_with_factor(levels: &ServiceLevels, today: NaiveDate, factor: u32) -> Cutoffs {
    let days_before = |days: u32| {
        today
            .checked_sub_days(Days::new(u64::from(days) * u64::from(factor)))
            .unwrap_or(NaiveDate::MIN)
    };
    Cutoffs {
        handover_stage_before: calendar::start_of_day(days_before(levels.handover_days)),
        first_contact_stage_before: calendar::start_of_day(days_before(levels.first_contact_days)),
        received_before: days_before(levels.entered_days),
    }
}

impl Cutoffs {
    /// Whether an application in `status` has passed these cut-offs: the
    /// condition a list query writes in SQL, here for one application.
    /// Agrees with [`clocks`] (tested), so it is the reference for the
    /// query.
    pub fn passed(
        &self,
        status: Status,
        received_on: NaiveDate,
        stage_started_at: DateTime<Utc>,
    ) -> bool {
        let stage = match Stage::of(status) {
            Some(Stage::Handover) => stage_started_at < self.handover_stage_before,
            Some(Stage::FirstContact) => stage_started_at < self.first_contact_stage_before,
            Some(Stage::Decision) => false,
            None => return false,
        };
        stage || received_on < self.received_before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEVELS: ServiceLevels = ServiceLevels {
        handover_days: 3,
        first_contact_days: 14,
        entered_days: 28,
    };

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.checked_add_days(Days::new(n)))
            .unwrap_or_default()
    }

    #[test]
    fn the_stage_clock_runs_against_its_level() {
        let at = |today| clocks(Status::Routed, day(0), day(0), day(today), &LEVELS);
        assert!(at(3).is_some_and(|c| !c.overdue));
        assert!(at(4).is_some_and(|c| c.overdue && !c.escalated && c.stage == Stage::Handover));
        assert!(at(6).is_some_and(|c| !c.escalated));
        assert!(at(7).is_some_and(|c| c.escalated && c.stage_days == 7));
    }

    #[test]
    fn the_entry_clock_runs_against_the_entered_level() {
        // Contacted: no stage level of its own, only the entry clock.
        let at = |today| clocks(Status::Contacted, day(0), day(20), day(today), &LEVELS);
        assert!(at(28).is_some_and(|c| !c.overdue && c.stage == Stage::Decision));
        assert!(at(29).is_some_and(|c| c.overdue && !c.escalated));
        assert!(at(57).is_some_and(|c| c.escalated && c.entry_days == 57));
    }

    #[test]
    fn first_contact_is_timed_from_the_hand_over() {
        let c = clocks(Status::HandedOver, day(0), day(2), day(17), &LEVELS);
        assert!(
            c.is_some_and(|c| c.overdue && c.stage == Stage::FirstContact && c.stage_days == 15)
        );
        let c = clocks(Status::HandedOver, day(0), day(2), day(16), &LEVELS);
        assert!(c.is_some_and(|c| !c.overdue));
    }

    #[test]
    fn closed_applications_run_no_clock() {
        for status in [Status::Admitted, Status::Rejected, Status::Withdrawn] {
            assert_eq!(clocks(status, day(0), day(0), day(100), &LEVELS), None);
        }
    }

    #[test]
    fn percentiles_follow_percentile_cont() {
        // 10, 20, 30, 40: median halfway between 20 and 30, p90 at 2.7.
        let median = percentile_ranks(4, 50);
        assert_eq!(median.map(|r| r.lower), Some(2));
        assert_eq!(median.map(|r| r.interpolate(20, 30)), Some(25.0));
        let p90 = percentile_ranks(4, 90);
        assert_eq!(p90.map(|r| r.lower), Some(3));
        assert!(p90.is_some_and(|r| (r.interpolate(30, 40) - 37.0).abs() < 1e-9));
        assert_eq!(percentile_ranks(1, 90).map(|r| r.lower), Some(1));
        assert_eq!(percentile_ranks(0, 50), None);
        // Odd count: the middle value itself.
        assert_eq!(
            percentile_ranks(5, 50).map(|r| (r.lower, r.fraction)),
            Some((3, 0.0))
        );
    }

    #[test]
    fn report_stages_name_themselves() {
        for stage in LagStage::ALL {
            assert_eq!(LagStage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(LagStage::waiting_in(Stage::FirstContact), LagStage::Contact);
    }
    #[test]
    fn percentiles_of_a_histogram_are_those_of_its_values() {
        // 10, 20, 20, 30, 40, 40, 40: median 30; p90 at position 6 * 0.9 = 5.4
        // (0-based), between 40 and 40.
        let p = percentiles_of(&[(10, 1), (20, 2), (30, 1), (40, 3)]);
        assert_eq!(p.median, Some(30.0));
        assert_eq!(p.p90, Some(40.0));
        // 10, 20, 30, 40 as four single counts.
        let p = percentiles_of(&[(10, 1), (20, 1), (30, 1), (40, 1)]);
        assert_eq!(p.median, Some(25.0));
        assert!(p.p90.is_some_and(|v| (v - 37.0).abs() < 1e-9));
        assert_eq!(percentiles_of(&[]), Percentiles::default());
        assert_eq!(percentiles_of(&[(7, 1)]).p90, Some(7.0));
    }

    mod cutoff_properties {
        use super::super::*;
        use proptest::prelude::*;

        fn status() -> impl Strategy<Value = Status> {
            proptest::sample::select(Status::ALL.to_vec())
        }

        proptest! {
            // Small levels and short waits, so that the boundaries (a clock
            // exactly at its level or twice it) come up often.
            #![proptest_config(ProptestConfig::with_cases(2048))]

            /// The cut-offs a query compares with say "overdue" and
            /// "escalated" exactly when the clocks of the application do,
            /// across Berlin's clock changes.
            #[test]
            fn cutoffs_agree_with_the_clocks(
                status in status(),
                handover in 0u32..5,
                first_contact in 0u32..5,
                entered in 0u32..12,
                today_offset in 0u64..800,
                stage_days_back in 0u64..12,
                // The edges of a day matter most: its first second, the
                // second after, and its last second.
                seconds_into_day in proptest::sample::select(vec![0i64, 1, 43_200, 86_399]),
                received_days_back in 0u64..14,
            ) {
                let levels = ServiceLevels {
                    handover_days: handover,
                    first_contact_days: first_contact,
                    entered_days: entered,
                };
                let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
                let today = base + Days::new(today_offset);
                let stage_day = today
                    .checked_sub_days(Days::new(stage_days_back))
                    .unwrap_or(today);
                // Days with a clock change are 23 or 25 hours long.
                let stage_started_at = calendar::start_of_day(stage_day)
                    + chrono::Duration::seconds(seconds_into_day);
                let stage_started_on = calendar::local_date(stage_started_at);
                let received_on = stage_started_on
                    .checked_sub_days(Days::new(received_days_back))
                    .unwrap_or(stage_started_on);
                let clocks = clocks(status, received_on, stage_started_on, today, &levels);
                let overdue = cutoffs(&levels, today, Threshold::Overdue)
                    .passed(status, received_on, stage_started_at);
                let escalated = cutoffs(&levels, today, Threshold::Escalated)
                    .passed(status, received_on, stage_started_at);
                prop_assert_eq!(overdue, clocks.is_some_and(|c| c.overdue));
                prop_assert_eq!(escalated, clocks.is_some_and(|c| c.escalated));
            }
        }
    }

    #[test]
    fn cutoffs_are_the_starts_of_the_days_the_levels_reach_back_to() {
        let today = NaiveDate::from_ymd_opt(2026, 7, 15).unwrap_or_default();
        let overdue = cutoffs(&LEVELS, today, Threshold::Overdue);
        assert_eq!(
            overdue.handover_stage_before.to_rfc3339(),
            "2026-07-11T22:00:00+00:00"
        );
        assert_eq!(
            overdue.first_contact_stage_before.to_rfc3339(),
            "2026-06-30T22:00:00+00:00"
        );
        assert_eq!(
            overdue.received_before,
            NaiveDate::from_ymd_opt(2026, 6, 17).unwrap_or_default()
        );
        let escalated = cutoffs(&LEVELS, today, Threshold::Escalated);
        assert_eq!(escalated, cutoffs_with_factor(&LEVELS, today, 2));
        assert_eq!(
            escalated.handover_stage_before.to_rfc3339(),
            "2026-07-08T22:00:00+00:00"
        );
        assert_eq!(
            escalated.received_before,
            NaiveDate::from_ymd_opt(2026, 5, 20).unwrap_or_default()
        );
        // Far back beyond the calendar: nothing is that old.
        let huge = ServiceLevels {
            handover_days: u32::MAX,
            first_contact_days: u32::MAX,
            entered_days: u32::MAX,
        };
        assert_eq!(
            cutoffs(&huge, today, Threshold::Escalated).received_before,
            NaiveDate::MIN
        );
    }
}
