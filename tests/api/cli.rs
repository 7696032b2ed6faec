//! The command line, run in-process with the test's settings.

use clap::Parser;
use kartei_api::cli::{Cli, run_with};
use kartei_api::config::Settings;
use kartei_tests::{Db, TestApp, TestDatabase, on_both_databases, test_settings};
use serde_json::json;

async fn kartei(database_url: &str, args: &[&str], stdin: &str) -> anyhow::Result<()> {
    let cli = Cli::try_parse_from(std::iter::once("kartei").chain(args.iter().copied()))?;
    run_with(cli, test_settings(database_url, &[]), &mut stdin.as_bytes()).await
}

on_both_databases!(
    migrate_seed_demo_and_user_add,
    user_add_refuses_bad_input,
    serve_loads_the_demo_into_an_empty_database_only_when_asked,
    generate_fills_the_database_with_synthetic_history,
    production_refuses_the_demo_commands,
);

async fn migrate_seed_demo_and_user_add(db: Db) {
    let database = TestDatabase::create(db).await;
    kartei(&database.url, &["migrate"], "")
        .await
        .expect("migrate");
    kartei(&database.url, &["migrate"], "")
        .await
        .expect("migrate twice");
    kartei(&database.url, &["seed-demo"], "")
        .await
        .expect("seed");
    // Seeding again changes nothing.
    kartei(&database.url, &["seed-demo"], "")
        .await
        .expect("seed twice");
    kartei(
        &database.url,
        &[
            "user",
            "add",
            "--email",
            "kv-chemnitz@kartei.example",
            "--name",
            "KGS Chemnitz",
            "--role",
            "district_office",
            "--org-unit",
            "C",
            "--password-stdin",
        ],
        "ein langes Passwort\n",
    )
    .await
    .expect("user add");

    let db_conn = kartei_persistence::connect(&database.url, 2)
        .await
        .expect("connect");
    let units = kartei_persistence::org_units::count(&db_conn)
        .await
        .expect("count");
    assert_eq!(units, 17);
    let chemnitz = kartei_persistence::org_units::find_by_short_code(&db_conn, "C")
        .await
        .expect("query")
        .expect("Chemnitz");
    let email = kartei_domain::EmailAddress::parse("kv-chemnitz@kartei.example").expect("email");
    let (account, _) = kartei_persistence::users::find_for_login(&db_conn, &email)
        .await
        .expect("query")
        .expect("created");
    assert_eq!(account.org_unit_id, Some(chemnitz.id));
    assert_eq!(account.role, kartei_domain::Role::DistrictOffice);
    db_conn.close().await.ok();
}

async fn user_add_refuses_bad_input(db: Db) {
    let database = TestDatabase::create(db).await;
    kartei(&database.url, &["seed-demo"], "")
        .await
        .expect("seed");
    let base = [
        "user",
        "add",
        "--email",
        "neu@kartei.example",
        "--name",
        "Neu",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    let no_stdin = kartei(
        &database.url,
        &with(&["--role", "board"]),
        "ein langes Passwort\n",
    )
    .await;
    assert!(no_stdin.is_err_and(|e| e.to_string().contains("--password-stdin")));
    let bad_role = kartei(
        &database.url,
        &with(&["--role", "king", "--password-stdin"]),
        "ein langes Passwort\n",
    )
    .await;
    assert!(bad_role.is_err());
    let short = kartei(
        &database.url,
        &with(&["--role", "board", "--password-stdin"]),
        "kurz\n",
    )
    .await;
    assert!(short.is_err_and(|e| e.to_string().contains("password")));
    let wrong_unit = kartei(
        &database.url,
        &with(&[
            "--role",
            "district_office",
            "--org-unit",
            "DD-NEU",
            "--password-stdin",
        ]),
        "ein langes Passwort\n",
    )
    .await;
    assert!(wrong_unit.is_err_and(|e| e.to_string().contains("org_unit_id")));
    let unknown_unit = kartei(
        &database.url,
        &with(&[
            "--role",
            "district_office",
            "--org-unit",
            "XX",
            "--password-stdin",
        ]),
        "ein langes Passwort\n",
    )
    .await;
    assert!(unknown_unit.is_err());
}

async fn serve_loads_the_demo_into_an_empty_database_only_when_asked(db: Db) {
    let app = TestApp::spawn_with(db, &[("demo.seed_on_empty", json!(true))]).await;
    // The printed credentials work.
    let token = app.token_of(kartei_tests::ADMIN).await;
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.body["role"], "admin");
    // And an office at work: a year of members and declarations, some
    // still open in every stage, some of them overdue.
    assert!(app.count("members").await >= 4000);
    assert_eq!(app.count("applications").await, 2000);
    for status in ["routed", "handed_over", "contacted"] {
        let open = app
            .scalar(&format!(
                "SELECT COUNT(*) AS n FROM applications WHERE status = '{status}'"
            ))
            .await;
        assert!(open > 0, "none {status}");
    }
    let lgs = app.token_of(kartei_tests::STATE_OFFICE).await;
    let overdue = app.get("/api/v1/applications?overdue=true", &lgs).await;
    assert!(
        !overdue.body["items"].as_array().expect("items").is_empty(),
        "none overdue"
    );

    let bare = TestApp::spawn(db).await;
    assert_eq!(
        kartei_persistence::org_units::count(&bare.db)
            .await
            .expect("count"),
        0
    );
}

