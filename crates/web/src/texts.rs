//! The web application's German wording in one place, so that a term reads
//! the same on every page and can be corrected without touching a handler.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_app::local_time;
use kartei_domain::application::Status;
use kartei_domain::apportionment::Method;
use kartei_domain::lag::{LagStage, Stage};
use kartei_domain::member::{MemberStatus, TransferStatus};
use kartei_domain::privacy::Purpose;
use kartei_domain::{OrgUnitKind, Role};

pub const STALE_FORM_TITLE: &str = "Formular abgelaufen";
pub const STALE_FORM: &str = "Das Formular ist abgelaufen oder stammt nicht von dieser Sitzung. Bitte laden Sie die Seite neu und senden Sie es noch einmal.";
pub const BAD_REQUEST_TITLE: &str = "Ungültige Angaben";
pub const BAD_REQUEST: &str = "Der Link enthält Angaben, die nicht gelesen werden können, etwa ein Datum, das nicht als TT.MM.JJJJ geschrieben ist.";
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
pub const WHOLE_NUMBER_EXPECTED: &str = "ist keine ganze Zahl (zum Beispiel 120)";
/// Beside a district whose last seat only the order of the list decided.
pub const TIE: &str = "Gleichstand – Los nach Satzung";
pub const MEMBER_CHANGED: &str = "Der Datensatz wurde inzwischen von jemand anderem geändert. Unten sehen Sie den aktuellen Stand.";
pub const TRANSFER_REQUESTED: &str =
    "Der Wechsel ist beantragt. Der aufnehmende Kreisverband wird gebeten, ihn zu bestätigen.";
pub const TRANSFER_CONFIRMED: &str =
    "Der Wechsel ist bestätigt: Das Mitglied gehört jetzt zu Ihrem Kreisverband.";
pub const TRANSFER_DECLINED: &str =
    "Der Wechsel ist abgelehnt; der bisherige Kreisverband wird benachrichtigt.";
pub const TRANSFER_ANSWERED: &str = "Dieser Wechsel ist schon beantwortet worden.";
pub const TRANSFER_REFUSED: &str = "Für dieses Mitglied ist schon ein Wechsel offen, oder der Wechsel passt nicht zu seinem Stand.";
pub const NO_FILE: &str = "Bitte wählen Sie eine CSV-Datei aus.";
pub const IMPORT_NUMBER_TAKEN: &str = "Eine Mitgliedsnummer der Datei wurde inzwischen vergeben. Bitte laden Sie die Datei noch einmal hoch.";
pub const IMPORT_FAILED: &str = "Der Import ist auf dem Server fehlgeschlagen; es wurde nichts gespeichert. Bitte versuchen Sie es noch einmal.";
pub const OWN_ACCOUNT: &str = "Ihr eigenes Konto können Sie weder deaktivieren noch seine Rolle ändern. Bitte bitten Sie eine andere Administratorin oder einen anderen Administrator darum.";
pub const ACCOUNT_CREATED: &str = "Das Konto ist angelegt. Die Person kann sich jetzt mit ihrer E-Mail-Adresse und dem Passwort anmelden.";
pub const ACCOUNT_SAVED: &str = "Das Konto ist gespeichert.";
pub const UNIT_CREATED: &str = "Die Gliederung ist angelegt.";
pub const UNIT_SAVED: &str = "Die Gliederung ist gespeichert.";
pub const ROUTING_REPLACED: &str = "Die Zuordnung ist ersetzt.";
pub const INTEGRATION_CONFLICT: &str = "Dieser Schritt ist schon mit anderen Angaben eingetragen, oder das Mitglied schuldet ihn nicht. Unten sehen Sie den aktuellen Stand.";
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

/// An integration step as the office says it; a step a state association
/// configured itself is shown as configured.
pub fn integration_step(step: &str) -> &str {
    match step {
        "welcome" => "Begrüßung",
        "first_invitation" => "Erste Einladung",
        other => other,
    }
}

