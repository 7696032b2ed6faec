//! Member master data: direct entry, search, safe edits, the audit trail,
//! leaving, export, CSV, and who sees what.

use kartei_tests::members::{enter, entry, id};
use kartei_tests::{
    ADMIN, BOARD, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases,
};
use serde_json::{Value, json};

on_both_databases!(
    direct_entry_creates_a_member_with_number_and_dates,
    search_by_name_prefix_number_and_email_within_scope,
    edits_need_the_current_version_and_change_nothing_when_refused,
    the_history_names_each_change_and_cannot_be_altered,
    resignation_death_and_expulsion_end_a_membership_once,
    a_resignation_with_notice_takes_effect_on_its_day,
    the_state_office_exports_everything_stored_about_a_person,
    the_member_list_exports_as_excel_ready_csv,
    members_are_seen_only_where_they_belong,
    every_search_form_finds_its_members_and_no_others,
    no_search_form_reaches_outside_the_callers_scope,
    search_pages_return_every_match_once_in_order,
    the_city_search_finds_members_entered_before_the_city_key,
    a_list_item_is_the_member_as_read_alone,
);

async fn direct_entry_creates_a_member_with_number_and_dates(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let branch = app.unit_id("DD-NEU").await;
    let member = enter(&app, &dd, &branch, json!({})).await;
    assert_eq!(member["view"], "full");
    assert_eq!(member["district_id"], app.unit_id("DD").await.as_str());
    assert_eq!(member["local_id"], branch.as_str());
    assert_eq!(member["status"], "active");
    assert_eq!(member["version"], 1);
    assert!(
        member["membership_number"]
            .as_str()
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
    );
    assert!(member["entered_at"].is_string());
    assert!(member["consents"]["newsletter"].is_string());
    let second = enter(&app, &dd, &branch, json!({ "first_name": "Klara" })).await;
    assert_ne!(member["membership_number"], second["membership_number"]);

    let before = app.count("members").await;
    let leipzig = app.unit_id("L").await;
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    for (field, unit, change) in [
        (
            "joined_on",
            branch.clone(),
            json!({ "joined_on": (today - chrono::Duration::days(40)).to_string() }),
        ),
        (
            "received_on",
            branch.clone(),
            json!({ "received_on": (today + chrono::Duration::days(1)).to_string() }),
        ),
        ("org_unit_id", leipzig.clone(), json!({})),
        ("org_unit_id", app.unit_id("SN").await, json!({})),
        (
            "postal_code",
            branch.clone(),
            json!({ "postal_code": "123" }),
        ),
        (
            "consents",
            branch.clone(),
            json!({ "consents": ["everything"] }),
        ),
        (
            "date_of_birth",
            branch.clone(),
            json!({ "date_of_birth": (today - chrono::Duration::days(365 * 10)).to_string() }),
        ),
    ] {
        let reply = app
            .post(
                "/api/v1/members",
                Some(&dd),
                &entry(&app, &unit, change.clone()),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{change}");
    }
    assert_eq!(app.count("members").await, before);
    let branch_token = app.token_of(BRANCH_NEUSTADT).await;
    app.post(
        "/api/v1/members",
        Some(&branch_token),
        &entry(&app, &branch, json!({})),
    )
    .await
    .assert_problem(403);
}

async fn search_by_name_prefix_number_and_email_within_scope(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let dresden = app.unit_id("DD").await;
    let leipzig = app.unit_id("L").await;
    let mueller = enter(
        &app,
        &lgs,
        &dresden,
        json!({ "last_name": "Müller", "email": "m1@example.org" }),
    )
    .await;
    enter(
        &app,
        &lgs,
        &dresden,
        json!({ "last_name": "Meier", "email": null }),
    )
    .await;
    enter(
        &app,
        &lgs,
        &dresden,
        json!({ "last_name": "Mueller-Lüdenscheidt", "first_name": "Hans", "email": null }),
    )
    .await;
    enter(&app, &lgs, &leipzig, json!({ "last_name": "Müller", "first_name": "Lea", "email": null, "postal_code": "04109", "city": "Leipzig" })).await;

    let names = |reply: &kartei_tests::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", reply.text))
            .iter()
            .map(|m| m["last_name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        names(&app.get("/api/v1/members?q=mue", &dd).await),
        ["Müller", "Mueller-Lüdenscheidt"]
    );
    assert_eq!(
        names(&app.get("/api/v1/members?q=M%C3%9CLL", &dd).await),
        ["Müller", "Mueller-Lüdenscheidt"]
    );
    assert_eq!(
        names(&app.get("/api/v1/members?q=m%C3%BCller-l%C3%BC", &dd).await),
        ["Mueller-Lüdenscheidt"]
    );
    assert_eq!(
        names(&app.get("/api/v1/members?q=m%C3%BCller", &lgs).await).len(),
        3
    );
    let number = mueller["membership_number"].as_str().expect("number");
    assert_eq!(
        names(&app.get(&format!("/api/v1/members?q={number}"), &dd).await),
        ["Müller"]
    );
    assert_eq!(
        names(&app.get("/api/v1/members?q=M1@Example.org", &dd).await),
        ["Müller"]
    );
    assert_eq!(
        names(
            &app.get(&format!("/api/v1/members?org_unit_id={leipzig}"), &lgs)
                .await
        ),
        ["Müller"]
    );
    assert_eq!(
        names(&app.get("/api/v1/members?status=left", &lgs).await),
        Vec::<String>::new()
    );

    // Alphabetical pages.
    let first = app.get("/api/v1/members?limit=2", &dd).await;
    assert_eq!(names(&first), ["Meier", "Müller"]);
    let cursor = first.body["next_cursor"].as_str().expect("cursor");
    let second = app
        .get(&format!("/api/v1/members?limit=2&cursor={cursor}"), &dd)
        .await;
    assert_eq!(names(&second), ["Mueller-Lüdenscheidt"]);
    assert!(second.body["next_cursor"].is_null());
    app.get("/api/v1/members?cursor=nonsense", &dd)
        .await
        .assert_problem(422);
}

async fn edits_need_the_current_version_and_change_nothing_when_refused(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = enter(&app, &dd, &app.unit_id("DD").await, json!({})).await;
    let path = format!("/api/v1/members/{}", id(&member));
    app.patch(&path, &dd, None, &json!({ "city": "Radebeul" }))
        .await
        .assert_problem(428);
    let changed = app
        .patch(
            &path,
            &dd,
            Some(1),
            &json!({ "city": "Radebeul", "phone": null, "local_id": app.unit_id("DD-NEU").await }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["city"], "Radebeul");
    assert!(changed.body["phone"].is_null());
    assert_eq!(changed.body["version"], 2);
    app.patch(&path, &dd, Some(1), &json!({ "city": "Meißen" }))
        .await
        .assert_problem(412);
    let bad = app
        .patch(
            &path,
            &dd,
            Some(2),
            &json!({ "city": "", "email": "kaputt", "local_id": app.unit_id("L-SUED").await }),
        )
        .await;
    bad.assert_problem(422);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["city", "email", "local_id"]);
    let read = app.get(&path, &dd).await;
    assert_eq!(read.body["city"], "Radebeul");
    assert_eq!(read.body["version"], 2);
}

async fn the_history_names_each_change_and_cannot_be_altered(db: Db) {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = enter(&app, &dd, &app.unit_id("DD").await, json!({})).await;
    let member_id = id(&member);
    let path = format!("/api/v1/members/{member_id}");
    app.patch(
        &path,
        &dd,
        Some(1),
        &json!({ "city": "Radebeul", "consents": { "newsletter": false } }),
    )
    .await;

    let history = app.get(&format!("{path}/history"), &dd).await;
    assert_eq!(history.status, 200, "{}", history.text);
    let entries = history.body.as_array().expect("entries");
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["member_created", "member_changed"]);
    let dd_id = app.get("/api/v1/me", &dd).await.body["id"].clone();
    assert_eq!(entries[1]["actor_id"], dd_id);
    let changes = entries[1]["details"]["changes"]
        .as_array()
        .expect("changes");
    let city = changes
        .iter()
        .find(|c| c["field"] == "city")
        .expect("city change");
    assert_eq!(city["old"], "Dresden");
    assert_eq!(city["new"], "Radebeul");
    assert!(changes.iter().any(|c| c["field"] == "consents"));

    // The stored values are sealed, and the trail refuses changes.
    let backend = app.db.get_database_backend();
    let raw = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT details FROM audit_events",
        ))
        .await
        .expect("query");
    for row in raw {
        let details: Value = row.try_get("", "details").expect("details");
        assert!(!details.to_string().contains("Radebeul"));
    }
    for statement in [
        "UPDATE audit_events SET action = 'nothing'",
        "DELETE FROM audit_events",
    ] {
        let result = app.db.execute_unprepared(statement).await;
        assert!(result.is_err(), "{statement} was allowed");
    }
    let after = app.get(&format!("{path}/history"), &dd).await;
    assert_eq!(after.body.as_array().map(Vec::len), Some(2));
}

