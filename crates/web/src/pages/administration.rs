//! The administration's hub: a link to each page the role may use.

use askama::Template;
use axum::response::Html;
use kartei_domain::{Action, Denied, authz};

use crate::error::WebResult;
use crate::layout::Layout;
use crate::session::SignedIn;

struct Link {
    href: &'static str,
    label: &'static str,
    about: &'static str,
}

static LINKS: [(Action, Link); 4] = [
    (
        Action::ManageUsers,
        Link {
            href: "/verwaltung/konten",
            label: "Konten",
            about: "Konten der Mitarbeitenden anlegen, Rolle und Gliederung ändern, deaktivieren",
        },
    ),
    (
        Action::ManageOrgUnits,
        Link {
            href: "/verwaltung/gliederungen",
            label: "Gliederungen",
            about: "Kreis- und Ortsverbände anlegen und umbenennen, Kürzel und E-Mail-Adressen",
        },
    ),
    (
        Action::ManageRoutingRules,
        Link {
            href: "/verwaltung/zuordnung",
            label: "Zuordnung nach Postleitzahl",
            about: "welche Postleitzahl an welchen Kreis- oder Ortsverband geht; aus einer CSV-Datei ersetzen",
        },
    ),
    (
        Action::ReadOutbox,
        Link {
            href: "/verwaltung/e-mails",
            label: "E-Mails",
            about: "nicht zustellbare, wartende und versandte Benachrichtigungen",
        },
    ),
];

#[derive(Template)]
#[template(path = "administration.html")]
struct HubPage<'a> {
    layout: Layout<'a>,
    links: Vec<&'static Link>,
}

pub async fn hub(signed_in: SignedIn) -> WebResult<Html<String>> {
    let role = signed_in.account.role;
    let links: Vec<&'static Link> = LINKS
        .iter()
        .filter(|(action, _)| authz::role_may(role, *action))
        .map(|(_, link)| link)
        .collect();
    if links.is_empty() {
        return Err(Denied::Forbidden.into());
    }
    let page = HubPage {
        layout: Layout::of(&signed_in),
        links,
    };
    Ok(Html(page.render()?))
}
