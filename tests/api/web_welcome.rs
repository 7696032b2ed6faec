//! The integration pages over HTTP: the register of new members still
//! owed a step, recording a step from the member's page, the count on the
//! start page and the figures per unit and step, each within the scope and
//! the role of the signed-in account.

use chrono::{Duration, NaiveDate};
use kartei_tests::members::{enter, id};
use kartei_tests::web::{hidden_field, location, signed_in};
use kartei_tests::{
    BOARD, BRANCH_NEUSTADT, DEMO_PASSWORD, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp,
    on_both_databases, read_excel_csv,
};
use serde_json::json;

on_both_databases!(
    a_district_welcomes_a_new_member_from_the_member_page,
    the_register_is_scoped_and_not_the_boards,
    the_register_narrows_to_a_unit_and_its_download_too,
    the_figures_page_counts_admitted_and_done,
);

fn today(app: &TestApp) -> NaiveDate {
    kartei_api::local_time::local_date(app.state.clock.now())
}

fn typed(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

/// A member entered directly today into the unit `short_code`.
async fn new_member(app: &TestApp, short_code: &str, last_name: &str) -> String {
    let token = app.token_of(DISTRICT_DRESDEN).await;
    let unit = app.unit_id(short_code).await;
    id(&enter(
        app,
        &token,
        &unit,
        json!({ "last_name": last_name, "email": null }),
    )
    .await)
}

async fn a_district_welcomes_a_new_member_from_the_member_page(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = new_member(&app, "DD-NEU", "Neumann").await;
    let mut browser = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;

    let start = browser.get("/").await;
    assert!(
        start.text.contains("href=\"/begruessung\""),
        "{}",
        start.text
    );
    assert!(start.text.contains("Offene Schritte der Einbindung"));

    let list = browser.get("/begruessung").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains("Neumitglieder begrüßen"));
    assert!(list.text.contains(&format!("/mitglieder/{member}")));
    assert!(list.text.contains("Begrüßung"), "{}", list.text);
    assert!(list.text.contains("Erste Einladung"), "{}", list.text);
    assert!(!list.text.contains("überfällig</span>"), "{}", list.text);

    let page = browser.get(&format!("/mitglieder/{member}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<h2>Einbindung</h2>"), "{}", page.text);
    assert!(page.text.contains("action=\"/mitglieder/"));
    let csrf = hidden_field(&page.text, "csrf").expect("a token");

    // A day in the future is refused at the field, in German.
    let tomorrow = typed(today(&app) + Duration::days(1));
    let refused = browser
        .post_form(
            &format!("/mitglieder/{member}/einbindung"),
            &[
                ("csrf", &csrf),
                ("step", "welcome"),
                ("done_on", &tomorrow),
                ("channel", "phone"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("erledigt am: darf nicht in der Zukunft liegen"),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains(&tomorrow),
        "the form keeps what was typed"
    );
    // Before the member was entered.
    let yesterday = typed(today(&app) - Duration::days(1));
    let early = browser
        .post_form(
            &format!("/mitglieder/{member}/einbindung"),
            &[
                ("csrf", &csrf),
                ("step", "welcome"),
                ("done_on", &yesterday),
                ("channel", "phone"),
            ],
        )
        .await;
    assert_eq!(early.status, 422, "{}", early.text);
    assert!(
        early
            .text
            .contains("darf nicht vor der Eintragung des Mitglieds liegen"),
        "{}",
        early.text
    );

    let now = typed(today(&app));
    let fields = [
        ("csrf", csrf.as_str()),
        ("step", "welcome"),
        ("done_on", now.as_str()),
        ("channel", "phone"),
        ("note", "Angerufen, freut sich"),
    ];
    let done = browser
        .post_form(&format!("/mitglieder/{member}/einbindung"), &fields)
        .await;
    assert_eq!(done.status, 303, "{}", done.text);
    assert_eq!(location(&done), format!("/mitglieder/{member}"));
    // A repeat is harmless: the same again, nothing written.
    let again = browser
        .post_form(&format!("/mitglieder/{member}/einbindung"), &fields)
        .await;
    assert_eq!(again.status, 303, "{}", again.text);
    let audited = "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'integration_step_done'";
    assert_eq!(app.scalar(audited).await, 1);
    // Other data on a done step is a conflict, told in German.
    let other = browser
        .post_form(
            &format!("/mitglieder/{member}/einbindung"),
            &[
                ("csrf", &csrf),
                ("step", "welcome"),
                ("done_on", &now),
                ("channel", "letter"),
            ],
        )
        .await;
    assert_eq!(other.status, 409, "{}", other.text);
    assert!(other.text.contains("schon mit anderen Angaben"));

    let page = browser.get(&format!("/mitglieder/{member}")).await;
    assert!(page.text.contains("Angerufen, freut sich"), "{}", page.text);
    assert!(page.text.contains("Telefon"));
    assert!(!page.text.contains("Begrüßung eintragen"), "{}", page.text);
    assert!(page.text.contains("Erste Einladung eintragen"));

    let list = browser.get("/begruessung").await;
    assert!(list.text.contains("Erste Einladung"), "{}", list.text);
    assert!(!list.text.contains("<td>Begrüßung</td>"), "{}", list.text);

    let file = browser.get("/begruessung.csv").await;
    assert_eq!(file.status, 200, "{}", file.text);
    assert!(file.content_type().starts_with("text/csv"));
    let rows = read_excel_csv(&file.text);
    assert_eq!(rows[0][0], "Mitgliedsnummer");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][1], "Neumann");
    assert_eq!(rows[1][3], "Erste Einladung");
    let exports = "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'export'";
    assert_eq!(app.scalar(exports).await, 1);
}

