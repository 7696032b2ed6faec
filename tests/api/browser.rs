//! The office's journeys in a real headless Chromium, with axe-core's
//! check on every page they pass: no violation of impact serious or
//! critical.

use kartei_tests::members::{enter, excel_rows, id, nine_six_two};
use kartei_tests::webdriver::{Chromium, ENTER};
use kartei_tests::{
    ADMIN, BOARD, DEMO_PASSWORD, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp,
    in_chromium_on_both_databases,
};
use serde_json::json;

in_chromium_on_both_databases!(
    the_state_office_registers_with_a_missing_postal_code_then_corrects_it,
    the_district_takes_it_over_contacts_and_admits,
    another_districts_declaration_by_url_is_not_found,
    the_board_reads_the_figures_and_no_person,
    two_tabs_edit_the_same_member_and_the_second_save_shows_the_conflict,
    an_import_with_one_bad_row_shows_the_row_and_field,
    the_admin_creates_an_account_and_previews_a_routing_file,
    the_main_pages_fit_a_tablet_held_upright,
    the_state_office_signs_in_and_registers_with_the_keyboard_alone,
    the_board_computes_the_delegate_key_with_the_keyboard_and_prints_it,
    the_district_welcomes_a_new_member_from_the_register,
);

/// The registration form's button (the page has the sign-out button too).
const REGISTER: &str = "form[action='/erklaerungen/neu'] button[type=submit]";

async fn sign_in(browser: &Chromium, app: &TestApp, email: &str) {
    browser.goto(&app.url("/anmelden")).await;
    assert_accessible(browser, "the sign-in page").await;
    browser.type_into("#email", email).await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser
        .click("form[action='/anmelden'] button[type=submit]")
        .await;
    browser.wait_for_text("h1", "Guten Tag").await;
    assert_eq!(browser.url().await, app.url("/"), "signed in");
}

/// Checks the open page with axe-core; with `KARTEI_SCREENSHOTS=<dir>`
/// also saves what it looks like there (the README's pictures come from
/// `docs/screenshots/`).
async fn assert_accessible(browser: &Chromium, page: &str) {
    if let Ok(dir) = std::env::var("KARTEI_SCREENSHOTS") {
        let name: String = page
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect();
        let path = std::path::Path::new(&dir).join(format!("{name}.png"));
        std::fs::write(path, browser.screenshot().await).expect("screenshot written");
    }
    let violations = browser.accessibility_violations().await;
    assert!(
        violations.is_empty(),
        "{page} ({}): {violations:#?}",
        browser.url().await
    );
}

async fn the_state_office_registers_with_a_missing_postal_code_then_corrects_it(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let browser = Chromium::start().await;
    sign_in(&browser, &app, STATE_OFFICE).await;
    assert_accessible(&browser, "the start page").await;

    browser.click("a[href='/erklaerungen/neu']").await;
    assert_accessible(&browser, "the registration form").await;
    browser.type_into("#first_name", "Jana").await;
    browser.type_into("#last_name", "Krüger").await;
    browser.type_into("#date_of_birth", "03.07.1985").await;
    browser.type_into("#street", "Prager Straße 2").await;
    browser.type_into("#city", "Dresden").await;
    browser.click(REGISTER).await;
    browser.wait_for_text("body", "nicht gespeichert").await;
    let error = browser.text("#postal_code-fehler").await;
    assert_eq!(error, "Postleitzahl: muss genau fünf Ziffern haben");
    assert_accessible(&browser, "the form with an error").await;

    browser.type_into("#postal_code", "01067").await;
    let preview = browser.wait_for_text("#zuordnung", "Geht an:").await;
    assert!(preview.starts_with("Geht an: "), "{preview}");
    browser.click(REGISTER).await;
    let page = browser.wait_for_text("body", "Zugeordnet an").await;
    assert!(page.contains("Krüger, Jana"), "{page}");
    assert!(page.contains("Zugeordnet an"));
    assert!(browser.url().await.contains("/erklaerungen/"));
    assert_accessible(&browser, "the declaration's page").await;
    browser.quit().await;
}

