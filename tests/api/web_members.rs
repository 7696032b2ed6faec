//! The member pages over HTTP: the search and its htmx fragment, one
//! record, an edit that meets someone else's save, resignation, transfer,
//! the history and the Art. 15 information, each within the scope and the
//! role of the signed-in account.

use kartei_tests::members::{enter, id};
use kartei_tests::web::{Browser, hidden_field, input_value, location, signed_in};
use kartei_tests::{
    BOARD, BRANCH_NEUSTADT, DEMO_PASSWORD, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp,
    on_both_databases,
};
use serde_json::json;

on_both_databases!(
    a_district_finds_its_member_and_reads_the_record,
    members_outside_the_scope_are_404_and_the_board_gets_403,
    a_stale_edit_shows_the_other_change_and_overwrites_nothing,
    a_wrong_field_in_an_edit_is_told_in_german_and_changes_nothing,
    resignation_and_transfer_are_recorded_from_the_member_page,
    the_history_and_the_art_15_information_name_every_change,
    a_branch_sees_its_new_members_on_its_start_page,
);

/// Dresden's member "Karl Meier", entered over the API: its id.
async fn karl_meier(app: &TestApp) -> String {
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let branch = app.unit_id("DD-NEU").await;
    id(&enter(app, &dd, &branch, json!({})).await)
}

async fn a_district_finds_its_member_and_reads_the_record(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = karl_meier(&app).await;
    let mut browser = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;

    let start = browser.get("/").await;
    assert!(start.text.contains("href=\"/mitglieder\""), "navigation");
    let list = browser.get("/mitglieder?q=meier").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains("Meier, Karl"), "{}", list.text);
    assert!(list.text.contains(&format!("/mitglieder/{member}")));
    // What htmx asks for as people type: the results alone.
    let fragment = browser.get_fragment("/mitglieder?q=mei").await;
    assert_eq!(fragment.status, 200);
    assert!(fragment.text.contains("Meier, Karl"));
    assert!(!fragment.text.contains("<html"), "{}", fragment.text);
    let none = browser.get_fragment("/mitglieder?q=Zander").await;
    assert!(none.text.contains("Kein Mitglied entspricht dieser Suche."));
    assert!(!none.text.contains("Meier"));

    let record = browser.get(&format!("/mitglieder/{member}")).await;
    assert_eq!(record.status, 200, "{}", record.text);
    for shown in [
        "Karl Meier",
        "aktiv",
        "Lindenweg 3, 01067 Dresden",
        "01.05.1980",
        "Dresden-Neustadt",
        "Stammdaten bearbeiten",
        "Austritt eintragen",
        "Wechsel beantragen",
    ] {
        assert!(record.text.contains(shown), "{shown}: {}", record.text);
    }
    // The Art. 15 information is the state office's to give.
    assert!(!record.text.contains("/auskunft"));
}

async fn members_outside_the_scope_are_404_and_the_board_gets_403(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = karl_meier(&app).await;
    app.account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let mut leipzig = signed_in(&app, "kv-leipzig@kartei.example", "ein langes Passwort").await;
    let list = leipzig.get("/mitglieder?q=meier").await;
    assert_eq!(list.status, 200);
    assert!(!list.text.contains("Meier"), "{}", list.text);
    for page in ["", "/bearbeiten", "/verlauf"] {
        let reply = leipzig.get(&format!("/mitglieder/{member}{page}")).await;
        assert_eq!(reply.status, 404, "{page}: {}", reply.text);
        assert!(!reply.text.contains("Meier"));
    }
    // The Art. 15 information is never a district's to give: 403 anywhere.
    let reply = leipzig.get(&format!("/mitglieder/{member}/auskunft")).await;
    assert_eq!(reply.status, 403);

    let mut board = signed_in(&app, BOARD, DEMO_PASSWORD).await;
    assert!(!board.get("/").await.text.contains("href=\"/mitglieder\""));
    for page in ["/mitglieder".to_owned(), format!("/mitglieder/{member}")] {
        let reply = board.get(&page).await;
        assert_eq!(reply.status, 403, "{page}");
        assert!(reply.text.contains("Keine Berechtigung"));
        assert!(!reply.text.contains("Meier"));
    }
}

/// The fields of the edit form as it was served, with `changes` typed in.
fn edit_fields(form: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        "csrf",
        "version",
        "first_name",
        "last_name",
        "date_of_birth",
        "street",
        "postal_code",
        "city",
        "email",
        "phone",
    ]
    .into_iter()
    .map(|name| {
        let value = input_value(form, name).unwrap_or_default();
        (name.to_owned(), value)
    })
    .collect();
    for (name, value) in changes {
        if let Some(field) = fields.iter_mut().find(|(n, _)| n == name) {
            field.1 = (*value).to_owned();
        }
    }
    fields
}

