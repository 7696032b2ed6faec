//! Request limits: small bodies everywhere but the CSV import, a row limit
//! on the import, and a server that answers 503 instead of queueing when it
//! is busy or a request takes too long.

use std::io::{Read, Write};
use std::time::Duration;

use kartei_tests::members::import_csv;
use kartei_tests::{Db, STATE_OFFICE, TestApp, on_both_databases};
use reqwest::Method;
use serde_json::json;

on_both_databases!(
    json_routes_take_small_bodies_and_only_the_import_a_large_one,
    an_import_over_max_rows_is_413_and_changes_nothing,
    a_request_over_the_timeout_is_503,
    requests_beyond_the_concurrency_limit_are_503_not_queued,
);

async fn json_routes_take_small_bodies_and_only_the_import_a_large_one(db: Db) {
    // Defaults: 64 KiB for JSON, 32 MiB for the import.
    let app = TestApp::spawn_demo(db).await;
    let big = "a".repeat(70 * 1024);
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({ "email": big, "password": "x" }),
    )
    .await
    .assert_problem(413);
    let lgs = app.token_of(STATE_OFFICE).await;
    let dresden = app.unit_id("DD").await;
    app.post(
        "/api/v1/members",
        Some(&lgs),
        &json!({ "first_name": big, "org_unit_id": dresden }),
    )
    .await
    .assert_problem(413);
    assert_eq!(app.count("members").await, 0);

    // Just under the limit is read (and answered on its merits).
    let under = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({ "email": "a".repeat(60 * 1024), "password": "x" }),
        )
        .await;
    under.assert_problem(401);

    // The import takes a file far larger than 64 KiB.
    let csv = import_csv(2_000);
    assert!(csv.len() > 128 * 1024, "{}", csv.len());
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["imported"], 2_000);

    // ... up to its own limit.
    let small = TestApp::spawn_with(db, &[("server.max_import_bytes", json!(4096))]).await;
    kartei_api::seed::seed_demo(&small.state)
        .await
        .expect("seeded");
    let lgs = small.token_of(STATE_OFFICE).await;
    small
        .post_text("/api/v1/members/import", &lgs, "text/csv", import_csv(100))
        .await
        .assert_problem(413);
    assert_eq!(small.count("members").await, 0);
}

async fn an_import_over_max_rows_is_413_and_changes_nothing(db: Db) {
    let app = TestApp::spawn_with(db, &[("import.max_rows", json!(2))]).await;
    kartei_api::seed::seed_demo(&app.state)
        .await
        .expect("seeded");
    let lgs = app.token_of(STATE_OFFICE).await;
    let audit_before = app.count("audit_events").await;
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", import_csv(3))
        .await;
    reply.assert_problem(413);
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains('2'))
    );
    assert!(!reply.text.contains("Anna"), "no values echoed");
    assert_eq!(app.count("members").await, 0);
    assert_eq!(app.count("audit_events").await, audit_before);

    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", import_csv(2))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(app.count("members").await, 2);
}

/// A login whose body never finishes arriving: it holds its place in the
/// server until the timeout or until the connection closes.
fn stalled_request(app: &TestApp) -> std::net::TcpStream {
    let address = app.address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connected");
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nhost: kartei\r\n\
              content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"email\":",
        )
        .expect("written");
    stream
}

/// Whatever the server answers on `stream` within `wait`.
async fn answer(mut stream: std::net::TcpStream, wait: Duration) -> String {
    tokio::task::spawn_blocking(move || {
        stream.set_read_timeout(Some(wait)).expect("timeout set");
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(read) = stream.read(&mut buffer) {
            if read == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..read]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("read")
}

async fn a_request_over_the_timeout_is_503(db: Db) {
    let app = TestApp::spawn_with(db, &[("server.request_timeout_seconds", json!(1))]).await;
    let started = std::time::Instant::now();
    let reply = answer(stalled_request(&app), Duration::from_secs(10)).await;
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(
        reply
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{reply}"
    );
    assert!(reply.contains("\"status\":503"), "{reply}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Requests that finish in time are answered as ever.
    let live = app
        .send(app.request(Method::GET, "/health/live", None))
        .await;
    assert_eq!(live.status, 200);
}

async fn requests_beyond_the_concurrency_limit_are_503_not_queued(db: Db) {
    let app = TestApp::spawn_with(db, &[("server.max_concurrent_requests", json!(1))]).await;
    let stalled = stalled_request(&app);
    // Let the server take the stalled request in.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let busy = app
        .send(app.request(Method::GET, "/health/live", None))
        .await;
    busy.assert_problem(503);
    assert!(busy.headers.contains_key("retry-after"));

    // Once the stalled request is gone, there is room again.
    drop(stalled);
    let mut status = 0;
    for _ in 0..50 {
        status = app
            .send(app.request(Method::GET, "/health/live", None))
            .await
            .status
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}
