//! The report pages over HTTP: the period, the trend as a chart and as a
//! table, every table as a CSV download in German, and the register of
//! declarations not yet entered with members by statute first.

use chrono::Duration;
use kartei_tests::web::{Browser, location};
use kartei_tests::{
    BOARD, DEMO_PASSWORD, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases,
    read_excel_csv,
};
use serde_json::json;

on_both_databases!(
    the_report_has_a_period_a_chart_and_downloads_in_german,
    a_period_that_cannot_be_read_is_told_at_its_field,
    the_unentered_register_puts_members_by_statute_first,
);

async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    let reply = browser.sign_in(email, DEMO_PASSWORD).await;
    assert_eq!(reply.status, 303, "{}", reply.text);
    browser
}

fn today(app: &TestApp) -> chrono::NaiveDate {
    kartei_api::local_time::local_date(app.state.clock.now())
}

async fn the_report_has_a_period_a_chart_and_downloads_in_german(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let registered = app.register(&office, json!({})).await;
    let id = registered["id"].as_str().expect("id").to_owned();
    for (step, body) in [
        ("handover", json!({})),
        (
            "contact",
            json!({ "contacted_on": today(&app).to_string(), "channel": "phone" }),
        ),
        (
            "decision",
            json!({ "decision": "admitted", "decided_on": today(&app).to_string() }),
        ),
    ] {
        let reply = app.transition(&dd, &id, step, body).await;
        assert_eq!(reply.status, 200, "{step}: {}", reply.text);
    }

    let mut board = signed_in(&app, BOARD).await;
    let page = board.get("/auswertungen").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<img src=\"/auswertungen/verlauf.svg\""));
    assert!(page.text.contains("Die Werte des Diagramms als Tabelle"));
    let month = today(&app).format("%m/%Y").to_string();
    let values = board.get("/auswertungen/verlauf").await;
    assert_eq!(values.status, 200, "{}", values.text);
    assert!(
        values.text.contains(&month),
        "the trend's months: {}",
        values.text
    );
    assert!(values.text.contains("Stadtverband Dresden"));
    assert!(values.text.contains("/auswertungen/verlauf.csv"));
    assert!(
        !page.text.contains("nicht-eingetragen"),
        "the board reads no names"
    );

    let chart = board.get("/auswertungen/verlauf.svg").await;
    assert_eq!(chart.status, 200);
    assert!(chart.content_type().starts_with("image/svg+xml"));
    let document = roxmltree::Document::parse(&chart.text).expect("well-formed SVG");
    let texts: Vec<&str> = document
        .descendants()
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for label in ["DD", "Monat des Eingangs", month.as_str()] {
        assert!(texts.contains(&label), "no {label} in the chart: {texts:?}");
    }

    let table = board.get("/auswertungen/dauer.csv").await;
    assert_eq!(table.status, 200);
    assert!(table.content_type().starts_with("text/csv"));
    assert!(table.text.starts_with('\u{feff}'), "a BOM for Excel");
    let rows = read_excel_csv(&table.text);
    assert_eq!(rows[0][0], "Gliederung");
    assert_eq!(rows[0][4], "Median (Tage)");
    let dresden = rows
        .iter()
        .find(|row| row[1] == "DD")
        .expect("Dresden's row");
    assert_eq!(
        dresden[2..4],
        ["1".to_owned(), "1".to_owned()],
        "{dresden:?}"
    );

    let trend = board.get("/auswertungen/verlauf.csv").await;
    let rows = read_excel_csv(&trend.text);
    assert_eq!(rows[0][2], "Monat des Eingangs");
    assert!(
        rows.iter()
            .any(|row| row[1] == "DD" && row[2] == month && row[3] == "1"),
        "{rows:?}"
    );

    // A period narrows the table; the links carry it along.
    let from = (today(&app) + Duration::days(1))
        .format("%d.%m.%Y")
        .to_string();
    let to = (today(&app) + Duration::days(1))
        .format("%d.%m.%Y")
        .to_string();
    let later = board
        .get(&format!("/auswertungen?von={from}&bis={to}"))
        .await;
    assert_eq!(later.status, 200, "{}", later.text);
    assert!(
        later
            .text
            .contains(&format!("/auswertungen/dauer.csv?von={from}&#38;bis={to}")),
        "{}",
        later.text
    );
}

async fn a_period_that_cannot_be_read_is_told_at_its_field(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut office = signed_in(&app, STATE_OFFICE).await;
    let refused = office.get("/auswertungen?von=gestern").await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("Eingang vom: ist kein Datum (TT.MM.JJJJ)")
    );
    assert!(refused.text.contains("value=\"gestern\""));
    let backwards = office
        .get("/auswertungen?von=01.03.2026&bis=01.02.2026")
        .await;
    assert_eq!(backwards.status, 422, "{}", backwards.text);
    assert!(
        backwards.text.contains("class=\"error\""),
        "{}",
        backwards.text
    );
    let file = office.get("/auswertungen/dauer.csv?von=gestern").await;
    assert_eq!(file.status, 400);
    assert!(file.text.contains("Ungültige Angaben"));
}

async fn the_unentered_register_puts_members_by_statute_first(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let fresh = today(&app) - Duration::days(3);
    let old = today(&app) - Duration::days(60);
    app.register(
        &office,
        json!({ "last_name": "Neumann", "received_on": fresh.to_string() }),
    )
    .await;
    app.register(
        &office,
        json!({ "last_name": "Altmann", "received_on": old.to_string(), "email": "alt@example.org" }),
    )
    .await;

    let mut district = signed_in(&app, DISTRICT_DRESDEN).await;
    let report = district.get("/auswertungen").await;
    assert!(
        report
            .text
            .contains("href=\"/auswertungen/nicht-eingetragen\"")
    );
    let register = district.get("/auswertungen/nicht-eingetragen").await;
    assert_eq!(register.status, 200, "{}", register.text);
    let altmann = register.text.find("Altmann, Anna").expect("Altmann listed");
    let neumann = register.text.find("Neumann, Anna").expect("Neumann listed");
    assert!(altmann < neumann, "the member by statute first");
    assert_eq!(
        register
            .text
            .matches("nach Satzung Mitglied</span>")
            .count(),
        1
    );

    let file = district.get("/auswertungen/nicht-eingetragen.csv").await;
    assert_eq!(file.status, 200);
    let rows = read_excel_csv(&file.text);
    assert_eq!(rows[0][1], "Nachname");
    assert_eq!(rows[1][1], "Altmann");
    assert_eq!(rows[1][9], "ja");
    assert_eq!(rows[2][9], "nein");
    let exports = app
        .scalar("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'export'")
        .await;
    assert!(exports >= 1, "the download is in the audit log");

    let mut board = signed_in(&app, BOARD).await;
    assert_eq!(
        board.get("/auswertungen/nicht-eingetragen").await.status,
        403
    );
    assert_eq!(
        board
            .get("/auswertungen/nicht-eingetragen.csv")
            .await
            .status,
        403
    );
    // Signed out, a download is a sign-in like any page.
    let mut stranger = Browser::new(&app);
    let reply = stranger.get("/auswertungen/dauer.csv").await;
    assert_eq!(location(&reply), "/anmelden");
}
