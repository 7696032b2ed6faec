//! A person's data as a request carries it (registration, direct entry,
//! import), checked field by field into the domain's `Applicant`.

use chrono::NaiveDate;
use kartei_domain::application::Applicant;
use kartei_domain::{EmailAddress, PersonName, Phone, PostalCode, person, text};

use crate::checks::Checks;

pub const INTERESTS_MAX: usize = 20;

/// The raw fields, as strings where people type them.
pub struct PersonInput<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub date_of_birth: NaiveDate,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub street: &'a str,
    pub postal_code: &'a str,
    pub city: &'a str,
    pub interests: &'a [String],
}

/// A trimmed optional text; empty counts as absent.
pub fn optional(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// Checks every field; the birth date against `declared_on` (minimum age).
pub fn parse(
    checks: &mut Checks,
    input: &PersonInput<'_>,
    declared_on: NaiveDate,
) -> Option<Applicant> {
    let first_name = checks.field(
        "first_name",
        PersonName::parse(input.first_name).map(PersonName::into_string),
    );
    let last_name = checks.field(
        "last_name",
        PersonName::parse(input.last_name).map(PersonName::into_string),
    );
    let birth_ok = checks
        .field(
            "date_of_birth",
            person::check_birth_date(input.date_of_birth, declared_on),
        )
        .is_some();
    let email = match optional(input.email) {
        Some(raw) => checks.field("email", EmailAddress::parse(raw)).map(Some),
        None => Some(None),
    };
    let phone = match optional(input.phone) {
        Some(raw) => checks
            .field("phone", Phone::parse(raw).map(Phone::into_string))
            .map(Some),
        None => Some(None),
    };
    let street = checks.field("street", text::single_line(input.street, 200));
    let postal_code = checks.field("postal_code", PostalCode::parse(input.postal_code));
    let city = checks.field("city", text::single_line(input.city, 100));
    if input.interests.len() > INTERESTS_MAX {
        checks.fail("interests", format!("at most {INTERESTS_MAX} entries"));
    }
    let interests: Vec<String> = input
        .interests
        .iter()
        .enumerate()
        .filter_map(|(i, interest)| {
            checks.field(&format!("interests[{i}]"), text::single_line(interest, 100))
        })
        .collect();
    let interests_ok = interests.len() == input.interests.len();
    Some(Applicant {
        first_name: first_name?,
        last_name: last_name?,
        date_of_birth: birth_ok.then_some(input.date_of_birth)?,
        email: email?,
        phone: phone?,
        street: street?,
        postal_code: postal_code?,
        city: city?,
        interests: interests_ok.then_some(interests)?,
    })
}
