//! Test support for kartei's end-to-end tests: a real server on a free port
//! with a fresh database per test, SQLite or PostgreSQL, and a small HTTP
//! client that speaks the API's JSON.
//!
//! PostgreSQL tests are marked `#[ignore]` so that `cargo test` runs on a
//! machine without PostgreSQL; `cargo test -- --include-ignored` runs them
//! against `KARTEI_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432`), creating one database per test.

pub mod bench;
pub mod members;
pub mod web;
pub mod webdriver;

use std::path::Path;

use figment::providers::Serialized;
use kartei_api::clock::Clock;
use kartei_api::config::Settings;
use kartei_api::state::AppState;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

pub use kartei_api::seed::DEMO_PASSWORD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Like `on_both_databases!`, for tests that also need a real SMTP server
/// (Python's aiosmtpd): both variants are ignored unless asked for.
#[macro_export]
macro_rules! with_smtp_on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs aiosmtpd: cargo test -- --include-ignored"]
            async fn sqlite() {
                super::$name($crate::Db::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL and aiosmtpd: cargo test -- --include-ignored"]
            async fn postgres() {
                super::$name($crate::Db::Postgres).await
            }
        }
    )*};
}

/// Like `on_both_databases!`, for the tests in a real Chromium (Debian's
/// `chromium` and `chromium-driver`): both variants are ignored unless
/// asked for, so that the tests run on a machine without a browser.
#[macro_export]
macro_rules! in_chromium_on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs chromium and chromedriver: cargo test -- --include-ignored"]
            async fn sqlite() {
                super::$name($crate::Db::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL, chromium and chromedriver: cargo test -- --include-ignored"]
            async fn postgres() {
                super::$name($crate::Db::Postgres).await
            }
        }
    )*};
}

/// Runs each named test function (`async fn name(db: Db)`) twice: on SQLite
/// and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Db::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: cargo test -- --include-ignored"]
            async fn postgres() {
                super::$name($crate::Db::Postgres).await
            }
        }
    )*};
}

