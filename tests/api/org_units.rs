use kartei_tests::{ADMIN, BOARD, Db, TestApp, on_both_databases};
use serde_json::json;

on_both_databases!(
    the_demo_tree_is_saxony,
    admin_builds_the_tree_state_district_local,
    the_tree_refuses_wrong_parents,
    short_codes_are_unique,
    units_are_edited_with_their_version,
);

async fn the_demo_tree_is_saxony(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(BOARD).await;
    let reply = app.get("/api/v1/org-units?limit=200", &token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let units = reply.body["items"].as_array().expect("items");
    let count = |kind: &str| units.iter().filter(|u| u["kind"] == kind).count();
    assert_eq!(count("state"), 1);
    assert_eq!(count("district"), 13);
    assert_eq!(count("local"), 3);
    let state_id = units.iter().find(|u| u["kind"] == "state").expect("state")["id"].clone();
    assert!(
        units
            .iter()
            .filter(|u| u["kind"] == "district")
            .all(|u| u["parent_id"] == state_id)
    );
    assert!(units.iter().any(|u| u["name"] == "Stadtverband Dresden"));
    assert!(
        units
            .iter()
            .any(|u| u["name"] == "Kreisverband Sächsische Schweiz-Osterzgebirge")
    );
}

async fn admin_builds_the_tree_state_district_local(db: Db) {
    let app = TestApp::spawn(db).await;
    kartei_api::seed::seed_demo(&app.state).await.expect("seed");
    let token = app.token_of(ADMIN).await;
    let state_id = app.unit_id("SN").await;
    let district = app
        .post(
            "/api/v1/org-units",
            Some(&token),
            &json!({ "name": "Kreisverband Test", "kind": "district", "parent_id": state_id, "short_code": "KT", "email": "kt@kartei.example" }),
        )
        .await;
    assert_eq!(district.status, 201, "{}", district.text);
    assert_eq!(district.body["kind"], "district");
    assert_eq!(district.body["version"], 1);
    let district_id = district.body["id"].as_str().expect("id");
    let local = app
        .post(
            "/api/v1/org-units",
            Some(&token),
            &json!({ "name": "Ortsverband Test", "kind": "local", "parent_id": district_id, "short_code": "KT-OV" }),
        )
        .await;
    assert_eq!(local.status, 201, "{}", local.text);
    assert_eq!(local.body["parent_id"], district_id);
    assert!(local.body["email"].is_null());
    let read = app
        .get(&format!("/api/v1/org-units/{district_id}"), &token)
        .await;
    assert_eq!(read.body["name"], "Kreisverband Test");
}

async fn the_tree_refuses_wrong_parents(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let state_id = app.unit_id("SN").await;
    let branch = app.unit_id("DD-NEU").await;
    for (kind, parent) in [
        ("local", Some(state_id.clone())),
        ("district", Some(branch.clone())),
        ("district", None),
        ("state", Some(state_id.clone())),
        ("local", Some(uuid::Uuid::new_v4().to_string())),
    ] {
        let reply = app
            .post(
                "/api/v1/org-units",
                Some(&token),
                &json!({ "name": "Falsch", "kind": kind, "parent_id": parent, "short_code": "X1" }),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(
            reply.error_fields(),
            ["parent_id"],
            "{kind} under {parent:?}"
        );
    }
    let bad = app
        .post(
            "/api/v1/org-units",
            Some(&token),
            &json!({ "name": "", "kind": "village", "parent_id": state_id, "short_code": "X" }),
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), ["kind"]);
    let bad = app
        .post(
            "/api/v1/org-units",
            Some(&token),
            &json!({ "name": " ", "kind": "district", "parent_id": state_id, "short_code": "a b", "email": "x" }),
        )
        .await;
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["email", "name", "short_code"]);
}

async fn short_codes_are_unique(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let state_id = app.unit_id("SN").await;
    app.post(
        "/api/v1/org-units",
        Some(&token),
        &json!({ "name": "Zweites Dresden", "kind": "district", "parent_id": state_id, "short_code": "DD" }),
    )
    .await
    .assert_problem(409);
}

async fn units_are_edited_with_their_version(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let id = app.unit_id("TDO").await;
    let path = format!("/api/v1/org-units/{id}");
    app.patch(
        &path,
        &token,
        None,
        &json!({ "name": "Kreisverband Nordsachsen" }),
    )
    .await
    .assert_problem(428);
    let changed = app
        .patch(
            &path,
            &token,
            Some(1),
            &json!({ "name": "Kreisverband Nordsachsen", "email": null }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["name"], "Kreisverband Nordsachsen");
    assert!(changed.body["email"].is_null());
    assert_eq!(changed.body["version"], 2);
    app.patch(&path, &token, Some(1), &json!({ "name": "Alt" }))
        .await
        .assert_problem(412);
    app.patch(&path, &token, Some(2), &json!({ "short_code": "DD" }))
        .await
        .assert_problem(409);
    app.patch(
        &format!("/api/v1/org-units/{}", uuid::Uuid::new_v4()),
        &token,
        Some(1),
        &json!({ "name": "x" }),
    )
    .await
    .assert_problem(404);
}
