//! Integration steps after admission: who owes them (new members only, by
//! their branch or district, while the membership lasts), when they are
//! due and overdue, recording them once, the register of what is still
//! owed, and the figures per unit and step worked out by hand.

use chrono::{Duration, NaiveDate};
use kartei_tests::members::{enter, id};
use kartei_tests::{
    ADMIN, BOARD, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, Reply, STATE_OFFICE, TestApp,
    on_both_databases, read_excel_csv,
};
use serde_json::{Value, json};

on_both_databases!(
    a_direct_entry_owes_both_steps_with_their_due_dates,
    an_admission_owes_the_steps_and_an_import_none,
    recording_a_step_is_idempotent_and_checked,
    recording_is_scoped_like_the_member_record,
    a_step_is_overdue_the_day_after_it_is_due,
    the_register_lists_owed_steps_due_first_within_scope,
    a_transfer_moves_what_is_owed,
    a_member_who_left_is_owed_nothing,
    the_report_figures_match_the_hand_computed_ones,
    both_reports_read_as_german_excel_csv,
    the_rollup_agrees_with_the_straightforward_query,
);

fn today(app: &TestApp) -> NaiveDate {
    kartei_api::local_time::local_date(app.state.clock.now())
}

fn day(app: &TestApp, offset: i64) -> String {
    (today(app) + Duration::days(offset)).to_string()
}

/// Moves the clock on by `days` and logs in again (tokens expire).
async fn next_days(app: &TestApp, days: i64, who: &str) -> String {
    app.state.clock.advance(Duration::days(days));
    app.token_of(who).await
}

async fn record(app: &TestApp, token: &str, member: &str, body: Value) -> Reply {
    app.post(
        &format!("/api/v1/members/{member}/integration"),
        Some(token),
        &body,
    )
    .await
}

/// A member entered directly today into the unit `short_code`.
async fn new_member(app: &TestApp, token: &str, short_code: &str, last_name: &str) -> String {
    let unit = app.unit_id(short_code).await;
    id(&enter(
        app,
        token,
        &unit,
        json!({ "last_name": last_name, "email": null }),
    )
    .await)
}

async fn steps_of(app: &TestApp, token: &str, member: &str) -> Vec<Value> {
    let reply = app.get(&format!("/api/v1/members/{member}"), token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["integration"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no integration in {}", reply.text))
}

async fn register(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/v1/reports/unwelcomed?{query}"), token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"].as_array().cloned().unwrap_or_default()
}

fn of_member<'a>(items: &'a [Value], member: &str) -> Vec<&'a Value> {
    items.iter().filter(|i| i["member_id"] == member).collect()
}

async fn a_direct_entry_owes_both_steps_with_their_due_dates(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = new_member(&app, &dd, "DD-NEU", "Neumann").await;
    let steps = steps_of(&app, &dd, &member).await;
    assert_eq!(
        steps,
        [
            json!({
                "step": "welcome", "started_on": day(&app, 0), "due_on": day(&app, 14),
                "done_on": null, "channel": null, "note": null,
                "overdue": false, "escalated": false,
            }),
            json!({
                "step": "first_invitation", "started_on": day(&app, 0), "due_on": day(&app, 42),
                "done_on": null, "channel": null, "note": null,
                "overdue": false, "escalated": false,
            }),
        ]
    );
    assert_eq!(app.count("integration_steps").await, 2);
    // Lists show no steps; the record read alone does.
    let list = app.get("/api/v1/members?q=neumann", &dd).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(
        list.body["items"][0].get("integration").is_none(),
        "{}",
        list.text
    );
}

