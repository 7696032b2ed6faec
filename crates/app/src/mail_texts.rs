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

    pub fn member(&self, id: Uuid) -> String {
        format!("{}/mitglieder/{id}", self.base)
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

/// To a district: its overdue items, by stage, and the overdue integration
/// steps of its members (its own and its branches').
pub fn digest(
    links: &Links<'_>,
    recipient: String,
    unit_name: &str,
    day: NaiveDate,
    lines: &[DigestLine],
    steps: &[StepLine],
) -> NewMail {
    let mut text = String::new();
    if !lines.is_empty() {
        text.push_str(&format!(
            "im {unit_name} sind {} Vorgänge überfällig:\n{}\n\
             Bitte erledigen Sie den jeweils nächsten Schritt in kartei:\n{}\n",
            lines.len(),
            lines_text(links, lines),
            links.inbox(),
        ));
    }
    if !steps.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!(
            "Integration neuer Mitglieder: im {unit_name} sind {} Schritte überfällig:\n{}",
            steps.len(),
            steps_text(links, steps),
        ));
    }
    NewMail {
        kind: "digest",
        recipient,
        subject: format!("Tagesübersicht überfälliger Vorgänge vom {}", date_de(day)),
        body: format!("Guten Tag,\n\n{}{SIGNATURE}", text.trim_end()),
    }
}

/// One overdue integration step in a digest: the member by number only.
pub struct StepLine {
    pub member_id: Uuid,
    pub membership_number: String,
    /// The configured step name.
    pub step: String,
    pub due_on: NaiveDate,
    /// Days since `due_on` (1 on the day after).
    pub days_overdue: i64,
    pub escalated: bool,
    /// The branch or district that owes it.
    pub owner_name: String,
}

/// The German name of a configured step; other steps keep their key.
pub fn step_label_de(step: &str) -> &str {
    match step {
        "welcome" => "Begrüßung",
        "first_invitation" => "Erste Einladung",
        other => other,
    }
}

fn steps_text(links: &Links<'_>, steps: &[StepLine]) -> String {
    let mut text = String::new();
    let mut current_owner = "";
    for line in steps {
        if line.owner_name != current_owner {
            current_owner = &line.owner_name;
            text.push_str(&format!("\n{current_owner}:\n"));
        }
        let days = if line.days_overdue == 1 {
            "1 Tag".to_owned()
        } else {
            format!("{} Tagen", line.days_overdue)
        };
        text.push_str(&format!(
            "  - Mitglied {}: {}, fällig am {}, seit {days} überfällig{}\n    {}\n",
            line.membership_number,
            step_label_de(&line.step),
            date_de(line.due_on),
            if line.escalated { " (eskaliert)" } else { "" },
            links.member(line.member_id),
        ));
    }
    text
}

/// To a local branch: the integration steps it owes that are overdue.
pub fn integration_digest(
    links: &Links<'_>,
    recipient: String,
    unit_name: &str,
    day: NaiveDate,
    steps: &[StepLine],
) -> NewMail {
    NewMail {
        kind: "step_digest",
        recipient,
        subject: format!(
            "Tagesübersicht: überfällige Schritte für neue Mitglieder vom {}",
            date_de(day)
        ),
        body: format!(
            "Guten Tag,\n\n\
             der {unit_name} schuldet neuen Mitgliedern {} überfällige Schritte:\n{}\n\
             Bitte tragen Sie erledigte Schritte beim Mitglied in kartei ein.{SIGNATURE}",
            steps.len(),
            steps_text(links, steps),
        ),
    }
}

/// To a district: integration steps of its branches (and its own) overdue
/// twice as long.
pub fn integration_escalation(
    links: &Links<'_>,
    recipient: String,
    unit_name: &str,
    day: NaiveDate,
    steps: &[StepLine],
) -> NewMail {
    NewMail {
        kind: "step_escalation",
        recipient,
        subject: format!(
            "Eskalation: doppelt überfällige Schritte für neue Mitglieder vom {}",
            date_de(day)
        ),
        body: format!(
            "Guten Tag,\n\n\
             im {unit_name} haben {} Schritte für neue Mitglieder die doppelte Frist \
             überschritten:\n{}\n\
             Bitte sorgen Sie dafür, dass sie erledigt werden.{SIGNATURE}",
            steps.len(),
            steps_text(links, steps),
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
