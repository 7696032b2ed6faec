//! What every form shares: dates as people type them, and the use cases'
//! field errors in German, keyed by field, for the page to show beside
//! each field.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::http::StatusCode;
use chrono::NaiveDate;
use kartei_app::{AppError, FieldError};
use uuid::Uuid;

use crate::error::WebError;
use crate::texts;

/// German messages by field, as a form shows them.
#[derive(Debug, Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn of(errors: &[FieldError]) -> FieldErrors {
        let mut found = FieldErrors::default();
        found.add_all(errors);
        found
    }

    /// A use case's errors, in German, beside those found already.
    pub fn add_all(&mut self, errors: &[FieldError]) {
        for error in errors {
            self.add(&error.field, german(&error.message));
        }
    }

    /// The date typed into `field`, or its error: the one way every form
    /// reads a date.
    pub fn date(&mut self, field: &str, typed: &str) -> Option<NaiveDate> {
        let day = parse_date(typed);
        if day.is_none() {
            self.add(field, crate::texts::DATE_EXPECTED.to_owned());
        }
        day
    }

    pub fn add(&mut self, field: &str, message: String) {
        self.0.entry(field.to_owned()).or_insert(message);
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One option of a select of fixed values.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// A field where the form and the stored record differ after someone
/// else saved.
pub struct Difference {
    pub label: &'static str,
    pub typed: String,
    pub stored: String,
}

/// Of each field's label, what was typed and what is stored now: those
/// where the two differ.
pub fn differences<'a>(
    fields: impl IntoIterator<Item = (&'static str, &'a str, &'a str)>,
) -> Vec<Difference> {
    fields
        .into_iter()
        .filter(|(_, typed, now)| typed.trim() != now.trim())
        .map(|(label, typed, now)| Difference {
            label,
            typed: typed.to_owned(),
            stored: now.to_owned(),
        })
        .collect()
}

/// One refused row and field of a file, in German.
pub struct RefusedRow {
    pub row: String,
    pub field: String,
    pub message: String,
}

impl RefusedRow {
    pub fn of(error: &FieldError) -> RefusedRow {
        RefusedRow {
            row: match error.row {
                Some(0) => "Kopfzeile".to_owned(),
                Some(row) => row.to_string(),
                None => "–".to_owned(),
            },
            field: texts::import_column(&error.field),
            message: german(&error.message),
        }
    }
}

/// A form with a file (`enctype="multipart/form-data"`): its CSRF token
/// and the file, if one was chosen.
pub struct Upload {
    pub csrf: String,
    pub file: Option<Bytes>,
}

/// Reads an upload whose file is the field `datei`.
pub async fn read_upload(mut multipart: Multipart) -> Result<Upload, WebError> {
    let mut found = Upload {
        csrf: String::new(),
        file: None,
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| WebError::BadRequest)?
    {
        match field.name() {
            Some("csrf") => found.csrf = field.text().await.map_err(|_| WebError::BadRequest)?,
            Some("datei") => {
                let bytes = field.bytes().await.map_err(|_| WebError::BadRequest)?;
                found.file = Some(bytes).filter(|b| !b.is_empty());
            }
            _ => {}
        }
    }
    Ok(found)
}

/// A use case's refusal of a form, told at its fields: every invalid
/// field, and a conflict with what is stored (an address or a code
/// another record has) at the field `taken` names for it. Any other
/// refusal is the caller's to answer.
pub fn at_fields(
    err: AppError,
    errors: &mut FieldErrors,
    taken: impl Fn(&str) -> Option<&'static str>,
) -> Result<(), AppError> {
    match err {
        AppError::Invalid(fields) => errors.add_all(&fields),
        AppError::Conflict(message) => match taken(&message) {
            Some(field) => errors.add_all(&[FieldError::new(field, "is already taken")]),
            None => return Err(AppError::Conflict(message)),
        },
        other => return Err(other),
    }
    Ok(())
}

/// The status of a form that comes back: someone else's change in the
/// way (409), or fields to correct (422).
pub fn refused_status(conflict: bool) -> StatusCode {
    if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A free text field: absent when left blank.
pub fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The id in a page's path; anything else is a page that does not exist.
pub fn page_id(raw: &str) -> Result<Uuid, WebError> {
    Uuid::try_parse(raw).map_err(|_| WebError::NotFound)
}

/// A date as typed: `TT.MM.JJJJ`, or `JJJJ-MM-TT` (what a browser's date
/// field sends).
fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%d.%m.%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// The German of a use case's field message. The rules write their
/// messages in English for the API; a page says the same in German.
pub fn german(message: &str) -> String {
    if let Some(n) = number_in(message, "must be at most ", " characters") {
        return format!("darf höchstens {n} Zeichen lang sein");
    }
    if let Some(n) = number_in(message, "must be at least ", " characters") {
        return format!("muss mindestens {n} Zeichen lang sein");
    }
    if message.starts_with("must be one of") || message.starts_with("must be among") {
        return "ist keiner der erlaubten Werte".to_owned();
    }
    if let Some((found, header)) = message
        .strip_prefix("has ")
        .and_then(|fields| fields.split_once(" fields, the header "))
    {
        return format!("hat {found} Felder, die Kopfzeile {header}");
    }
    if let Some(row) = message.strip_prefix("repeats row ") {
        return format!("wiederholt Zeile {row}");
    }
    if message.starts_with("is not valid UTF-8") {
        return "enthält Zeichen, die weder UTF-8 noch Windows-1252 sind; bitte speichern Sie die Datei \
                noch einmal als „CSV UTF-8“"
            .to_owned();
    }
    if message.ends_with(" account must be bound to an org unit") {
        return "ist für diese Rolle erforderlich".to_owned();
    }
    if message.contains(" account must be bound to a ") {
        return "passt nicht zur Rolle: Kreisgeschäftsstellen gehören zu einem Kreisverband, \
                Ortsverbände zu einem Ortsverband, alle anderen zum Landesverband oder zu keiner Gliederung"
            .to_owned();
    }
    if message.ends_with(" needs a parent unit") {
        return "ist für einen Kreis- oder Ortsverband erforderlich".to_owned();
    }
    if message.starts_with("the parent of a ") {
        return "passt nicht: Ein Kreisverband gehört zum Landesverband, ein Ortsverband zu einem Kreisverband"
            .to_owned();
    }
    if message.starts_with("unknown method") {
        return "ist keines der Verfahren Hare-Niemeyer, Sainte-Laguë, Adams oder D'Hondt"
            .to_owned();
    }
    if let Some((needed, rest)) = message
        .strip_prefix("must be at least ")
        .and_then(|rest| rest.split_once(": "))
        && let Some((base, districts)) = rest
            .strip_suffix(" districts")
            .and_then(|rest| rest.split_once(" base seats for each of "))
    {
        return format!(
            "muss mindestens {needed} sein: {base} Grundmandate für jeden der {districts} Kreisverbände"
        );
    }
    if message.starts_with("the applicant must be at least") {
        return "Die Person ist zu jung für eine Mitgliedschaft".to_owned();
    }
    let known = match message {
        "is required" => "ist erforderlich",
        "a rejection needs a reason" => "ist bei einer Ablehnung erforderlich",
        "must not be empty" => "darf nicht leer sein",
        "must not be in the future" => "darf nicht in der Zukunft liegen",
        "must not contain control characters" => "darf keine Steuerzeichen enthalten",
        "must contain a letter" => "muss einen Buchstaben enthalten",
        "must be exactly five digits" => "muss genau fünf Ziffern haben",
        "is not a valid phone number" => "ist keine gültige Telefonnummer",
        "is not a valid e-mail address" => "ist keine gültige E-Mail-Adresse",
        "is not a plausible birth date" => "ist kein plausibles Geburtsdatum",
        "must not be before received_on" => "darf nicht vor dem Eingang liegen",
        "must not be before the member joined" => "darf nicht vor dem Eintritt liegen",
        "must not be before the step started (the day the member was entered)" => {
            "darf nicht vor der Eintragung des Mitglieds liegen"
        }
        "must lie within a year of today" | "must lie within a year from today" => {
            "muss innerhalb eines Jahres von heute liegen"
        }
        "no such org unit" => "diese Gliederung gibt es nicht",
        "must be a date (YYYY-MM-DD or DD.MM.YYYY)" => {
            "ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT)"
        }
        "is not a known unit" => "ist kein bekanntes Kürzel eines Kreis- oder Ortsverbands",
        "is not a known column name" => "ist keine bekannte Spalte",
        "is a required column" | "is a required column (or org_unit_id)" => "fehlt als Spalte",
        "appears twice" => "kommt zweimal vor",
        "appears more than once" => "kommt mehrfach vor",
        "may contain only letters, digits and hyphens" => {
            "darf nur Buchstaben, Ziffern und Bindestriche enthalten"
        }
        "a state unit has no parent" => "muss beim Landesverband leer bleiben",
        "cannot be read as CSV" => "kann nicht als CSV gelesen werden",
        "is already taken" => "ist schon vergeben",
        "is outside your part of the organisation" => "liegt außerhalb Ihres Bereichs",
        "must be a district or a local branch" => "muss ein Kreis- oder Ortsverband sein",
        "must be even when seats are given in pairs" => {
            "muss gerade sein, wenn paarweise vergeben wird"
        }
        "There are no members to distribute seats by; only the base seats can be given." => {
            "Es gibt am Stichtag keine Mitglieder, nach denen Sitze verteilt werden könnten; \
             nur die Grundmandate können vergeben werden"
        }
        "There are no districts to give seats to." => {
            "Es gibt keine Kreisverbände, an die Sitze gehen könnten"
        }
        "must be the state or a district" => "muss der Landesverband oder ein Kreisverband sein",
        "is too early" => "liegt zu früh",
        "the first contact must be recorded before or together with the decision" => {
            "Vor der Entscheidung muss der Erstkontakt eingetragen sein"
        }
        _ => "ist ungültig",
    };
    known.to_owned()
}

fn number_in(message: &str, before: &str, after: &str) -> Option<u32> {
    message
        .strip_prefix(before)?
        .strip_suffix(after)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_people_and_browsers_type_them() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1);
        assert_eq!(parse_date("01.03.2026"), day);
        assert_eq!(parse_date(" 2026-03-01 "), day);
        assert_eq!(parse_date("1.3.2026"), day);
        assert_eq!(parse_date("31.02.2026"), None);
        assert_eq!(parse_date("gestern"), None);
    }

    #[test]
    fn messages_read_in_german() {
        assert_eq!(german("is required"), "ist erforderlich");
        assert_eq!(
            german("must be at most 1000 characters"),
            "darf höchstens 1000 Zeichen lang sein"
        );
        assert_eq!(
            german("must be one of phone, email, in_person, letter, video, other"),
            "ist keiner der erlaubten Werte"
        );
        // The tree's and the accounts' rules, which carry a role or kind.
        assert_eq!(
            german("a district_office account must be bound to an org unit"),
            "ist für diese Rolle erforderlich"
        );
        assert!(
            german("a local_branch account must be bound to a local unit")
                .starts_with("passt nicht zur Rolle")
        );
        assert!(german("the parent of a local must be a district").starts_with("passt nicht"));
        assert_eq!(
            german("a district needs a parent unit"),
            "ist für einen Kreis- oder Ortsverband erforderlich"
        );
        // The delegate key's parameters.
        assert_eq!(
            german("unknown method; expected one of hare-niemeyer, sainte-lague, adams, dhondt"),
            "ist keines der Verfahren Hare-Niemeyer, Sainte-Laguë, Adams oder D'Hondt"
        );
        assert_eq!(
            german("must be at least 26: 2 base seats for each of 13 districts"),
            "muss mindestens 26 sein: 2 Grundmandate für jeden der 13 Kreisverbände"
        );
        assert_eq!(
            german("must be even when seats are given in pairs"),
            "muss gerade sein, wenn paarweise vergeben wird"
        );
        // Whatever a rule says that has no German yet is still not English.
        assert_eq!(german("something new"), "ist ungültig");
    }
}