async fn an_admission_owes_the_steps_and_an_import_none(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let application = app
        .register(&lgs, json!({ "email": null, "postal_code": "01097" }))
        .await;
    let application = id(&application);
    let reply = app
        .transition(&dd, &application, "handover", json!({}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let admitted = app
        .transition(
            &dd,
            &application,
            "decision",
            json!({
                "decision": "admitted", "decided_on": day(&app, 0),
                "contact": { "contacted_on": day(&app, 0), "channel": "phone" }
            }),
        )
        .await;
    assert_eq!(admitted.status, 200, "{}", admitted.text);
    let member = admitted.body["member_id"]
        .as_str()
        .expect("member")
        .to_owned();
    let steps = steps_of(&app, &dd, &member).await;
    let names: Vec<&Value> = steps.iter().map(|s| &s["step"]).collect();
    assert_eq!(names, ["welcome", "first_invitation"]);
    assert_eq!(steps[0]["started_on"], day(&app, 0));
    assert_eq!(steps[0]["due_on"], day(&app, 14));
    assert_eq!(steps[1]["due_on"], day(&app, 42));
    // The branch the postal code routed to owes them.
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let owed = register(&app, &branch, "limit=200").await;
    let owed = of_member(&owed, &member);
    assert_eq!(owed.len(), 2);
    assert_eq!(owed[0]["org_unit_id"], app.unit_id("DD-NEU").await.as_str());

    // An imported member is no new member: it owes nothing.
    let before = app.count("integration_steps").await;
    let import = app
        .post_text(
            "/api/v1/members/import",
            &lgs,
            "text/csv",
            "first_name;last_name;date_of_birth;street;postal_code;city;org_unit;received_on;joined_on\n\
             Ida;Altmitglied;1960-01-01;Weg 1;01097;Dresden;DD-NEU;2010-01-02;2010-02-01\n",
        )
        .await;
    assert_eq!(import.status, 201, "{}", import.text);
    assert_eq!(app.count("integration_steps").await, before);
    let found = app.get("/api/v1/members?q=altmitglied", &dd).await;
    let imported = id(&found.body["items"][0]);
    assert_eq!(steps_of(&app, &dd, &imported).await, Vec::<Value>::new());
    let refused = record(
        &app,
        &dd,
        &imported,
        json!({ "step": "welcome", "done_on": day(&app, 0), "channel": "phone" }),
    )
    .await;
    refused.assert_problem(409);
    let detail = refused.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("owes no welcome step"), "{detail}");
    assert!(!detail.contains("Altmitglied"), "{detail}");
}

async fn recording_a_step_is_idempotent_and_checked(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = new_member(&app, &dd, "DD-NEU", "Gruen").await;
    let dd = next_days(&app, 3, DISTRICT_DRESDEN).await;
    let welcome = json!({
        "step": "welcome", "done_on": day(&app, -1), "channel": "in_person",
        "note": "Beim Stammtisch begrüßt"
    });
    let done = record(&app, &dd, &member, welcome.clone()).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["member_id"], member.as_str());
    let first = &done.body["integration"][0];
    assert_eq!(first["step"], "welcome");
    assert_eq!(first["done_on"], day(&app, -1));
    assert_eq!(first["channel"], "in_person");
    assert_eq!(first["note"], "Beim Stammtisch begrüßt");
    assert_eq!(first["overdue"], false);
    assert_eq!(done.body["integration"][1]["done_on"], Value::Null);

    let audited = "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'integration_step_done'";
    assert_eq!(app.scalar(audited).await, 1);
    let again = record(&app, &dd, &member, welcome.clone()).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body, done.body);
    assert_eq!(app.scalar(audited).await, 1, "a repeat writes nothing");

    // Other data on a done step is a conflict.
    for other in [
        json!({ "done_on": day(&app, 0) }),
        json!({ "channel": "phone" }),
        json!({ "note": null }),
    ] {
        let mut body = welcome.clone();
        if let (Some(body), Some(other)) = (body.as_object_mut(), other.as_object()) {
            body.extend(other.clone());
        }
        record(&app, &dd, &member, body).await.assert_problem(409);
    }
    assert_eq!(app.scalar(audited).await, 1);

    // Fields: every bad one named, nothing written.
    let bad = record(
        &app,
        &dd,
        &member,
        json!({ "step": "kaffee", "done_on": day(&app, 1), "channel": "fax" }),
    )
    .await;
    bad.assert_problem(422);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["channel", "done_on", "step"]);
    let unknown = record(
        &app,
        &dd,
        &member,
        json!({ "step": "kaffee", "done_on": day(&app, 0), "channel": "phone" }),
    )
    .await;
    unknown.assert_problem(422);
    assert_eq!(unknown.error_fields(), ["step"]);
    let message = unknown.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("welcome, first_invitation"), "{message}");
    let future = record(
        &app,
        &dd,
        &member,
        json!({ "step": "first_invitation", "done_on": day(&app, 1), "channel": "phone" }),
    )
    .await;
    future.assert_problem(422);
    assert_eq!(future.error_fields(), ["done_on"]);
    let early = record(
        &app,
        &dd,
        &member,
        json!({ "step": "first_invitation", "done_on": day(&app, -4), "channel": "phone" }),
    )
    .await;
    early.assert_problem(422);
    assert_eq!(early.error_fields(), ["done_on"]);
    assert_eq!(app.scalar(audited).await, 1);

    // The trail names the step; the values are sealed and read back here.
    let history = app
        .get(&format!("/api/v1/members/{member}/history"), &dd)
        .await;
    let entry = history
        .body
        .as_array()
        .and_then(|h| h.iter().find(|e| e["action"] == "integration_step_done"))
        .cloned()
        .unwrap_or_else(|| panic!("no entry in {}", history.text));
    assert_eq!(entry["details"]["step"], "welcome");
    let changes = entry["details"]["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        changes
            .iter()
            .any(|c| c["field"] == "channel" && c["new"] == "in_person"),
        "{changes:?}"
    );
    let stored = "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'integration_step_done' \
                  AND CAST(details AS TEXT) LIKE '%Stammtisch%'";
    assert_eq!(
        app.scalar(stored).await,
        0,
        "the note is sealed in the trail"
    );
}

