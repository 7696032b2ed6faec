use kartei_tests::{ADMIN, DISTRICT_DRESDEN, Db, TestApp, on_both_databases};
use serde_json::json;

on_both_databases!(
    admin_creates_reads_and_lists_accounts,
    an_account_is_bound_to_a_unit_of_its_level,
    a_taken_email_is_409,
    edits_need_the_current_version,
    an_admin_cannot_lock_themselves_out,
    a_new_account_can_log_in_and_a_changed_password_ends_sessions,
    account_changes_are_audited,
);

async fn admin_creates_reads_and_lists_accounts(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let leipzig = app.unit_id("L").await;
    let created = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({
                "email": "kv-leipzig@kartei.example",
                "display_name": "Kreisgeschäftsstelle Leipzig",
                "role": "district_office",
                "org_unit_id": leipzig,
                "password": "ein langes Passwort"
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["role"], "district_office");
    assert_eq!(created.body["org_unit_id"], leipzig.as_str());
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["version"], 1);
    assert!(created.body.get("password").is_none());
    let id = created.body["id"].as_str().expect("id");

    let read = app.get(&format!("/api/v1/users/{id}"), &token).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["display_name"], "Kreisgeschäftsstelle Leipzig");

    // Six accounts, in pages of four.
    let first = app.get("/api/v1/users?limit=4", &token).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(4));
    let cursor = first.body["next_cursor"].as_str().expect("more pages");
    let second = app
        .get(&format!("/api/v1/users?limit=4&cursor={cursor}"), &token)
        .await;
    assert_eq!(second.body["items"].as_array().map(Vec::len), Some(2));
    assert!(second.body["next_cursor"].is_null());
    let mut emails: Vec<String> = first.body["items"]
        .as_array()
        .into_iter()
        .chain(second.body["items"].as_array())
        .flatten()
        .map(|u| u["email"].as_str().unwrap_or_default().to_owned())
        .collect();
    emails.sort();
    emails.dedup();
    assert_eq!(emails.len(), 6);

    app.get("/api/v1/users?limit=0", &token)
        .await
        .assert_problem(422);
    app.get("/api/v1/users?limit=201", &token)
        .await
        .assert_problem(422);
    app.get("/api/v1/users?cursor=bogus", &token)
        .await
        .assert_problem(422);
}

async fn an_account_is_bound_to_a_unit_of_its_level(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let branch = app.unit_id("DD-NEU").await;
    for (role, unit) in [
        ("district_office", Some(branch.clone())),
        ("district_office", None),
        ("local_branch", Some(app.unit_id("DD").await)),
        ("state_office", Some(branch.clone())),
        ("district_office", Some(uuid::Uuid::new_v4().to_string())),
    ] {
        let reply = app
            .post(
                "/api/v1/users",
                Some(&token),
                &json!({
                    "email": "neu@kartei.example",
                    "display_name": "Neu",
                    "role": role,
                    "org_unit_id": unit,
                    "password": "ein langes Passwort"
                }),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), ["org_unit_id"], "{role} {unit:?}");
    }
}

async fn a_taken_email_is_409(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let reply = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({
                "email": "KV-DRESDEN@kartei.example",
                "display_name": "Doppelt",
                "role": "board",
                "password": "ein langes Passwort"
            }),
        )
        .await;
    reply.assert_problem(409);
    assert!(
        !reply.text.contains("kv-dresden"),
        "no address in the error"
    );
}

async fn edits_need_the_current_version(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let me = app
        .get("/api/v1/me", &app.token_of(DISTRICT_DRESDEN).await)
        .await;
    let id = me.body["id"].as_str().expect("id");
    let path = format!("/api/v1/users/{id}");

    app.patch(
        &path,
        &token,
        None,
        &json!({ "display_name": "KGS Dresden" }),
    )
    .await
    .assert_problem(428);
    let ok = app
        .patch(
            &path,
            &token,
            Some(1),
            &json!({ "display_name": "KGS Dresden" }),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["version"], 2);
    assert_eq!(ok.body["display_name"], "KGS Dresden");
    // A second editor who still holds version 1 is told, and changes nothing.
    app.patch(
        &path,
        &token,
        Some(1),
        &json!({ "display_name": "Überschrieben" }),
    )
    .await
    .assert_problem(412);
    let read = app.get(&path, &token).await;
    assert_eq!(read.body["display_name"], "KGS Dresden");
    // A bad field changes nothing either.
    let bad = app
        .patch(
            &path,
            &token,
            Some(2),
            &json!({ "display_name": "Neu", "email": "kaputt" }),
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(app.get(&path, &token).await.body["version"], 2);
    let unknown = app
        .patch(&path, &token, Some(2), &json!({ "colour": "red" }))
        .await;
    unknown.assert_problem(422);
    assert_eq!(unknown.error_fields(), ["colour"]);
}

async fn an_admin_cannot_lock_themselves_out(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let me = app.get("/api/v1/me", &token).await;
    let id = me.body["id"].as_str().expect("id");
    app.patch(
        &format!("/api/v1/users/{id}"),
        &token,
        Some(1),
        &json!({ "active": false }),
    )
    .await
    .assert_problem(409);
    app.patch(
        &format!("/api/v1/users/{id}"),
        &token,
        Some(1),
        &json!({ "role": "board" }),
    )
    .await
    .assert_problem(409);
}

async fn a_new_account_can_log_in_and_a_changed_password_ends_sessions(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let admin = app.token_of(ADMIN).await;
    let created = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({
                "email": "vorstand2@kartei.example",
                "display_name": "Zweites Vorstandsmitglied",
                "role": "board",
                "password": "erstes langes Passwort"
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("id");
    let login = app
        .login_reply("vorstand2@kartei.example", "erstes langes Passwort")
        .await;
    assert_eq!(login.status, 200);
    let refresh = login.body["refresh_token"].as_str().expect("refresh");

    let changed = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            Some(1),
            &json!({ "password": "zweites langes Passwort" }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({ "refresh_token": refresh }),
    )
    .await
    .assert_problem(401);
    app.login_reply("vorstand2@kartei.example", "erstes langes Passwort")
        .await
        .assert_problem(401);
    assert_eq!(
        app.login_reply("vorstand2@kartei.example", "zweites langes Passwort")
            .await
            .status,
        200
    );
}

async fn account_changes_are_audited(db: Db) {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn_demo(db).await;
    let admin = app.token_of(ADMIN).await;
    let created = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({
                "email": "audit@kartei.example",
                "display_name": "Audit",
                "role": "board",
                "password": "ein langes Passwort"
            }),
        )
        .await;
    let id = created.body["id"].as_str().expect("id");
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        Some(1),
        &json!({ "active": false }),
    )
    .await;
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT action, details FROM audit_events ORDER BY occurred_at, id",
        ))
        .await
        .expect("query");
    let actions: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", "action").expect("action"))
        .collect();
    assert!(actions.contains(&"user_created".to_owned()));
    assert!(actions.contains(&"user_changed".to_owned()));
    assert!(actions.contains(&"login".to_owned()));
    for row in rows {
        let details: serde_json::Value = row.try_get("", "details").expect("details");
        let text = details.to_string();
        assert!(!text.contains("Passwort"), "no password in the trail");
        assert!(!text.contains("audit@"), "details carry no addresses");
    }
}
