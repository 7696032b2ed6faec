//! Where a declaration or a member goes, in the pages: the state office's
//! manual queue and routing by hand, a district giving a declaration back
//! with a reason, and the receiving district's answer to a transfer.

use kartei_tests::members::{enter, id};
use kartei_tests::web::{hidden_field, location, signed_in};
use kartei_tests::{DEMO_PASSWORD, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases};
use serde_json::json;

on_both_databases!(
    the_state_office_routes_its_manual_queue_by_hand,
    a_district_gives_a_declaration_back_with_a_reason,
    the_receiving_district_declines_with_a_reason_or_confirms_a_transfer,
);

async fn the_state_office_routes_its_manual_queue_by_hand(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let stranded = app
        .register(
            &office,
            json!({ "postal_code": "80331", "city": "München" }),
        )
        .await;
    let id = stranded["id"].as_str().expect("id").to_owned();
    assert_eq!(stranded["status"], "unroutable");

    let mut browser = signed_in(&app, STATE_OFFICE, DEMO_PASSWORD).await;
    let start = browser.get("/").await;
    assert!(
        start
            .text
            .contains("href=\"/erklaerungen?status=unroutable\""),
        "the start page links to the queue: {}",
        start.text
    );
    let queue = browser.get("/erklaerungen?status=unroutable").await;
    assert!(queue.text.contains(&format!("/erklaerungen/{id}")));
    let page = browser.get(&format!("/erklaerungen/{id}")).await;
    assert!(page.text.contains("Zuordnen"), "{}", page.text);
    let csrf = hidden_field(&page.text, "csrf").expect("token");

    let path = format!("/erklaerungen/{id}/zuordnung");
    let refused = browser
        .post_form(&path, &[("csrf", &csrf), ("org_unit_id", "")])
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("Kreis- oder Ortsverband: bitte wählen")
    );

    let leipzig = app.unit_id("L").await;
    let routed = browser
        .post_form(&path, &[("csrf", &csrf), ("org_unit_id", &leipzig)])
        .await;
    assert_eq!(routed.status, 303, "{}", routed.text);
    let page = browser.get(location(&routed)).await;
    assert!(page.text.contains("Zugeordnet"), "{}", page.text);
    assert!(page.text.contains("Stadtverband Leipzig"));
    let stored = app
        .get(&format!("/api/v1/applications/{id}"), &office)
        .await;
    assert_eq!(stored.body["district_id"], leipzig.as_str());
}

async fn a_district_gives_a_declaration_back_with_a_reason(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = app.token_of(STATE_OFFICE).await;
    let registered = app.register(&office, json!({})).await;
    let id = registered["id"].as_str().expect("id").to_owned();

    let mut browser = signed_in(&app, DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let page = browser.get(&format!("/erklaerungen/{id}")).await;
    assert!(
        page.text.contains("Nicht zuständig? Zurückgeben"),
        "{}",
        page.text
    );
    let csrf = hidden_field(&page.text, "csrf").expect("token");
    let path = format!("/erklaerungen/{id}/rueckgabe");
    let refused = browser
        .post_form(
            &path,
            &[("csrf", &csrf), ("reason", " "), ("org_unit_id", "")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("Grund: "), "{}", refused.text);
    let stored = app
        .get(&format!("/api/v1/applications/{id}"), &office)
        .await;
    assert_eq!(stored.body["status"], "routed", "nothing changed");

    let given_back = browser
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("reason", "Wohnt inzwischen in Leipzig"),
                ("org_unit_id", ""),
            ],
        )
        .await;
    assert_eq!(given_back.status, 303, "{}", given_back.text);
    let inbox = browser.get(location(&given_back)).await;
    assert!(inbox.text.contains("ist zurückgegeben"), "{}", inbox.text);
    assert!(!inbox.text.contains(&format!("/erklaerungen/{id}\"")));
    let stored = app
        .get(&format!("/api/v1/applications/{id}"), &office)
        .await;
    assert_eq!(stored.body["status"], "unroutable");
    // It has left Dresden's part of the tree.
    assert_eq!(
        browser.get(&format!("/erklaerungen/{id}")).await.status,
        404
    );
}

async fn the_receiving_district_declines_with_a_reason_or_confirms_a_transfer(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = id(&enter(&app, &dd, &app.unit_id("DD").await, json!({})).await);
    let leipzig = app.unit_id("L").await;
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let body = json!({
        "to_org_unit_id": leipzig,
        "effective_on": today.to_string(),
        "keep_home_ties": false,
    });
    let first = app
        .post(
            &format!("/api/v1/members/{member}/transfers"),
            Some(&dd),
            &body,
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let transfer = id(&first.body);

    app.account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let mut browser = signed_in(&app, "kv-leipzig@kartei.example", "ein langes Passwort").await;
    let page = browser.get("/wechsel").await;
    assert_eq!(page.status, 200, "{}", page.text);
    // Leipzig learns whom it is asked to take, and cannot open the record
    // before it has taken it.
    assert!(page.text.contains("<td>Karl Meier</td>"), "{}", page.text);
    assert!(!page.text.contains(&format!("/mitglieder/{member}")));
    assert!(page.text.contains("Stadtverband Dresden"));
    let csrf = hidden_field(&page.text, "csrf").expect("token");

    let refused = browser
        .post_form(
            &format!("/wechsel/{transfer}/ablehnen"),
            &[("csrf", &csrf), ("reason", "")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("Grund: ist erforderlich"),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("<details open>"),
        "the form stays open"
    );

    let confirmed = browser
        .post_form(
            &format!("/wechsel/{transfer}/bestaetigen"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text);
    let page = browser.get(location(&confirmed)).await;
    assert!(
        page.text.contains("Der Wechsel ist bestätigt"),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains(&format!("<a href=\"/mitglieder/{member}\">Karl Meier</a>")),
        "its record is Leipzig's now: {}",
        page.text
    );
    let moved = app
        .get(
            &format!("/api/v1/members/{member}"),
            &app.token_of(STATE_OFFICE).await,
        )
        .await;
    assert_eq!(moved.body["district_id"], leipzig.as_str());

    // Answering again is told, not done twice.
    let again = browser
        .post_form(
            &format!("/wechsel/{transfer}/ablehnen"),
            &[("csrf", &csrf), ("reason", "doch nicht")],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(again.text.contains("schon beantwortet"));
}