async fn recording_is_scoped_like_the_member_record(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let in_branch = new_member(&app, &dd, "DD-NEU", "Zweig").await;
    let at_district = new_member(&app, &dd, "DD", "Kreis").await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let body = json!({ "step": "welcome", "done_on": day(&app, 0), "channel": "phone" });
    record(&app, &leipzig, &in_branch, body.clone())
        .await
        .assert_problem(404);
    for who in [BOARD, STATE_OFFICE] {
        let token = app.token_of(who).await;
        record(&app, &token, &in_branch, body.clone())
            .await
            .assert_problem(403);
    }
    // A refusal comes before the faults of the request.
    let board = app.token_of(BOARD).await;
    record(
        &app,
        &board,
        &in_branch,
        json!({ "step": "x", "done_on": day(&app, 9), "channel": "x" }),
    )
    .await
    .assert_problem(403);
    record(&app, &dd, &uuid_nil(), body.clone())
        .await
        .assert_problem(404);
    // The branch welcomes its own members, not those the district holds.
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let done = record(&app, &branch, &in_branch, body.clone()).await;
    assert_eq!(done.status, 200, "{}", done.text);
    record(&app, &branch, &at_district, body.clone())
        .await
        .assert_problem(404);
    let done = record(&app, &dd, &at_district, body).await;
    assert_eq!(done.status, 200, "{}", done.text);
}

fn uuid_nil() -> String {
    "00000000-0000-7000-8000-000000000000".to_owned()
}

async fn a_step_is_overdue_the_day_after_it_is_due(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = new_member(&app, &dd, "DD-NEU", "Uhr").await;
    let welcome_of = |items: Vec<Value>| {
        items
            .into_iter()
            .find(|i| i["member_id"] == member.as_str() && i["step"] == "welcome")
            .unwrap_or_else(|| panic!("welcome owed"))
    };

    let dd = next_days(&app, 14, DISTRICT_DRESDEN).await;
    let due_day = steps_of(&app, &dd, &member).await;
    assert_eq!(due_day[0]["due_on"], day(&app, 0));
    assert_eq!(due_day[0]["overdue"], false, "not on the due day");
    let item = welcome_of(register(&app, &dd, "limit=200").await);
    assert_eq!(
        (item["days_open"].clone(), item["overdue"].clone()),
        (json!(14), json!(false))
    );

    let dd = next_days(&app, 1, DISTRICT_DRESDEN).await;
    let after = steps_of(&app, &dd, &member).await;
    assert_eq!(after[0]["overdue"], true, "the day after");
    assert_eq!(after[0]["escalated"], false);
    assert_eq!(
        after[1]["overdue"], false,
        "the invitation is due in 42 days"
    );
    let item = welcome_of(register(&app, &dd, "limit=200").await);
    assert_eq!(
        (item["overdue"].clone(), item["escalated"].clone()),
        (json!(true), json!(false))
    );

    // Twice the level: 28 days, escalated from day 29.
    let dd = next_days(&app, 13, DISTRICT_DRESDEN).await;
    let item = welcome_of(register(&app, &dd, "limit=200").await);
    assert_eq!(item["escalated"], false);
    let dd = next_days(&app, 1, DISTRICT_DRESDEN).await;
    let item = welcome_of(register(&app, &dd, "limit=200").await);
    assert_eq!(item["escalated"], true);
    assert_eq!(steps_of(&app, &dd, &member).await[0]["escalated"], true);

    // Done late: no longer overdue, no longer owed.
    let done = record(
        &app,
        &dd,
        &member,
        json!({ "step": "welcome", "done_on": day(&app, 0), "channel": "letter" }),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["integration"][0]["overdue"], false);
    let owed = register(&app, &dd, "limit=200").await;
    let left: Vec<&Value> = of_member(&owed, &member)
        .into_iter()
        .map(|i| &i["step"])
        .collect();
    assert_eq!(left, ["first_invitation"]);
}