async fn the_district_takes_it_over_contacts_and_admits(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let registered = app.register(&office, json!({})).await;
    let id = registered["id"].as_str().expect("id").to_owned();

    let browser = Chromium::start().await;
    sign_in(&browser, &app, DISTRICT_DRESDEN).await;
    browser.click("a[href='/erklaerungen']").await;
    browser.wait_for_text("h1", "Beitrittserklärungen").await;
    assert_accessible(&browser, "the inbox").await;
    browser
        .click(&format!("a[href='/erklaerungen/{id}']"))
        .await;
    browser.wait_for_text("h1", "Schmidt, Anna").await;
    assert_accessible(&browser, "the declaration").await;

    browser.click("form[action$='/uebernahme'] button").await;
    let page = browser.wait_for_text("body", "Erstkontakt eintragen").await;
    assert!(page.contains("Übernommen"), "{page}");
    assert_accessible(&browser, "the contact form").await;
    browser.click("form[action$='/erstkontakt'] button").await;
    let page = browser
        .wait_for_text("body", "Über die Aufnahme entscheiden")
        .await;
    assert!(page.contains("Kontaktiert"), "{page}");
    assert_accessible(&browser, "the decision form").await;
    browser.click("form[action$='/entscheidung'] button").await;
    let page = browser.wait_for_text("body", "Mitgliedsnummer").await;
    let api = app
        .get(&format!("/api/v1/applications/{id}"), &office)
        .await;
    let number = api.body["membership_number"].as_str().expect("admitted");
    assert!(
        page.contains(&format!("Aufgenommen mit der Mitgliedsnummer {number}.")),
        "{page}"
    );
    assert_accessible(&browser, "the admitted declaration").await;
    browser.quit().await;
}

async fn another_districts_declaration_by_url_is_not_found(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let leipzig = app
        .register(
            &office,
            json!({ "postal_code": "04109", "city": "Leipzig" }),
        )
        .await;
    let browser = Chromium::start().await;
    sign_in(&browser, &app, DISTRICT_DRESDEN).await;
    let id = leipzig["id"].as_str().expect("id");
    browser.goto(&app.url(&format!("/erklaerungen/{id}"))).await;
    let page = browser.wait_for_text("body", "Nicht gefunden").await;
    assert!(page.contains("Nicht gefunden"), "{page}");
    assert!(!page.contains("Schmidt"));
    assert_accessible(&browser, "the not-found page").await;
    browser.quit().await;
}

