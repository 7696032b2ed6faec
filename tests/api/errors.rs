//! Every kind of error is problem+json, axum's own rejections included.

use kartei_tests::{ADMIN, Db, TestApp, on_both_databases};
use reqwest::Method;
use serde_json::json;

on_both_databases!(
    malformed_json_is_400,
    a_body_that_is_not_json_is_415,
    unknown_routes_are_404,
    a_wrong_method_is_405,
    a_body_over_the_limit_is_413,
    missing_and_mistyped_fields_are_422_by_name,
    a_malformed_path_id_is_400,
);

async fn malformed_json_is_400(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let reply = app
        .send(
            app.request(Method::POST, "/api/v1/auth/login", None)
                .header("content-type", "application/json")
                .body("{\"email\": "),
        )
        .await;
    reply.assert_problem(400);
}

async fn a_body_that_is_not_json_is_415(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let reply = app
        .send(
            app.request(Method::POST, "/api/v1/auth/login", None)
                .header("content-type", "text/plain")
                .body("email=admin"),
        )
        .await;
    reply.assert_problem(415);
}

async fn unknown_routes_are_404(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    app.send(app.request(Method::GET, "/api/v1/nothing-here", None))
        .await
        .assert_problem(404);
    app.send(app.request(Method::GET, "/nowhere", None))
        .await
        .assert_problem(404);
}

async fn a_wrong_method_is_405(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    app.send(app.request(Method::DELETE, "/api/v1/auth/login", None))
        .await
        .assert_problem(405);
    app.send(app.request(Method::POST, "/health/live", None))
        .await
        .assert_problem(405);
}

async fn a_body_over_the_limit_is_413(db: Db) {
    let app = TestApp::spawn_with(db, &[("server.max_body_bytes", json!(1024))]).await;
    let big = json!({ "email": "a".repeat(2000), "password": "x" });
    app.post("/api/v1/auth/login", None, &big)
        .await
        .assert_problem(413);
}

async fn missing_and_mistyped_fields_are_422_by_name(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let missing = app
        .post("/api/v1/auth/login", None, &json!({ "password": "x" }))
        .await;
    missing.assert_problem(422);
    assert_eq!(missing.error_fields(), ["email"]);

    let token = app.token_of(ADMIN).await;
    let mistyped = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({
                "email": "neu@kartei.example",
                "display_name": 4711,
                "role": "admin",
                "password": "a long enough password"
            }),
        )
        .await;
    mistyped.assert_problem(422);
    assert_eq!(mistyped.error_fields(), ["display_name"]);
    assert!(!mistyped.text.contains("4711"), "values are not echoed");

    // Several invalid fields are named together.
    let invalid = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({
                "email": "not an address",
                "display_name": "  ",
                "role": "admin",
                "password": "short"
            }),
        )
        .await;
    invalid.assert_problem(422);
    let mut fields = invalid.error_fields();
    fields.sort();
    assert_eq!(fields, ["display_name", "email", "password"]);
    for error in invalid.body["errors"].as_array().expect("errors") {
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

async fn a_malformed_path_id_is_400(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    app.get("/api/v1/users/not-a-uuid", &token)
        .await
        .assert_problem(400);
    app.get(&format!("/api/v1/users/{}", uuid::Uuid::new_v4()), &token)
        .await
        .assert_problem(404);
}