async fn the_register_lists_owed_steps_due_first_within_scope(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let early = new_member(&app, &lgs, "DD-NEU", "Frueh").await;
    let lgs = next_days(&app, 2, STATE_OFFICE).await;
    let late = new_member(&app, &lgs, "DD-NEU", "Spaet").await;
    let district = new_member(&app, &lgs, "DD", "Kreisig").await;
    let leipzig = new_member(&app, &lgs, "L", "Messe").await;

    let all = register(&app, &lgs, "limit=200").await;
    let order: Vec<(String, String)> = all
        .iter()
        .map(|i| {
            (
                i["member_id"].as_str().unwrap_or_default().to_owned(),
                i["step"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let pair = |m: &str, s: &str| (m.to_owned(), s.to_owned());
    assert_eq!(
        order,
        [
            pair(&early, "welcome"),
            pair(&late, "welcome"),
            pair(&district, "welcome"),
            pair(&leipzig, "welcome"),
            pair(&early, "first_invitation"),
            pair(&late, "first_invitation"),
            pair(&district, "first_invitation"),
            pair(&leipzig, "first_invitation"),
        ]
    );
    let first = &all[0];
    assert!(
        first["membership_number"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert_eq!(first["last_name"], "Frueh");
    assert_eq!(first["first_name"], "Karl");
    assert_eq!(first["org_unit_id"], app.unit_id("DD-NEU").await.as_str());
    assert_eq!(first["started_on"], day(&app, -2));
    assert_eq!(first["due_on"], day(&app, 12));
    assert_eq!(first["days_open"], 2);
    assert_eq!(all[2]["org_unit_id"], app.unit_id("DD").await.as_str());

    // Pages of one, each once, in the same order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=3&cursor={c}"),
            None => "limit=3".to_owned(),
        };
        let reply = app
            .get(&format!("/api/v1/reports/unwelcomed?{query}"), &lgs)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        paged.extend(reply.body["items"].as_array().cloned().unwrap_or_default());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all);

    // The district sees its own and its branch's, the branch its own.
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let members_in = |items: &[Value]| {
        let mut ids: Vec<String> = items
            .iter()
            .filter_map(|i| i["member_id"].as_str().map(str::to_owned))
            .collect();
        ids.dedup();
        ids
    };
    assert_eq!(
        members_in(&register(&app, &dd, "").await),
        [
            early.clone(),
            late.clone(),
            district.clone(),
            early.clone(),
            late.clone(),
            district.clone()
        ]
    );
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let own = register(&app, &branch, "").await;
    assert_eq!(own.len(), 4);
    let neustadt = app.unit_id("DD-NEU").await;
    assert!(own.iter().all(|i| i["org_unit_id"] == neustadt.as_str()));
    // Narrowed to a unit, within the scope; outside it, nothing.
    let narrowed = register(
        &app,
        &lgs,
        &format!("org_unit_id={}", app.unit_id("L").await),
    )
    .await;
    assert_eq!(members_in(&narrowed), [leipzig]);
    assert_eq!(narrowed.len(), 2);
    assert!(
        register(
            &app,
            &dd,
            &format!("org_unit_id={}", app.unit_id("L").await)
        )
        .await
        .is_empty()
    );
    // The board reads figures only.
    let board = app.token_of(BOARD).await;
    app.get("/api/v1/reports/unwelcomed", &board)
        .await
        .assert_problem(403);
    let bad = app
        .get("/api/v1/reports/unwelcomed?cursor=nonsense", &lgs)
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), ["cursor"]);
}

async fn a_transfer_moves_what_is_owed(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = new_member(&app, &dd, "DD-NEU", "Umzug").await;
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    assert_eq!(
        of_member(&register(&app, &branch, "").await, &member).len(),
        2
    );
    let l_sued = app.unit_id("L-SUED").await;
    let started = app
        .post(
            &format!("/api/v1/members/{member}/transfers"),
            Some(&dd),
            &json!({ "to_org_unit_id": l_sued, "effective_on": day(&app, 7), "keep_home_ties": true }),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.text);
    // Until the move, Neustadt owes it.
    assert_eq!(
        of_member(&register(&app, &branch, "").await, &member).len(),
        2
    );
    let admin = app.token_of(ADMIN).await;
    let transfer = started.body["id"].as_str().expect("id");
    let confirmed = app
        .post(
            &format!("/api/v1/transfers/{transfer}/confirm"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);

    assert!(of_member(&register(&app, &branch, "").await, &member).is_empty());
    assert!(of_member(&register(&app, &dd, "").await, &member).is_empty());
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let owed = register(&app, &leipzig, "").await;
    let owed = of_member(&owed, &member);
    assert_eq!(owed.len(), 2);
    assert!(owed.iter().all(|i| i["org_unit_id"] == l_sued.as_str()));
    // The steps keep their start: the clock does not restart with a move.
    assert!(owed.iter().all(|i| i["started_on"] == day(&app, 0)));
    // Leipzig records, Dresden (home ties, reading only) may not.
    let body = json!({ "step": "welcome", "done_on": day(&app, 0), "channel": "email" });
    record(&app, &dd, &member, body.clone())
        .await
        .assert_problem(404);
    let done = record(&app, &leipzig, &member, body).await;
    assert_eq!(done.status, 200, "{}", done.text);
    // Dresden's home-ties view shows no steps.
    let seen = app.get(&format!("/api/v1/members/{member}"), &dd).await;
    assert_eq!(seen.body["view"], "home_ties", "{}", seen.text);
    assert!(seen.body.get("integration").is_none());
}

async fn a_member_who_left_is_owed_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let staying = new_member(&app, &dd, "DD", "Bleibt").await;
    let leaving = new_member(&app, &dd, "DD", "Geht").await;
    let resigned = app
        .post(
            &format!("/api/v1/members/{leaving}/resignation"),
            Some(&dd),
            &json!({ "effective_on": day(&app, 0) }),
        )
        .await;
    assert_eq!(resigned.status, 200, "{}", resigned.text);
    let dd = next_days(&app, 20, DISTRICT_DRESDEN).await;
    let owed = register(&app, &dd, "").await;
    assert!(of_member(&owed, &leaving).is_empty());
    assert_eq!(of_member(&owed, &staying).len(), 2);
    let steps = steps_of(&app, &dd, &leaving).await;
    assert_eq!(steps.len(), 2, "the steps stay on record");
    assert!(steps.iter().all(|s| s["overdue"] == false));
    assert_eq!(steps_of(&app, &dd, &staying).await[0]["overdue"], true);
    // Recording after the membership ended is refused; before, it is fine.
    let after = record(
        &app,
        &dd,
        &leaving,
        json!({ "step": "welcome", "done_on": day(&app, -5), "channel": "phone" }),
    )
    .await;
    after.assert_problem(409);
    let before = record(
        &app,
        &dd,
        &leaving,
        json!({
            "step": "welcome", "done_on": day(&app, -20), "channel": "phone",
            "note": "Hat sich sehr gefreut"
        }),
    )
    .await;
    assert_eq!(before.status, 200, "{}", before.text);
    let report = app
        .get(
            &format!(
                "/api/v1/reports/integration?org_unit_id={}",
                app.unit_id("DD").await
            ),
            &dd,
        )
        .await;
    let own = row(&report.body, "DD", "welcome");
    assert_eq!(
        (
            &own["admitted"],
            &own["done"],
            &own["open"],
            &own["overdue"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1))
    );

    // After the retention period the note goes with the person; the day
    // and the channel stay for the figures.
    let notes = "SELECT COUNT(*) AS n FROM integration_steps WHERE note IS NOT NULL";
    assert_eq!(app.scalar(notes).await, 1);
    app.state.clock.advance(Duration::days(3653 + 2));
    kartei_app::jobs::retention::run(&app.state.app, app.state.clock.now())
        .await
        .expect("retention");
    assert_eq!(app.scalar(notes).await, 0);
    let done = "SELECT COUNT(*) AS n FROM integration_steps WHERE done_on IS NOT NULL";
    assert_eq!(app.scalar(done).await, 1);
}

fn row<'a>(report: &'a Value, short_code: &str, step: &str) -> &'a Value {
    report["items"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["short_code"] == short_code && r["step"] == step)
        })
        .unwrap_or_else(|| panic!("no row {short_code} {step} in {report}"))
}

