//! What the server logs: request ids and route templates, never personal
//! data. The test binary's global subscriber writes JSON at debug level into
//! a buffer that this test reads after driving a few flows.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use kartei_api::config::{LogFormat, LogSettings};
use kartei_tests::{ADMIN, DEMO_PASSWORD, Db, STATE_OFFICE, TestApp, on_both_databases};
use sea_orm::ConnectionTrait;
use serde_json::json;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured_logs() -> Buffer {
    static BUFFER: OnceLock<Buffer> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Buffer::default();
            let writer = buffer.clone();
            kartei_api::telemetry::init_tracing_to(
                &LogSettings {
                    format: LogFormat::Json,
                    filter: "debug".into(),
                },
                move || writer.clone(),
            );
            buffer
        })
        .clone()
}

on_both_databases!(
    logs_carry_request_ids_and_no_personal_data,
    a_database_error_quoting_the_row_reaches_neither_log_nor_answer,
);

async fn logs_carry_request_ids_and_no_personal_data(db: Db) {
    let logs = captured_logs();
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    app.login_reply("Erika.Mustermann@example.org", "falsches Passwort")
        .await
        .assert_problem(401);
    app.login_reply(ADMIN, DEMO_PASSWORD).await;
    let created = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({
                "email": "erika.mustermann@example.org",
                "display_name": "Erika Mustermann",
                "role": "board",
                "password": "Geheimes Passwort 1"
            }),
        )
        .await;
    assert_eq!(created.status, 201);
    app.get("/api/v1/routing/resolve?postal_code=01097", &token)
        .await;

    let text = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("utf-8");
    assert!(
        text.contains("request_id"),
        "requests are logged with their id"
    );
    assert!(text.contains("/api/v1/users"), "route templates are logged");
    for personal in [
        "Mustermann",
        "mustermann",
        "example.org",
        "@kartei.example",
        "Geheimes Passwort",
        DEMO_PASSWORD,
        "01097",
    ] {
        assert!(
            !text.contains(personal),
            "{personal:?} appeared in the logs"
        );
    }
}

/// A write the database refuses with a message that quotes the row:
/// PostgreSQL's CHECK violation ("Failing row contains (...)" in its
/// detail), SQLite's trigger (its `RAISE` text names the values). The
/// answer is an opaque 500, and the log names the failure by class only.
async fn a_database_error_quoting_the_row_reaches_neither_log_nor_answer(db: Db) {
    let logs = captured_logs();
    let app = TestApp::spawn_demo(db).await;
    let refuse = match db {
        Db::Postgres => {
            "ALTER TABLE members ADD CONSTRAINT kartei_test_refuse \
             CHECK (last_name <> 'Zwetschgenbaum')"
        }
        Db::Sqlite => {
            "CREATE TRIGGER kartei_test_refuse BEFORE INSERT ON members \
             WHEN NEW.last_name = 'Zwetschgenbaum' \
             BEGIN SELECT RAISE(ABORT, 'refused ' || NEW.last_name || ' ' || NEW.street); END"
        }
    };
    app.db
        .execute_unprepared(refuse)
        .await
        .expect("refusal installed");
    let lgs = app.token_of(STATE_OFFICE).await;
    let members_before = app.count("members").await;
    let body = kartei_tests::members::entry(
        &app,
        &app.unit_id("DD").await,
        json!({
            "first_name": "Mirabella",
            "last_name": "Zwetschgenbaum",
            "email": "zwetschge@example.org",
            "street": "Pflaumenallee 12",
        }),
    );
    let reply = app.post("/api/v1/members", Some(&lgs), &body).await;
    reply.assert_problem(500);
    assert_eq!(reply.body["detail"], "An unexpected error occurred.");
    assert_eq!(app.count("members").await, members_before);

    // The negative case: the same entry with another name goes in.
    let other = kartei_tests::members::entry(&app, &app.unit_id("DD").await, json!({}));
    assert_eq!(
        app.post("/api/v1/members", Some(&lgs), &other).await.status,
        201
    );

    let text = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("utf-8");
    assert!(text.contains("request failed"), "the fault is logged");
    for personal in [
        "Zwetschgenbaum",
        "Mirabella",
        "zwetschge@example.org",
        "Pflaumenallee",
        "Failing row",
    ] {
        assert!(
            !text.contains(personal),
            "{personal:?} appeared in the logs"
        );
        assert!(!reply.text.contains(personal), "{personal:?} in the answer");
    }
    if db == Db::Postgres {
        assert!(
            text.contains("check violation (SQLSTATE 23514)"),
            "the fault is logged by class"
        );
    }
}
