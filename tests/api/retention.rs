//! Anonymisation after the retention period: the person is gone, the
//! figures the reports count stay the same, and it is audited.

use chrono::Duration;
use kartei_app::jobs::retention::{self, RetentionReport};
use kartei_tests::{ADMIN, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases};
use serde_json::{Value, json};

use kartei_tests::members::{enter, id};

on_both_databases!(
    members_and_closed_applications_are_anonymised_after_retention,
    deactivated_staff_and_expired_sessions_go_after_retention,
);

/// What the entry-lag and membership figures are computed from.
const COUNTED: [&str; 9] = [
    "district_id",
    "local_id",
    "status",
    "received_on",
    "joined_on",
    "entered_at",
    "left_on",
    "application_id",
    "created_at",
];

fn counted(member: &Value) -> Vec<Value> {
    COUNTED.iter().map(|f| member[f].clone()).collect()
}

async fn members_and_closed_applications_are_anonymised_after_retention(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();

    // A member admitted from an application, later resigned, with a change
    // and a declined transfer on record.
    let application = app
        .register(&lgs, json!({ "last_name": "Vergessen" }))
        .await;
    let application_id = application["id"].as_str().expect("id").to_owned();
    app.transition(&dd, &application_id, "handover", json!({}))
        .await;
    let admitted = app
        .transition(
            &dd,
            &application_id,
            "decision",
            json!({
                "decision": "admitted", "decided_on": today,
                "contact": { "contacted_on": today, "channel": "phone", "note": "sehr nett" }
            }),
        )
        .await;
    assert_eq!(admitted.status, 200, "{}", admitted.text);
    let leaver_id = admitted.body["member_id"]
        .as_str()
        .expect("member id")
        .to_owned();
    let leaver_path = format!("/api/v1/members/{leaver_id}");
    let version = app.get(&leaver_path, &dd).await.body["version"]
        .as_i64()
        .expect("version");
    let changed = app
        .patch(
            &leaver_path,
            &dd,
            Some(version),
            &json!({ "city": "Radebeul" }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let resigned = app
        .post(
            &format!("{leaver_path}/resignation"),
            Some(&dd),
            &json!({ "effective_on": today, "reason": "zieht weg" }),
        )
        .await;
    assert_eq!(resigned.status, 200, "{}", resigned.text);
    let before = app.get(&leaver_path, &lgs).await.body;

    // Someone still active, and a withdrawn application.
    let stayer = enter(
        &app,
        &dd,
        &app.unit_id("DD").await,
        json!({ "last_name": "Bleibt" }),
    )
    .await;
    let withdrawn = app
        .register(
            &lgs,
            json!({ "last_name": "Zurueck", "email": "z@example.org" }),
        )
        .await;
    let withdrawn_id = withdrawn["id"].as_str().expect("id").to_owned();
    let reply = app
        .transition(
            &lgs,
            &withdrawn_id,
            "withdrawal",
            json!({ "withdrawn_on": today, "reason": "persönliche Gründe" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    // Nothing is due yet.
    let now = app.state.clock.now();
    assert_eq!(
        retention::run(&app.state.app, now).await.expect("run"),
        RetentionReport::default()
    );

    // A year and a day later the withdrawn application goes, ten years and a
    // day after leaving the member.
    app.state.clock.advance(Duration::days(366));
    let report = retention::run(&app.state.app, app.state.clock.now())
        .await
        .expect("run");
    assert_eq!(
        report,
        RetentionReport {
            members: 0,
            applications: 1,
            staff_accounts: 0
        }
    );
    app.state.clock.advance(Duration::days(3653 - 366 + 2));
    let report = retention::run(&app.state.app, app.state.clock.now())
        .await
        .expect("run");
    assert_eq!(
        report,
        RetentionReport {
            members: 1,
            applications: 0,
            staff_accounts: 0
        }
    );
    assert_eq!(
        retention::run(&app.state.app, app.state.clock.now())
            .await
            .expect("run"),
        RetentionReport::default(),
        "once only"
    );

    let lgs = app.token_of(STATE_OFFICE).await;
    let after = app.get(&leaver_path, &lgs).await.body;
    assert_eq!(counted(&after), counted(&before), "the figures stay");
    for (field, gone) in [
        ("first_name", json!("")),
        ("last_name", json!("")),
        ("email", Value::Null),
        ("phone", Value::Null),
        ("street", json!("")),
        ("city", json!("")),
        ("postal_code", json!("00000")),
        ("date_of_birth", json!("1900-01-01")),
        ("interests", json!([])),
        ("status_reason", Value::Null),
        ("consents", json!({})),
    ] {
        assert_eq!(after[field], gone, "{field}");
    }
    assert_ne!(after["membership_number"], before["membership_number"]);
    assert!(after["anonymised_at"].is_string());
    let search = app.get("/api/v1/members?q=vergessen", &lgs).await;
    assert_eq!(search.body["items"], json!([]));

    // The trail stays, unreadable where it held the person's values.
    let history = app.get(&format!("{leaver_path}/history"), &lgs).await.body;
    let actions: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions.last(), Some(&"member_anonymised"));
    let text = history.to_string();
    assert!(
        !text.contains("Radebeul") && !text.contains("Dresden") && !text.contains("zieht weg"),
        "{text}"
    );
    assert!(text.contains("\"anonymised\":true"), "{text}");

    // Its application went with it; the withdrawn one too, dates kept.
    for (id, name, free_text) in [
        (&application_id, "Vergessen", "sehr nett"),
        (&withdrawn_id, "Zurueck", "persönliche Gründe"),
    ] {
        let read = app.get(&format!("/api/v1/applications/{id}"), &lgs).await;
        assert_eq!(read.status, 200, "{}", read.text);
        assert!(
            !read.text.contains(name) && !read.text.contains(free_text),
            "{}",
            read.text
        );
        assert!(read.body["received_on"].is_string());
    }
    // Issue 13, point 8: the membership number is gone from the timeline.
    let number = before["membership_number"].as_str().expect("number");
    let events = app
        .scalar(&format!(
            "SELECT COUNT(*) AS n FROM application_events WHERE CAST(data AS TEXT) LIKE '%\"{number}\"%'"
        ))
        .await;
    assert_eq!(events, 0, "membership number {number} left in a timeline");
    let stayer_now = app
        .get(&format!("/api/v1/members/{}", id(&stayer)), &lgs)
        .await;
    assert_eq!(stayer_now.body["last_name"], "Bleibt");
    assert!(stayer_now.body["anonymised_at"].is_null());
}

/// Issue 13, point 8: a staff account deactivated longer than the retention
/// period loses its name, address and password; refresh tokens past their
/// expiry are deleted.
async fn deactivated_staff_and_expired_sessions_go_after_retention(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let email = "erika.ehemalig@kartei.example";
    app.account(email, "district_office", "DD").await;
    let admin = app.token_of(ADMIN).await;
    let users = app.get("/api/v1/users?limit=200", &admin).await;
    let account = users.body["items"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["email"] == email))
        .expect("the account")
        .clone();
    let path = format!("/api/v1/users/{}", account["id"].as_str().expect("id"));
    let off = app
        .patch(
            &path,
            &admin,
            account["version"].as_i64(),
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    let run = |app: &TestApp| {
        let state = app.state.clone();
        async move {
            retention::run(&state.app, state.clock.now())
                .await
                .expect("run")
        }
    };
    assert_eq!(run(&app).await.staff_accounts, 0);
    assert!(app.scalar("SELECT COUNT(*) AS n FROM refresh_tokens").await > 0);

    // Deactivating again later does not restart the period.
    app.state.clock.advance(Duration::days(200));
    let admin = app.token_of(ADMIN).await;
    let version = app.get(&path, &admin).await.body["version"].as_i64();
    app.patch(&path, &admin, version, &json!({ "active": false }))
        .await;
    assert_eq!(run(&app).await.staff_accounts, 0);

    app.state.clock.advance(Duration::days(166));
    assert_eq!(run(&app).await.staff_accounts, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS n FROM refresh_tokens").await,
        0,
        "every refresh token issued so far has expired"
    );
    assert_eq!(run(&app).await.staff_accounts, 0, "once only");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'staff_account_anonymised'"
        )
        .await,
        1
    );
    let admin = app.token_of(ADMIN).await;
    let gone = app.get(&path, &admin).await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    assert!(!gone.text.contains("erika"), "{}", gone.text);
    assert_eq!(gone.body["display_name"], "");
    assert_eq!(gone.body["active"], false);
    app.login_reply(email, "ein langes Passwort")
        .await
        .assert_problem(401);
    // The address is free for a new account.
    app.account(email, "district_office", "DD").await;
}