fn near(value: &Value, want: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - want).abs() < 1e-9)
}

/// Day D, the day the test starts:
/// - A, B, C, D, E entered into the Neustadt branch, G too, resigned at once;
/// - F entered into the district of Dresden, without a branch;
/// - an imported member of Neustadt, who owes nothing.
///
/// On D+20 the welcomes of A, B, C and D are recorded as done on D+2,
/// D+10, D+14 and D+20. Read on D+20, the welcome (14 days) of Neustadt:
/// admitted 6 (A–E and G), done 4 (after 2, 10, 14, 20 days: median 12,
/// p90 at rank 1 + 3 × 0.9 = 3.7, 14 + 0.7 × 6 = 18.2), open 1 (E; G left),
/// overdue 1 (E: D+20 is after D+14), within the level 3 (2, 10, 14): a
/// share of 3/6. Its first invitation (42 days): admitted 6, done 0, open
/// 5, overdue 0, share 0. Dresden without a branch (F): welcome admitted
/// 1, open 1, overdue 1, share 0. Dresden as a district: welcome admitted
/// 7, done 4, open 2, overdue 2, share 3/7.
async fn scenario(app: &TestApp) -> NaiveDate {
    let start = today(app);
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let mut neustadt = Vec::new();
    for name in ["Anton", "Berta", "Cora", "Dora", "Emil"] {
        neustadt.push(new_member(app, &dd, "DD-NEU", name).await);
    }
    let gone = new_member(app, &dd, "DD-NEU", "Gustav").await;
    let resigned = app
        .post(
            &format!("/api/v1/members/{gone}/resignation"),
            Some(&dd),
            &json!({ "effective_on": day(app, 0) }),
        )
        .await;
    assert_eq!(resigned.status, 200, "{}", resigned.text);
    new_member(app, &dd, "DD", "Friedrich").await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let import = app
        .post_text(
            "/api/v1/members/import",
            &lgs,
            "text/csv",
            "first_name;last_name;date_of_birth;street;postal_code;city;org_unit;received_on;joined_on\n\
             Ida;Altmitglied;1960-01-01;Weg 1;01097;Dresden;DD-NEU;2010-01-02;2010-02-01\n",
        )
        .await;
    assert_eq!(import.status, 201, "{}", import.text);

    let dd = next_days(app, 20, DISTRICT_DRESDEN).await;
    for (member, after) in neustadt.iter().zip([2, 10, 14, 20]) {
        let done_on = (start + Duration::days(after)).to_string();
        let reply = record(
            app,
            &dd,
            member,
            json!({ "step": "welcome", "done_on": done_on, "channel": "phone" }),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    start
}

async fn the_report_figures_match_the_hand_computed_ones(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let start = scenario(&app).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dresden = app.unit_id("DD").await;

    let by_branch = app
        .get(
            &format!("/api/v1/reports/integration?org_unit_id={dresden}"),
            &lgs,
        )
        .await;
    assert_eq!(by_branch.status, 200, "{}", by_branch.text);
    let report = &by_branch.body;
    assert_eq!(report["group_by"], "local");
    assert_eq!(report["as_of"], day(&app, 0));
    // Neustadt and Dresden's own members, two steps each.
    assert_eq!(
        report["items"].as_array().map(Vec::len),
        Some(4),
        "{report}"
    );
    let welcome = row(report, "DD-NEU", "welcome");
    assert_eq!(welcome["org_unit_id"], app.unit_id("DD-NEU").await.as_str());
    assert_eq!(welcome["level_days"], 14);
    assert_eq!(
        [
            &welcome["admitted"],
            &welcome["done"],
            &welcome["open"],
            &welcome["overdue"]
        ],
        [&json!(6), &json!(4), &json!(1), &json!(1)]
    );
    assert!(near(&welcome["median_days"], 12.0), "{welcome}");
    assert!(near(&welcome["p90_days"], 18.2), "{welcome}");
    assert!(near(&welcome["share_within_level"], 0.5), "{welcome}");
    let invitation = row(report, "DD-NEU", "first_invitation");
    assert_eq!(
        [
            &invitation["admitted"],
            &invitation["done"],
            &invitation["open"],
            &invitation["overdue"]
        ],
        [&json!(6), &json!(0), &json!(5), &json!(0)]
    );
    assert_eq!(invitation["median_days"], Value::Null);
    assert!(near(&invitation["share_within_level"], 0.0), "{invitation}");
    let own = row(report, "DD", "welcome");
    assert_eq!(own["org_unit_id"], dresden.as_str());
    assert_eq!(
        [
            &own["admitted"],
            &own["done"],
            &own["open"],
            &own["overdue"]
        ],
        [&json!(1), &json!(0), &json!(1), &json!(1)]
    );

    let by_district = app.get("/api/v1/reports/integration", &lgs).await;
    assert_eq!(by_district.status, 200, "{}", by_district.text);
    let report = &by_district.body;
    assert_eq!(report["group_by"], "district");
    // Thirteen districts, two steps each; the default period reaches back
    // to the first of the month eleven months before today.
    assert_eq!(report["items"].as_array().map(Vec::len), Some(26));
    let dd = row(report, "DD", "welcome");
    assert_eq!(
        [&dd["admitted"], &dd["done"], &dd["open"], &dd["overdue"]],
        [&json!(7), &json!(4), &json!(2), &json!(2)]
    );
    assert!(near(&dd["share_within_level"], 3.0 / 7.0), "{dd}");
    let leipzig = row(report, "L", "welcome");
    assert_eq!(leipzig["admitted"], 0);
    assert_eq!(leipzig["share_within_level"], Value::Null);

    // The period is on the day the steps started.
    let later = app
        .get(
            &format!(
                "/api/v1/reports/integration?from={}&to={}",
                start + Duration::days(1),
                day(&app, 0)
            ),
            &lgs,
        )
        .await;
    assert_eq!(row(&later.body, "DD", "welcome")["admitted"], 0);
    let that_day = app
        .get(
            &format!("/api/v1/reports/integration?from={start}&to={start}"),
            &lgs,
        )
        .await;
    assert_eq!(row(&that_day.body, "DD", "welcome")["admitted"], 7);

    // Who reads it: the board too; a district its own; a branch not.
    let board = app.token_of(BOARD).await;
    let seen = app.get("/api/v1/reports/integration", &board).await;
    assert_eq!(seen.body, by_district.body);
    let dd_office = app.token_of(DISTRICT_DRESDEN).await;
    let own = app.get("/api/v1/reports/integration", &dd_office).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.body["items"].as_array().map(Vec::len), Some(2));
    app.get(
        &format!(
            "/api/v1/reports/integration?org_unit_id={}",
            app.unit_id("L").await
        ),
        &dd_office,
    )
    .await
    .assert_problem(404);
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    app.get("/api/v1/reports/integration", &branch)
        .await
        .assert_problem(403);
    let bad = app
        .get(
            &format!(
                "/api/v1/reports/integration?from={}&to={start}",
                day(&app, 0)
            ),
            &lgs,
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), ["from"]);
}

