//! The web application's German wording in one place, so that a term reads
//! the same on every page and can be corrected without touching a handler.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_app::local_time;
use kartei_domain::Role;
use kartei_domain::application::Status;
use kartei_domain::lag::{LagStage, Stage};

pub const STALE_FORM_TITLE: &str = "Formular abgelaufen";
pub const STALE_FORM: &str = "Das Formular ist abgelaufen oder stammt nicht von dieser Sitzung. Bitte laden Sie die Seite neu und senden Sie es noch einmal.";
pub const FORBIDDEN_TITLE: &str = "Keine Berechtigung";
pub const FORBIDDEN: &str = "Ihre Rolle erlaubt diese Seite nicht.";
pub const NOT_FOUND_TITLE: &str = "Nicht gefunden";
pub const NOT_FOUND: &str = "Diese Seite gibt es nicht, oder sie liegt außerhalb Ihres Bereichs.";
pub const UNAVAILABLE_TITLE: &str = "Vorübergehend nicht erreichbar";
pub const UNAVAILABLE: &str =
    "Die Datenbank antwortet gerade nicht. Bitte versuchen Sie es in einer Minute noch einmal.";
pub const INTERNAL_TITLE: &str = "Fehler";
pub const INTERNAL: &str = "Auf dem Server ist ein Fehler aufgetreten. Er wurde protokolliert; bitte versuchen Sie es noch einmal.";

pub const SIGN_IN_FAILED: &str = "E-Mail-Adresse oder Passwort stimmen nicht.";
pub const SIGN_IN_THROTTLED: &str =
    "Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie einige Minuten.";
pub const SIGNED_OUT: &str = "Sie sind abgemeldet.";
pub const NO_ROUTE: &str = "Für diese Postleitzahl gibt es keine Zuordnung: Die Erklärung geht an die Landesgeschäftsstelle.";
pub const DATE_EXPECTED: &str = "ist kein Datum (TT.MM.JJJJ)";
pub const CHOOSE_ONE: &str = "bitte wählen";
pub const STEP_CONFLICT: &str = "Dieser Schritt passt nicht mehr zum Stand der Beitrittserklärung; jemand anderes hat sie inzwischen bearbeitet. Unten sehen Sie den aktuellen Stand.";

/// The role as the office calls it.
pub fn role(role: Role) -> &'static str {
    match role {
        Role::Admin => "Administration",
        Role::StateOffice => "Landesgeschäftsstelle",
        Role::DistrictOffice => "Kreisgeschäftsstelle",
        Role::LocalBranch => "Ortsverband",
        Role::Board => "Landesvorstand",
    }
}

/// What is owed in a stage, as a heading of the start page.
pub fn owed_in(stage: LagStage) -> &'static str {
    match stage {
        LagStage::Registration => "Zu verteilen (Landesgeschäftsstelle)",
        LagStage::Handover => "Übernahme zu bestätigen",
        LagStage::Contact => "Erstkontakt aufzunehmen",
        LagStage::Decision => "Über die Aufnahme zu entscheiden",
    }
}

/// A declaration's status as the office says it.
pub fn status(status: Status) -> &'static str {
    match status {
        Status::Received => "Eingegangen",
        Status::Unroutable => "Nicht zuzuordnen",
        Status::Routed => "Zugeordnet",
        Status::HandedOver => "Übernommen",
        Status::Contacted => "Kontaktiert",
        Status::Admitted => "Aufgenommen",
        Status::Rejected => "Abgelehnt",
        Status::Withdrawn => "Zurückgezogen",
    }
}

/// A timeline entry (`EventKind::as_str`) as the office says it.
pub fn event(kind: &str) -> &str {
    match kind {
        "registered" => "Erfasst",
        "routed" => "Zugeordnet",
        "unroutable" => "Keinem Kreisverband zuzuordnen",
        "handover_confirmed" => "Übernahme bestätigt",
        "rerouted" => "Weitergeleitet",
        "contact_recorded" => "Erstkontakt",
        "admitted" => "Aufgenommen",
        "rejected" => "Abgelehnt",
        "withdrawn" => "Zurückgezogen",
        other => other,
    }
}

/// The stage a clock runs in, as the office says it.
pub fn stage(stage: Stage) -> &'static str {
    match stage {
        Stage::Handover => "Übernahme",
        Stage::FirstContact => "Erstkontakt",
        Stage::Decision => "Entscheidung",
    }
}

/// Why two records look like the same person.
pub fn matched_on(matched_on: &str) -> &'static str {
    match matched_on {
        "email" => "gleiche E-Mail-Adresse",
        _ => "gleicher Name und Geburtsdatum",
    }
}

/// A date as German offices write it: `TT.MM.JJJJ`.
pub fn date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// An instant in the office's time zone: `TT.MM.JJJJ, HH:MM Uhr`.
pub fn instant(at: DateTime<Utc>) -> String {
    format!(
        "{}, {} Uhr",
        date(local_time::local_date(at)),
        local_time::local_time(at).format("%H:%M")
    )
}

/// Days with one decimal and a decimal comma ("12,5"); "–" for none.
pub fn decimal_days(days: Option<f64>) -> String {
    days.map_or_else(|| "–".to_owned(), |d| format!("{d:.1}").replace('.', ","))
}

/// How long something has waited: "seit heute", "seit 1 Tag", "seit 3
/// Tagen".
pub fn since_days(days: i64) -> String {
    match days {
        0 => "seit heute".to_owned(),
        1 => "seit 1 Tag".to_owned(),
        n => format!("seit {n} Tagen"),
    }
}

/// How a declaration reached the office.
pub fn intake_channel(channel: &str) -> &str {
    match channel {
        "paper" => "auf Papier",
        "email" => "per E-Mail",
        "online" => "über das Online-Formular",
        "event" => "auf einer Veranstaltung",
        "phone" => "am Telefon",
        "other" => "auf anderem Weg",
        other => other,
    }
}

/// A number of days: "1 Tag", "3 Tage".
pub fn days(days: i64) -> String {
    if days == 1 {
        "1 Tag".to_owned()
    } else {
        format!("{days} Tage")
    }
}
