//! The import page over HTTP: the file as Excel saves it, the import in
//! the background with its progress page, what was read how, and every
//! refused row and field, with nothing written.

use std::time::Duration;

use kartei_tests::members::excel_rows;
use kartei_tests::web::{Browser, hidden_field, location};
use kartei_tests::{
    DEMO_PASSWORD, DISTRICT_DRESDEN, Db, Reply, STATE_OFFICE, TestApp, on_both_databases,
};

on_both_databases!(
    an_excel_file_imports_in_the_background_and_says_how_it_was_read,
    a_bad_row_is_shown_by_row_and_field_and_nothing_is_written,
    only_the_uploader_sees_the_import_and_only_the_state_office_imports,
);

async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    let reply = browser.sign_in(email, DEMO_PASSWORD).await;
    assert_eq!(reply.status, 303, "{}", reply.text);
    browser
}

/// Uploads `file` on the import form and answers the redirect.
async fn upload(browser: &mut Browser<'_>, file: Vec<u8>) -> Reply {
    let form = browser.get("/import").await;
    assert_eq!(form.status, 200, "{}", form.text);
    let csrf = hidden_field(&form.text, "csrf").expect("token");
    browser
        .post_file(
            "/import",
            &[("csrf", &csrf)],
            ("datei", "mitglieder.csv", file),
        )
        .await
}

/// The import's page once the import has ended.
async fn finished(browser: &mut Browser<'_>, page: &str) -> Reply {
    for _ in 0..200 {
        let reply = browser.get(page).await;
        if !reply.text.contains("id=\"fortschritt\"") {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the import did not end");
}

async fn an_excel_file_imports_in_the_background_and_says_how_it_was_read(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut office = signed_in(&app, STATE_OFFICE).await;
    assert!(office.get("/").await.text.contains("href=\"/import\""));
    let file = excel_rows(&[
        b"J\xFCrgen;Gro\xDFmann;07.03.1961;;Bautzner Stra\xDFe 12;1067;Dresden;DD;02.01.2015;01.02.2015;",
        b"Ren\xE9e;\xD6lschl\xE4ger;06.05.1980;;Zschopauer Stra\xDFe 5;09111;Chemnitz;C;06.05.2016;01.06.2016;",
    ]);
    let started = upload(&mut office, file).await;
    assert_eq!(started.status, 303, "{}", started.text);
    let page = location(&started).to_owned();
    assert!(page.starts_with("/import/"), "{page}");

    let done = finished(&mut office, &page).await;
    assert_eq!(done.status, 200, "{}", done.text);
    for said in [
        "2 Mitglieder importiert.",
        "Zeichensatz: Windows-1252",
        "Trennzeichen: Semikolon",
        "Datumsangaben: TT.MM.JJJJ",
        "bei 1 Zeile die führende Null ergänzt",
    ] {
        assert!(done.text.contains(said), "{said}: {}", done.text);
    }
    assert_eq!(app.count("members").await, 2);
    let found = office.get("/mitglieder?q=gro%C3%9Fmann").await;
    assert!(found.text.contains("Großmann, Jürgen"), "{}", found.text);
    assert!(found.text.contains("01067 Dresden"));

    // htmx, polling a finished import, is sent to the whole page.
    let polled = office.get_fragment(&page).await;
    assert_eq!(polled.headers["hx-redirect"], page.as_str());
}

async fn a_bad_row_is_shown_by_row_and_field_and_nothing_is_written(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut office = signed_in(&app, STATE_OFFICE).await;
    let file = excel_rows(&[
        b"Anna;Schmidt;01.02.1990;;Lindenweg 3;01067;Dresden;DD;02.01.2020;01.02.2020;",
        b"Karl;Meier;01.05.1980;;Hauptstra\xDFe 1;01067;Dresden;DD;02.01.2020;31.02.2020;",
        b"Erika;Zander;01.05.1980;;Hauptstra\xDFe 2;01067;Dresden;XX;02.01.2020;01.02.2020;",
    ]);
    let started = upload(&mut office, file).await;
    let done = finished(&mut office, location(&started)).await;
    assert_eq!(done.status, 422, "{}", done.text);
    assert!(done.text.contains("Nichts importiert."));
    let table = done.text.split("<tbody>").nth(1).expect("the table");
    let rows: Vec<&str> = table.split("<tr>").skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].contains(">2<") && rows[0].contains("Eintritt (joined_on)"));
    assert!(rows[0].contains("ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT)"));
    assert!(rows[1].contains(">3<") && rows[1].contains("Gliederung (org_unit)"));
    // The cells are not repeated: the page names rows and fields.
    assert!(!done.text.contains("31.02.2020"));
    assert!(!done.text.contains("Meier"));
    assert_eq!(app.count("members").await, 0);
}

async fn only_the_uploader_sees_the_import_and_only_the_state_office_imports(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut office = signed_in(&app, STATE_OFFICE).await;
    let file = excel_rows(&[
        b"Anna;Schmidt;01.02.1990;;Lindenweg 3;01067;Dresden;DD;02.01.2020;01.02.2020;",
    ]);
    let started = upload(&mut office, file.clone()).await;
    let page = location(&started).to_owned();
    finished(&mut office, &page).await;

    let mut district = signed_in(&app, DISTRICT_DRESDEN).await;
    assert!(!district.get("/").await.text.contains("href=\"/import\""));
    assert_eq!(district.get("/import").await.status, 403);
    assert_eq!(district.get(&page).await.status, 403);
    let csrf = hidden_field(&district.get("/").await.text, "csrf").expect("token");
    let refused = district
        .post_file(
            "/import",
            &[("csrf", &csrf)],
            ("datei", "m.csv", file.clone()),
        )
        .await;
    assert_eq!(refused.status, 403);

    // Another state office account does not see this one's import.
    app.account("lgs2@kartei.example", "state_office", "SN")
        .await;
    let mut colleague = Browser::new(&app);
    colleague
        .sign_in("lgs2@kartei.example", "ein langes Passwort")
        .await;
    assert_eq!(colleague.get(&page).await.status, 404);

    // Without its token, or without a file, nothing starts.
    let refused = office
        .post_file("/import", &[("csrf", "x")], ("datei", "m.csv", file))
        .await;
    assert_eq!(refused.status, 403);
    let form = office.get("/import").await;
    let csrf = hidden_field(&form.text, "csrf").expect("token");
    let empty = office
        .post_file(
            "/import",
            &[("csrf", &csrf)],
            ("datei", "m.csv", Vec::new()),
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.text.contains("Bitte wählen Sie eine CSV-Datei aus."));
    assert_eq!(app.count("members").await, 1);
}
