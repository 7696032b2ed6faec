//! Onboarding: registration, routing, every transition, the timeline,
//! scope, listing and concurrency.

use chrono::Duration;
use kartei_tests::{
    ADMIN, BOARD, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases,
};
use serde_json::{Value, json};

on_both_databases!(
    registration_routes_by_postal_code_choice_or_into_the_queue,
    every_invalid_field_is_named_and_nothing_is_written,
    duplicates_are_found_across_spellings_without_personal_data,
    a_district_learns_only_of_duplicates_inside_its_scope,
    the_state_office_exports_what_is_stored_about_an_applicant,
    the_whole_journey_from_receipt_to_member,
    repeating_a_transition_answers_the_current_state_once,
    forbidden_transitions_are_409,
    a_district_sends_back_and_the_state_office_routes_by_hand,
    withdrawal_closes_any_open_application,
    scope_other_districts_see_nothing_the_board_nothing_personal,
    a_branch_sees_and_contacts_its_own_applications,
    lists_filter_by_status_unit_name_and_overdue,
    concurrent_confirmations_record_one_event,
    membership_numbers_are_unique_and_never_reused,
    step_dates_and_rejections_are_validated,
);

fn id(body: &Value) -> String {
    body["id"].as_str().expect("id").to_owned()
}