async fn both_reports_read_as_german_excel_csv(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    scenario(&app).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dresden = app.unit_id("DD").await;

    let csv = app
        .get(
            &format!("/api/v1/reports/integration?org_unit_id={dresden}&format=csv"),
            &lgs,
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.content_type().starts_with("text/csv"));
    let rows = read_excel_csv(&csv.text);
    let header = &rows[0];
    assert_eq!(
        header,
        &[
            "org_unit_id",
            "short_code",
            "name",
            "step",
            "level_days",
            "admitted",
            "done",
            "open",
            "overdue",
            "median_days",
            "p90_days",
            "share_within_level_percent",
        ]
    );
    assert_eq!(rows.len(), 1 + 4);
    let welcome = rows
        .iter()
        .find(|r| r[1] == "DD-NEU" && r[3] == "welcome")
        .expect("Neustadt welcome");
    assert_eq!(welcome[4..], ["14", "6", "4", "1", "1", "12", "18,2", "50"]);

    // The register: every owed step, and the export in the audit log.
    let csv = app
        .get(
            &format!("/api/v1/reports/unwelcomed?org_unit_id={dresden}&format=csv"),
            &lgs,
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.content_type().starts_with("text/csv"));
    let rows = read_excel_csv(&csv.text);
    assert_eq!(
        rows[0],
        [
            "member_id",
            "membership_number",
            "last_name",
            "first_name",
            "org_unit_id",
            "step",
            "started_on",
            "due_on",
            "days_open",
            "overdue",
            "escalated",
        ]
    );
    // Welcomes of Emil and Friedrich, invitations of A–E and Friedrich.
    assert_eq!(rows.len(), 1 + 2 + 6);
    assert_eq!(rows[1][2], "Emil");
    assert_eq!(rows[1][5], "welcome");
    assert_eq!(rows[1][8], "20");
    assert_eq!(rows[1][9], "ja");
    assert_eq!(rows[1][10], "nein");

    let admin = app.token_of(ADMIN).await;
    let log = app.get("/api/v1/audit?action=export", &admin).await;
    assert_eq!(log.status, 200, "{}", log.text);
    let export = &log.body["items"][0];
    assert_eq!(
        export["subject"],
        json!({ "type": "unwelcomed", "id": null })
    );
    assert_eq!(
        export["detail"],
        json!({ "format": "csv", "filter": { "org_unit_id": dresden }, "rows": 8 })
    );
    // The figures name nobody: no export to record.
    assert_eq!(log.body["items"].as_array().map(Vec::len), Some(1));
}

