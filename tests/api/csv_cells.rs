//! CSV injection: every CSV kartei writes shows a cell that a spreadsheet
//! would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first)
//! as text, with a leading `'`; plain text and the figures of a report are
//! written as they are.

use kartei_tests::{Db, STATE_OFFICE, TestApp, on_both_databases, read_excel_csv};
use serde_json::json;

use kartei_tests::members::enter;

on_both_databases!(
    formulas_in_member_and_unentered_csv_are_written_as_text,
    report_figures_stay_numbers,
);

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0].iter().position(|h| h == name).expect(name)
}

async fn formulas_in_member_and_unentered_csv_are_written_as_text(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.unit_id("DD").await;
    enter(
        &app,
        &lgs,
        &dd,
        json!({
            "first_name": "@SUM(1+1)",
            "last_name": "=HYPERLINK(\"http://evil.example\";\"Klick\")",
            "phone": "+49 351 1234567",
            "street": "-2+3 Hinterhof",
            "city": "Dresden",
        }),
    )
    .await;
    // The negative case: an ordinary record is written untouched.
    enter(&app, &lgs, &dd, json!({ "last_name": "Albers" })).await;

    let reply = app.get("/api/v1/members?format=csv", &lgs).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = read_excel_csv(&reply.text);
    let last = column(&rows, "last_name");
    let evil = rows
        .iter()
        .find(|r| r[last].contains("HYPERLINK"))
        .expect("row");
    assert_eq!(evil[last], "'=HYPERLINK(\"http://evil.example\";\"Klick\")");
    assert_eq!(evil[column(&rows, "first_name")], "'@SUM(1+1)");
    assert_eq!(evil[column(&rows, "phone")], "'+49 351 1234567");
    assert_eq!(evil[column(&rows, "street")], "'-2+3 Hinterhof");
    assert_eq!(evil[column(&rows, "city")], "Dresden");
    let plain = rows.iter().find(|r| r[last] == "Albers").expect("Albers");
    assert_eq!(plain[column(&rows, "phone")], "0351 7654321");
    assert!(
        rows.iter()
            .flatten()
            .all(|cell| !cell.starts_with(['=', '+', '@', '\t', '\r'])),
        "no cell starts a formula"
    );

    app.register(
        &lgs,
        json!({ "first_name": "=A1+2", "last_name": "-Bindestrich", "city": "@Ort" }),
    )
    .await;
    let reply = app.get("/api/v1/reports/unentered?format=csv", &lgs).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = read_excel_csv(&reply.text);
    let row = &rows[1];
    assert_eq!(row[column(&rows, "first_name")], "'=A1+2");
    assert_eq!(row[column(&rows, "last_name")], "'-Bindestrich");
    assert_eq!(row[column(&rows, "city")], "'@Ort");
    assert_eq!(row[column(&rows, "postal_code")], "01067");
}

async fn report_figures_stay_numbers(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    app.register(&lgs, json!({})).await;
    let reply = app.get("/api/v1/reports/entry-lag?format=csv", &lgs).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = read_excel_csv(&reply.text);
    let dd = rows.iter().find(|r| r[1] == "DD").expect("DD row");
    assert_eq!(dd[column(&rows, "received")], "1");
    assert_eq!(dd[column(&rows, "open")], "1");
    assert!(
        rows.iter().flatten().all(|cell| !cell.starts_with('\'')),
        "nothing in a report of figures needs neutralising"
    );
}
