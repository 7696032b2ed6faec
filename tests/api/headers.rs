//! Headers every answer carries: personal data is never kept by a cache
//! (`Cache-Control: no-store` on the API), and no answer is sniffed into
//! another type or leaks its address to the next site.

use kartei_tests::{ADMIN, Db, STATE_OFFICE, TestApp, on_both_databases};
use reqwest::Method;

use kartei_tests::members::enter;

on_both_databases!(
    api_answers_are_not_stored_and_every_answer_is_hardened,
    public_documents_may_be_cached,
);

fn header<'a>(reply: &'a kartei_tests::Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).and_then(|v| v.to_str().ok())
}

#[track_caller]
fn assert_hardened(reply: &kartei_tests::Reply, what: &str) {
    assert_eq!(
        header(reply, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(reply, "referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
}

async fn api_answers_are_not_stored_and_every_answer_is_hardened(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let member = enter(&app, &lgs, &app.unit_id("DD").await, serde_json::json!({})).await;
    let id = member["id"].as_str().expect("id");
    let admin = app.token_of(ADMIN).await;
    let answers = [
        (
            "a member",
            app.get(&format!("/api/v1/members/{id}"), &lgs).await,
        ),
        ("the member list", app.get("/api/v1/members", &lgs).await),
        (
            "the member list as CSV",
            app.get("/api/v1/members?format=csv", &lgs).await,
        ),
        (
            "an Art. 15 export",
            app.get(&format!("/api/v1/members/{id}/export"), &lgs).await,
        ),
        ("the account", app.get("/api/v1/me", &admin).await),
        ("a 403", app.get("/api/v1/users", &lgs).await),
        (
            "a 404",
            app.get("/api/v1/members/00000000-0000-7000-8000-000000000000", &lgs)
                .await,
        ),
        (
            "a 401",
            app.send(app.request(Method::GET, "/api/v1/members", None))
                .await,
        ),
        (
            "a login",
            app.login_reply(ADMIN, kartei_tests::DEMO_PASSWORD).await,
        ),
    ];
    for (what, reply) in &answers {
        assert!(reply.status.as_u16() < 500, "{what}: {}", reply.text);
        assert_eq!(header(reply, "cache-control"), Some("no-store"), "{what}");
        assert_hardened(reply, what);
    }
}

async fn public_documents_may_be_cached(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    for path in ["/health/live", "/api/v1/openapi.json", "/docs/"] {
        let reply = app.send(app.request(Method::GET, path, None)).await;
        assert_eq!(reply.status, 200, "{path}");
        // Nothing personal in them: no reason to forbid caching.
        assert_eq!(header(&reply, "cache-control"), None, "{path}");
        assert_hardened(&reply, path);
    }
    let unknown = app.send(app.request(Method::GET, "/nowhere", None)).await;
    assert_hardened(&unknown, "an unknown route");
}
