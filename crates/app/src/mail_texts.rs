//! The German texts of kartei's e-mails. Subjects never carry personal data;
//! bodies name only the case number, dates and the unit, so a mail read by the
//! wrong person reveals no member.

use chrono::NaiveDate;
use kartei_persistence::outbox::NewMail;
use uuid::Uuid;

const SIGNATURE: &str =
    "\n\n-- \nkartei, Mitgliederverwaltung\nDiese Nachricht wurde automatisch erstellt.\n";

/// Where a mail's case is in the web application (`server.public_url`):
/// its id in an address, nothing about the person.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    base: &'a str,
}

impl<'a> Links<'a> {
    pub fn new(public_url: &'a str) -> Links<'a> {
        Links {
            base: public_url.trim_end_matches('/'),
        }
    }

    pub fn application(&self, id: Uuid) -> String {
        format!("{}/erklaerungen/{id}", self.base)
    }

    pub fn transfers(&self) -> String {
        format!("{}/wechsel", self.base)
    }

    pub fn inbox(&self) -> String {
        format!("{}/erklaerungen?ueberfaellig=1", self.base)
    }
}

fn date_de(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// To a district or branch: a declaration was routed to it.
pub fn application_routed(
    links: &Links<'_>,
    recipient: String,
    unit_name: &str,
    application_id: Uuid,
    received_on: NaiveDate,
    handover_days: u32,
) -> NewMail {
    NewMail {
        kind: "application_routed",
        recipient,
        subject: "Neue Beitrittserklärung zur Übernahme".into(),
        body: format!(
            "Guten Tag,\n\n\
             dem {unit_name} wurde eine neue Beitrittserklärung zugeordnet \
             (Vorgang {application_id}, eingegangen am {}).\n\n\
             Bitte bestätigen Sie die Übernahme in kartei innerhalb von {handover_days} Tagen \
             oder geben Sie den Vorgang mit Begründung an die Landesgeschäftsstelle zurück:\n\
             {}{SIGNATURE}",
            date_de(received_on),
            links.application(application_id),
        ),
    }
}

/// To the state office: a declaration is waiting in its manual queue.
pub fn application_needs_routing(
    links: &Links<'_>,
    recipient: String,
    application_id: Uuid,
    received_on: NaiveDate,
    sent_back: bool,
) -> NewMail {
    let (kind, subject, why) = if sent_back {
        (
            "application_sent_back",
            "Beitrittserklärung zurückgegeben",
            "wurde von einem Kreisverband zurückgegeben",
        )
    } else {
        (
            "application_unroutable",
            "Beitrittserklärung ohne Zuordnung",
            "konnte keinem Kreisverband zugeordnet werden",
        )
    };
    NewMail {
        kind,
        recipient,
        subject: subject.into(),
        body: format!(
            "Guten Tag,\n\n\
             die Beitrittserklärung {application_id} (eingegangen am {}) {why} \
             und liegt jetzt in der Warteschlange der Landesgeschäftsstelle.\n\n\
             Bitte ordnen Sie sie in kartei von Hand zu:\n{}{SIGNATURE}",
            date_de(received_on),
            links.application(application_id),
        ),
    }
}

/// One line of a digest.
pub struct DigestLine {
    pub application_id: Uuid,
    pub received_on: NaiveDate,
    pub stage_label: &'static str,
    pub stage_days: i64,
    pub entry_days: i64,
    pub escalated: bool,
}

fn lines_text(links: &Links<'_>, lines: &[DigestLine]) -> String {
    let mut text = String::new();
    let mut current_stage = "";
    for line in lines {
        if line.stage_label != current_stage {
            current_stage = line.stage_label;
            text.push_str(&format!("\n{current_stage}:\n"));
        }
        text.push_str(&format!(
            "  - Vorgang {}, eingegangen am {}, seit {} Tagen in dieser Stufe, {} Tage seit Eingang{}\n    {}\n",
            line.application_id,
            date_de(line.received_on),
            line.stage_days,
            line.entry_days,
            if line.escalated { " (eskaliert)" } else { "" },
            links.application(line.application_id),
        ));
    }
    text
}

/// To a district: its overdue items, by stage.
pub fn digest(
    links: &Links<'_>,
    recipient: String,
    unit_name: &str,
    day: NaiveDate,
    lines: &[DigestLine],
) -> NewMail {
    NewMail {
        kind: "digest",
        recipient,
        subject: format!("Tagesübersicht überfälliger Vorgänge vom {}", date_de(day)),
        body: format!(
            "Guten Tag,\n\n\
             im {unit_name} sind {} Vorgänge überfällig:\n{}\n\
             Bitte erledigen Sie den jeweils nächsten Schritt in kartei:\n{}{SIGNATURE}",
            lines.len(),
            lines_text(links, lines),
            links.inbox(),
        ),
    }
}

/// To the state office: items overdue twice as long, by unit.
pub fn escalation(
    links: &Links<'_>,
    recipient: String,
    day: NaiveDate,
    by_unit: &[(String, Vec<DigestLine>)],
) -> NewMail {
    let mut text = String::new();
    let mut count = 0;
    for (unit, lines) in by_unit {
        count += lines.len();
        text.push_str(&format!("\n{unit}\n{}", lines_text(links, lines)));
    }
    NewMail {
        kind: "escalation",
        recipient,
        subject: format!(
            "Eskalation: doppelt überfällige Vorgänge vom {}",
            date_de(day)
        ),
        body: format!(
            "Guten Tag,\n\n\
             {count} Vorgänge haben die doppelte Bearbeitungsfrist überschritten:\n{text}{SIGNATURE}"
        ),
    }
}

/// To the receiving district: a member is to move to it.
pub fn transfer_requested(
    links: &Links<'_>,
    recipient: String,
    from_unit: &str,
    to_unit: &str,
    transfer_id: Uuid,
    effective_on: NaiveDate,
) -> NewMail {
    NewMail {
        kind: "transfer_requested",
        recipient,
        subject: "Mitgliederwechsel zur Bestätigung".into(),
        body: format!(
            "Guten Tag,\n\n\
             der {from_unit} möchte ein Mitglied zum {} an den {to_unit} abgeben \
             (Wechsel {transfer_id}).\n\n\
             Bitte bestätigen Sie den Wechsel in kartei oder lehnen Sie ihn mit Begründung ab:\n\
             {}{SIGNATURE}",
            date_de(effective_on),
            links.transfers(),
        ),
    }
}

/// To both sides: the receiving district answered a transfer.
pub fn transfer_answered(
    links: &Links<'_>,
    recipient: String,
    from_unit: &str,
    to_unit: &str,
    transfer_id: Uuid,
    effective_on: NaiveDate,
    confirmed: bool,
) -> NewMail {
    let (kind, subject, outcome) = if confirmed {
        (
            "transfer_confirmed",
            "Mitgliederwechsel bestätigt",
            format!("wurde vom {to_unit} bestätigt; das Mitglied gehört ab sofort zum {to_unit}"),
        )
    } else {
        (
            "transfer_declined",
            "Mitgliederwechsel abgelehnt",
            format!(
                "wurde vom {to_unit} abgelehnt; das Mitglied bleibt beim {from_unit}. \
                 Die Begründung steht in kartei"
            ),
        )
    };
    NewMail {
        kind,
        recipient,
        subject: subject.into(),
        body: format!(
            "Guten Tag,\n\n\
             der Wechsel {transfer_id} vom {from_unit} zum {to_unit} (wirksam zum {}) \
             {outcome}.\n\n{}{SIGNATURE}",
            date_de(effective_on),
            links.transfers(),
        ),
    }
}