async fn the_board_reads_the_figures_and_no_person(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let registered = app.register(&office, json!({})).await;
    let member = id(&enter(&app, &office, &app.unit_id("DD").await, json!({})).await);
    let browser = Chromium::start().await;
    sign_in(&browser, &app, BOARD).await;
    browser.click("a[href='/auswertungen']").await;
    let page = browser
        .wait_for_text("h1", "Dauer bis zur Eintragung")
        .await;
    assert_eq!(page, "Dauer bis zur Eintragung");
    // Dresden's row: the declaration and the member entered directly
    // received, the member entered after 30 days, the declaration open.
    let row = browser.text("tbody tr:first-child").await;
    assert!(
        row.starts_with("Stadtverband Dresden\t2\t1\t30,0\t30,0\t1\t0\t0"),
        "{row:?}"
    );
    // The chart is drawn: the browser loaded and decoded the SVG.
    let mut drawn = 0;
    for _ in 0..100 {
        let width = browser
            .execute(
                "const i = document.querySelector('figure.chart img'); \
                 return i && i.complete ? i.naturalWidth : 0;",
                json!([]),
            )
            .await;
        drawn = width.as_u64().unwrap_or(0);
        if drawn > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(drawn, 960, "the chart's width");
    assert_accessible(&browser, "the entry-lag report").await;
    let id = registered["id"].as_str().expect("id");
    browser.goto(&app.url(&format!("/erklaerungen/{id}"))).await;
    let page = browser.wait_for_text("body", "Keine Berechtigung").await;
    assert!(!page.contains("Schmidt"), "{page}");
    assert_accessible(&browser, "the forbidden page").await;
    browser
        .goto(&app.url(&format!("/mitglieder/{member}")))
        .await;
    let page = browser.wait_for_text("body", "Keine Berechtigung").await;
    assert!(!page.contains("Meier"), "{page}");
    browser.quit().await;
}

async fn two_tabs_edit_the_same_member_and_the_second_save_shows_the_conflict(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = id(&enter(&app, &dd, &app.unit_id("DD-NEU").await, json!({})).await);
    let others = json!({ "first_name": "Kurt", "email": "kurt@example.org" });
    enter(&app, &dd, &app.unit_id("DD").await, others).await;
    let browser = Chromium::start().await;
    sign_in(&browser, &app, DISTRICT_DRESDEN).await;
    browser.click("a[href='/mitglieder']").await;
    let list = browser.wait_for_text("#ergebnisse", "Meier, Kurt").await;
    assert!(list.contains("Meier, Karl"), "{list}");
    // The list narrows as the name is typed (htmx), without a submit.
    browser.type_into("#q", "Meier, Karl").await;
    browser
        .wait_for_text_gone("#ergebnisse", "Meier, Kurt")
        .await;
    let found = browser.wait_for_text("#ergebnisse", "Meier, Karl").await;
    assert!(!found.contains("Meier, Kurt"), "{found}");
    assert_accessible(&browser, "the member search").await;
    browser
        .click(&format!("a[href='/mitglieder/{member}']"))
        .await;
    browser.wait_for_text("h1", "Karl Meier").await;
    assert_accessible(&browser, "the member").await;
    let edit = app.url(&format!("/mitglieder/{member}/bearbeiten"));

    let first = browser.current_tab().await;
    browser.goto(&edit).await;
    browser.wait_for_text("h1", "Stammdaten bearbeiten").await;
    assert_accessible(&browser, "the member edit form").await;
    let second = browser.new_tab().await;
    browser.switch_to(&second).await;
    browser.goto(&edit).await;
    browser.wait_for_text("h1", "Stammdaten bearbeiten").await;
    browser.type_into("#street", "Bautzner Straße 7").await;
    browser
        .click("form[action$='/bearbeiten'] button[type=submit]")
        .await;
    browser.wait_for_text("body", "Bautzner Straße 7").await;

    browser.switch_to(&first).await;
    browser.type_into("#phone", "0351 111222").await;
    browser
        .click("form[action$='/bearbeiten'] button[type=submit]")
        .await;
    let page = browser.wait_for_text("body", "Nicht gespeichert").await;
    assert!(page.contains("Bautzner Straße 7"), "{page}");
    assert!(page.contains("Lindenweg 3"), "{page}");
    assert_accessible(&browser, "the edit conflict").await;
    let stored = app
        .get(&format!("/api/v1/members/{member}"), &dd)
        .await
        .body;
    assert_eq!(stored["street"], "Bautzner Straße 7", "nothing overwritten");
    assert_eq!(stored["phone"], "0351 7654321");
    browser.quit().await;
}

async fn an_import_with_one_bad_row_shows_the_row_and_field(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("mitglieder.csv");
    let rows = excel_rows(&[
        b"Anna;Schmidt;01.02.1990;;Lindenweg 3;1067;Dresden;DD;02.01.2020;01.02.2020;",
        b"Karl;Meier;01.05.1980;;Hauptstra\xDFe 1;01067;Dresden;DD;02.01.2020;31.02.2020;",
    ]);
    std::fs::write(&file, rows).expect("the file written");
    let browser = Chromium::start().await;
    sign_in(&browser, &app, STATE_OFFICE).await;
    browser.click("a[href='/import']").await;
    browser
        .wait_for_text("h1", "Mitgliederliste importieren")
        .await;
    assert_accessible(&browser, "the import form").await;
    browser.choose_file("#datei", &file).await;
    browser
        .click("form[action='/import'] button[type=submit]")
        .await;
    let page = browser.wait_for_text("body", "Nichts importiert.").await;
    assert!(page.contains("Eintritt (joined_on)"), "{page}");
    assert!(
        page.contains("ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT)"),
        "{page}"
    );
    assert!(!page.contains("31.02.2020"), "{page}");
    assert_accessible(&browser, "the refused import").await;
    assert_eq!(app.count("members").await, 0);
    browser.quit().await;
}

async fn the_admin_creates_an_account_and_previews_a_routing_file(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("zuordnung.csv");
    std::fs::write(
        &file,
        b"postal_code;org_unit\r\n1067;DD\r\n01097;L-SUED\r\n0106;DD\r\n",
    )
    .expect("the file written");
    let browser = Chromium::start().await;
    sign_in(&browser, &app, ADMIN).await;
    browser.click("a[href='/verwaltung']").await;
    browser.wait_for_text("h1", "Verwaltung").await;
    assert_accessible(&browser, "the administration").await;

    browser.click("a[href='/verwaltung/konten']").await;
    browser.wait_for_text("h1", "Konten").await;
    assert_accessible(&browser, "the accounts").await;
    browser
        .type_into("#email", "kv-leipzig@kartei.example")
        .await;
    browser
        .type_into("#display_name", "Kreisgeschäftsstelle Leipzig")
        .await;
    browser.click("#role option[value='district_office']").await;
    browser
        .click("form[action='/verwaltung/konten'] button[type=submit]")
        .await;
    browser.wait_for_text("body", "Nicht angelegt.").await;
    let error = browser.text("#org_unit_id-fehler").await;
    assert_eq!(error, "Gliederung: ist für diese Rolle erforderlich");
    assert_accessible(&browser, "the account form with errors").await;
    let leipzig = app.unit_id("L").await;
    browser
        .click(&format!("#org_unit_id option[value='{leipzig}']"))
        .await;
    browser.type_into("#password", "ein langes Passwort").await;
    browser
        .click("form[action='/verwaltung/konten'] button[type=submit]")
        .await;
    let page = browser
        .wait_for_text("body", "Das Konto ist angelegt.")
        .await;
    assert!(page.contains("kv-leipzig@kartei.example"), "{page}");
    assert_accessible(&browser, "the accounts after creating one").await;

    for (link, heading, page) in [
        ("/verwaltung/gliederungen", "Gliederungen", "the org units"),
        ("/verwaltung/e-mails", "E-Mails", "the outbox"),
        (
            "/verwaltung/zuordnung",
            "Zuordnung nach Postleitzahl",
            "the routing table",
        ),
    ] {
        browser.goto(&app.url("/verwaltung")).await;
        browser.click(&format!("a[href='{link}']")).await;
        browser.wait_for_text("h1", heading).await;
        assert_accessible(&browser, page).await;
    }
    browser.choose_file("#datei", &file).await;
    browser
        .click("form[action='/verwaltung/zuordnung/vorschau'] button")
        .await;
    let page = browser.wait_for_text("body", "Nichts ersetzt.").await;
    assert!(page.contains("muss genau fünf Ziffern haben"), "{page}");
    assert_accessible(&browser, "the refused routing file").await;

    std::fs::write(
        &file,
        b"postal_code;org_unit\r\n1067;DD\r\n01097;L-SUED\r\n",
    )
    .expect("the file corrected");
    browser.goto(&app.url("/verwaltung/zuordnung")).await;
    browser.choose_file("#datei", &file).await;
    browser
        .click("form[action='/verwaltung/zuordnung/vorschau'] button")
        .await;
    let page = browser
        .wait_for_text("body", "Noch ist nichts ersetzt.")
        .await;
    assert!(page.contains("1 an eine andere Gliederung"), "{page}");
    assert_accessible(&browser, "the routing preview").await;
    browser
        .click("form[action='/verwaltung/zuordnung'] button")
        .await;
    browser
        .wait_for_text("body", "Die Zuordnung ist ersetzt.")
        .await;
    assert_accessible(&browser, "the replaced routing table").await;
    browser.quit().await;
}

async fn the_main_pages_fit_a_tablet_held_upright(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let registered = app.register(&office, json!({})).await;
    let application = registered["id"].as_str().expect("id").to_owned();
    let member = id(&enter(&app, &office, &app.unit_id("DD").await, json!({})).await);
    let today = kartei_api::local_time::local_date(app.state.clock.now()).format("%d.%m.%Y");
    let browser = Chromium::start().await;
    browser.resize(768, 1024).await;
    sign_in(&browser, &app, STATE_OFFICE).await;
    for page in [
        "/".to_owned(),
        "/erklaerungen".to_owned(),
        format!("/erklaerungen/{application}"),
        "/erklaerungen/neu".to_owned(),
        "/mitglieder".to_owned(),
        format!("/mitglieder/{member}"),
        format!("/mitglieder/{member}/bearbeiten"),
        "/auswertungen".to_owned(),
        "/auswertungen/verlauf".to_owned(),
        "/auswertungen/nicht-eingetragen".to_owned(),
        "/auswertungen/mitglieder".to_owned(),
        "/auswertungen/einbindung".to_owned(),
        "/begruessung".to_owned(),
        format!("/auswertungen/delegierte?stichtag={today}&sitze=10&verfahren=adams"),
        "/import".to_owned(),
    ] {
        browser.goto(&app.url(&page)).await;
        browser.wait_for_text("h1", "").await;
        assert_eq!(
            browser.overflow_x().await,
            0,
            "{page} is wider than a tablet"
        );
    }
    browser.quit().await;
}

/// Journey 1 without a mouse: every field reached with Tab, every form
/// sent with Enter, and the focus visible where it is.
async fn the_state_office_signs_in_and_registers_with_the_keyboard_alone(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let browser = Chromium::start().await;
    browser.goto(&app.url("/anmelden")).await;
    browser.tab_to("#email").await;
    browser.press(STATE_OFFICE).await;
    browser.tab_to("#password").await;
    browser.press(&format!("{DEMO_PASSWORD}{ENTER}")).await;
    browser.wait_for_text("h1", "Guten Tag").await;

    browser.tab_to("a[href='/erklaerungen/neu']").await;
    let outline = browser
        .execute(
            "return getComputedStyle(document.activeElement).outlineStyle;",
            json!([]),
        )
        .await;
    assert_eq!(outline, "solid", "the focus is visible");
    browser.press(ENTER).await;
    browser
        .wait_for_text("h1", "Beitrittserklärung erfassen")
        .await;
    for (field, typed) in [
        ("#first_name", "Jana"),
        ("#last_name", "Krüger"),
        ("#date_of_birth", "03.07.1985"),
        ("#street", "Prager Straße 2"),
        ("#postal_code", "01067"),
        ("#city", "Dresden"),
    ] {
        browser.tab_to(field).await;
        browser.press(typed).await;
    }
    browser.press(ENTER).await;
    let page = browser.wait_for_text("body", "Zugeordnet an").await;
    assert!(page.contains("Krüger, Jana"), "{page}");
    browser.quit().await;
}

/// The board computes the delegate key for the party congress without a
/// mouse, reads the seats of the worked example, and prints it: on paper
/// the parameters and the table, without navigation or form.
async fn the_board_computes_the_delegate_key_with_the_keyboard_and_prints_it(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    nine_six_two(&app, &office).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now())
        .format("%d.%m.%Y")
        .to_string();
    let browser = Chromium::start().await;
    sign_in(&browser, &app, BOARD).await;

    browser.tab_to("a[href='/auswertungen/delegierte']").await;
    browser.press(ENTER).await;
    browser.wait_for_text("h1", "Delegiertenschlüssel").await;
    assert_accessible(&browser, "the delegate key form").await;
    // Tab selects a field's text, so typing replaces the default day.
    for (field, typed) in [
        ("#stichtag", today.as_str()),
        ("#sitze", "5"),
        // A select takes the option whose label is typed.
        ("#verfahren", "Adams"),
        ("#grundmandate", "0"),
    ] {
        browser.tab_to(field).await;
        browser.press(typed).await;
    }
    browser.press(ENTER).await;
    browser
        .wait_for_text("body", "Delegiertenschlüssel zum Stichtag")
        .await;
    let parameters = browser.text("dl.parameters").await;
    assert!(parameters.contains("Adams"), "{parameters}");
    assert!(parameters.contains(&today), "{parameters}");
    let seats = browser
        .execute(
            "return [...document.querySelectorAll('tbody tr')]
               .map(r => r.querySelector('th').innerText + '=' + r.querySelector('td.seats').innerText);",
            json!([]),
        )
        .await;
    let seats: Vec<&str> = seats
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r.as_str()).collect())
        .unwrap_or_default();
    for district in [
        "Stadtverband Dresden=2",
        "Stadtverband Leipzig=2",
        "Stadtverband Chemnitz=1",
    ] {
        assert!(seats.contains(&district), "{district}: {seats:?}");
    }
    browser
        .execute(
            "document.getElementById('schluessel').scrollIntoView();",
            json!([]),
        )
        .await;
    assert_accessible(&browser, "the delegate key").await;

    // On paper: the parameters and the table, no navigation, no form.
    browser.emulate_media("print").await;
    let shown = browser
        .execute(
            "return ['header.site', 'nav.reports', 'form.stacked', 'h2#schluessel', 'dl.parameters', 'table']
               .map(s => s + '=' + getComputedStyle(document.querySelector(s)).display);",
            json!([]),
        )
        .await;
    assert_eq!(
        shown,
        json!([
            "header.site=none",
            "nav.reports=none",
            "form.stacked=none",
            "h2#schluessel=block",
            "dl.parameters=grid",
            "table=table"
        ])
    );
    browser.emulate_media("").await;

    browser.click("a[href='/auswertungen/mitglieder']").await;
    browser
        .wait_for_text("h1", "Mitgliederbestand zum Stichtag")
        .await;
    let sum = browser.text("tfoot tr").await;
    assert!(sum.starts_with("Summe\t17\t17"), "{sum:?}");
    assert_accessible(&browser, "the member counts").await;
    browser.quit().await;
}