pub fn postgres_base_url() -> String {
    std::env::var("KARTEI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { name: String },
}

impl TestDatabase {
    pub async fn create(db: Db) -> TestDatabase {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("kartei.db").display()
                );
                TestDatabase {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                }
            }
            Db::Postgres => {
                let base = postgres_base_url();
                let name = format!("kartei_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(format!("{base}/postgres"))
                    .await
                    .expect("PostgreSQL reachable at KARTEI_TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                TestDatabase {
                    url: format!("{base}/{name}"),
                    cleanup: Cleanup::Postgres { name },
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { name } = &self.cleanup {
            let name = name.clone();
            // There is no async Drop: drop the database from a thread with a
            // runtime of its own. WITH (FORCE) ends the server's connections.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    if let Ok(admin) =
                        Database::connect(format!("{}/postgres", postgres_base_url())).await
                    {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// The settings of `config/test.toml` for `database_url`, with `overrides`
/// (pairs of dotted key and value) on top.
pub fn test_settings(database_url: &str, overrides: &[(&str, Value)]) -> Settings {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let mut figment = Settings::figment(&dir, "test")
        .merge(Serialized::default("database.url", database_url))
        .merge(Serialized::default("database.max_connections", 5));
    for (key, value) in overrides {
        figment = figment.merge(Serialized::default(key, value));
    }
    Settings::from_figment(figment, "test").expect("test settings")
}

/// A running kartei on a free port.
pub struct TestApp {
    pub address: String,
    pub state: AppState,
    /// A connection pool of the tests' own to the app's database, for
    /// looking behind the API (the app keeps its pool to itself).
    pub db: sea_orm::DatabaseConnection,
    pub http: reqwest::Client,
    /// Where the file mail transport writes `.eml` files.
    pub mail_dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
    // Dropped last: the server must let go of the database first.
    _database: TestDatabase,
}

/// The answer to a request, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status and that the body is a problem document of it.
    #[track_caller]
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.body["status"], json!(status));
        assert!(self.body["type"].is_string());
        assert!(self.body["title"].is_string());
        assert!(self.body["detail"].is_string());
        self
    }

    /// The `field` names of a 422's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    /// An empty database, migrated, and a server on it.
    pub async fn spawn(db: Db) -> TestApp {
        TestApp::spawn_with(db, &[]).await
    }

    pub async fn spawn_with(db: Db, overrides: &[(&str, Value)]) -> TestApp {
        let database = TestDatabase::create(db).await;
        let mail_dir = tempfile::tempdir().expect("mail dir");
        let mail_dir_value = json!(mail_dir.path().display().to_string());
        let mut all: Vec<(&str, Value)> = vec![("mail.file_dir", mail_dir_value)];
        all.extend(overrides.iter().cloned());
        let settings = test_settings(&database.url, &all);
        let state = kartei_api::cli::prepare(settings, Clock::system())
            .await
            .expect("app prepared");
        let db = kartei_persistence::connect(&database.url, 2)
            .await
            .expect("the tests' own pool");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("free port");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let router = kartei_api::startup::router(state.clone());
        let server = tokio::spawn(async move {
            let _ = kartei_api::startup::serve(listener, router, std::future::pending()).await;
        });
        TestApp {
            address,
            state,
            db,
            // A fresh connection per request: hyper closes a connection
            // after answering a request whose body it did not read (a 403
            // before the JSON), and a pooled client that picks that
            // connection for its next request in the same instant gets
            // IncompleteMessage (seen once in the access matrix under load).
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
            mail_dir,
            server,
            _database: database,
        }
    }

    /// A server whose SMTP relay is a port nothing listens on: every
    /// e-mail fails to go out.
    pub async fn spawn_with_unreachable_smtp(db: Db) -> TestApp {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        TestApp::spawn_with(
            db,
            &[
                ("mail.transport", json!("smtp")),
                ("mail.smtp_host", json!("127.0.0.1")),
                ("mail.smtp_port", json!(port)),
                ("mail.smtp_tls", json!("none")),
            ],
        )
        .await
    }

    /// A server with the demo organisation loaded.
    pub async fn spawn_demo(db: Db) -> TestApp {
        let app = TestApp::spawn(db).await;
        kartei_api::seed::seed_demo(&app.state)
            .await
            .expect("demo seeded");
        app
    }

    /// The database this app runs on, for a second instance beside it.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// Another kartei instance on the same database, with the same settings
    /// and clock: what a second server behind the load balancer would be.
    pub async fn second_instance(&self) -> AppState {
        let settings = (*self.state.settings).clone();
        kartei_api::startup::build_state(settings, self.state.clock.clone())
            .await
            .expect("second state")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Posts a CSV body (or anything else, by `content_type`).
    pub async fn post_text(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        self.send(
            self.request(Method::POST, path, Some(token))
                .header("content-type", content_type)
                .body(body.into()),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(self.request(Method::GET, path, Some(token)))
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path, token).json(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(self.request(Method::PUT, path, Some(token)).json(body))
            .await
    }

    pub async fn patch(
        &self,
        path: &str,
        token: &str,
        version: Option<i64>,
        body: &Value,
    ) -> Reply {
        let mut builder = self.request(Method::PATCH, path, Some(token)).json(body);
        if let Some(version) = version {
            builder = builder.header("if-match", format!("\"{version}\""));
        }
        self.send(builder).await
    }

    pub async fn login_reply(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self.login_reply(email, password).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login of {email}: {}",
            reply.text
        );
        reply.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// The access token of a demo account.
    pub async fn token_of(&self, email: &str) -> String {
        self.login(email, DEMO_PASSWORD).await
    }

    /// The id of the unit with this short code.
    pub async fn unit_id(&self, short_code: &str) -> String {
        let unit = kartei_persistence::org_units::find_by_short_code(&self.db, short_code)
            .await
            .expect("query")
            .expect("unit exists");
        unit.id.to_string()
    }
}

impl TestApp {
    /// Creates a staff account of `role` bound to the unit with `short_code`
    /// and returns its access token.
    pub async fn account(&self, email: &str, role: &str, short_code: &str) -> String {
        let admin = self.token_of(ADMIN).await;
        let unit = self.unit_id(short_code).await;
        let reply = self
            .post(
                "/api/v1/users",
                Some(&admin),
                &json!({
                    "email": email,
                    "display_name": email,
                    "role": role,
                    "org_unit_id": unit,
                    "password": "ein langes Passwort"
                }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        self.login(email, "ein langes Passwort").await
    }

    /// Runs one step of the outbox worker.
    pub async fn deliver_mail(&self) -> kartei_app::jobs::outbox::DeliveryReport {
        kartei_app::jobs::outbox::deliver_due(&self.state.app, &self.state.mailer)
            .await
            .expect("outbox step")
    }

    /// The `.eml` files the file transport wrote.
    pub fn written_mails(&self) -> Vec<String> {
        read_dir_texts(self.mail_dir.path())
    }

    /// A valid registration body; `changes` replaces fields.
    pub fn declaration(&self, changes: Value) -> Value {
        let today = kartei_api::local_time::local_date(self.state.clock.now());
        let received = today - chrono::Duration::days(1);
        let mut body = json!({
            "received_on": received.to_string(),
            "channel": "paper",
            "first_name": "Anna",
            "last_name": "Schmidt",
            "date_of_birth": "1990-04-12",
            "email": "anna.schmidt@example.org",
            "phone": "0351 1234567",
            "street": "Hauptstraße 1",
            "postal_code": "01067",
            "city": "Dresden",
            "interests": ["Bildung", "Umwelt"],
            "notes": "kam über den Infostand"
        });
        if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
            for (key, value) in changes {
                body.insert(key.clone(), value.clone());
            }
        }
        body
    }

    /// Registers a declaration as `token`; asserts 201 and returns the body.
    pub async fn register(&self, token: &str, changes: Value) -> Value {
        let body = self.declaration(changes);
        let reply = self.post("/api/v1/applications", Some(token), &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body
    }

    /// Posts a transition and returns the reply.
    pub async fn transition(&self, token: &str, id: &str, step: &str, body: Value) -> Reply {
        self.post(
            &format!("/api/v1/applications/{id}/{step}"),
            Some(token),
            &body,
        )
        .await
    }

    /// Counts the rows of `table`.
    pub async fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .await
    }

    /// The integer column `n` of the first row of `sql`.
    pub async fn scalar(&self, sql: &str) -> i64 {
        use sea_orm::Statement;
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(backend, sql.to_owned()))
            .await
            .expect("query")
            .expect("row");
        row.try_get("", "n").expect("n")
    }
}

fn read_dir_texts(dir: &Path) -> Vec<String> {
    let mut texts = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return texts;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            texts.extend(read_dir_texts(&path));
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            texts.push(text);
        }
    }
    texts
}

/// A real SMTP server (Python's aiosmtpd) on a free local port, writing what
/// it receives into a Maildir. It can be stopped and started again on the
/// same port.
pub struct SmtpServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut server = SmtpServer {
            port,
            maildir: tempfile::tempdir().expect("maildir"),
            child: None,
        };
        server.resume().await;
        server
    }

    /// Starts the server (again) on its port and waits until it answers.
    pub async fn resume(&mut self) {
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The settings that send through this server.
    pub fn settings(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("mail.transport", json!("smtp")),
            ("mail.smtp_host", json!("127.0.0.1")),
            ("mail.smtp_port", json!(self.port)),
            ("mail.smtp_tls", json!("none")),
        ]
    }

    /// Every message received, as text.
    pub fn messages(&self) -> Vec<String> {
        read_dir_texts(&self.maildir.path().join("mail"))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The Message-ID header of a mail.
/// Parses what kartei writes for Excel: a BOM, `;` between cells, the
/// header row as the first record.
pub fn read_excel_csv(text: &str) -> Vec<Vec<String>> {
    let body = text.strip_prefix('\u{feff}').expect("UTF-8 BOM");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| {
            r.expect("well-formed CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

pub fn message_id(mail: &str) -> Option<String> {
    header(mail, "message-id")
}

/// A header of a mail, unfolded, with RFC 2047 UTF-8 words decoded.
pub fn header(mail: &str, name: &str) -> Option<String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let mut lines = mail
        .lines()
        .skip_while(|line| !line.to_ascii_lowercase().starts_with(&prefix));
    let first = lines.next()?;
    let mut raw = first[prefix.len()..].trim().to_owned();
    for continuation in lines.take_while(|line| line.starts_with(' ') || line.starts_with('\t')) {
        raw.push(' ');
        raw.push_str(continuation.trim());
    }
    Some(decode_words(&raw))
}

fn decode_words(raw: &str) -> String {
    use base64::Engine;
    // Whitespace between two encoded words is not part of the text.
    let mut out = String::new();
    let mut previous_encoded = false;
    for (index, word) in raw.split(' ').enumerate() {
        let lower = word.to_ascii_lowercase();
        let encoded = lower.starts_with("=?utf-8?b?") && word.ends_with("?=");
        if index > 0 && !(encoded && previous_encoded) {
            out.push(' ');
        }
        if encoded {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&word[10..word.len() - 2])
                .unwrap_or_default();
            out.push_str(&String::from_utf8_lossy(&bytes));
        } else {
            out.push_str(word);
        }
        previous_encoded = encoded;
    }
    out
}

/// The decoded text body of a single-part mail.
pub fn body_text(mail: &str) -> String {
    let normalized = mail.replace("\r\n", "\n");
    let (headers, body) = normalized.split_once("\n\n").unwrap_or((&normalized, ""));
    let encoding = header(headers, "content-transfer-encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if encoding == "base64" {
        use base64::Engine;
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .unwrap_or_default();
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    if encoding == "quoted-printable" {
        let joined = body.replace("=\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(byte);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        return String::from_utf8_lossy(&out).into_owned();
    }
    body.to_owned()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub const ADMIN: &str = "admin@kartei.example";
pub const STATE_OFFICE: &str = "lgs@kartei.example";
pub const DISTRICT_DRESDEN: &str = "kv-dresden@kartei.example";
pub const BRANCH_NEUSTADT: &str = "ov-dresden-neustadt@kartei.example";
pub const BOARD: &str = "vorstand@kartei.example";