async fn resignation_death_and_expulsion_end_a_membership_once(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let unit = app.unit_id("DD").await;
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();
    let member = enter(&app, &dd, &unit, json!({})).await;
    let path = format!("/api/v1/members/{}", id(&member));
    let resigned = app
        .post(
            &format!("{path}/resignation"),
            Some(&dd),
            &json!({ "effective_on": today, "reason": "Umzug ins Ausland" }),
        )
        .await;
    assert_eq!(resigned.status, 200, "{}", resigned.text);
    assert_eq!(resigned.body["status"], "left");
    assert_eq!(resigned.body["left_on"], today);
    let again = app
        .post(
            &format!("{path}/resignation"),
            Some(&dd),
            &json!({ "effective_on": today, "reason": "Umzug ins Ausland" }),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["version"], resigned.body["version"]);
    let version = resigned.body["version"].as_i64();
    app.patch(
        &path,
        &dd,
        version,
        &json!({ "status": "deceased", "left_on": today }),
    )
    .await
    .assert_problem(409);

    let other = enter(&app, &dd, &unit, json!({ "first_name": "Otto" })).await;
    let other_path = format!("/api/v1/members/{}", id(&other));
    app.patch(&other_path, &dd, Some(1), &json!({ "status": "deceased" }))
        .await
        .assert_problem(422);
    app.patch(
        &other_path,
        &dd,
        Some(1),
        &json!({ "status": "left", "left_on": today }),
    )
    .await
    .assert_problem(422);
    let died = app
        .patch(
            &other_path,
            &dd,
            Some(1),
            &json!({ "status": "deceased", "left_on": today }),
        )
        .await;
    assert_eq!(died.status, 200, "{}", died.text);
    assert_eq!(died.body["status"], "deceased");

    let third = enter(&app, &dd, &unit, json!({ "first_name": "Paula" })).await;
    let expelled = app
        .patch(
            &format!("/api/v1/members/{}", id(&third)),
            &dd,
            Some(1),
            &json!({ "status": "expelled", "left_on": today, "status_reason": "Schiedsgericht" }),
        )
        .await;
    assert_eq!(expelled.body["status"], "expelled");
    assert_eq!(expelled.body["status_reason"], "Schiedsgericht");
    let history = app.get(&format!("{path}/history"), &dd).await;
    let actions: Vec<&str> = history
        .body
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["member_created", "member_resigned"]);
}

