//! The date rules of a membership's end, decided before [`leave`] records
//! it: a resignation may be recorded up to a year ahead and never before
//! the member joined; a death or an expulsion is recorded after the fact,
//! through the member edit, and never for a day still to come.
//!
//! [`leave`]: crate::member::leave

use chrono::{Days, NaiveDate};

use super::{Member, MemberStatus};

/// How far ahead a resignation may be recorded, in days: notice periods
/// run to the end of a quarter or a year, and a date further out is a
/// typing slip in the year.
pub const RESIGNATION_AHEAD_MAX_DAYS: u64 = 366;

/// Why an end of membership cannot be recorded as asked. Each is a field
/// error of the request ([`EndingError::field`]); the messages are the
/// ones the API answered before the rules moved here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndingError {
    /// The member edit sets only the ends that happen to a member; leaving
    /// by one's own will has its own step with its own rules.
    #[error("may only be set to deceased or expelled here; use /resignation to leave")]
    NotByEdit,
    #[error("is required with a status")]
    DateMissing,
    #[error("must not be in the future")]
    InFuture,
    #[error("must lie within a year from today")]
    TooFarAhead,
    #[error("must not be before the member joined")]
    BeforeJoining,
}

impl EndingError {
    /// The request field the error belongs to.
    pub fn field(self) -> &'static str {
        match self {
            EndingError::NotByEdit => "status",
            EndingError::DateMissing | EndingError::InFuture => "left_on",
            EndingError::TooFarAhead | EndingError::BeforeJoining => "effective_on",
        }
    }
}

/// The end a member edit asks for (`status` with `left_on`): death or
/// expulsion, on a day that has come. Answers the status and day to hand
/// to [`leave`](crate::member::leave).
pub fn ending_by_edit(
    status: MemberStatus,
    left_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(MemberStatus, NaiveDate), EndingError> {
    match (status, left_on) {
        (MemberStatus::Deceased | MemberStatus::Expelled, Some(on)) if on > today => {
            Err(EndingError::InFuture)
        }
        (MemberStatus::Deceased | MemberStatus::Expelled, Some(on)) => Ok((status, on)),
        (MemberStatus::Deceased | MemberStatus::Expelled, None) => Err(EndingError::DateMissing),
        (MemberStatus::Active | MemberStatus::Left, _) => Err(EndingError::NotByEdit),
    }
}

/// A resignation's day, checked against today alone, so it can be
/// answered before the member is read: at most a year ahead. A day in the
/// past is fine; resignations reach the office late.
pub fn resignation_in_reach(
    effective_on: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, EndingError> {
    let latest = today
        .checked_add_days(Days::new(RESIGNATION_AHEAD_MAX_DAYS))
        .unwrap_or(NaiveDate::MAX);
    if effective_on > latest {
        Err(EndingError::TooFarAhead)
    } else {
        Ok(effective_on)
    }
}

/// A membership cannot end before it began.
pub fn not_before_joining(member: &Member, on: NaiveDate) -> Result<NaiveDate, EndingError> {
    if on < member.joined_on {
        Err(EndingError::BeforeJoining)
    } else {
        Ok(on)
    }
}

/// The whole rule of a resignation's day, for a caller that has the
/// member at hand: within reach, and not before joining.
pub fn resignation_day(
    member: &Member,
    effective_on: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, EndingError> {
    resignation_in_reach(effective_on, today)?;
    not_before_joining(member, effective_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::member::tests::member;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn the_edit_ends_a_membership_only_by_death_or_expulsion() {
        let today = d(2026, 12, 1);
        for status in [MemberStatus::Deceased, MemberStatus::Expelled] {
            assert_eq!(
                ending_by_edit(status, Some(today), today),
                Ok((status, today))
            );
            assert_eq!(
                ending_by_edit(status, Some(d(2026, 12, 2)), today),
                Err(EndingError::InFuture)
            );
            assert_eq!(
                ending_by_edit(status, None, today),
                Err(EndingError::DateMissing)
            );
        }
        for status in [MemberStatus::Active, MemberStatus::Left] {
            assert_eq!(
                ending_by_edit(status, Some(today), today),
                Err(EndingError::NotByEdit)
            );
            assert_eq!(
                ending_by_edit(status, None, today),
                Err(EndingError::NotByEdit)
            );
        }
    }

    #[test]
    fn a_resignation_reaches_a_year_ahead_and_any_day_back_to_joining() {
        let today = d(2026, 12, 1);
        assert_eq!(
            resignation_in_reach(d(2027, 12, 2), today),
            Ok(d(2027, 12, 2))
        );
        assert_eq!(
            resignation_in_reach(d(2027, 12, 3), today),
            Err(EndingError::TooFarAhead)
        );
        assert_eq!(
            resignation_in_reach(d(2001, 1, 1), today),
            Ok(d(2001, 1, 1))
        );
        assert_eq!(
            resignation_in_reach(NaiveDate::MAX, NaiveDate::MAX),
            Ok(NaiveDate::MAX)
        );

        let member = member(None);
        assert_eq!(member.joined_on, d(2026, 1, 2));
        assert_eq!(
            resignation_day(&member, d(2026, 1, 2), today),
            Ok(d(2026, 1, 2))
        );
        assert_eq!(
            resignation_day(&member, d(2026, 1, 1), today),
            Err(EndingError::BeforeJoining)
        );
        assert_eq!(
            resignation_day(&member, d(2028, 1, 1), today),
            Err(EndingError::TooFarAhead)
        );
    }

    #[test]
    fn errors_name_their_field_and_the_api_messages() {
        let cases = [
            (
                EndingError::NotByEdit,
                "status",
                "may only be set to deceased or expelled here; use /resignation to leave",
            ),
            (
                EndingError::DateMissing,
                "left_on",
                "is required with a status",
            ),
            (
                EndingError::InFuture,
                "left_on",
                "must not be in the future",
            ),
            (
                EndingError::TooFarAhead,
                "effective_on",
                "must lie within a year from today",
            ),
            (
                EndingError::BeforeJoining,
                "effective_on",
                "must not be before the member joined",
            ),
        ];
        for (error, field, message) in cases {
            assert_eq!(
                (error.field(), error.to_string().as_str()),
                (field, message)
            );
        }
    }
}