async fn the_register_is_scoped_and_not_the_boards(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let in_branch = new_member(&app, "DD-NEU", "Neumann").await;
    let in_district = new_member(&app, "DD", "Distler").await;

    let mut branch = signed_in(&app, BRANCH_NEUSTADT, DEMO_PASSWORD).await;
    let list = branch.get("/begruessung").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains(&format!("/mitglieder/{in_branch}")));
    assert!(!list.text.contains(&format!("/mitglieder/{in_district}")));
    // The branch may record: its member's page carries the form.
    let page = branch.get(&format!("/mitglieder/{in_branch}")).await;
    assert!(page.text.contains("Begrüßung eintragen"), "{}", page.text);

    let mut district = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let list = district.get("/begruessung").await;
    assert!(list.text.contains(&format!("/mitglieder/{in_branch}")));
    assert!(list.text.contains(&format!("/mitglieder/{in_district}")));

    // The state office reads the register but records nothing.
    let mut state = signed_in(&app, STATE_OFFICE, DEMO_PASSWORD).await;
    let list = state.get("/begruessung").await;
    assert_eq!(list.status, 200);
    assert!(list.text.contains(&format!("/mitglieder/{in_district}")));
    let page = state.get(&format!("/mitglieder/{in_district}")).await;
    assert!(page.text.contains("<h2>Einbindung</h2>"));
    assert!(!page.text.contains("Begrüßung eintragen"), "{}", page.text);

    let mut board = signed_in(&app, BOARD, DEMO_PASSWORD).await;
    assert_eq!(board.get("/begruessung").await.status, 403);
    assert_eq!(board.get("/begruessung.csv").await.status, 403);
    let start = board.get("/").await;
    assert!(!start.text.contains("/begruessung"));
}

