//! The staff web application over HTTP: signing in and out, the session
//! cookie and its lifetime, CSRF, the security headers, and the start page
//! of each role. (The journeys in a real browser come with the pages.)

use chrono::{Duration, NaiveDate};
use kartei_tests::web::{Browser, hidden_field, location};
use kartei_tests::{
    BOARD, BRANCH_NEUSTADT, DEMO_PASSWORD, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp,
    on_both_databases,
};
use serde_json::json;

on_both_databases!(
    a_browser_signs_in_sees_what_it_owes_and_signs_out,
    forms_without_their_token_are_refused,
    the_session_cookie_and_the_page_headers_are_strict,
    an_idle_or_old_session_goes_back_to_sign_in,
    a_wrong_password_is_told_in_german_and_throttled_like_the_api,
    the_board_sees_no_declarations_on_its_start_page,
    the_inbox_lists_declarations_with_their_clocks_in_german,
    a_declaration_outside_the_scope_is_404_and_the_board_gets_403,
    a_district_takes_a_declaration_to_admission_in_the_pages,
    a_step_with_wrong_input_is_told_at_its_field_and_changes_nothing,
    the_state_office_registers_a_declaration_and_corrects_a_missing_postal_code,
    the_entry_lag_report_shows_figures_per_unit_to_those_who_read_reports,
);