/// The integration figures from the steps alone and from the rollup plus
/// the partial months agree, for several periods and groupings.
async fn assert_sources_agree(app: &TestApp) {
    use chrono::{Datelike, Months};
    use kartei_persistence::integration::{self, FiguresQuery, StepCutoff};
    use kartei_persistence::reports::{Grouping, Source};
    let today = today(app);
    let dd: uuid::Uuid = app.unit_id("DD").await.parse().expect("uuid");
    let l: uuid::Uuid = app.unit_id("L").await.parse().expect("uuid");
    let first_of_month = today.with_day(1).expect("first");
    let periods = [
        (today - Duration::days(400), today),
        (
            first_of_month - Months::new(2),
            first_of_month - Duration::days(1),
        ),
        (today - Duration::days(45), today - Duration::days(3)),
        (today, today),
        (first_of_month - Months::new(1) + Duration::days(9), today),
    ];
    let steps: Vec<StepCutoff> = [("welcome", 14), ("first_invitation", 42)]
        .into_iter()
        .map(|(step, level)| StepCutoff {
            step: step.to_owned(),
            overdue_started_before: kartei_domain::integration::started_before(level, today, 1),
        })
        .collect();
    let mut compared = 0;
    for (from, to) in periods {
        for grouping in [
            Grouping::Districts { only: None },
            Grouping::Districts { only: Some(dd) },
            Grouping::Branches { district: dd },
            Grouping::Branches { district: l },
        ] {
            let query = FiguresQuery {
                from,
                to,
                grouping,
                today,
                steps: steps.clone(),
            };
            let raw = integration::figures(&app.db, &query, Source::Raw)
                .await
                .expect("raw");
            let rolled = integration::figures(&app.db, &query, Source::Rollup)
                .await
                .expect("rollup");
            assert_eq!(rolled, raw, "{from}..{to} {grouping:?}");
            compared += raw.len();
        }
    }
    assert!(compared > 0, "the figures compared were empty");
}

