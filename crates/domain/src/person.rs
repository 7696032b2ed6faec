//! A person's data as typed on a declaration: names, birth date, phone.

use chrono::{Datelike, NaiveDate};

use crate::text::{self, TextError};

/// The minimum age to join, by the party's statutes.
pub const MINIMUM_AGE: u32 = 14;
const NAME_MAX: usize = 100;
const OLDEST_PLAUSIBLE_AGE: u32 = 120;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    #[error("{0}")]
    Text(#[from] TextError),
    #[error("must contain a letter")]
    NoLetter,
    #[error("must not be in the future")]
    InFuture,
    #[error("the applicant must be at least {MINIMUM_AGE} years old")]
    TooYoung,
    #[error("is not a plausible birth date")]
    Implausible,
    #[error("is not a valid phone number")]
    Phone,
}

/// A first or last name: trimmed, NFC, 1 to 100 characters, with a letter.
pub fn person_name(raw: &str) -> Result<String, PersonError> {
    let name = text::single_line(raw, NAME_MAX)?;
    if name.chars().any(char::is_alphabetic) {
        Ok(name)
    } else {
        Err(PersonError::NoLetter)
    }
}

/// Full years of age on `date`.
pub fn age_on(date_of_birth: NaiveDate, date: NaiveDate) -> u32 {
    let mut years = date.year() - date_of_birth.year();
    if (date.month(), date.day()) < (date_of_birth.month(), date_of_birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// Checks a birth date against the date the declaration was made.
pub fn check_birth_date(
    date_of_birth: NaiveDate,
    declared_on: NaiveDate,
) -> Result<(), PersonError> {
    if date_of_birth > declared_on {
        return Err(PersonError::InFuture);
    }
    let age = age_on(date_of_birth, declared_on);
    if age > OLDEST_PLAUSIBLE_AGE {
        Err(PersonError::Implausible)
    } else if age < MINIMUM_AGE {
        Err(PersonError::TooYoung)
    } else {
        Ok(())
    }
}

/// A phone number as people write it: digits with spaces, `+`, `-`, `/`,
/// `(`, `)`; 6 to 20 digits. Kept as typed, trimmed.
pub fn phone(raw: &str) -> Result<String, PersonError> {
    let trimmed = raw.trim();
    let digits = trimmed.chars().filter(char::is_ascii_digit).count();
    let allowed = trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || " +-/()".contains(c));
    let plus_only_first = trimmed.chars().skip(1).all(|c| c != '+');
    if allowed && plus_only_first && (6..=20).contains(&digits) {
        Ok(trimmed.to_owned())
    } else {
        Err(PersonError::Phone)
    }
}

/// A date that must not lie after `today`.
pub fn not_in_future(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, PersonError> {
    if date > today {
        Err(PersonError::InFuture)
    } else {
        Ok(date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn names_need_a_letter() {
        assert_eq!(person_name(" Anna-Lena "), Ok("Anna-Lena".into()));
        assert_eq!(person_name("Ötzi"), Ok("Ötzi".into()));
        assert_eq!(person_name("123"), Err(PersonError::NoLetter));
        assert!(person_name("").is_err());
        assert!(person_name(&"a".repeat(101)).is_err());
    }

    #[test]
    fn age_counts_full_years() {
        assert_eq!(age_on(d(2012, 6, 15), d(2026, 6, 14)), 13);
        assert_eq!(age_on(d(2012, 6, 15), d(2026, 6, 15)), 14);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), 17);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), 18);
    }

    #[test]
    fn applicants_are_at_least_fourteen_on_the_day_they_declare() {
        assert_eq!(check_birth_date(d(2012, 6, 15), d(2026, 6, 15)), Ok(()));
        assert_eq!(
            check_birth_date(d(2012, 6, 16), d(2026, 6, 15)),
            Err(PersonError::TooYoung)
        );
        assert_eq!(
            check_birth_date(d(2027, 1, 1), d(2026, 6, 15)),
            Err(PersonError::InFuture)
        );
        assert_eq!(
            check_birth_date(d(1890, 1, 1), d(2026, 6, 15)),
            Err(PersonError::Implausible)
        );
    }

    #[test]
    fn phone_numbers_as_people_write_them() {
        for ok in ["0351 1234567", "+49 (351) 123-45-67", "0171/2345678"] {
            assert!(phone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "12345",
            "call me",
            "+49 351 +1234567",
            "0351 1234567 ext 5",
            "",
        ] {
            assert_eq!(phone(bad), Err(PersonError::Phone), "{bad}");
        }
    }
}