fn timeline_kinds(body: &Value) -> Vec<String> {
    body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn registration_routes_by_postal_code_choice_or_into_the_queue(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dresden = app.unit_id("DD").await;

    let routed = app.register(&lgs, json!({})).await;
    assert_eq!(routed["status"], "routed");
    assert_eq!(routed["district_id"], dresden.as_str());
    assert!(routed["local_id"].is_null());
    let received = chrono::NaiveDate::parse_from_str(
        routed["received_on"].as_str().expect("date"),
        "%Y-%m-%d",
    )
    .expect("date");
    assert_eq!(
        routed["objection_deadline"],
        (received + Duration::days(42)).to_string()
    );
    assert_eq!(routed["member_by_statute"], false);
    assert_eq!(routed["stage"], "handover");
    assert_eq!(routed["overdue"], false);
    assert_eq!(routed["possible_duplicates"], json!([]));

    let branch = app
        .register(
            &lgs,
            json!({ "postal_code": "01097", "first_name": "Ben", "email": null }),
        )
        .await;
    assert_eq!(branch["district_id"], dresden.as_str());
    assert_eq!(branch["local_id"], app.unit_id("DD-NEU").await.as_str());

    // The applicant's own choice wins over the postal code.
    let leipzig = app.unit_id("L").await;
    let chosen = app
        .register(
            &lgs,
            json!({ "preferred_org_unit_id": leipzig, "first_name": "Clara", "email": null }),
        )
        .await;
    assert_eq!(chosen["district_id"], leipzig.as_str());
    assert_eq!(chosen["preferred_org_unit_id"], leipzig.as_str());

    // A postal code outside Saxony lands in the state office's queue.
    let queued = app
        .register(&lgs, json!({ "postal_code": "10115", "city": "Berlin", "first_name": "Dora", "email": null }))
        .await;
    assert_eq!(queued["status"], "unroutable");
    assert!(queued["district_id"].is_null());

    // The configured objection period is used.
    let app2 = TestApp::spawn_with(db, &[("admission.objection_days", json!(30))]).await;
    kartei_api::seed::seed_demo(&app2.state)
        .await
        .expect("seed");
    let token = app2.token_of(STATE_OFFICE).await;
    let short = app2.register(&token, json!({})).await;
    assert_eq!(
        short["objection_deadline"],
        (received + Duration::days(30)).to_string()
    );
}

async fn every_invalid_field_is_named_and_nothing_is_written(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let too_young = (today - Duration::days(365 * 13)).to_string();
    let cases: Vec<(&str, Value)> = vec![
        (
            "received_on",
            json!({ "received_on": (today + Duration::days(1)).to_string() }),
        ),
        ("channel", json!({ "channel": "pigeon" })),
        ("first_name", json!({ "first_name": "  " })),
        ("last_name", json!({ "last_name": "1234" })),
        ("date_of_birth", json!({ "date_of_birth": too_young })),
        ("date_of_birth", json!({ "date_of_birth": "2099-01-01" })),
        ("date_of_birth", json!({ "date_of_birth": "1990-02-30" })),
        ("email", json!({ "email": "anna at example" })),
        ("phone", json!({ "phone": "ruf mich an" })),
        ("street", json!({ "street": "" })),
        ("postal_code", json!({ "postal_code": "0106" })),
        ("postal_code", json!({ "postal_code": "O1067" })),
        ("city", json!({ "city": "a".repeat(101) })),
        ("interests[1]", json!({ "interests": ["Umwelt", ""] })),
        ("notes", json!({ "notes": "x".repeat(2001) })),
        (
            "preferred_org_unit_id",
            json!({ "preferred_org_unit_id": app.unit_id("SN").await }),
        ),
        (
            "preferred_org_unit_id",
            json!({ "preferred_org_unit_id": uuid::Uuid::new_v4() }),
        ),
        ("first_name", json!({ "first_name": null })),
        ("shoe_size", json!({ "shoe_size": 42 })),
    ];
    for (field, change) in cases {
        let reply = app
            .post(
                "/api/v1/applications",
                Some(&lgs),
                &app.declaration(change.clone()),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{change}");
    }
    // Several at once, all named.
    let reply = app
        .post(
            "/api/v1/applications",
            Some(&lgs),
            &app.declaration(json!({ "channel": "x", "postal_code": "1", "email": "y" })),
        )
        .await;
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["channel", "email", "postal_code"]);
    assert_eq!(app.count("applications").await, 0);
    assert_eq!(app.count("application_events").await, 0);
    assert_eq!(app.count("outbox").await, 0);
}

async fn duplicates_are_found_across_spellings_without_personal_data(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let first = app
        .register(
            &lgs,
            json!({ "first_name": "Jürgen", "last_name": "Müller", "email": "jm@example.org" }),
        )
        .await;
    let again = app
        .register(
            &lgs,
            json!({ "first_name": " JUERGEN ", "last_name": "mueller", "email": null }),
        )
        .await;
    let duplicates = again["possible_duplicates"].as_array().expect("duplicates");
    assert_eq!(duplicates.len(), 1);
    assert_eq!(duplicates[0]["kind"], "application");
    assert_eq!(duplicates[0]["id"], first["id"]);
    assert_eq!(duplicates[0]["matched_on"], "name_and_birth_date");
    assert_eq!(duplicates[0]["district_id"], first["district_id"]);
    let keys: Vec<&String> = duplicates[0].as_object().expect("object").keys().collect();
    assert_eq!(
        keys.len(),
        5,
        "only kind, id, units and the match: {keys:?}"
    );

    let by_email = app
        .register(
            &lgs,
            json!({ "first_name": "Jana", "last_name": "Lehmann", "email": "JM@example.org" }),
        )
        .await;
    let duplicates = by_email["possible_duplicates"]
        .as_array()
        .expect("duplicates");
    assert_eq!(duplicates.len(), 1);
    assert_eq!(duplicates[0]["matched_on"], "email");

    // Once admitted, the person is found among the members.
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let first_id = id(&first);
    app.transition(&dd, &first_id, "handover", json!({})).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();
    let admitted = app
        .transition(&dd, &first_id, "decision", json!({ "decision": "admitted", "decided_on": today, "contact": { "contacted_on": today, "channel": "phone" } }))
        .await;
    assert_eq!(admitted.status, 200, "{}", admitted.text);
    let later = app
        .register(&lgs, json!({ "first_name": "Jürgen", "last_name": "Müller", "email": null, "postal_code": "04109" }))
        .await;
    let kinds: Vec<&str> = later["possible_duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"member"), "{kinds:?}");
}

/// Issue 13, point 1: a district office registering a person who is already
/// known elsewhere learns nothing of that; the state office sees every
/// likely duplicate on the application.
async fn a_district_learns_only_of_duplicates_inside_its_scope(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let person =
        json!({ "first_name": "Greta", "last_name": "Doppelt", "email": "greta@example.org" });
    let in_dresden = app.register(&lgs, person.clone()).await;
    let mut in_leipzig = person.clone();
    in_leipzig["postal_code"] = json!("04109");
    in_leipzig["city"] = json!("Leipzig");
    let in_leipzig = app.register(&lgs, in_leipzig).await;
    let leipzig_unit = app.unit_id("L").await;
    assert_eq!(in_leipzig["district_id"], leipzig_unit.as_str());
    let leipzig_member = kartei_tests::members::enter(
        &app,
        &lgs,
        &leipzig_unit,
        json!({ "first_name": "Greta", "last_name": "Doppelt", "date_of_birth": "1990-04-12" }),
    )
    .await;

    let registered = app
        .post(
            "/api/v1/applications",
            Some(&dd),
            &app.declaration(person.clone()),
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let seen: Vec<&str> = registered.body["possible_duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(seen, [id(&in_dresden)]);
    let new_id = id(&registered.body);
    let read_by_district = app
        .get(&format!("/api/v1/applications/{new_id}"), &dd)
        .await;
    assert_eq!(read_by_district.status, 200, "{}", read_by_district.text);
    assert_eq!(
        read_by_district.body["possible_duplicates"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Not named, not hinted at: no id, no unit of Leipzig anywhere.
    for reply in [&registered, &read_by_district] {
        for hidden in [id(&in_leipzig), id(&leipzig_member), leipzig_unit.clone()] {
            assert!(!reply.text.contains(&hidden), "{}", reply.text);
        }
    }

    let read_by_state = app
        .get(&format!("/api/v1/applications/{new_id}"), &lgs)
        .await;
    let mut all: Vec<&str> = read_by_state.body["possible_duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    all.sort_unstable();
    let mut want = [id(&in_dresden), id(&in_leipzig), id(&leipzig_member)];
    want.sort_unstable();
    assert_eq!(all, want);
}

async fn the_whole_journey_from_receipt_to_member(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let registered = app.register(&lgs, json!({})).await;
    let id = id(&registered);
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();

    let handed = app.transition(&dd, &id, "handover", json!({})).await;
    assert_eq!(handed.status, 200, "{}", handed.text);
    assert_eq!(handed.body["status"], "handed_over");
    assert_eq!(handed.body["stage"], "first_contact");
    assert!(handed.body["handed_over_at"].is_string());

    let contacted = app
        .transition(
            &dd,
            &id,
            "contact",
            json!({ "contacted_on": today, "channel": "phone", "note": "freut sich" }),
        )
        .await;
    assert_eq!(contacted.status, 200, "{}", contacted.text);
    assert_eq!(contacted.body["status"], "contacted");
    assert_eq!(contacted.body["contact_channel"], "phone");
    assert_eq!(contacted.body["stage"], "decision");

    let decided = app
        .transition(
            &dd,
            &id,
            "decision",
            json!({ "decision": "admitted", "decided_on": today }),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.text);
    assert_eq!(decided.body["status"], "admitted");
    assert!(decided.body["member_id"].is_string());
    let number = decided.body["membership_number"].as_str().expect("number");
    assert!(number.chars().all(|c| c.is_ascii_digit()), "{number}");
    assert!(decided.body["stage"].is_null());
    assert_eq!(decided.body["overdue"], false);

    let read = app.get(&format!("/api/v1/applications/{id}"), &lgs).await;
    assert_eq!(
        timeline_kinds(&read.body),
        [
            "registered",
            "routed",
            "handover_confirmed",
            "contact_recorded",
            "admitted"
        ]
    );
    let timeline = read.body["timeline"].as_array().expect("timeline");
    let lgs_id = app.get("/api/v1/me", &lgs).await.body["id"].clone();
    let dd_id = app.get("/api/v1/me", &dd).await.body["id"].clone();
    assert_eq!(timeline[0]["actor_id"], lgs_id);
    assert_eq!(timeline[1]["actor_id"], lgs_id);
    assert_eq!(timeline[2]["actor_id"], dd_id);
    assert_eq!(timeline[4]["actor_id"], dd_id);
    assert_eq!(timeline[2]["from_status"], "routed");
    assert_eq!(timeline[2]["to_status"], "handed_over");
    assert_eq!(timeline[3]["data"]["note"], "freut sich");
    assert_eq!(timeline[4]["data"]["membership_number"], number);
    assert!(timeline.iter().all(|e| e["occurred_at"].is_string()));

    // The member record exists with the join date and the receipt date.
    let member = kartei_persistence::members::get(
        &app.db,
        decided.body["member_id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid"),
    )
    .await
    .expect("member");
    assert_eq!(member.membership_number, number);
    assert_eq!(member.joined_on.to_string(), today);
    assert_eq!(
        member.received_on.to_string(),
        registered["received_on"].as_str().expect("date")
    );
    assert_eq!(member.person.last_name, "Schmidt");
    assert_eq!(member.district_id.to_string(), app.unit_id("DD").await);
}

async fn repeating_a_transition_answers_the_current_state_once(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let id = id(&app.register(&lgs, json!({})).await);
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();

    let first = app.transition(&dd, &id, "handover", json!({})).await;
    let second = app.transition(&dd, &id, "handover", json!({})).await;
    assert_eq!(second.status, 200);
    assert_eq!(first.body["version"], second.body["version"]);

    let decision = json!({ "decision": "admitted", "decided_on": today, "contact": { "contacted_on": today, "channel": "email" } });
    let admitted = app.transition(&dd, &id, "decision", decision.clone()).await;
    let again = app.transition(&dd, &id, "decision", decision).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(admitted.body["member_id"], again.body["member_id"]);
    assert_eq!(
        admitted.body["membership_number"],
        again.body["membership_number"]
    );
    assert_eq!(
        timeline_kinds(&again.body),
        [
            "registered",
            "routed",
            "handover_confirmed",
            "contact_recorded",
            "admitted"
        ]
    );
    assert_eq!(app.count("members").await, 1);
}

async fn forbidden_transitions_are_409(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let id = id(&app.register(&lgs, json!({})).await);
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();
    // Not handed over yet: no contact, no decision.
    app.transition(
        &dd,
        &id,
        "contact",
        json!({ "contacted_on": today, "channel": "phone" }),
    )
    .await
    .assert_problem(409);
    app.transition(
        &dd,
        &id,
        "decision",
        json!({ "decision": "admitted", "decided_on": today }),
    )
    .await
    .assert_problem(409);
    app.transition(&dd, &id, "handover", json!({})).await;
    // Handed over but nobody has spoken to the applicant: no decision
    // without the first contact in the same request, and nothing recorded.
    for decision in [
        json!({ "decision": "admitted", "decided_on": today }),
        json!({ "decision": "rejected", "decided_on": today, "reason": "Unvereinbarkeit" }),
    ] {
        app.transition(&dd, &id, "decision", decision)
            .await
            .assert_problem(409);
    }
    assert_eq!(app.count("members").await, 0);
    let handed_over = app.get(&format!("/api/v1/applications/{id}"), &lgs).await;
    assert_eq!(handed_over.body["status"], "handed_over");
    assert_eq!(timeline_kinds(&handed_over.body).len(), 3);
    let rejected = app
        .transition(
            &dd,
            &id,
            "decision",
            json!({
                "decision": "rejected", "decided_on": today, "reason": "Unvereinbarkeit",
                "contact": { "contacted_on": today, "channel": "phone" }
            }),
        )
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    // Closed: nothing moves any more.
    app.transition(&dd, &id, "handover", json!({}))
        .await
        .assert_problem(409);
    app.transition(
        &dd,
        &id,
        "decision",
        json!({ "decision": "admitted", "decided_on": today }),
    )
    .await
    .assert_problem(409);
    app.transition(&lgs, &id, "withdrawal", json!({ "withdrawn_on": today }))
        .await
        .assert_problem(409);
    let read = app.get(&format!("/api/v1/applications/{id}"), &lgs).await;
    assert_eq!(read.body["status"], "rejected");
    assert_eq!(read.body["decision_reason"], "Unvereinbarkeit");
    assert_eq!(
        timeline_kinds(&read.body),
        [
            "registered",
            "routed",
            "handover_confirmed",
            "contact_recorded",
            "rejected"
        ]
    );
}

async fn a_district_sends_back_and_the_state_office_routes_by_hand(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let id = id(&app.register(&lgs, json!({})).await);
    app.transition(&dd, &id, "handover", json!({})).await;

    app.transition(&dd, &id, "reroute", json!({ "reason": "" }))
        .await
        .assert_problem(422);
    let back = app
        .transition(&dd, &id, "reroute", json!({ "reason": "wohnt in Leipzig" }))
        .await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(back.body["status"], "unroutable");
    // The district no longer holds it.
    app.get(&format!("/api/v1/applications/{id}"), &dd)
        .await
        .assert_problem(404);

    let leipzig = app.unit_id("L").await;
    app.transition(
        &lgs,
        &id,
        "route",
        json!({ "org_unit_id": app.unit_id("SN").await }),
    )
    .await
    .assert_problem(422);
    let routed = app
        .transition(&lgs, &id, "route", json!({ "org_unit_id": leipzig }))
        .await;
    assert_eq!(routed.status, 200, "{}", routed.text);
    assert_eq!(routed.body["status"], "routed");
    assert_eq!(routed.body["district_id"], leipzig.as_str());
    assert_eq!(
        timeline_kinds(&routed.body),
        [
            "registered",
            "routed",
            "handover_confirmed",
            "rerouted",
            "routed"
        ]
    );
    assert_eq!(
        routed.body["timeline"][3]["data"]["reason"],
        "wohnt in Leipzig"
    );

    // A district may also hand it straight to a neighbour.
    let kv_leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let neighbour = app
        .transition(
            &kv_leipzig,
            &id,
            "reroute",
            json!({ "reason": "Landkreis", "org_unit_id": app.unit_id("LL").await }),
        )
        .await;
    assert_eq!(neighbour.status, 200, "{}", neighbour.text);
    assert_eq!(
        neighbour.body["district_id"],
        app.unit_id("LL").await.as_str()
    );

    // E-mails: Dresden, then the state office's queue, then Leipzig, then the Landkreis.
    let recipients: Vec<String> = app
        .get("/api/v1/outbox", &app.token_of(ADMIN).await)
        .await
        .body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["recipient"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        recipients,
        [
            "dd@kartei.example",
            "sn@kartei.example",
            "l@kartei.example",
            "ll@kartei.example"
        ]
    );
}

async fn withdrawal_closes_any_open_application(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();
    for postal_code in ["01067", "10115"] {
        let id = id(&app
            .register(&lgs, json!({ "postal_code": postal_code, "email": null }))
            .await);
        let withdrawn = app
            .transition(
                &lgs,
                &id,
                "withdrawal",
                json!({ "withdrawn_on": today, "reason": "überlegt es sich" }),
            )
            .await;
        assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
        assert_eq!(withdrawn.body["status"], "withdrawn");
        assert_eq!(withdrawn.body["withdrawal_reason"], "überlegt es sich");
        assert!(withdrawn.body["stage"].is_null());
        let again = app
            .transition(
                &lgs,
                &id,
                "withdrawal",
                json!({ "withdrawn_on": today, "reason": "überlegt es sich" }),
            )
            .await;
        assert_eq!(again.status, 200);
        assert_eq!(
            timeline_kinds(&again.body)
                .iter()
                .filter(|k| *k == "withdrawn")
                .count(),
            1
        );
    }
}

async fn scope_other_districts_see_nothing_the_board_nothing_personal(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let id = id(&app.register(&lgs, json!({})).await);
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let path = format!("/api/v1/applications/{id}");

    app.get(&path, &leipzig).await.assert_problem(404);
    app.transition(&leipzig, &id, "handover", json!({}))
        .await
        .assert_problem(404);
    let list = app.get("/api/v1/applications", &leipzig).await;
    assert_eq!(list.body["items"], json!([]));
    // Unknown ids look the same as ids of others.
    app.get(
        &format!("/api/v1/applications/{}", uuid::Uuid::new_v4()),
        &leipzig,
    )
    .await
    .assert_problem(404);

    let board = app.token_of(BOARD).await;
    app.get("/api/v1/applications", &board)
        .await
        .assert_problem(403);
    app.get(&path, &board).await.assert_problem(403);
    app.transition(&board, &id, "handover", json!({}))
        .await
        .assert_problem(403);
    // The state office may not confirm a district's hand-over.
    app.transition(&lgs, &id, "handover", json!({}))
        .await
        .assert_problem(403);
    let admin = app.token_of(ADMIN).await;
    assert_eq!(app.get(&path, &admin).await.status, 200);
}

async fn a_branch_sees_and_contacts_its_own_applications(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let own = id(&app.register(&lgs, json!({ "postal_code": "01097" })).await);
    let district_only = id(&app
        .register(&lgs, json!({ "first_name": "Ole", "email": null }))
        .await);
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();

    assert_eq!(
        app.get(&format!("/api/v1/applications/{own}"), &branch)
            .await
            .status,
        200
    );
    app.get(&format!("/api/v1/applications/{district_only}"), &branch)
        .await
        .assert_problem(404);
    let list = app.get("/api/v1/applications", &branch).await;
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, [own.as_str()]);
    // The district sees both.
    let list = app.get("/api/v1/applications", &dd).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(2));

    app.transition(&branch, &own, "handover", json!({}))
        .await
        .assert_problem(403);
    app.transition(&dd, &own, "handover", json!({})).await;
    let contacted = app
        .transition(
            &branch,
            &own,
            "contact",
            json!({ "contacted_on": today, "channel": "in_person" }),
        )
        .await;
    assert_eq!(contacted.status, 200, "{}", contacted.text);
    app.transition(
        &branch,
        &own,
        "decision",
        json!({ "decision": "admitted", "decided_on": today }),
    )
    .await
    .assert_problem(403);
}

async fn lists_filter_by_status_unit_name_and_overdue(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let a = id(&app
        .register(&lgs, json!({ "last_name": "Özdemir", "email": null }))
        .await);
    let b = id(&app
        .register(
            &lgs,
            json!({ "last_name": "Schulze", "email": "s@example.org", "postal_code": "04109" }),
        )
        .await);
    let c = id(&app
        .register(&lgs, json!({ "last_name": "Schubert", "email": null }))
        .await);
    app.transition(&dd, &c, "handover", json!({})).await;

    let ids = |reply: kartei_tests::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", reply.text))
            .iter()
            .map(|x| x["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app
            .get("/api/v1/applications?status=handed_over", &lgs)
            .await),
        vec![c.clone()]
    );
    assert_eq!(
        ids(app
            .get(
                &format!(
                    "/api/v1/applications?org_unit_id={}",
                    app.unit_id("L").await
                ),
                &lgs
            )
            .await),
        vec![b.clone()]
    );
    assert_eq!(
        ids(app.get("/api/v1/applications?q=oezd", &lgs).await),
        vec![a.clone()]
    );
    assert_eq!(
        ids(app.get("/api/v1/applications?q=%C3%96ZDEMIR", &lgs).await),
        vec![a.clone()]
    );
    assert_eq!(
        ids(app.get("/api/v1/applications?q=schu", &lgs).await),
        [b.clone(), c.clone()]
    );
    assert_eq!(
        ids(app.get("/api/v1/applications?q=S@example.org", &lgs).await),
        vec![b.clone()]
    );
    app.get("/api/v1/applications?status=lost", &lgs)
        .await
        .assert_problem(422);

    // Pages of one.
    let first = app.get("/api/v1/applications?limit=1", &lgs).await;
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let second = app
        .get(
            &format!("/api/v1/applications?limit=1&cursor={cursor}"),
            &lgs,
        )
        .await;
    assert_ne!(first.body["items"][0]["id"], second.body["items"][0]["id"]);

    // Nothing is overdue yet; four days later the routed ones are (hand-over
    // level 3 days), the handed-over one is not (first contact level 14).
    assert_eq!(
        ids(app.get("/api/v1/applications?overdue=true", &lgs).await),
        Vec::<String>::new()
    );
    app.state.clock.advance(Duration::days(4));
    // Time moved on: the access token expired meanwhile.
    let lgs = app.token_of(STATE_OFFICE).await;
    assert_eq!(
        ids(app.get("/api/v1/applications?overdue=true", &lgs).await),
        [a.clone(), b.clone()]
    );
    let one = app.get(&format!("/api/v1/applications/{a}"), &lgs).await;
    assert_eq!(one.body["overdue"], true);
    assert_eq!(one.body["escalated"], false);
    // Past the entered level (28 days) every open one is overdue.
    app.state.clock.advance(Duration::days(26));
    let lgs = app.token_of(STATE_OFFICE).await;
    assert_eq!(
        ids(app.get("/api/v1/applications?overdue=true", &lgs).await),
        [a.clone(), b, c]
    );
    let one = app.get(&format!("/api/v1/applications/{a}"), &lgs).await;
    assert_eq!(one.body["escalated"], true);
    // Six weeks after receipt, an open declaration is a member by statute.
    app.state.clock.advance(Duration::days(12));
    let lgs = app.token_of(STATE_OFFICE).await;
    let one = app.get(&format!("/api/v1/applications/{a}"), &lgs).await;
    assert_eq!(one.body["member_by_statute"], true);
}

async fn concurrent_confirmations_record_one_event(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    for _ in 0..3 {
        let id = id(&app.register(&lgs, json!({ "email": null })).await);
        let calls = (0..6).map(|_| app.transition(&dd, &id, "handover", json!({})));
        let replies = futures_join_all(calls).await;
        for reply in &replies {
            assert_eq!(reply.status, 200, "{}", reply.text);
            assert_eq!(reply.body["status"], "handed_over");
        }
        let read = app.get(&format!("/api/v1/applications/{id}"), &lgs).await;
        let confirmations = timeline_kinds(&read.body)
            .iter()
            .filter(|k| *k == "handover_confirmed")
            .count();
        assert_eq!(confirmations, 1);
        // Registered and routed in one write (1), then the hand-over (2).
        assert_eq!(read.body["version"], 2);
    }
}

async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.collect();
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = handles.into_iter().map(Box::pin).collect();
    // Poll all of them concurrently on this task.
    let mut outputs: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

async fn membership_numbers_are_unique_and_never_reused(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();
    let mut numbers = Vec::new();
    for name in ["Erik", "Frieda", "Gustav"] {
        let id = id(&app
            .register(&lgs, json!({ "first_name": name, "email": null }))
            .await);
        app.transition(&dd, &id, "handover", json!({})).await;
        let admitted = app
            .transition(
                &dd,
                &id,
                "decision",
                json!({
                    "decision": "admitted", "decided_on": today,
                    "contact": { "contacted_on": today, "channel": "phone" }
                }),
            )
            .await;
        numbers.push(
            admitted.body["membership_number"]
                .as_str()
                .expect("number")
                .parse::<u64>()
                .expect("digits"),
        );
    }
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
}

async fn step_dates_and_rejections_are_validated(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let registered = app.register(&lgs, json!({})).await;
    let id = id(&registered);
    app.transition(&dd, &id, "handover", json!({})).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let tomorrow = (today + Duration::days(1)).to_string();
    let long_ago = (today - Duration::days(400)).to_string();
    let reply = app
        .transition(
            &dd,
            &id,
            "contact",
            json!({ "contacted_on": tomorrow, "channel": "phone" }),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["contacted_on"]);
    let reply = app
        .transition(
            &dd,
            &id,
            "contact",
            json!({ "contacted_on": long_ago, "channel": "phone" }),
        )
        .await;
    assert_eq!(reply.error_fields(), ["contacted_on"]);
    let reply = app
        .transition(
            &dd,
            &id,
            "contact",
            json!({ "contacted_on": today.to_string(), "channel": "telepathy" }),
        )
        .await;
    assert_eq!(reply.error_fields(), ["channel"]);
    let reply = app
        .transition(
            &dd,
            &id,
            "decision",
            json!({ "decision": "rejected", "decided_on": today.to_string() }),
        )
        .await;
    assert_eq!(reply.error_fields(), ["reason"]);
    let reply = app
        .transition(
            &dd,
            &id,
            "decision",
            json!({ "decision": "maybe", "decided_on": today.to_string() }),
        )
        .await;
    assert_eq!(reply.error_fields(), ["decision"]);
    let read = app.get(&format!("/api/v1/applications/{id}"), &dd).await;
    assert_eq!(read.body["status"], "handed_over");
    assert_eq!(timeline_kinds(&read.body).len(), 3);
}

/// Issue 13, point 7: Art. 15 for an applicant who never became a member.
async fn the_state_office_exports_what_is_stored_about_an_applicant(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let application = app
        .register(&lgs, json!({ "last_name": "Zurückgezogen" }))
        .await;
    let application_id = id(&application);
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let withdrawn = app
        .transition(
            &lgs,
            &application_id,
            "withdrawal",
            json!({ "withdrawn_on": today.to_string(), "reason": "doch nicht" }),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let path = format!("/api/v1/applications/{application_id}/export");

    for token in [&dd, &app.token_of(BOARD).await] {
        app.get(&path, token).await.assert_problem(403);
    }
    let export = app.get(&path, &lgs).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(export.body["application"]["last_name"], "Zurückgezogen");
    assert_eq!(
        export.body["application"]["withdrawal_reason"],
        "doch nicht"
    );
    assert_eq!(
        timeline_kinds(&export.body["application"]),
        ["registered", "routed", "withdrawn"]
    );
    let processing = &export.body["processing"];
    let roles: Vec<&str> = processing["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .filter_map(|r| r["role"].as_str())
        .collect();
    assert!(
        roles.contains(&"state_office") && roles.contains(&"district_office"),
        "{roles:?}"
    );
    assert!(!roles.contains(&"board"));
    assert_eq!(
        processing["retention"]["anonymised_from"],
        (today + Duration::days(365)).to_string().as_str(),
        "withdrawn: a year after closing (retention.days_after_closing)"
    );
    app.get(
        "/api/v1/applications/00000000-0000-7000-8000-000000000000/export",
        &lgs,
    )
    .await
    .assert_problem(404);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'application_exported'")
            .await,
        1,
        "the export is recorded, the refused ones are not"
    );
    let admin = app.token_of(ADMIN).await;
    let log = app.get("/api/v1/audit?action=export", &admin).await;
    assert_eq!(log.status, 200, "{}", log.text);
    let item = log.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["subject"]["type"] == "application"))
        .unwrap_or_else(|| panic!("the export in the audit log: {}", log.text));
    assert_eq!(item["subject"]["id"], application_id.as_str());
    assert_eq!(item["detail"]["kind"], "art15");
    assert!(!log.text.contains("Zurückgezogen"));
}
