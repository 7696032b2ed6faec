//! A person's data as typed on a declaration: names, birth date, phone.

use std::fmt;

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
/// The string form of [`PersonName::parse`].
pub fn person_name(raw: &str) -> Result<String, PersonError> {
    PersonName::parse(raw).map(PersonName::into_string)
}

/// A first or last name as a person typed it, checked: trimmed, normalised
/// to NFC (so a name typed on a Mac and one typed on Windows compare
/// equal), 1 to 100 characters, no control characters, and at least one
/// letter (a name of digits or dashes is a typing slip).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = NAME_MAX;

    pub fn parse(raw: &str) -> Result<Self, PersonError> {
        let name = text::single_line(raw, NAME_MAX)?;
        if name.chars().any(char::is_alphabetic) {
            Ok(PersonName(name))
        } else {
            Err(PersonError::NoLetter)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<&str> for PersonName {
    type Error = PersonError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        PersonName::parse(raw)
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<PersonName> for String {
    fn from(name: PersonName) -> Self {
        name.0
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
/// `(`, `)`; 6 to 20 digits. Kept as typed, trimmed. The string form of
/// [`Phone::parse`].
pub fn phone(raw: &str) -> Result<String, PersonError> {
    Phone::parse(raw).map(Phone::into_string)
}

/// A phone number, checked and kept as the person wrote it (trimmed): the
/// offices call it, so its grouping stays, and nobody dials from kartei, so
/// it is not rewritten into E.164. Digits with spaces, `+` (only first),
/// `-`, `/`, `(`, `)`; 6 to 20 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub const MIN_DIGITS: usize = 6;
    pub const MAX_DIGITS: usize = 20;

    pub fn parse(raw: &str) -> Result<Self, PersonError> {
        let trimmed = raw.trim();
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        let allowed = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-/()".contains(c));
        let plus_only_first = trimmed.chars().skip(1).all(|c| c != '+');
        if allowed && plus_only_first && (Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits) {
            Ok(Phone(trimmed.to_owned()))
        } else {
            Err(PersonError::Phone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<&str> for Phone {
    type Error = PersonError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        Phone::parse(raw)
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> Self {
        phone.0
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

    #[test]
    fn a_person_name_is_trimmed_normalised_and_needs_a_letter() {
        let name = PersonName::parse("  Zo\u{0065}\u{0308} ");
        assert_eq!(name.as_ref().map(PersonName::as_str), Ok("Zoë"));
        assert_eq!(name.map(|n| n.to_string()), Ok("Zoë".to_owned()));
        assert_eq!(PersonName::parse("--"), Err(PersonError::NoLetter));
        assert_eq!(
            PersonName::parse("\t"),
            Err(PersonError::Text(TextError::Empty))
        );
        assert_eq!(
            PersonName::parse("An\u{0}na"),
            Err(PersonError::Text(TextError::ControlCharacter))
        );
        assert!(PersonName::parse(&"ä".repeat(100)).is_ok());
        assert_eq!(
            PersonName::parse(&"ä".repeat(101)),
            Err(PersonError::Text(TextError::TooLong(100)))
        );
        assert_eq!(
            PersonName::try_from("Ada").map(String::from),
            Ok("Ada".into())
        );
    }

    #[test]
    fn name_and_phone_messages_are_those_the_api_answers() {
        let message = |r: Result<PersonName, PersonError>| r.map_err(|e| e.to_string());
        assert_eq!(
            message(PersonName::parse("")),
            Err("must not be empty".into())
        );
        assert_eq!(
            message(PersonName::parse(&"a".repeat(101))),
            Err("must be at most 100 characters".into())
        );
        assert_eq!(
            message(PersonName::parse("a\u{1}")),
            Err("must not contain control characters".into())
        );
        assert_eq!(
            message(PersonName::parse("42")),
            Err("must contain a letter".into())
        );
        assert_eq!(
            Phone::parse("x").map_err(|e| e.to_string()),
            Err("is not a valid phone number".to_owned())
        );
    }

    #[test]
    fn a_phone_number_is_kept_as_written() {
        assert_eq!(
            Phone::parse(" +49 (351) 123-45-67 ").map(Phone::into_string),
            Ok("+49 (351) 123-45-67".to_owned())
        );
        assert!(Phone::parse("123456").is_ok());
        assert!(Phone::parse(&"1".repeat(20)).is_ok());
        assert_eq!(Phone::parse(&"1".repeat(21)), Err(PersonError::Phone));
        assert_eq!(Phone::parse("0351\n123456"), Err(PersonError::Phone));
    }

    #[test]
    fn the_string_functions_agree_with_the_types() {
        for raw in [" Anna ", "", "1", "Ötzi", "a\u{7}"] {
            assert_eq!(
                person_name(raw),
                PersonName::parse(raw).map(String::from),
                "{raw:?}"
            );
        }
        for raw in ["0351 1234567", "12345", "+49 +1"] {
            assert_eq!(phone(raw), Phone::parse(raw).map(String::from), "{raw:?}");
        }
    }
}
