//! One module per page (or pair of page and form), each rendering a whole
//! page from the use cases' answer.

mod accounts;
mod administration;
mod applications;
mod census;
mod delegates;
mod import;
mod members;
mod org_units;
mod outbox;
mod registration;
mod reports;
mod routing_table;
mod sign_in;
mod start;
mod transfers;
mod unit_choice;
mod welcome;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::session::SIGN_IN_PATH;
use crate::session::WebState;

pub fn router(max_import_bytes: usize) -> Router<WebState> {
    Router::new()
        .route(
            "/import",
            get(import::form)
                .post(import::upload)
                // The one form allowed a large body: the member list.
                .layer(DefaultBodyLimit::max(max_import_bytes)),
        )
        .route("/import/{id}", get(import::job))
        .route("/", get(start::page))
        .route("/erklaerungen", get(applications::list))
        .route("/auswertungen", get(reports::entry_lag))
        .route("/auswertungen/dauer.csv", get(reports::entry_lag_csv))
        .route("/auswertungen/mitglieder", get(census::page))
        .route("/auswertungen/mitglieder.csv", get(census::csv))
        .route("/auswertungen/delegierte", get(delegates::page))
        .route("/auswertungen/delegierte.csv", get(delegates::csv))
        .route("/auswertungen/einbindung", get(welcome::report))
        .route("/auswertungen/einbindung.csv", get(welcome::report_csv))
        .route("/begruessung", get(welcome::register))
        .route("/begruessung.csv", get(welcome::register_csv))
        .route("/auswertungen/verlauf", get(reports::trend))
        .route("/auswertungen/verlauf.svg", get(reports::trend_chart))
        .route("/auswertungen/verlauf.csv", get(reports::trend_csv))
        .route("/auswertungen/nicht-eingetragen", get(reports::unentered))
        .route(
            "/auswertungen/nicht-eingetragen.csv",
            get(reports::unentered_csv),
        )
        .route(
            "/erklaerungen/neu",
            get(registration::form).post(registration::submit),
        )
        .route(
            "/erklaerungen/neu/zuordnung",
            get(registration::routing_preview),
        )
        .route("/erklaerungen/{id}", get(applications::detail))
        .route(
            "/erklaerungen/{id}/uebernahme",
            post(applications::confirm_handover),
        )
        .route("/erklaerungen/{id}/zuordnung", post(applications::route))
        .route(
            "/erklaerungen/{id}/rueckgabe",
            post(applications::send_back),
        )
        .route(
            "/erklaerungen/{id}/erstkontakt",
            post(applications::record_contact),
        )
        .route(
            "/erklaerungen/{id}/entscheidung",
            post(applications::decide),
        )
        .route("/mitglieder", get(members::list))
        .route("/mitglieder/{id}", get(members::detail))
        .route(
            "/mitglieder/{id}/bearbeiten",
            get(members::edit_form).post(members::edit),
        )
        .route("/mitglieder/{id}/austritt", post(members::resign))
        .route("/mitglieder/{id}/wechsel", post(members::transfer))
        .route("/mitglieder/{id}/einbindung", post(welcome::record))
        .route("/mitglieder/{id}/verlauf", get(members::history))
        .route("/mitglieder/{id}/auskunft", get(members::information))
        .route("/wechsel", get(transfers::list))
        .route("/wechsel/{id}/bestaetigen", post(transfers::confirm))
        .route("/wechsel/{id}/ablehnen", post(transfers::decline))
        .route("/verwaltung", get(administration::hub))
        .route(
            "/verwaltung/konten",
            get(accounts::list).post(accounts::create),
        )
        .route(
            "/verwaltung/konten/{id}",
            get(accounts::edit_form).post(accounts::edit),
        )
        .route(
            "/verwaltung/gliederungen",
            get(org_units::list).post(org_units::create),
        )
        .route(
            "/verwaltung/gliederungen/{id}",
            get(org_units::edit_form).post(org_units::edit),
        )
        .route(
            "/verwaltung/zuordnung",
            get(routing_table::table).post(routing_table::replace),
        )
        .route(
            "/verwaltung/zuordnung/vorschau",
            post(routing_table::preview),
        )
        .route("/verwaltung/e-mails", get(outbox::list))
        .route(SIGN_IN_PATH, get(sign_in::form).post(sign_in::submit))
        .route("/abmelden", post(sign_in::sign_out))
}