async fn post_edit(
    browser: &mut Browser<'_>,
    member: &str,
    fields: &[(String, String)],
) -> kartei_tests::Reply {
    browser
        .post_fields(&format!("/mitglieder/{member}/bearbeiten"), fields)
        .await
}

async fn a_stale_edit_shows_the_other_change_and_overwrites_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = karl_meier(&app).await;
    let mut first = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let mut second = signed_in(&app, STATE_OFFICE, DEMO_PASSWORD).await;
    let path = format!("/mitglieder/{member}/bearbeiten");
    let first_form = first.get(&path).await;
    assert_eq!(first_form.status, 200, "{}", first_form.text);
    let second_form = second.get(&path).await;

    let saved = post_edit(
        &mut second,
        &member,
        &edit_fields(&second_form.text, &[("street", "Bautzner Straße 7")]),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    assert_eq!(location(&saved), format!("/mitglieder/{member}"));

    let typed = edit_fields(&first_form.text, &[("phone", "0351 111222")]);
    let stale = post_edit(&mut first, &member, &typed).await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert!(stale.text.contains("Nicht gespeichert"), "{}", stale.text);
    // The other person's value is shown beside the one this form had.
    assert!(stale.text.contains("Bautzner Straße 7"));
    assert!(stale.text.contains("Lindenweg 3"));
    // What was typed is kept in the form.
    assert_eq!(
        input_value(&stale.text, "phone").as_deref(),
        Some("0351 111222")
    );
    let api = app.token_of(STATE_OFFICE).await;
    let stored = app
        .get(&format!("/api/v1/members/{member}"), &api)
        .await
        .body;
    assert_eq!(stored["street"], "Bautzner Straße 7", "nothing overwritten");
    assert_eq!(stored["phone"], "0351 7654321");
    assert_eq!(stored["version"], 2);

    // Saving again is a decision taken with the other change in view; this
    // person keeps the new street and adds the phone.
    let again = edit_fields(
        &stale.text,
        &[("street", "Bautzner Straße 7"), ("phone", "0351 111222")],
    );
    let saved = post_edit(&mut first, &member, &again).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let stored = app
        .get(&format!("/api/v1/members/{member}"), &api)
        .await
        .body;
    assert_eq!(stored["street"], "Bautzner Straße 7");
    assert_eq!(stored["phone"], "0351 111222");
    assert_eq!(stored["version"], 3);
}

async fn a_wrong_field_in_an_edit_is_told_in_german_and_changes_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = karl_meier(&app).await;
    let mut browser = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let form = browser
        .get(&format!("/mitglieder/{member}/bearbeiten"))
        .await;
    let refused = post_edit(
        &mut browser,
        &member,
        &edit_fields(
            &form.text,
            &[
                ("postal_code", "0106"),
                ("date_of_birth", "31.02.1980"),
                ("city", "Radebeul"),
            ],
        ),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("Geburtsdatum (TT.MM.JJJJ): ist kein Datum (TT.MM.JJJJ)"),
        "{}",
        refused.text
    );
    assert_eq!(
        input_value(&refused.text, "city").as_deref(),
        Some("Radebeul")
    );
    let refused = post_edit(
        &mut browser,
        &member,
        &edit_fields(&form.text, &[("postal_code", "0106"), ("city", "Radebeul")]),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("Postleitzahl: muss genau fünf Ziffern haben"),
        "{}",
        refused.text
    );
    let without_token = post_edit(
        &mut browser,
        &member,
        &edit_fields(&form.text, &[("csrf", "x"), ("city", "Radebeul")]),
    )
    .await;
    assert_eq!(without_token.status, 403);
    let api = app.token_of(DISTRICT_DRESDEN).await;
    let stored = app
        .get(&format!("/api/v1/members/{member}"), &api)
        .await
        .body;
    assert_eq!(stored["city"], "Dresden");
    assert_eq!(stored["version"], 1);
}