async fn integration_rollup_rows(app: &TestApp) -> Vec<(String, String, String, String, i64, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT district_key, local_key, month, step, days, items FROM integration_rollup \
             WHERE items <> 0 ORDER BY 1, 2, 3, 4, 5",
        ))
        .await
        .expect("rollup rows");
    rows.iter()
        .map(|r| {
            (
                r.try_get::<uuid::Uuid>("", "district_key")
                    .expect("district")
                    .to_string(),
                r.try_get::<uuid::Uuid>("", "local_key")
                    .expect("local")
                    .to_string(),
                r.try_get::<NaiveDate>("", "month")
                    .expect("month")
                    .to_string(),
                r.try_get::<String>("", "step").expect("step"),
                r.try_get::<i64>("", "days").expect("days"),
                r.try_get::<i64>("", "items").expect("items"),
            )
        })
        .collect()
}

async fn the_rollup_agrees_with_the_straightforward_query(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let _ = leipzig;
    let l = app.unit_id("L").await;
    let mut wanderer = None;
    let mut leaving = None;
    for round in 0..4_i64 {
        let lgs = app.token_of(STATE_OFFICE).await;
        let dd = app.token_of(DISTRICT_DRESDEN).await;
        // Direct entries into the branch and the district itself.
        let in_branch = new_member(&app, &dd, "DD-NEU", &format!("Zweig{round}")).await;
        let in_district = new_member(&app, &dd, "DD", &format!("Kreis{round}")).await;
        // An admission in Dresden.
        let application = id(&app
            .register(
                &lgs,
                json!({ "email": null, "postal_code": "01067", "first_name": format!("A{round}") }),
            )
            .await);
        let reply = app
            .transition(&dd, &application, "handover", json!({}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let admitted = app
            .transition(
                &dd,
                &application,
                "decision",
                json!({
                    "decision": "admitted", "decided_on": day(&app, 0),
                    "contact": { "contacted_on": day(&app, 0), "channel": "phone" }
                }),
            )
            .await;
        assert_eq!(admitted.status, 200, "{}", admitted.text);
        let admitted = admitted.body["member_id"]
            .as_str()
            .expect("member")
            .to_owned();

        // Some steps are done days later, some never.
        let dd = next_days(&app, 3 + round, DISTRICT_DRESDEN).await;
        let welcome = json!({ "step": "welcome", "done_on": day(&app, 0), "channel": "email" });
        let reply = record(&app, &dd, &in_branch, welcome.clone()).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        if round % 2 == 0 {
            let reply = record(&app, &dd, &admitted, welcome.clone()).await;
            assert_eq!(reply.status, 200, "{}", reply.text);
        }
        let dd = next_days(&app, 9, DISTRICT_DRESDEN).await;
        let invitation =
            json!({ "step": "first_invitation", "done_on": day(&app, -1), "channel": "letter" });
        let reply = record(&app, &dd, &in_district, invitation).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        if round == 1 {
            wanderer = Some(in_branch.clone());
        }
        if round == 2 {
            leaving = Some(admitted.clone());
        }
        next_days(&app, 8, DISTRICT_DRESDEN).await;
        assert_sources_agree(&app).await;
    }

    // A member with a done welcome and an open invitation moves to Leipzig.
    let wanderer = wanderer.expect("wanderer");
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let started = app
        .post(
            &format!("/api/v1/members/{wanderer}/transfers"),
            Some(&dd),
            &json!({ "to_org_unit_id": l, "effective_on": day(&app, 0), "keep_home_ties": false }),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.text);
    let admin = app.token_of(ADMIN).await;
    let confirmed = app
        .post(
            &format!("/api/v1/transfers/{}/confirm", id(&started.body)),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    // A member resigns with a step still open.
    let leaving = leaving.expect("leaving");
    let resigned = app
        .post(
            &format!("/api/v1/members/{leaving}/resignation"),
            Some(&dd),
            &json!({ "effective_on": day(&app, 0) }),
        )
        .await;
    assert_eq!(resigned.status, 200, "{}", resigned.text);
    assert_sources_agree(&app).await;

    // The maintained table is exactly what a rebuild computes.
    let maintained = integration_rollup_rows(&app).await;
    assert!(maintained.len() > 10, "{} rows", maintained.len());
    kartei_persistence::integration_rollup::rebuild(&app.db)
        .await
        .expect("rebuilt");
    assert_eq!(integration_rollup_rows(&app).await, maintained);
}
