//! Benchmark: the entry-lag reports on generated data, over HTTP against
//! the real router, next to the same SQL run bare through the driver (and,
//! on PostgreSQL, the server's own execution time from EXPLAIN ANALYZE).
//!
//!     cargo bench -p kartei-tests --bench reports
//!
//! `KARTEI_BENCH_DATABASES` (default `sqlite,postgres`) picks the
//! databases. Defaults: SQLite 100,000 members and 25,000 applications,
//! PostgreSQL 2,000,000 members and 500,000 applications;
//! `KARTEI_BENCH_MEMBERS` and `KARTEI_BENCH_APPLICATIONS` set both.
//! Results go to standard output as Markdown; `docs/benchmarks.md` keeps
//! them.

use std::time::Instant;

use chrono::Duration;
use kartei_api::local_time;
use kartei_api::synthetic::{Plan, generate};
use kartei_app::onboarding;
use kartei_persistence::applications::{UnitFilter, open_by_age_statement};
use kartei_persistence::reports::{
    Grouping, LagQuery, Source, entry_lag_statements, trend_statements,
};
use kartei_tests::bench::{SAMPLES, peak_rss_mib, time, time_query};
use kartei_tests::{DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp};
use sea_orm::{ConnectionTrait, Statement};

async fn bare(app: &TestApp, statements: &[Statement]) -> (f64, f64) {
    time(SAMPLES, || async {
        for statement in statements {
            app.db
                .query_all_raw(statement.clone())
                .await
                .expect("statement runs");
        }
    })
    .await
}

/// The server-side execution time of `statements` on PostgreSQL, summed.
async fn explain_ms(app: &TestApp, statements: &[Statement]) -> Option<f64> {
    let db = &app.db;
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return None;
    }
    let mut total = 0.0;
    for statement in statements {
        let mut explained = statement.clone();
        explained.sql = format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", statement.sql);
        let row = db
            .query_one_raw(explained)
            .await
            .expect("explain runs")
            .expect("a plan");
        let plan: serde_json::Value = row.try_get_by_index(0).expect("json plan");
        total += plan[0]["Execution Time"].as_f64().unwrap_or(f64::NAN);
    }
    Some(total)
}

async fn run(db: Db, members: u64, applications: u64) {
    let app = TestApp::spawn(db).await;
    println!("\n### {db:?}, {members} members, {applications} applications\n");
    let started = Instant::now();
    let done = generate(
        &app.state,
        &Plan {
            members,
            applications,
            years: 5,
            seed: 1,
        },
    )
    .await
    .expect("data generated");
    println!(
        "generated {} members and {} applications ({} open) in {:.1} s (wall {:.1} s); peak memory {:.0} MiB\n",
        done.members,
        done.applications,
        done.open_applications,
        done.seconds,
        started.elapsed().as_secs_f64(),
        peak_rss_mib()
    );

    let today = local_time::local_date(app.state.clock.now());
    let from = today - Duration::days(364);
    let query = |grouping| LagQuery {
        from,
        to: today,
        grouping,
        today,
        overdue: onboarding::overdue_cutoffs(&app.state.app, today),
        escalated: onboarding::escalation_cutoffs(&app.state.app, today),
    };
    let backend = app.db.get_database_backend();
    let dresden = app.unit_id("DD").await;
    let dresden_id: uuid::Uuid = dresden.parse().expect("uuid");
    let period = format!("from={from}&to={today}");

    let all = query(Grouping::Districts { only: None });
    let branches = query(Grouping::Branches {
        district: dresden_id,
    });
    let cases: Vec<(&str, &str, String, Vec<Statement>)> = vec![
        (
            "entry-lag, one year, all districts",
            STATE_OFFICE,
            format!("/api/v1/reports/entry-lag?{period}"),
            entry_lag_statements(backend, &all, Source::Rollup),
        ),
        (
            "entry-lag, one year, as CSV",
            STATE_OFFICE,
            format!("/api/v1/reports/entry-lag?{period}&format=csv"),
            entry_lag_statements(backend, &all, Source::Rollup),
        ),
        (
            "entry-lag, one year, branches of Dresden",
            STATE_OFFICE,
            format!("/api/v1/reports/entry-lag?{period}&org_unit_id={dresden}"),
            entry_lag_statements(backend, &branches, Source::Rollup),
        ),
        (
            "trend, one year, all districts",
            STATE_OFFICE,
            format!("/api/v1/reports/entry-lag/trend?{period}"),
            trend_statements(backend, &all, Source::Rollup),
        ),
        (
            "trend, one year, as SVG",
            STATE_OFFICE,
            format!("/api/v1/reports/entry-lag/trend?{period}&format=svg"),
            trend_statements(backend, &all, Source::Rollup),
        ),
        (
            "unentered, first page, state office",
            STATE_OFFICE,
            "/api/v1/reports/unentered?limit=50".into(),
            vec![open_by_age_statement(backend, UnitFilter::All, None, 50)],
        ),
        (
            "unentered, first page, Dresden",
            DISTRICT_DRESDEN,
            "/api/v1/reports/unentered?limit=50".into(),
            vec![open_by_age_statement(
                backend,
                UnitFilter::District(dresden_id),
                None,
                50,
            )],
        ),
    ];
    println!(
        "| {SAMPLES} runs each | HTTP median | HTTP p95 | bare SQL median | HTTP / bare | server execution (EXPLAIN ANALYZE) |"
    );
    println!("|---|---|---|---|---|---|");
    for (label, who, path, statements) in cases {
        let token = app.token_of(who).await;
        let (median, p95, _) = time_query(&app, &token, &path).await;
        let (bare_median, _) = bare(&app, &statements).await;
        let server = explain_ms(&app, &statements)
            .await
            .map_or_else(|| "–".to_owned(), |ms| format!("{ms:.1} ms"));
        println!(
            "| {label} | {median:.1} ms | {p95:.1} ms | {bare_median:.1} ms | {:.2} | {server} |",
            median / bare_median
        );
    }
    println!(
        "\n| the same figures straight from the applications and members (the reference the rollup is tested against) | bare SQL median | server execution |"
    );
    println!("|---|---|---|");
    for (label, statements) in [
        (
            "entry-lag, one year, all districts",
            entry_lag_statements(backend, &all, Source::Raw),
        ),
        (
            "entry-lag, one year, branches of Dresden",
            entry_lag_statements(backend, &branches, Source::Raw),
        ),
        (
            "trend, one year, all districts",
            trend_statements(backend, &all, Source::Raw),
        ),
    ] {
        let (bare_median, _) = bare(&app, &statements).await;
        let server = explain_ms(&app, &statements)
            .await
            .map_or_else(|| "–".to_owned(), |ms| format!("{ms:.1} ms"));
        println!("| {label} | {bare_median:.1} ms | {server} |");
    }
    println!(
        "\npeak memory of the process (server and client): {:.0} MiB",
        peak_rss_mib()
    );
}

fn from_env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let databases =
        std::env::var("KARTEI_BENCH_DATABASES").unwrap_or_else(|_| "sqlite,postgres".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for name in databases.split(',') {
        let (db, members, applications) = match name.trim() {
            "sqlite" => (Db::Sqlite, 100_000, 25_000),
            "postgres" => (Db::Postgres, 2_000_000, 500_000),
            other => panic!("unknown database {other}"),
        };
        let members = from_env("KARTEI_BENCH_MEMBERS").unwrap_or(members);
        let applications = from_env("KARTEI_BENCH_APPLICATIONS").unwrap_or(applications);
        runtime.block_on(run(db, members, applications));
    }
}