async fn the_register_narrows_to_a_unit_and_its_download_too(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let in_branch = new_member(&app, "DD-NEU", "Neumann").await;
    let in_district = new_member(&app, "DD", "Distler").await;
    let neustadt = app.unit_id("DD-NEU").await;
    let leipzig = app.unit_id("L").await;

    let mut district = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let all = district.get("/begruessung").await;
    assert!(all.text.contains("id=\"einheit\""), "{}", all.text);
    assert!(
        all.text.contains(&format!("value=\"{neustadt}\"")),
        "{}",
        all.text
    );
    // Another district's units are not offered.
    assert!(
        !all.text.contains(&format!("value=\"{leipzig}\"")),
        "{}",
        all.text
    );

    let narrowed = district
        .get(&format!("/begruessung?einheit={neustadt}"))
        .await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    assert!(narrowed.text.contains(&format!("/mitglieder/{in_branch}")));
    assert!(
        !narrowed
            .text
            .contains(&format!("/mitglieder/{in_district}"))
    );
    assert!(
        narrowed
            .text
            .contains(&format!("<option value=\"{neustadt}\" selected>")),
        "{}",
        narrowed.text
    );
    let download = format!("/begruessung.csv?einheit={neustadt}");
    assert!(narrowed.text.contains(&download), "{}", narrowed.text);
    let file = district.get(&download).await;
    assert_eq!(file.status, 200, "{}", file.text);
    let rows = read_excel_csv(&file.text);
    // The branch's member owes both steps; the district's member is not in
    // the file.
    let names: Vec<&str> = rows[1..].iter().map(|row| row[1].as_str()).collect();
    assert_eq!(names, ["Neumann", "Neumann"], "{rows:?}");

    // A unit outside the account's part of the tree narrows to nothing.
    let elsewhere = district
        .get(&format!("/begruessung?einheit={leipzig}"))
        .await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text);
    assert!(!elsewhere.text.contains(&format!("/mitglieder/{in_branch}")));
    assert!(
        !elsewhere
            .text
            .contains(&format!("/mitglieder/{in_district}"))
    );
    assert_eq!(
        district.get("/begruessung?einheit=kaputt").await.status,
        404
    );
    assert_eq!(
        district.get("/begruessung.csv?einheit=kaputt").await.status,
        404
    );

    // A branch has nothing to choose.
    let mut branch = signed_in(&app, BRANCH_NEUSTADT, DEMO_PASSWORD).await;
    let own = branch.get("/begruessung").await;
    assert!(!own.text.contains("id=\"einheit\""), "{}", own.text);
}

async fn the_figures_page_counts_admitted_and_done(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = new_member(&app, "DD-NEU", "Neumann").await;
    new_member(&app, "DD-NEU", "Nachtigall").await;
    let token = app.token_of(DISTRICT_DRESDEN).await;
    let reply = app
        .post(
            &format!("/api/v1/members/{member}/integration"),
            Some(&token),
            &json!({ "step": "welcome", "done_on": today(&app), "channel": "email" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let mut district = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let nav = district.get("/auswertungen").await;
    assert!(
        nav.text.contains("href=\"/auswertungen/einbindung\""),
        "{}",
        nav.text
    );
    let page = district.get("/auswertungen/einbindung").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Einbindung neuer Mitglieder"));
    // Dresden-Neustadt, welcome: 2 admitted, 1 done, 1 open, 0 overdue,
    // median 0 days, half within the level.
    assert!(page.text.contains("Dresden-Neustadt"), "{}", page.text);
    assert!(page.text.contains("50,0 %"), "{}", page.text);
    let bad = district.get("/auswertungen/einbindung?von=gestern").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("ist kein Datum (TT.MM.JJJJ)"));

    let file = district.get("/auswertungen/einbindung.csv").await;
    assert_eq!(file.status, 200, "{}", file.text);
    let rows = read_excel_csv(&file.text);
    assert_eq!(rows[0][2], "Schritt");
    let welcome = rows
        .iter()
        .find(|r| r[1] == "DD-NEU" && r[2] == "Begrüßung")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(welcome[4..8], ["2", "1", "1", "0"]);
    assert_eq!(welcome[10], "50");

    let mut board = signed_in(&app, BOARD, DEMO_PASSWORD).await;
    let page = board.get("/auswertungen/einbindung").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Dresden"));
}