async fn the_state_office_exports_everything_stored_about_a_person(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let application = app.register(&lgs, json!({})).await;
    let application_id = id(&application);
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();
    app.transition(&dd, &application_id, "handover", json!({}))
        .await;
    let admitted = app
        .transition(
            &dd,
            &application_id,
            "decision",
            json!({
                "decision": "admitted", "decided_on": today,
                "contact": { "contacted_on": today, "channel": "phone" }
            }),
        )
        .await;
    let member_id = admitted.body["member_id"]
        .as_str()
        .expect("member")
        .to_owned();

    let export = app
        .get(&format!("/api/v1/members/{member_id}/export"), &lgs)
        .await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(export.body["member"]["last_name"], "Schmidt");
    assert_eq!(
        export.body["applications"][0]["id"],
        application_id.as_str()
    );
    assert!(
        export.body["applications"][0]["timeline"]
            .as_array()
            .is_some_and(|t| t.len() == 5)
    );
    let actions: Vec<&str> = export.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"member_exported"), "{actions:?}");
    assert!(export.body["exported_at"].is_string());
    // Issue 13, point 7: why, who reads it, and for how long.
    let processing = &export.body["processing"];
    assert!(
        processing["purposes"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
    assert!(
        processing["legal_basis"]
            .as_str()
            .is_some_and(|b| b.contains("Art. 9"))
    );
    let recipients: Vec<(String, String, String)> = processing["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .map(|r| {
            (
                r["role"].as_str().unwrap_or_default().to_owned(),
                r["org_unit_id"].as_str().unwrap_or_default().to_owned(),
                r["extent"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let member = &export.body["member"];
    let district = member["district_id"].as_str().expect("district").to_owned();
    assert!(recipients.contains(&("district_office".into(), district, "full".into())));
    assert!(recipients.iter().any(|(role, _, _)| role == "state_office"));
    assert!(recipients.iter().all(|(role, _, _)| role != "board"));
    assert_eq!(
        recipients.iter().any(|(role, _, _)| role == "local_branch"),
        !member["local_id"].is_null()
    );
    assert!(
        processing["retention"]["rule"]
            .as_str()
            .is_some_and(|r| r.contains("10 years"))
    );
    assert!(
        processing["retention"]["anonymised_from"].is_null(),
        "still a member"
    );

    app.get(&format!("/api/v1/members/{member_id}/export"), &dd)
        .await
        .assert_problem(403);
    let history = app
        .get(&format!("/api/v1/members/{member_id}/history"), &dd)
        .await;
    let exports = history
        .body
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["action"] == "member_exported")
        .count();
    assert_eq!(exports, 1, "the export is recorded, the refused one is not");
}

async fn the_member_list_exports_as_excel_ready_csv(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let unit = app.unit_id("DD").await;
    enter(&app, &dd, &unit, json!({ "last_name": "Größer; Sohn" })).await;
    enter(
        &app,
        &dd,
        &unit,
        json!({ "last_name": "Albers", "email": null }),
    )
    .await;
    let reply = app
        .send(app.request(
            reqwest::Method::GET,
            "/api/v1/members?format=csv",
            Some(&dd),
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.content_type().starts_with("text/csv"));
    assert!(reply.text.starts_with('\u{feff}'), "UTF-8 BOM for Excel");
    let mut lines = reply.text.trim_start_matches('\u{feff}').lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("membership_number;last_name;first_name"))
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].contains(";Albers;"));
    assert!(
        rows[1].contains("\"Größer; Sohn\""),
        "a field with ; is quoted: {}",
        rows[1]
    );
}

async fn members_are_seen_only_where_they_belong(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let in_branch = enter(&app, &lgs, &app.unit_id("DD-NEU").await, json!({})).await;
    let in_district = enter(
        &app,
        &lgs,
        &app.unit_id("DD").await,
        json!({ "first_name": "Dora" }),
    )
    .await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let board = app.token_of(BOARD).await;
    let admin = app.token_of(ADMIN).await;
    let path = |m: &Value| format!("/api/v1/members/{}", id(m));

    app.get(&path(&in_branch), &leipzig)
        .await
        .assert_problem(404);
    app.get(&format!("{}/history", path(&in_branch)), &leipzig)
        .await
        .assert_problem(404);
    app.patch(
        &path(&in_branch),
        &leipzig,
        Some(1),
        &json!({ "city": "Leipzig" }),
    )
    .await
    .assert_problem(404);
    assert_eq!(
        app.get("/api/v1/members", &leipzig).await.body["items"],
        json!([])
    );
    assert_eq!(app.get(&path(&in_branch), &branch).await.status, 200);
    app.get(&path(&in_district), &branch)
        .await
        .assert_problem(404);
    app.patch(
        &path(&in_branch),
        &branch,
        Some(1),
        &json!({ "city": "Radebeul" }),
    )
    .await
    .assert_problem(403);
    app.get(&path(&in_branch), &board).await.assert_problem(403);
    app.get("/api/v1/members", &board).await.assert_problem(403);
    assert_eq!(app.get(&path(&in_district), &admin).await.status, 200);
    app.get(&format!("/api/v1/members/{}", uuid::Uuid::new_v4()), &lgs)
        .await
        .assert_problem(404);
}

/// Issue 13, point 5: a resignation for a later day leaves the member active,
/// with the date visible, until a daily job makes it take effect.
async fn a_resignation_with_notice_takes_effect_on_its_day(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = enter(&app, &dd, &app.unit_id("DD").await, json!({})).await;
    let path = format!("/api/v1/members/{}", id(&member));
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let day = (today + chrono::Duration::days(10)).to_string();
    let resignation = json!({ "effective_on": day, "reason": "Umzug ins Ausland" });

    let pending = app
        .post(&format!("{path}/resignation"), Some(&dd), &resignation)
        .await;
    assert_eq!(pending.status, 200, "{}", pending.text);
    assert_eq!(pending.body["status"], "active");
    assert_eq!(pending.body["resigns_on"], day.as_str());
    assert!(pending.body["left_on"].is_null());
    let again = app
        .post(&format!("{path}/resignation"), Some(&dd), &resignation)
        .await;
    assert_eq!(
        again.body["version"], pending.body["version"],
        "a repeat changes nothing"
    );
    let read = app.get(&path, &dd).await;
    assert_eq!(read.body["status"], "active");
    assert_eq!(read.body["resigns_on"], day.as_str());
    let active = app.get("/api/v1/members?status=active", &dd).await;
    assert_eq!(active.body["items"].as_array().map(Vec::len), Some(1));
    let left = app.get("/api/v1/members?status=left", &dd).await;
    assert_eq!(left.body["items"].as_array().map(Vec::len), Some(0));
    let history = app.get(&format!("{path}/history"), &dd).await;
    let resigned = history
        .body
        .as_array()
        .and_then(|h| h.iter().find(|e| e["action"] == "member_resigned"))
        .expect("resignation in the history");
    let changes = resigned["details"]["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["field"] == "resigns_on" && c["new"] == day.as_str()),
        "{resigned}"
    );

    // The day before, nothing happens; on the day the member has left.
    app.state.clock.advance(chrono::Duration::days(9));
    assert_eq!(
        kartei_app::members::complete_resignations(&app.state.app)
            .await
            .expect("run"),
        0
    );
    app.state.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        kartei_app::members::complete_resignations(&app.state.app)
            .await
            .expect("run"),
        1
    );
    assert_eq!(
        kartei_app::members::complete_resignations(&app.state.app)
            .await
            .expect("run"),
        0,
        "once"
    );
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let ended = app.get(&path, &dd).await;
    assert_eq!(ended.body["status"], "left", "{}", ended.text);
    assert_eq!(ended.body["left_on"], day.as_str());
    assert!(ended.body["resigns_on"].is_null());
    assert_eq!(ended.body["status_reason"], "Umzug ins Ausland");
    let left = app.get("/api/v1/members?status=left", &dd).await;
    assert_eq!(left.body["items"].as_array().map(Vec::len), Some(1));
    let history = app.get(&format!("{path}/history"), &dd).await;
    let effective = history
        .body
        .as_array()
        .and_then(|h| h.iter().find(|e| e["action"] == "resignation_effective"))
        .expect("the job's entry in the history");
    assert!(effective["actor_id"].is_null());
}