async fn a_browser_signs_in_sees_what_it_owes_and_signs_out(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    app.register(&office, json!({})).await;
    app.register(&office, json!({ "last_name": "Weber" })).await;

    let mut browser = Browser::new(&app);
    let start = browser.get("/").await;
    assert_eq!(start.status, 303);
    assert_eq!(location(&start), "/anmelden");

    let signed_in = browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    assert_eq!(location(&signed_in), "/");
    let start = browser.get("/").await;
    assert_eq!(start.status, 200, "{}", start.text);
    assert!(start.content_type().starts_with("text/html"));
    assert!(start.text.contains("<html lang=\"de\">"));
    assert!(start.text.contains("Was jetzt ansteht"));
    // Both declarations wait for Dresden to confirm the hand-over.
    let card = start
        .text
        .split("Übernahme zu bestätigen")
        .nth(1)
        .expect("the hand-over card");
    assert!(card.contains("<p class=\"count\">2</p>"), "{card}");
    // A signed-in browser asking for the form goes to its start page.
    assert_eq!(location(&browser.get("/anmelden").await), "/");

    let csrf = hidden_field(&start.text, "csrf").expect("sign-out token");
    let kept = browser.cookies.clone();
    let out = browser.post_form("/abmelden", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(location(&out), "/anmelden?abgemeldet=1");
    assert!(!browser.cookies.contains_key("kartei_session"));
    let form = browser.get("/anmelden?abgemeldet=1").await;
    assert!(form.text.contains("Sie sind abgemeldet."));
    // The old cookie, replayed, opens nothing: the session has ended.
    browser.cookies = kept;
    assert_eq!(location(&browser.get("/").await), "/anmelden");
    let trail = app
        .scalar("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'logout'")
        .await;
    assert_eq!(trail, 1);
}

async fn forms_without_their_token_are_refused(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut browser = Browser::new(&app);
    // The sign-in form: without its token, or with another browser's.
    browser.get("/anmelden").await;
    let refused = browser
        .post_form(
            "/anmelden",
            &[("email", DISTRICT_DRESDEN), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.text.contains("Formular abgelaufen"));
    let mut other = Browser::new(&app);
    let foreign = hidden_field(&other.get("/anmelden").await.text, "csrf").expect("token");
    let refused = browser
        .post_form(
            "/anmelden",
            &[
                ("csrf", &foreign),
                ("email", DISTRICT_DRESDEN),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(!browser.cookies.contains_key("kartei_session"));

    // A signed-in form: signing out without the session's token.
    assert_eq!(
        browser
            .sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD)
            .await
            .status,
        303
    );
    let refused = browser.post_form("/abmelden", &[("csrf", "x")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(browser.get("/").await.status, 200, "still signed in");
}

async fn the_session_cookie_and_the_page_headers_are_strict(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/anmelden").await;
    let csp = form
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(form.headers["x-frame-options"], "DENY");
    assert_eq!(form.headers["cache-control"], "no-store");
    assert!(!form.text.contains("<script>"), "no inline script");

    browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let cookie = browser
        .set_cookie("kartei_session")
        .expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    // Not in development or test, where kartei runs without TLS.
    assert!(!cookie.contains("Secure"), "{cookie}");
    // Every page renews the cookie (the idle clock starts again).
    browser.get("/").await;
    assert!(browser.set_cookie("kartei_session").is_some());

    // The files are the binary's own, cacheable, and nothing else loads;
    // fetching one neither reads nor renews the session.
    let htmx = browser.get("/static/htmx-2.0.11.min.js").await;
    assert!(browser.set_cookie("kartei_session").is_none());
    assert_eq!(htmx.status, 200);
    assert!(htmx.content_type().starts_with("text/javascript"));
    assert!(
        htmx.headers["cache-control"]
            .to_str()
            .unwrap_or_default()
            .contains("immutable")
    );
    assert_eq!(browser.get("/static/kartei-3.css").await.status, 200);
    assert_eq!(browser.get("/static/htmx-LICENSE.txt").await.status, 200);
}

async fn an_idle_or_old_session_goes_back_to_sign_in(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let clock = &app.state.clock;
    let mut browser = Browser::new(&app);
    browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;

    // Busy for almost twelve hours, a request every 29 minutes.
    for _ in 0..24 {
        clock.advance(Duration::minutes(29));
        assert_eq!(browser.get("/").await.status, 200);
    }
    clock.advance(Duration::minutes(29));
    let ended = browser.get("/").await;
    assert_eq!(ended.status, 303, "12 hours after signing in");
    assert_eq!(location(&ended), "/anmelden");
    assert!(!browser.cookies.contains_key("kartei_session"));

    // Idle for 30 minutes.
    browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    assert_eq!(browser.get("/").await.status, 200);
    clock.advance(Duration::minutes(30));
    assert_eq!(location(&browser.get("/").await), "/anmelden");
}

async fn a_wrong_password_is_told_in_german_and_throttled_like_the_api(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut browser = Browser::new(&app);
    let failed = browser
        .sign_in(DISTRICT_DRESDEN, "falsch-falsch-falsch")
        .await;
    assert_eq!(failed.status, 401);
    assert!(
        failed
            .text
            .contains("E-Mail-Adresse oder Passwort stimmen nicht.")
    );
    assert!(
        failed.text.contains("value=\"kv-dresden@kartei.example\""),
        "the address stays"
    );
    assert!(
        !failed.text.contains("falsch-falsch"),
        "the password does not"
    );
    // The API's rule: five failures lock the account for a while.
    for _ in 0..4 {
        browser
            .sign_in(DISTRICT_DRESDEN, "falsch-falsch-falsch")
            .await;
    }
    let locked = browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    assert_eq!(locked.status, 429);
    assert!(locked.text.contains("Zu viele fehlgeschlagene Anmeldungen"));
    app.login_reply(DISTRICT_DRESDEN, DEMO_PASSWORD)
        .await
        .assert_problem(429);
}

async fn the_board_sees_no_declarations_on_its_start_page(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    app.register(&office, json!({})).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(BOARD, DEMO_PASSWORD).await;
    let start = browser.get("/").await;
    assert_eq!(start.status, 200);
    assert!(start.text.contains("Landesvorstand"));
    assert!(start.text.contains("Auswertungen, keine einzelnen"));
    assert!(!start.text.contains("Übernahme zu bestätigen"));
}

async fn the_inbox_lists_declarations_with_their_clocks_in_german(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let registered = app.register(&office, json!({})).await;
    let id = registered["id"].as_str().expect("id").to_owned();
    let received: NaiveDate = registered["received_on"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("received_on");

    let mut browser = Browser::new(&app);
    browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let start = browser.get("/").await;
    assert!(
        start.text.contains("href=\"/erklaerungen\""),
        "the menu links the list"
    );
    let inbox = browser.get("/erklaerungen").await;
    assert_eq!(inbox.status, 200, "{}", inbox.text);
    let row = inbox
        .text
        .split(&format!("href=\"/erklaerungen/{id}\""))
        .nth(1)
        .expect("the declaration is listed and linked");
    assert!(row.starts_with(">Schmidt, Anna</a>"), "{row}");
    assert!(
        inbox
            .text
            .contains(&received.format("%d.%m.%Y").to_string()),
        "TT.MM.JJJJ"
    );
    assert!(row.contains("Zugeordnet"));
    assert!(row.contains("Übernahme seit heute"));
    assert!(!row.contains("überfällig"));

    // Four days later the hand-over (3 days) is overdue, in colour and word.
    app.state.clock.advance(Duration::days(4));
    browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let late = browser.get("/erklaerungen?ueberfaellig=1").await;
    assert!(
        late.text.contains(&format!("/erklaerungen/{id}")),
        "{}",
        late.text
    );
    assert!(
        late.text
            .contains("<span class=\"overdue\">überfällig</span>")
    );
    let closed = browser.get("/erklaerungen?status=admitted").await;
    assert!(!closed.text.contains(&format!("/erklaerungen/{id}")));
    assert!(closed.text.contains("Keine Beitrittserklärung entspricht"));

    let page = browser.get(&format!("/erklaerungen/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<h1>Schmidt, Anna</h1>"));
    assert!(page.text.contains("12.04.1990"), "the birth date, German");
    assert!(
        page.text.contains(", auf Papier</dd>"),
        "the channel, German"
    );
    for step in ["Erfasst", "Zugeordnet"] {
        assert!(
            page.text.contains(&format!(": {step} (")),
            "{step} in the timeline"
        );
    }
    assert!(page.text.contains(" Uhr</time>"));
}

async fn a_declaration_outside_the_scope_is_404_and_the_board_gets_403(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let leipzig = app
        .register(
            &office,
            json!({ "postal_code": "04109", "city": "Leipzig" }),
        )
        .await;
    let leipzig = leipzig["id"].as_str().expect("id").to_owned();

    let mut dresden = Browser::new(&app);
    dresden.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let inbox = dresden.get("/erklaerungen").await;
    assert!(!inbox.text.contains(&leipzig), "not in Dresden's list");
    let other = dresden.get(&format!("/erklaerungen/{leipzig}")).await;
    assert_eq!(other.status, 404);
    assert!(other.text.contains("Nicht gefunden"));
    assert!(!other.text.contains("Schmidt"));
    assert_eq!(
        dresden.get("/erklaerungen/kein-schluessel").await.status,
        404
    );

    let mut board = Browser::new(&app);
    board.sign_in(BOARD, DEMO_PASSWORD).await;
    let start = board.get("/").await;
    assert!(
        !start.text.contains("href=\"/erklaerungen\""),
        "no link it may not follow"
    );
    let refused = board.get("/erklaerungen").await;
    assert_eq!(refused.status, 403);
    assert!(refused.text.contains("Keine Berechtigung"));
    assert_eq!(
        board.get(&format!("/erklaerungen/{leipzig}")).await.status,
        403
    );
}

async fn a_district_takes_a_declaration_to_admission_in_the_pages(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let registered = app.register(&office, json!({})).await;
    let id = registered["id"].as_str().expect("id").to_owned();
    let page_of = format!("/erklaerungen/{id}");

    let mut browser = Browser::new(&app);
    browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let page = browser.get(&page_of).await;
    assert!(page.text.contains("Übernahme bestätigen"));
    assert!(
        !page.text.contains("Erstkontakt speichern"),
        "one step at a time"
    );
    let csrf = hidden_field(&page.text, "csrf").expect("token");

    let step = browser
        .post_form(&format!("{page_of}/uebernahme"), &[("csrf", &csrf)])
        .await;
    assert_eq!(step.status, 303, "{}", step.text);
    assert_eq!(location(&step), page_of);
    let page = browser.get(&page_of).await;
    assert!(page.text.contains("<strong>Übernommen</strong>"));
    assert!(page.text.contains("Erstkontakt speichern"));

    let today = app.state.app.today().format("%d.%m.%Y").to_string();
    let step = browser
        .post_form(
            &format!("{page_of}/erstkontakt"),
            &[
                ("csrf", &csrf),
                ("contacted_on", &today),
                ("channel", "phone"),
                ("note", "freut sich"),
            ],
        )
        .await;
    assert_eq!(step.status, 303, "{}", step.text);
    let page = browser.get(&page_of).await;
    assert!(page.text.contains("<strong>Kontaktiert</strong>"));
    assert!(page.text.contains(": Erstkontakt ("));

    let step = browser
        .post_form(
            &format!("{page_of}/entscheidung"),
            &[
                ("csrf", &csrf),
                ("verdict", "admitted"),
                ("decided_on", &today),
            ],
        )
        .await;
    assert_eq!(step.status, 303, "{}", step.text);
    let page = browser.get(&page_of).await;
    assert!(page.text.contains("<strong>Aufgenommen</strong>"));
    let api = app
        .get(&format!("/api/v1/applications/{id}"), &office)
        .await;
    let number = api.body["membership_number"].as_str().expect("a number");
    assert!(
        page.text
            .contains(&format!("Mitgliedsnummer <strong>{number}</strong>")),
        "the membership number is shown"
    );
}

async fn a_step_with_wrong_input_is_told_at_its_field_and_changes_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let registered = app.register(&office, json!({})).await;
    let id = registered["id"].as_str().expect("id").to_owned();
    let page_of = format!("/erklaerungen/{id}");
    let mut browser = Browser::new(&app);
    browser.sign_in(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let csrf = hidden_field(&browser.get(&page_of).await.text, "csrf").expect("token");
    let today = app.state.app.today().format("%d.%m.%Y").to_string();

    // A first contact before the hand-over: the use case refuses the step.
    let early = browser
        .post_form(
            &format!("{page_of}/erstkontakt"),
            &[
                ("csrf", &csrf),
                ("contacted_on", &today),
                ("channel", "phone"),
            ],
        )
        .await;
    assert_eq!(early.status, 409, "{}", early.text);
    assert!(
        early
            .text
            .contains("jemand anderes hat sie inzwischen bearbeitet")
    );

    browser
        .post_form(&format!("{page_of}/uebernahme"), &[("csrf", &csrf)])
        .await;
    let wrong = browser
        .post_form(
            &format!("{page_of}/erstkontakt"),
            &[
                ("csrf", &csrf),
                ("contacted_on", "gestern"),
                ("channel", "phone"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.text.contains("Datum: ist kein Datum (TT.MM.JJJJ)"));
    assert!(
        wrong
            .text
            .contains("aria-invalid=\"true\" aria-describedby=\"contacted_on-fehler\"")
    );
    let wrong = browser
        .post_form(
            &format!("{page_of}/erstkontakt"),
            &[
                ("csrf", &csrf),
                ("contacted_on", &today),
                ("channel", "brieftaube"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.text.contains("Weg: ist keiner der erlaubten Werte"),
        "{}",
        wrong.text
    );
    let wrong = browser
        .post_form(
            &format!("{page_of}/erstkontakt"),
            &[
                ("csrf", &csrf),
                ("contacted_on", "01.01.2099"),
                ("channel", "phone"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong
            .text
            .contains("Datum: darf nicht in der Zukunft liegen"),
        "{}",
        wrong.text
    );
    let status = app
        .get(&format!("/api/v1/applications/{id}"), &office)
        .await;
    assert_eq!(status.body["status"], "handed_over", "nothing changed");

    // A rejection needs its reason.
    browser
        .post_form(
            &format!("{page_of}/erstkontakt"),
            &[
                ("csrf", &csrf),
                ("contacted_on", &today),
                ("channel", "phone"),
            ],
        )
        .await;
    let wrong = browser
        .post_form(
            &format!("{page_of}/entscheidung"),
            &[
                ("csrf", &csrf),
                ("verdict", "rejected"),
                ("decided_on", &today),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(
        wrong
            .text
            .contains("Begründung: ist bei einer Ablehnung erforderlich"),
        "{}",
        wrong.text
    );
    let status = app
        .get(&format!("/api/v1/applications/{id}"), &office)
        .await;
    assert_eq!(status.body["status"], "contacted");
}

async fn the_state_office_registers_a_declaration_and_corrects_a_missing_postal_code(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(STATE_OFFICE, DEMO_PASSWORD).await;
    let form = browser.get("/erklaerungen/neu").await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert!(
        form.text
            .contains("<label for=\"postal_code\">Postleitzahl</label>")
    );
    let csrf = hidden_field(&form.text, "csrf").expect("token");
    let today = app.state.app.today().format("%d.%m.%Y").to_string();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("received_on", today.as_str()),
        ("channel", "paper"),
        ("first_name", "Jana"),
        ("last_name", "Krüger"),
        ("date_of_birth", "03.07.1985"),
        ("street", "Prager Straße 2"),
        ("postal_code", ""),
        ("city", "Dresden"),
    ];
    let missing = browser.post_form("/erklaerungen/neu", &fields).await;
    assert_eq!(missing.status, 422, "{}", missing.text);
    assert!(
        missing
            .text
            .contains("Postleitzahl: muss genau fünf Ziffern haben"),
        "{}",
        missing.text
    );
    assert!(
        missing.text.contains("value=\"Krüger\""),
        "the form keeps what was typed"
    );
    assert_eq!(app.count("applications").await, 0, "nothing saved");

    // As the code is typed, the form says where it goes.
    let preview = browser
        .get("/erklaerungen/neu/zuordnung?postal_code=01067")
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.text.contains("Geht an: "), "{}", preview.text);
    let unknown = browser
        .get("/erklaerungen/neu/zuordnung?postal_code=99999")
        .await;
    assert!(unknown.text.contains("Landesgeschäftsstelle"));

    fields[7] = ("postal_code", "01067");
    let saved = browser.post_form("/erklaerungen/neu", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let page = browser.get(location(&saved)).await;
    assert!(page.text.contains("<h1>Krüger, Jana</h1>"));
    assert!(page.text.contains("<strong>Zugeordnet</strong>"));
    let dresden = app
        .get(
            &format!("/api/v1/org-units/{}", app.unit_id("DD").await),
            &app.token_of(STATE_OFFICE).await,
        )
        .await;
    let name = dresden.body["name"].as_str().expect("name");
    assert!(
        page.text
            .contains(&format!("<dt>Zugeordnet an</dt><dd>{name}</dd>")),
        "{}",
        page.text
    );

    // The same person again: the page names the likely duplicate.
    let again = browser.post_form("/erklaerungen/neu", &fields).await;
    let page = browser.get(location(&again)).await;
    assert!(page.text.contains("Möglicherweise dieselbe Person"));
    assert!(page.text.contains("gleicher Name und Geburtsdatum"));

    // The board registers nothing.
    let mut board = Browser::new(&app);
    board.sign_in(BOARD, DEMO_PASSWORD).await;
    assert_eq!(board.get("/erklaerungen/neu").await.status, 403);
}

async fn the_entry_lag_report_shows_figures_per_unit_to_those_who_read_reports(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    app.register(&office, json!({})).await;
    app.register(&office, json!({ "last_name": "Weber" })).await;
    let admin = app.token_of(kartei_tests::ADMIN).await;
    let dresden = app
        .get(
            &format!("/api/v1/org-units/{}", app.unit_id("DD").await),
            &admin,
        )
        .await;
    let dresden = dresden.body["name"].as_str().expect("name").to_owned();

    let mut board = Browser::new(&app);
    board.sign_in(BOARD, DEMO_PASSWORD).await;
    assert!(board.get("/").await.text.contains("href=\"/auswertungen\""));
    let report = board.get("/auswertungen").await;
    assert_eq!(report.status, 200, "{}", report.text);
    let row = report
        .text
        .split(&format!("<th scope=\"row\">{dresden}</th>"))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("Dresden's row");
    // Received 2, entered 0, no lag yet, 2 open, none overdue.
    let cells: Vec<&str> = row
        .split("<td")
        .skip(1)
        .map(|cell| {
            cell.split('>')
                .nth(1)
                .unwrap_or_default()
                .trim_end_matches("</td")
        })
        .collect();
    assert_eq!(cells[..6], ["2", "0", "–", "–", "2", "0"], "{row}");
    assert!(!report.text.contains("Schmidt"), "figures, no person");

    // A branch reads no lag reports.
    let mut branch = Browser::new(&app);
    branch.sign_in(BRANCH_NEUSTADT, DEMO_PASSWORD).await;
    assert!(
        !branch
            .get("/")
            .await
            .text
            .contains("href=\"/auswertungen\"")
    );
    assert_eq!(branch.get("/auswertungen").await.status, 403);
}