/// The district opens the register of new members still owed a step,
/// follows a name to the member's page, records the welcome there and
/// finds only the first invitation left.
async fn the_district_welcomes_a_new_member_from_the_register(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = id(&enter(&app, &dd, &app.unit_id("DD-NEU").await, json!({})).await);
    let browser = Chromium::start().await;
    sign_in(&browser, &app, DISTRICT_DRESDEN).await;
    assert_accessible(&browser, "the start page with the steps owed").await;
    browser.goto(&app.url("/begruessung")).await;
    browser.wait_for_text("h1", "Neumitglieder begrüßen").await;
    assert_accessible(&browser, "the register of steps owed").await;
    browser
        .click(&format!("a[href='/mitglieder/{member}']"))
        .await;
    browser.wait_for_text("h2", "Einbindung").await;
    assert_accessible(&browser, "the member page with its steps").await;
    browser.type_into("#note-welcome", "Angerufen").await;
    browser
        .click(&format!(
            "form[action='/mitglieder/{member}/einbindung'] button[type=submit]"
        ))
        .await;
    // The welcome's form is gone: it is recorded, with its note.
    browser
        .wait_for_text_gone("body", "Begrüßung eintragen")
        .await;
    browser.wait_for_text("body", "Angerufen").await;
    assert_accessible(&browser, "the member page after the welcome").await;
    browser.goto(&app.url("/auswertungen/einbindung")).await;
    browser
        .wait_for_text("h1", "Einbindung neuer Mitglieder")
        .await;
    assert_accessible(&browser, "the integration figures").await;
    browser.quit().await;
}
