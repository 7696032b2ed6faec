use kartei_tests::{ADMIN, BOARD, BRANCH_NEUSTADT, Db, TestApp, on_both_databases};
use serde_json::json;

on_both_databases!(
    the_demo_routes_every_saxon_postal_code,
    resolve_names_district_and_branch,
    put_replaces_the_whole_table,
    an_invalid_table_changes_nothing,
);

async fn the_demo_routes_every_saxon_postal_code(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let rules = app.get("/api/v1/routing-rules", &token).await;
    assert_eq!(rules.status, 200, "{}", rules.text);
    let rules = rules.body.as_array().expect("array");
    assert_eq!(rules.len(), 406);
    assert!(
        rules
            .iter()
            .all(|r| r["postal_code"].as_str().is_some_and(|c| c.len() == 5))
    );
}

async fn resolve_names_district_and_branch(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(BRANCH_NEUSTADT).await;
    let dresden = app.unit_id("DD").await;
    let neustadt = app.unit_id("DD-NEU").await;

    let reply = app
        .get("/api/v1/routing/resolve?postal_code=01097", &token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({ "postal_code": "01097", "district_id": dresden, "local_id": neustadt })
    );

    let reply = app
        .get("/api/v1/routing/resolve?postal_code=01067", &token)
        .await;
    assert_eq!(
        reply.body,
        json!({ "postal_code": "01067", "district_id": dresden, "local_id": null })
    );

    let leipzig = app
        .get("/api/v1/routing/resolve?postal_code=04109", &token)
        .await;
    assert_eq!(leipzig.body["district_id"], app.unit_id("L").await.as_str());

    app.get("/api/v1/routing/resolve?postal_code=10115", &token)
        .await
        .assert_problem(404);
    let bad = app
        .get("/api/v1/routing/resolve?postal_code=1067", &token)
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), ["postal_code"]);
    let missing = app.get("/api/v1/routing/resolve", &token).await;
    missing.assert_problem(422);
    assert_eq!(missing.error_fields(), ["postal_code"]);
}

async fn put_replaces_the_whole_table(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let dresden = app.unit_id("DD").await;
    let branch = app.unit_id("FG-FRE").await;
    let table = json!([
        { "postal_code": "01067", "org_unit_id": dresden },
        { "postal_code": "09599", "org_unit_id": branch },
    ]);
    let reply = app.put("/api/v1/routing-rules", &token, &table).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body, table);
    let board = app.token_of(BOARD).await;
    app.get("/api/v1/routing/resolve?postal_code=04109", &board)
        .await
        .assert_problem(404);
    let freiberg = app
        .get("/api/v1/routing/resolve?postal_code=09599", &board)
        .await;
    assert_eq!(freiberg.body["local_id"], branch.as_str());
    assert_eq!(
        freiberg.body["district_id"],
        app.unit_id("FG").await.as_str()
    );

    let empty = app.put("/api/v1/routing-rules", &token, &json!([])).await;
    assert_eq!(empty.body, json!([]));
}

async fn an_invalid_table_changes_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let dresden = app.unit_id("DD").await;
    let state = app.unit_id("SN").await;
    let table = json!([
        { "postal_code": "01067", "org_unit_id": dresden },
        { "postal_code": "0106", "org_unit_id": dresden },
        { "postal_code": "01067", "org_unit_id": dresden },
        { "postal_code": "01069", "org_unit_id": state },
        { "postal_code": "01097", "org_unit_id": uuid::Uuid::new_v4() },
    ]);
    let reply = app.put("/api/v1/routing-rules", &token, &table).await;
    reply.assert_problem(422);
    assert_eq!(
        reply.error_fields(),
        [
            "[1].postal_code",
            "[2].postal_code",
            "[3].org_unit_id",
            "[4].org_unit_id"
        ]
    );
    let rules = app.get("/api/v1/routing-rules", &token).await;
    assert_eq!(rules.body.as_array().map(Vec::len), Some(406));
}