async fn resignation_and_transfer_are_recorded_from_the_member_page(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = karl_meier(&app).await;
    let moving = id(&enter(
        &app,
        &app.token_of(DISTRICT_DRESDEN).await,
        &app.unit_id("DD").await,
        json!({ "first_name": "Klara", "email": "klara@example.org" }),
    )
    .await);
    let mut browser = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let page = browser.get(&format!("/mitglieder/{moving}")).await;
    let csrf = hidden_field(&page.text, "csrf").expect("token");
    let leipzig = app.unit_id("L").await;
    assert!(page.text.contains(&format!("<option value=\"{leipzig}\"")));

    let refused = browser
        .post_form(
            &format!("/mitglieder/{moving}/wechsel"),
            &[
                ("csrf", &csrf),
                ("to_org_unit_id", ""),
                ("effective_on", "morgen"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("Wechselt nach: bitte wählen"));
    assert!(
        refused
            .text
            .contains("Wirksam ab: ist kein Datum (TT.MM.JJJJ)")
    );
    assert_eq!(app.count("transfers").await, 0);

    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let today = today.format("%d.%m.%Y").to_string();
    let requested = browser
        .post_form(
            &format!("/mitglieder/{moving}/wechsel"),
            &[
                ("csrf", &csrf),
                ("to_org_unit_id", &leipzig),
                ("effective_on", &today),
            ],
        )
        .await;
    assert_eq!(requested.status, 303, "{}", requested.text);
    let shown = browser.get(location(&requested)).await;
    assert!(
        shown.text.contains("Der Wechsel ist beantragt."),
        "{}",
        shown.text
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS n FROM transfers WHERE status = 'pending'")
            .await,
        1
    );

    let resigned = browser
        .post_form(
            &format!("/mitglieder/{member}/austritt"),
            &[("csrf", &csrf), ("effective_on", &today), ("reason", "")],
        )
        .await;
    assert_eq!(resigned.status, 303, "{}", resigned.text);
    let record = browser.get(&format!("/mitglieder/{member}")).await;
    assert!(record.text.contains("ausgetreten"), "{}", record.text);
    assert!(
        !record.text.contains("Austritt eintragen"),
        "no second resignation"
    );
    assert!(!record.text.contains("Stammdaten bearbeiten"));
}

async fn the_history_and_the_art_15_information_name_every_change(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = karl_meier(&app).await;
    let mut office = signed_in(&app, STATE_OFFICE, DEMO_PASSWORD).await;
    let form = office
        .get(&format!("/mitglieder/{member}/bearbeiten"))
        .await;
    let saved = post_edit(
        &mut office,
        &member,
        &edit_fields(
            &form.text,
            &[("city", "Radebeul"), ("postal_code", "01445")],
        ),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);

    let history = office.get(&format!("/mitglieder/{member}/verlauf")).await;
    assert_eq!(history.status, 200, "{}", history.text);
    for shown in [
        "Eingetragen",
        "Geändert",
        "Ort",
        "Dresden",
        "Radebeul",
        "01445",
    ] {
        assert!(history.text.contains(shown), "{shown}: {}", history.text);
    }

    let record = office.get(&format!("/mitglieder/{member}")).await;
    assert!(
        record
            .text
            .contains(&format!("/mitglieder/{member}/auskunft"))
    );
    let information = office.get(&format!("/mitglieder/{member}/auskunft")).await;
    assert_eq!(information.status, 200, "{}", information.text);
    let disposition = information
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        disposition.starts_with("attachment; filename=\"auskunft-"),
        "{disposition}"
    );
    for shown in [
        "Auskunft über gespeicherte Daten (Art. 15 DSGVO)",
        "Karl Meier",
        "Radebeul",
        "Newsletter",
        "Führung des Mitgliederverzeichnisses",
        "Kreisgeschäftsstelle (Stadtverband Dresden)",
    ] {
        assert!(
            information.text.contains(shown),
            "{shown}: {}",
            information.text
        );
    }
    let exported = app
        .scalar("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'member_exported'")
        .await;
    assert_eq!(exported, 1, "the information given is in the trail");

    let mut district = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let refused = district
        .get(&format!("/mitglieder/{member}/auskunft"))
        .await;
    assert_eq!(refused.status, 403);
}

async fn a_branch_sees_its_new_members_on_its_start_page(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let member = karl_meier(&app).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let long_ago = |days: i64| (today - chrono::Duration::days(days)).to_string();
    enter(
        &app,
        &dd,
        &app.unit_id("DD-NEU").await,
        json!({
            "first_name": "Olga",
            "last_name": "Altmitglied",
            "email": "olga@example.org",
            "received_on": long_ago(400),
            "joined_on": long_ago(390),
        }),
    )
    .await;

    let mut branch = signed_in(&app, BRANCH_NEUSTADT, DEMO_PASSWORD).await;
    let start = branch.get("/").await;
    assert_eq!(start.status, 200, "{}", start.text);
    let new = start
        .text
        .split("<h2>Neue Mitglieder</h2>")
        .nth(1)
        .expect("the section");
    assert!(new.contains(&format!("/mitglieder/{member}")), "{new}");
    assert!(new.contains("Meier, Karl"));
    assert!(!new.contains("Altmitglied"), "joined long ago");

    let list = branch.get("/mitglieder?neu=1").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains("<h1>Neue Mitglieder</h1>"));
    assert!(list.text.contains("Meier, Karl"));
    assert!(!list.text.contains("Altmitglied"));
    let all = branch.get("/mitglieder").await;
    assert!(all.text.contains("Altmitglied, Olga"));
    // The branch records first contact but edits no record.
    let record = branch.get(&format!("/mitglieder/{member}")).await;
    assert_eq!(record.status, 200);
    assert!(!record.text.contains("Stammdaten bearbeiten"));
}
