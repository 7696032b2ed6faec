//! Who was a member on a given day, and how old: the rules behind the
//! member counts at a cut-off date, from which the delegate key is
//! computed (statutes count "on 31 December of the year before").
//!
//! A membership runs from `joined_on` (included) to the day it ended
//! (`left_on`, or a resignation's `resigns_on`; excluded: on that day the
//! status is no longer active, see [`crate::member::resignation_due`]).
//! On the cut-off day a member counts for the unit it belonged to that day:
//! a confirmed transfer moves a member on its `effective_on`, so before that
//! day the member counts where the transfer came from.

use chrono::{Datelike, Months, NaiveDate};

/// Whether a membership from `joined_on` that ended on `ended_on` (if it
/// did) counts on `day`.
pub fn member_on(joined_on: NaiveDate, ended_on: Option<NaiveDate>, day: NaiveDate) -> bool {
    joined_on <= day && ended_on.is_none_or(|ended| ended > day)
}

/// The last birth date of someone who is at least `years` old on `day`
/// (see [`crate::person::age_on`]): the same day `years` years earlier, or
/// 28 February when `day` is 29 February and that year had none.
pub fn born_by_for_age(day: NaiveDate, years: u32) -> NaiveDate {
    let year = day.year() - i32::try_from(years).unwrap_or(i32::MAX / 2);
    NaiveDate::from_ymd_opt(year, day.month(), day.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, day.month(), 28))
        .unwrap_or(NaiveDate::MIN)
}

/// The age bands the counts are given in, by full years on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgeBand {
    /// 14 to 35 (no one younger than 14 can join: [`crate::person::MINIMUM_AGE`]).
    UpTo35,
    /// 36 to 60.
    From36To60,
    /// 61 and older.
    Over60,
}

/// The birth-date limits of the age bands on one day: a member born on or
/// before `over_60` is over 60, on or before `from_36` (and after
/// `over_60`) is 36 to 60, anyone born later is in the youngest band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeLimits {
    pub from_36: NaiveDate,
    pub over_60: NaiveDate,
}

impl AgeLimits {
    pub fn on(day: NaiveDate) -> AgeLimits {
        AgeLimits {
            from_36: born_by_for_age(day, 36),
            over_60: born_by_for_age(day, 61),
        }
    }

    pub fn band(&self, date_of_birth: NaiveDate) -> AgeBand {
        if date_of_birth <= self.over_60 {
            AgeBand::Over60
        } else if date_of_birth <= self.from_36 {
            AgeBand::From36To60
        } else {
            AgeBand::UpTo35
        }
    }
}

/// The first day of the twelve months before `day` that the joined and
/// left figures cover: `(day − 12 months, day]`, so this day is excluded.
pub fn year_before(day: NaiveDate) -> NaiveDate {
    day.checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::age_on;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn a_membership_counts_from_the_day_joined_until_the_day_before_it_ended() {
        let joined = d(2020, 3, 1);
        assert!(!member_on(joined, None, d(2020, 2, 29)));
        assert!(member_on(joined, None, joined));
        assert!(member_on(joined, Some(d(2025, 12, 31)), d(2025, 12, 30)));
        assert!(!member_on(joined, Some(d(2025, 12, 31)), d(2025, 12, 31)));
    }

    #[test]
    fn the_bands_change_on_the_birthday() {
        let limits = AgeLimits::on(d(2025, 12, 31));
        // 36 on the cut-off day itself.
        assert_eq!(limits.band(d(1989, 12, 31)), AgeBand::From36To60);
        assert_eq!(limits.band(d(1990, 1, 1)), AgeBand::UpTo35);
        // 61 on the day, and one day short of it.
        assert_eq!(limits.band(d(1964, 12, 31)), AgeBand::Over60);
        assert_eq!(limits.band(d(1965, 1, 1)), AgeBand::From36To60);
    }

    #[test]
    fn someone_born_on_29_february_has_their_birthday_on_1_march() {
        // 2025-02-28: born 1989-02-29 does not exist; born 1964-02-29 is
        // still 60 on 28 February 2025 and 61 from 1 March.
        let limits = AgeLimits::on(d(2025, 2, 28));
        assert_eq!(limits.band(d(1964, 2, 29)), AgeBand::From36To60);
        assert_eq!(
            AgeLimits::on(d(2025, 3, 1)).band(d(1964, 2, 29)),
            AgeBand::Over60
        );
        // On 29 February the limit is 28 February of a year without one.
        assert_eq!(born_by_for_age(d(2024, 2, 29), 61), d(1963, 2, 28));
    }

    #[test]
    fn the_year_before_is_twelve_calendar_months() {
        assert_eq!(year_before(d(2025, 12, 31)), d(2024, 12, 31));
        assert_eq!(year_before(d(2024, 2, 29)), d(2023, 2, 28));
    }

    proptest! {
        #[test]
        fn the_limits_agree_with_the_age(
            day in 0i32..40_000,
            born in 0i32..40_000,
            years in 0u32..100,
        ) {
            let day = d(1950, 1, 1) + chrono::Days::new(u64::from(day.unsigned_abs()));
            let born = d(1900, 1, 1) + chrono::Days::new(u64::from(born.unsigned_abs()));
            prop_assume!(born <= day);
            prop_assert_eq!(born <= born_by_for_age(day, years), age_on(born, day) >= years);
        }
    }
}