/// A contact channel (first contact, integration step) as the office says it.
pub fn contact_channel(channel: &str) -> &str {
    match channel {
        "phone" => "Telefon",
        "email" => "E-Mail",
        "in_person" => "persönlich",
        "letter" => "Brief",
        "video" => "Video",
        "other" => "anderer Weg",
        other => other,
    }
}

/// A share as German print writes a percentage: "37,5 %"; "–" for none.
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(
        || "–".to_owned(),
        |s| format!("{:.1} %", s * 100.0).replace('.', ","),
    )
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

/// A count as German print writes it, thousands grouped by a point:
/// "4.000", "-1.250".
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    if n < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// A count that is a change: "+1", "−1" (a minus sign, as print sets
/// it), "0".
pub fn change(n: i64) -> String {
    match n {
        0 => "0".to_owned(),
        n if n > 0 => format!("+{}", count(n)),
        n => format!("\u{2212}{}", count(-n)),
    }
}

/// A figure whose small differences decide (a quota, a remainder, a
/// divisor's quotient): four places after the decimal comma, thousands
/// grouped; "–" for none.
pub fn decimal_4(value: Option<f64>) -> String {
    let Some(value) = value else {
        return "–".to_owned();
    };
    let text = format!("{:.4}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "0000"));
    let whole = count(whole.parse().unwrap_or(0));
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{whole},{fraction}")
}

/// An apportionment method as statutes name it.
pub fn method(method: Method) -> &'static str {
    match method {
        Method::HareNiemeyer => "Hare-Niemeyer",
        Method::SainteLague => "Sainte-Laguë",
        Method::Adams => "Adams",
        Method::Dhondt => "D'Hondt",
    }
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

/// A member's status as the office says it.
pub fn member_status(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Active => "aktiv",
        MemberStatus::Left => "ausgetreten",
        MemberStatus::Deceased => "verstorben",
        MemberStatus::Expelled => "ausgeschlossen",
    }
}

pub fn transfer_status(status: TransferStatus) -> &'static str {
    match status {
        TransferStatus::Pending => "Wechsel beantragt",
        TransferStatus::Confirmed => "Wechsel bestätigt",
        TransferStatus::Declined => "Wechsel abgelehnt",
    }
}

/// An entry of a member's audit trail (its `action`).
pub fn member_event(action: &str) -> &'static str {
    match action {
        "member_created" => "Eingetragen",
        "member_changed" => "Geändert",
        "member_resigned" => "Austritt eingetragen",
        "member_transferred" => "Gewechselt",
        "member_exported" => "Auskunft erteilt (Art. 15 DSGVO)",
        "member_anonymised" => "Anonymisiert",
        "transfer_requested" => "Wechsel beantragt",
        "transfer_confirmed" => "Wechsel bestätigt",
        "transfer_declined" => "Wechsel abgelehnt",
        _ => "Sonstiger Eintrag",
    }
}

/// A field of the member record, as a change in its history names it.
pub fn member_field(field: &str) -> &'static str {
    match field {
        "first_name" => "Vorname",
        "last_name" => "Nachname",
        "date_of_birth" => "Geburtsdatum",
        "email" => "E-Mail",
        "phone" => "Telefon",
        "street" => "Straße und Hausnummer",
        "postal_code" => "Postleitzahl",
        "city" => "Ort",
        "interests" => "Interessen",
        "district_id" => "Kreisverband",
        "local_id" => "Ortsverband",
        "status" => "Status",
        "left_on" => "Ende der Mitgliedschaft",
        "resigns_on" => "Austritt zum",
        "status_reason" => "Grund",
        "consents" => "Einwilligungen",
        "home_district_id" => "Heimatkreisverband",
        "membership_number" => "Mitgliedsnummer",
        _ => "anderes Feld",
    }
}

/// A value of the history as stored: text as it is, a date in German, a
/// sealed value of an anonymised member as such, nothing as "–".
pub fn stored_value(value: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => "–".to_owned(),
        Some(Value::String(text)) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(date)
            .unwrap_or_else(|_| text.clone()),
        Some(Value::Object(sealed)) if sealed.contains_key("anonymised") => {
            "(nach Anonymisierung nicht mehr lesbar)".to_owned()
        }
        Some(other) => other.to_string(),
    }
}