async fn generate_fills_the_database_with_synthetic_history(db: Db) {
    let database = TestDatabase::create(db).await;
    kartei(&database.url, &["migrate"], "")
        .await
        .expect("migrate");
    kartei(
        &database.url,
        &[
            "generate",
            "--members",
            "120",
            "--applications",
            "80",
            "--years",
            "1",
        ],
        "",
    )
    .await
    .expect("generate");
    let conn = kartei_persistence::connect(&database.url, 2)
        .await
        .expect("connect");
    assert_eq!(
        kartei_persistence::org_units::count(&conn)
            .await
            .expect("units"),
        17
    );
    let count = |table: &'static str| {
        let conn = conn.clone();
        async move {
            use sea_orm::ConnectionTrait;
            let row = conn
                .query_one_raw(sea_orm::Statement::from_string(
                    conn.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM {table}"),
                ))
                .await
                .expect("count")
                .expect("row");
            row.try_get::<i64>("", "n").expect("n")
        }
    };
    assert_eq!(count("applications").await, 80);
    assert_eq!(count("members").await, 120);
    kartei(&database.url, &["generate", "--members", "x"], "")
        .await
        .expect_err("a number is needed");
    conn.close().await.expect("closed");
}

/// Settings a production installation could start with, on `database_url`.
fn production_settings(database_url: &str) -> Settings {
    use figment::providers::Serialized;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let figment = Settings::figment(&dir, "production")
        .merge(Serialized::default("database.url", database_url))
        .merge(Serialized::default(
            "auth.jwt_secret",
            "a-real-secret-of-enough-length-0123456789",
        ))
        .merge(Serialized::default("mail.smtp_host", "relay.example.org"));
    Settings::from_figment(figment, "production").expect("production settings")
}

async fn production_refuses_the_demo_commands(db: Db) {
    let database = TestDatabase::create(db).await;
    let run = |args: &'static [&'static str]| {
        let settings = production_settings(&database.url);
        async move {
            let cli = Cli::try_parse_from(std::iter::once("kartei").chain(args.iter().copied()))
                .expect("arguments");
            run_with(cli, settings, &mut "".as_bytes()).await
        }
    };
    run(&["migrate"][..]).await.expect("production may migrate");
    for command in [&["seed-demo"][..], &["generate", "--members", "10"][..]] {
        let err = run(command)
            .await
            .expect_err("refused in production")
            .to_string();
        assert!(err.contains("production"), "{err}");
    }
    // Nothing was loaded.
    let conn = kartei_persistence::connect(&database.url, 2)
        .await
        .expect("connect");
    assert_eq!(
        kartei_persistence::org_units::count(&conn)
            .await
            .expect("count"),
        0
    );
    conn.close().await.ok();
    // Outside production the same command loads the demo.
    kartei(&database.url, &["seed-demo"], "")
        .await
        .expect("seeded in test");
}