/// A search term as a query string value: everything but letters and digits
/// percent-encoded, so that spaces, commas, '@' and umlauts arrive as typed.
fn encoded(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The ids of the members a search for `q` lists on its first page.
async fn found(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let reply = app
        .get(
            &format!("/api/v1/members?limit=200&q={}", encoded(q)),
            token,
        )
        .await;
    assert_eq!(reply.status, 200, "{q}: {}", reply.text);
    assert!(reply.body["next_cursor"].is_null(), "{q}: one page");
    ids_of(&reply)
}

fn ids_of(reply: &kartei_tests::Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", reply.text))
        .iter()
        .map(id)
        .collect()
}

fn ids(members: &[&Value]) -> Vec<String> {
    members.iter().map(|m| id(m)).collect()
}

/// The people the search tests look for, entered by the state office in
/// this order (so that two with the same last name list in this order).
struct SearchPeople {
    /// Anna Schmidt of Dresden, in the branch Dresden-Neustadt.
    anna: Value,
    /// Paul Schmidt of Dresden, who shares an e-mail address with Anna of
    /// Leipzig.
    paul: Value,
    /// Anna Schmidtke of Radebeul.
    schmidtke: Value,
    /// Annabell Weber, a member in Dresden living in Leipzig.
    annabell: Value,
    /// Klaus Annaberg.
    annaberg: Value,
    /// Hans von der Heide of Pirna.
    heide: Value,
    /// Anna Schmidt of Leipzig, a member there.
    anna_in_leipzig: Value,
}

async fn enter_search_people(app: &TestApp) -> SearchPeople {
    let lgs = app.token_of(STATE_OFFICE).await;
    let people = [
        (
            "DD-NEU",
            "Anna",
            "Schmidt",
            "Dresden",
            Some("anna.schmidt@example.org"),
        ),
        // A family e-mail address, shared with Anna Schmidt of Leipzig.
        (
            "DD",
            "Paul",
            "Schmidt",
            "Dresden",
            Some("anna.l@example.org"),
        ),
        ("DD", "Anna", "Schmidtke", "Radebeul", None),
        ("DD", "Annabell", "Weber", "Leipzig", None),
        ("DD", "Klaus", "Annaberg", "Dresden", None),
        ("DD", "Hans", "von der Heide", "Pirna", None),
        (
            "L",
            "Anna",
            "Schmidt",
            "Leipzig",
            Some("anna.l@example.org"),
        ),
    ];
    let mut entered = Vec::new();
    for (unit, first, last, city, email) in people {
        let postal_code = match city {
            "Leipzig" => "04109",
            "Pirna" => "01796",
            "Radebeul" => "01445",
            _ => "01067",
        };
        let person = json!({
            "first_name": first, "last_name": last, "city": city,
            "postal_code": postal_code, "email": email,
        });
        entered.push(enter(app, &lgs, &app.unit_id(unit).await, person).await);
    }
    // Fields are filled in the order they are written, the order above.
    let mut entered = entered.into_iter();
    let mut next = || entered.next().expect("entered");
    SearchPeople {
        anna: next(),
        paul: next(),
        schmidtke: next(),
        annabell: next(),
        annaberg: next(),
        heide: next(),
        anna_in_leipzig: next(),
    }
}

/// Moves `member` from the district of `sender` to the unit `to` of the
/// district of `receiver`, which confirms; the member keeps home ties.
async fn move_keeping_home_ties(
    app: &TestApp,
    sender: &str,
    receiver: &str,
    member: &Value,
    to: &str,
) {
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let started = app
        .post(
            &format!("/api/v1/members/{}/transfers", id(member)),
            Some(sender),
            &json!({
                "to_org_unit_id": app.unit_id(to).await,
                "effective_on": (today + chrono::Duration::days(7)).to_string(),
                "keep_home_ties": true,
            }),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.text);
    let transfer = started.body["id"].as_str().expect("transfer id");
    let confirmed = app
        .post(
            &format!("/api/v1/transfers/{transfer}/confirm"),
            Some(receiver),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
}

fn number_of(member: &Value) -> String {
    member["membership_number"]
        .as_str()
        .expect("membership number")
        .to_owned()
}

async fn every_search_form_finds_its_members_and_no_others(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let p = enter_search_people(&app).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let branch = app.token_of(BRANCH_NEUSTADT).await;

    let anna_number = number_of(&p.anna);
    let expectations: Vec<(&str, Vec<String>)> = vec![
        // "Vorname Nachname": the first name whole, the last name's start.
        ("Anna Schmidt", ids(&[&p.anna, &p.schmidtke])),
        ("  ANNA   schmidt ", ids(&[&p.anna, &p.schmidtke])),
        ("Paul Schmidt", ids(&[&p.paul])),
        // "Nachname, Vorname": the last name's start, the first name whole.
        ("Schmidt, Anna", ids(&[&p.anna, &p.schmidtke])),
        ("schmidt,anna", ids(&[&p.anna, &p.schmidtke])),
        ("Schmidt, Paul", ids(&[&p.paul])),
        ("Schmidt, An", vec![]),
        ("Schmidtke,", ids(&[&p.schmidtke])),
        (", Paul", ids(&[&p.paul])),
        // One word: a last name's start, a first name, a city.
        ("anna", ids(&[&p.annaberg, &p.anna, &p.schmidtke])),
        ("ann", ids(&[&p.annaberg])),
        ("schm", ids(&[&p.anna, &p.paul, &p.schmidtke])),
        ("paul", ids(&[&p.paul])),
        ("leipzig", ids(&[&p.annabell])),
        ("Radebeul", ids(&[&p.schmidtke])),
        // A last name of several words, whole or begun, with or without
        // the first name.
        ("von der Heide", ids(&[&p.heide])),
        ("von der he", ids(&[&p.heide])),
        ("Hans von der Heide", ids(&[&p.heide])),
        ("pirna", ids(&[&p.heide])),
        (anna_number.as_str(), ids(&[&p.anna])),
        ("Anna.Schmidt@Example.org", ids(&[&p.anna])),
        ("anna.l@example.org", ids(&[&p.paul])),
        ("Schmidt Anna", vec![]),
        ("Anna Weber", vec![]),
        ("Weber, Anna", vec![]),
        ("Weber, Annabell", ids(&[&p.annabell])),
    ];
    for (q, expected) in &expectations {
        assert_eq!(&found(&app, &dd, q).await, expected, "district office: {q}");
    }

    // The state office finds both Anna Schmidts, and the members living in
    // Leipzig wherever they belong.
    assert_eq!(
        found(&app, &lgs, "Anna Schmidt").await,
        ids(&[&p.anna, &p.anna_in_leipzig, &p.schmidtke])
    );
    assert_eq!(
        found(&app, &lgs, "leipzig").await,
        ids(&[&p.anna_in_leipzig, &p.annabell])
    );
    assert_eq!(
        found(&app, &lgs, "anna.l@example.org").await,
        ids(&[&p.paul, &p.anna_in_leipzig])
    );

    // The branch sees its own member only.
    for q in ["anna", "Anna Schmidt", "Schmidt, Anna", "schm", "dresden"] {
        assert_eq!(
            found(&app, &branch, q).await,
            ids(&[&p.anna]),
            "branch: {q}"
        );
    }
    assert_eq!(found(&app, &branch, "Radebeul").await, Vec::<String>::new());
}

async fn no_search_form_reaches_outside_the_callers_scope(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let p = enter_search_people(&app).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let every_form = |of: &Value| -> Vec<String> {
        let first = of["first_name"].as_str().unwrap_or_default();
        let last = of["last_name"].as_str().unwrap_or_default();
        let mut forms = vec![
            first.to_owned(),
            last.to_owned(),
            last.chars().take(3).collect(),
            format!("{first} {last}"),
            format!("{last}, {first}"),
            of["city"].as_str().unwrap_or_default().to_owned(),
            number_of(of),
        ];
        forms.extend(of["email"].as_str().map(str::to_owned));
        forms
    };
    let dresden_people = [
        &p.anna,
        &p.paul,
        &p.schmidtke,
        &p.annabell,
        &p.annaberg,
        &p.heide,
    ];
    // Leipzig finds only its own Anna Schmidt, whoever is looked for.
    for person in dresden_people {
        for q in every_form(person) {
            let hits = found(&app, &leipzig, &q).await;
            assert!(
                hits.iter().all(|hit| *hit == id(&p.anna_in_leipzig)),
                "Leipzig, {q}: {hits:?}"
            );
        }
    }
    // Dresden and its branch never find Leipzig's Anna Schmidt.
    for token in [&dd, &branch] {
        for q in every_form(&p.anna_in_leipzig) {
            let hits = found(&app, token, &q).await;
            assert!(!hits.contains(&id(&p.anna_in_leipzig)), "{q}: {hits:?}");
        }
    }

    // Paul moves to Leipzig and keeps his ties with Dresden: Dresden still
    // finds him by every form, its branch by none, Leipzig by every form.
    move_keeping_home_ties(&app, &dd, &leipzig, &p.paul, "L-SUED").await;
    for q in every_form(&p.paul) {
        for (who, token, expected) in [
            ("Dresden", &dd, true),
            ("Leipzig", &leipzig, true),
            ("the branch", &branch, false),
        ] {
            let hits = found(&app, token, &q).await;
            assert_eq!(
                hits.contains(&id(&p.paul)),
                expected,
                "{who}, {q}: {hits:?}"
            );
        }
    }
}

async fn search_pages_return_every_match_once_in_order(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let dresden = app.unit_id("DD").await;
    let person =
        |first: &str, last: &str| json!({ "first_name": first, "last_name": last, "email": null });
    // "anna" finds a first name Anna and a last name starting with it; Anna
    // Annaberg matches both ways and must still come once.
    let anna_annaberg = enter(&app, &lgs, &dresden, person("Anna", "Annaberg")).await;
    let klaus_annaberg = enter(&app, &lgs, &dresden, person("Klaus", "Annaberg")).await;
    let mut meiers = Vec::new();
    for _ in 0..3 {
        meiers.push(enter(&app, &lgs, &dresden, person("Anna", "Meier")).await);
    }
    enter(&app, &lgs, &dresden, person("Karl", "Meier")).await;
    let zander = enter(
        &app,
        &lgs,
        &app.unit_id("DD-NEU").await,
        person("Anna", "Zander"),
    )
    .await;
    let wanderer = enter(&app, &lgs, &dresden, person("Anna", "Wanderer")).await;
    let leipzig_meier = enter(&app, &lgs, &app.unit_id("L").await, person("Anna", "Meier")).await;
    // Anna Wanderer moves to Leipzig with home ties: Dresden lists her
    // through the ties, between its own members.
    move_keeping_home_ties(&app, &dd, &leipzig, &wanderer, "L").await;

    let in_dresden = ids(&[
        &anna_annaberg,
        &klaus_annaberg,
        &meiers[0],
        &meiers[1],
        &meiers[2],
        &wanderer,
        &zander,
    ]);
    let everywhere = ids(&[
        &anna_annaberg,
        &klaus_annaberg,
        &meiers[0],
        &meiers[1],
        &meiers[2],
        &leipzig_meier,
        &wanderer,
        &zander,
    ]);
    for (token, expected) in [(&dd, &in_dresden), (&lgs, &everywhere)] {
        assert_eq!(&found(&app, token, "anna").await, expected);
        for limit in 1..=expected.len() {
            let mut listed = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let after = cursor
                    .as_ref()
                    .map(|c| format!("&cursor={c}"))
                    .unwrap_or_default();
                let page = app
                    .get(
                        &format!("/api/v1/members?q=anna&limit={limit}{after}"),
                        token,
                    )
                    .await;
                assert_eq!(page.status, 200, "{}", page.text);
                let items = ids_of(&page);
                assert!(items.len() <= limit);
                listed.extend(items);
                pages += 1;
                match page.body["next_cursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
                assert!(pages <= expected.len(), "the pages never end");
            }
            assert_eq!(&listed, expected, "pages of {limit}");
            assert_eq!(pages, expected.len().div_ceil(limit), "pages of {limit}");
        }
    }
}

async fn the_city_search_finds_members_entered_before_the_city_key(db: Db) {
    use migration::MigratorTrait;
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let goerlitz = enter(
        &app,
        &lgs,
        &app.unit_id("GR").await,
        json!({ "last_name": "Nowak", "city": "Görlitz", "postal_code": "02826", "email": null }),
    )
    .await;
    enter(
        &app,
        &lgs,
        &app.unit_id("DD").await,
        json!({ "email": null }),
    )
    .await;
    // Back to the schema before the member search was widened, and forward
    // again: the member's city gets its key although nobody saved it since.
    migration::Migrator::down(&app.db, Some(1))
        .await
        .expect("migration reverted");
    kartei_persistence::migrate(&app.db)
        .await
        .expect("migrated again");
    for q in ["Görlitz", "GOERLITZ", "görlitz"] {
        assert_eq!(found(&app, &lgs, q).await, ids(&[&goerlitz]), "{q}");
    }
}

/// The list reads its rows by position, the single read by name: the same
/// member comes out the same, every field of it, with NULLs and without.
async fn a_list_item_is_the_member_as_read_alone(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let resigning = enter(
        &app,
        &dd,
        &app.unit_id("DD-NEU").await,
        json!({ "last_name": "Abschied", "email": "Ina.Abschied@Example.org",
                "interests": ["Verkehr", "Bildung"] }),
    )
    .await;
    let reply = app
        .post(
            &format!("/api/v1/members/{}/resignation", id(&resigning)),
            Some(&dd),
            &json!({ "effective_on": (today + chrono::Duration::days(10)).to_string(),
                     "reason": "Umzug" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let plain = enter(
        &app,
        &dd,
        &app.unit_id("DD").await,
        json!({ "last_name": "Abseits", "email": null, "phone": null, "interests": [],
                "consents": [] }),
    )
    .await;

    let list = app.get("/api/v1/members?q=abs", &dd).await;
    let found = ids_of(&list);
    assert!(
        found.contains(&id(&resigning)) && found.contains(&id(&plain)),
        "{}",
        list.text
    );
    for item in list.body["items"].as_array().cloned().unwrap_or_default() {
        let mut alone = app
            .get(&format!("/api/v1/members/{}", id(&item)), &dd)
            .await
            .body;
        if let Some(alone) = alone.as_object_mut() {
            alone.remove("integration");
        }
        assert_eq!(item, alone);
    }
}