/// A consent's kind as the member gave it.
pub fn consent(kind: &str) -> &'static str {
    match kind {
        "email_contact" => "Kontakt per E-Mail",
        "phone_contact" => "Kontakt per Telefon",
        "newsletter" => "Newsletter",
        "photos" => "Fotos",
        _ => "andere Einwilligung",
    }
}

/// Why kartei holds the data, in the words of the information given to
/// the person (Art. 15 (1) a).
pub fn purpose(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::MemberRegister => {
            "Führung des Mitgliederverzeichnisses des Landesverbands, seiner Kreisverbände und Ortsverbände"
        }
        Purpose::MeetingsAndDelegates => {
            "Einladung zu Versammlungen und Wahlen, Zählung der Mitglieder für Delegiertenschlüssel"
        }
        Purpose::WelcomingNewMembers => {
            "Begrüßung und Einbindung neuer Mitglieder in ihrem Ortsverband"
        }
        Purpose::TransfersAndHomeTies => {
            "Wechsel zwischen Kreisverbänden und, auf Wunsch, Heimatbindung an einen früheren Kreisverband"
        }
        Purpose::DecidingOnTheDeclaration => {
            "Entscheidung über die Beitrittserklärung, vom Eingang bis zur Aufnahme oder Ablehnung"
        }
        Purpose::RoutingTheDeclaration => {
            "Zuordnung der Erklärung an den für die Anschrift zuständigen Kreis- und Ortsverband"
        }
    }
}

/// A column of an imported file, as the error table names it: the German
/// label with the column's name in the file.
pub fn import_column(column: &str) -> String {
    let label = match column {
        "row" => return "ganze Zeile".to_owned(),
        "header" => return "Kopfzeile".to_owned(),
        other if other.starts_with("column ") => {
            return other.replacen("column", "Spalte", 1);
        }
        "org_unit" | "org_unit_id" => "Gliederung",
        "received_on" => "Eingang der Erklärung",
        "joined_on" => "Eintritt",
        other => match member_field(other) {
            "anderes Feld" => return other.to_owned(),
            label => label,
        },
    };
    format!("{label} ({column})")
}

/// A number of rows: "1 Zeile", "3 Zeilen".
pub fn rows(rows: usize) -> String {
    if rows == 1 {
        "1 Zeile".to_owned()
    } else {
        format!("{rows} Zeilen")
    }
}

/// A unit's level in the tree.
pub fn unit_kind(kind: OrgUnitKind) -> &'static str {
    match kind {
        OrgUnitKind::State => "Landesverband",
        OrgUnitKind::District => "Kreisverband",
        OrgUnitKind::Local => "Ortsverband",
    }
}

/// What an e-mail of the outbox was about (its `kind`).
pub fn mail_kind(kind: &str) -> &'static str {
    match kind {
        "application_routed" => "Erklärung zur Übernahme",
        "application_unroutable" => "Erklärung ohne Zuordnung",
        "application_sent_back" => "Erklärung zurückgegeben",
        "digest" => "Tägliche Übersicht",
        "escalation" => "Eskalation",
        "transfer_requested" => "Wechsel beantragt",
        "transfer_confirmed" => "Wechsel bestätigt",
        "transfer_declined" => "Wechsel abgelehnt",
        _ => "andere Nachricht",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_german_print_sets_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(4000), "4.000");
        assert_eq!(count(1_234_567), "1.234.567");
        assert_eq!(count(-1250), "-1.250");
        assert_eq!(change(1), "+1");
        assert_eq!(change(-2), "\u{2212}2");
        assert_eq!(change(0), "0");
        assert_eq!(decimal_4(Some(45.0 / 17.0)), "2,6471");
        assert_eq!(decimal_4(Some(1234.5)), "1.234,5000");
        assert_eq!(decimal_4(None), "–");
    }
}
