//! The entry-lag reports with figures worked out by hand: known received and
//! entered dates give known medians, percentiles, overdue counts and stage
//! lags; who sees which units; CSV and SVG that tools can read.

use chrono::{Datelike, Duration, Months, NaiveDate};
use kartei_tests::{
    ADMIN, BOARD, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases,
    read_excel_csv,
};
use reqwest::Method;
use serde_json::{Value, json};

use kartei_tests::members::enter;

on_both_databases!(
    entry_lag_figures_match_the_hand_computed_ones,
    branch_rows_split_a_district,
    reports_are_scoped_by_role,
    the_report_reads_as_german_excel_csv,
    unentered_lists_members_by_statute_first_in_pages,
    the_trend_gives_monthly_medians_and_a_chart,
    metrics_gauge_open_overdue_and_escalated_per_district,
    bad_report_parameters_are_refused,
    generated_history_is_consistent_and_reported_whole,
    the_rollup_agrees_with_the_straightforward_query,
);

fn today(app: &TestApp) -> NaiveDate {
    kartei_api::local_time::local_date(app.state.clock.now())
}

fn days_ago(app: &TestApp, days: i64) -> String {
    (today(app) - Duration::days(days)).to_string()
}

fn id(body: &Value) -> String {
    body["id"].as_str().expect("id").to_owned()
}

/// Moves the clock on by `days` and logs in again (tokens expire).
async fn next_days(app: &TestApp, days: i64, who: &str) -> String {
    app.state.clock.advance(Duration::days(days));
    app.token_of(who).await
}

fn row<'a>(report: &'a Value, short_code: &str) -> &'a Value {
    report["items"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["short_code"] == short_code))
        .unwrap_or_else(|| panic!("no row {short_code} in {report}"))
}

fn stage<'a>(unit: &'a Value, name: &str) -> &'a Value {
    unit["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["stage"] == name))
        .unwrap_or_else(|| panic!("no stage {name} in {unit}"))
}

/// Direct entries in the Neustadt branch received 10, 20, 30 and 40 days
/// ago (entered today): lags 10, 20, 30, 40.
async fn four_direct_entries(app: &TestApp) {
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let branch = app.unit_id("DD-NEU").await;
    for (n, days) in [10, 20, 30, 40].into_iter().enumerate() {
        enter(
            app,
            &dd,
            &branch,
            json!({
                "first_name": format!("Person{n}"),
                "email": format!("p{n}@example.org"),
                "received_on": days_ago(app, days),
                "joined_on": days_ago(app, 0),
            }),
        )
        .await;
    }
}

/// The scenario of the hand-computed figures. Day D is the day it starts;
/// the report is read on D+7.
///
/// - four direct entries (lags 10, 20, 30, 40), in the Neustadt branch;
/// - A1 received D-2, registered D, handed over D+1, contacted D+3,
///   admitted D+7: stage lags 2, 1, 2, 4, entry lag 9;
/// - A2 received and registered D, never handed over: 7 days in hand-over
///   (level 3, twice 6): escalated;
/// - A6 received and registered D, withdrawn D+1;
/// - A3 received D-13, registered D+7: open, on time (20 days, level 28);
/// - A4 received D-23, registered D+7: entry clock 30 > 28: overdue;
/// - A5 from Berlin, received D+7: no district, in the manual queue.
async fn scenario(app: &TestApp) {
    four_direct_entries(app).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let person = |name: &str, received: String| json!({ "first_name": name, "email": null, "received_on": received, "postal_code": "01067" });
    let a1 = id(&app.register(&lgs, person("Eins", days_ago(app, 2))).await);
    app.register(&lgs, person("Zwei", days_ago(app, 0))).await;
    let a6 = id(&app.register(&lgs, person("Sechs", days_ago(app, 0))).await);

    let dd = next_days(app, 1, DISTRICT_DRESDEN).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let reply = app.transition(&dd, &a1, "handover", json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = app
        .transition(
            &lgs,
            &a6,
            "withdrawal",
            json!({ "withdrawn_on": days_ago(app, 0) }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let dd = next_days(app, 2, DISTRICT_DRESDEN).await;
    let reply = app
        .transition(
            &dd,
            &a1,
            "contact",
            json!({ "contacted_on": days_ago(app, 0), "channel": "phone" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let dd = next_days(app, 4, DISTRICT_DRESDEN).await;
    let reply = app
        .transition(
            &dd,
            &a1,
            "decision",
            json!({ "decision": "admitted", "decided_on": days_ago(app, 0) }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let lgs = app.token_of(STATE_OFFICE).await;
    app.register(&lgs, person("Drei", days_ago(app, 20))).await;
    app.register(&lgs, person("Vier", days_ago(app, 30))).await;
    app.register(
        &lgs,
        json!({ "first_name": "Fünf", "email": null, "postal_code": "10115", "city": "Berlin", "received_on": days_ago(app, 0) }),
    )
    .await;
}

fn period(app: &TestApp) -> String {
    format!("from={}&to={}", days_ago(app, 90), days_ago(app, 0))
}

async fn entry_lag_figures_match_the_hand_computed_ones(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    scenario(&app).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let reply = app
        .get(&format!("/api/v1/reports/entry-lag?{}", period(&app)), &lgs)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let report = &reply.body;
    assert_eq!(report["group_by"], "district");
    assert_eq!(report["as_of"], days_ago(&app, 0));

    let dd = row(report, "DD");
    // Entered: lags 9, 10, 20, 30, 40. Median the third; p90 at rank
    // 1 + 4 * 0.9 = 4.6: 30 + 0.6 * (40 - 30) = 36.
    for (field, expected) in [
        ("received", json!(9)),
        ("entered", json!(5)),
        ("open", json!(3)),
        ("overdue", json!(2)),
        ("escalated", json!(1)),
        ("median_lag_days", json!(20.0)),
        ("p90_lag_days", json!(36.0)),
        ("oldest_open_days", json!(30)),
    ] {
        assert_eq!(dd[field], expected, "DD {field}: {dd}");
    }
    // Registration lags 0, 0, 2, 20, 30: median 2, p90 20 + 0.6 * 10 = 26.
    let registration = stage(dd, "registration");
    assert_eq!(registration["completed"], 5);
    assert_eq!(registration["median_lag_days"], 2.0);
    assert_eq!(registration["p90_lag_days"], 26.0);
    assert_eq!(registration["open"], 0);
    let handover = stage(dd, "handover");
    assert_eq!(handover["completed"], 1);
    assert_eq!(handover["median_lag_days"], 1.0);
    assert_eq!(handover["open"], 3);
    assert_eq!(handover["overdue"], 2);
    assert_eq!(handover["escalated"], 1);
    assert_eq!(handover["oldest_open_days"], 7);
    assert_eq!(stage(dd, "contact")["median_lag_days"], 2.0);
    assert_eq!(stage(dd, "decision")["median_lag_days"], 4.0);
    assert_eq!(stage(dd, "decision")["open"], 0);

    // A district with nothing: a row of zeros, no lag.
    let leipzig = row(report, "L");
    assert_eq!(leipzig["received"], 0);
    assert_eq!(leipzig["median_lag_days"], Value::Null);
    assert_eq!(leipzig["oldest_open_days"], Value::Null);
    // The manual queue of the state office.
    let queue = row(report, "SN");
    assert_eq!(queue["kind"], "state");
    assert_eq!(
        (queue["received"].clone(), queue["open"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(queue["oldest_open_days"], 0);

    // The period is on received_on: the last 25 days hold only A2, A6, A3
    // and the lags 9 (A1, received D-2 = 9 days ago) and 10.
    let recent = app
        .get(
            &format!(
                "/api/v1/reports/entry-lag?from={}&to={}",
                days_ago(&app, 20),
                days_ago(&app, 0)
            ),
            &lgs,
        )
        .await;
    let dd = row(&recent.body, "DD");
    assert_eq!(dd["received"], 5, "{dd}");
    assert_eq!(dd["entered"], 2);
    assert_eq!(dd["median_lag_days"], 9.5);
    assert_eq!(dd["open"], 2);
}

async fn branch_rows_split_a_district(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    scenario(&app).await;
    let dd_id = app.unit_id("DD").await;
    for who in [STATE_OFFICE, DISTRICT_DRESDEN, BOARD] {
        let token = app.token_of(who).await;
        let reply = app
            .get(
                &format!(
                    "/api/v1/reports/entry-lag?{}&org_unit_id={dd_id}",
                    period(&app)
                ),
                &token,
            )
            .await;
        assert_eq!(reply.status, 200, "{who}: {}", reply.text);
        assert_eq!(reply.body["group_by"], "local");
        // The branch: lags 10, 20, 30, 40: median 25, p90 30 + 0.7 * 10 = 37.
        let branch = row(&reply.body, "DD-NEU");
        assert_eq!(branch["received"], 4);
        assert_eq!(branch["entered"], 4);
        assert_eq!(branch["median_lag_days"], 25.0);
        assert_eq!(branch["p90_lag_days"], 37.0);
        assert_eq!(branch["open"], 0);
        // What the district holds without a branch.
        let own = row(&reply.body, "DD");
        assert_eq!(own["kind"], "district");
        assert_eq!(own["received"], 5);
        assert_eq!(own["entered"], 1);
        assert_eq!(own["median_lag_days"], 9.0);
        assert!(
            reply.body["items"]
                .as_array()
                .is_some_and(|rows| rows.iter().all(|r| r["short_code"] != "L"))
        );
    }
}

async fn reports_are_scoped_by_role(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    scenario(&app).await;
    let path = format!("/api/v1/reports/entry-lag?{}", period(&app));

    // The board: every district, figures only.
    let board = app.token_of(BOARD).await;
    let reply = app.get(&path, &board).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["items"].as_array().map(Vec::len), Some(14));
    for name in ["Eins", "Zwei", "Person0", "Berlin", "01067"] {
        assert!(!reply.text.contains(name), "board report shows {name}");
    }
    let trend = app
        .get(
            &format!("/api/v1/reports/entry-lag/trend?{}", period(&app)),
            &board,
        )
        .await;
    assert_eq!(trend.status, 200, "{}", trend.text);
    app.get("/api/v1/reports/unentered", &board)
        .await
        .assert_problem(403);

    // A district office: its own district only.
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let reply = app.get(&path, &dd).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = reply.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1, "{}", reply.text);
    assert_eq!(rows[0]["short_code"], "DD");
    assert_eq!(rows[0]["received"], 9);
    let leipzig = app.unit_id("L").await;
    let sn = app.unit_id("SN").await;
    for unit in [leipzig, sn] {
        app.get(&format!("{path}&org_unit_id={unit}"), &dd)
            .await
            .assert_problem(404);
    }
    let other = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let reply = app.get(&path, &other).await;
    assert_eq!(row(&reply.body, "L")["received"], 0);
    let unentered = app.get("/api/v1/reports/unentered", &other).await;
    assert_eq!(unentered.body["items"], json!([]));

    // A branch reads its own open declarations but no lag report.
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    app.get(&path, &branch).await.assert_problem(403);
    let own = app.get("/api/v1/reports/unentered", &branch).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.body["items"], json!([]));
    let lgs = app.token_of(STATE_OFFICE).await;
    let open_dd = app
        .register(&lgs, json!({ "postal_code": "01097", "email": null }))
        .await;
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let own = app.get("/api/v1/reports/unentered", &branch).await;
    assert_eq!(own.body["items"][0]["id"], open_dd["id"]);
    assert_eq!(own.body["items"].as_array().map(Vec::len), Some(1));

    // The state office and admin see everything; nobody without a token.
    for who in [STATE_OFFICE, ADMIN] {
        let token = app.token_of(who).await;
        assert_eq!(app.get(&path, &token).await.status, 200);
        let all = app.get("/api/v1/reports/unentered", &token).await;
        assert_eq!(all.body["items"].as_array().map(Vec::len), Some(5));
    }
    for path in [
        path.as_str(),
        "/api/v1/reports/entry-lag/trend",
        "/api/v1/reports/unentered",
    ] {
        app.send(app.request(Method::GET, path, None))
            .await
            .assert_problem(401);
    }
}

async fn the_report_reads_as_german_excel_csv(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    scenario(&app).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let reply = app
        .get(
            &format!("/api/v1/reports/entry-lag?{}&format=csv", period(&app)),
            &lgs,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.content_type().starts_with("text/csv"));
    let rows = read_excel_csv(&reply.text);
    let header = &rows[0];
    assert_eq!(
        header[..4],
        ["org_unit_id", "short_code", "name", "received"]
    );
    assert!(header.contains(&"handover_overdue".to_owned()));
    assert_eq!(rows.len(), 1 + 14);
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let dd = rows.iter().find(|r| r[1] == "DD").expect("DD row");
    assert_eq!(dd[column("received")], "9");
    assert_eq!(dd[column("median_lag_days")], "20");
    assert_eq!(dd[column("registration_p90_lag_days")], "26");
    assert_eq!(dd[column("handover_escalated")], "1");

    // A fraction is written with a decimal comma.
    let recent = app
        .get(
            &format!(
                "/api/v1/reports/entry-lag?from={}&to={}&format=csv",
                days_ago(&app, 20),
                days_ago(&app, 0)
            ),
            &lgs,
        )
        .await;
    let rows = read_excel_csv(&recent.text);
    let dd = rows.iter().find(|r| r[1] == "DD").expect("DD row");
    assert_eq!(dd[column("median_lag_days")], "9,5");

    let unentered = app.get("/api/v1/reports/unentered?format=csv", &lgs).await;
    assert_eq!(unentered.status, 200);
    assert!(unentered.content_type().starts_with("text/csv"));
    let rows = read_excel_csv(&unentered.text);
    assert_eq!(rows[0][..4], ["id", "received_on", "status", "stage"]);
    assert_eq!(rows.len(), 1 + 4);
}

async fn unentered_lists_members_by_statute_first_in_pages(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let mut ids = Vec::new();
    for (name, days) in [("Neu", 5), ("Alt", 50), ("Mittel", 20)] {
        let body =
            json!({ "first_name": name, "email": null, "received_on": days_ago(&app, days) });
        ids.push(id(&app.register(&lgs, body).await));
    }
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let first = app.get("/api/v1/reports/unentered?limit=2", &dd).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let items = first.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2);
    let old = &items[0];
    assert_eq!(old["id"], ids[1].as_str());
    assert_eq!(old["member_by_statute"], true);
    assert_eq!(old["objection_deadline"], days_ago(&app, 8));
    assert_eq!(old["days_waiting"], 50);
    assert_eq!(old["stage"], "handover");
    assert_eq!(old["stage_days"], 0);
    // Entry clock 50: past 28, not past 56.
    assert_eq!(
        (old["overdue"].clone(), old["escalated"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(old["first_name"], "Alt");
    assert_eq!(items[1]["id"], ids[2].as_str());
    assert_eq!(items[1]["member_by_statute"], false);
    assert_eq!(items[1]["overdue"], false);

    let cursor = first.body["next_cursor"].as_str().expect("a next page");
    let second = app
        .get(
            &format!("/api/v1/reports/unentered?limit=2&cursor={cursor}"),
            &dd,
        )
        .await;
    let items = second.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], ids[0].as_str());
    assert_eq!(second.body["next_cursor"], Value::Null);

    // Entered or closed declarations leave the list.
    let reply = app
        .transition(
            &lgs,
            &ids[1],
            "withdrawal",
            json!({ "withdrawn_on": days_ago(&app, 0) }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let after = app.get("/api/v1/reports/unentered", &dd).await;
    assert_eq!(after.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(after.body["items"][0]["id"], ids[2].as_str());
}

async fn the_trend_gives_monthly_medians_and_a_chart(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let branch = app.unit_id("DD-NEU").await;
    let today = today(&app);
    let this_month = today.with_day(1).expect("first of the month");
    let last_month = this_month - Months::new(1);
    // Last month: received on its 1st, 3rd and 5th, entered today.
    let lag = |received: NaiveDate| (today - received).num_days() as f64;
    let mut received = vec![
        last_month,
        last_month + Duration::days(2),
        last_month + Duration::days(4),
    ];
    received.push(this_month);
    for (n, day) in received.iter().enumerate() {
        enter(
            &app,
            &dd,
            &branch,
            json!({
                "first_name": format!("T{n}"),
                "email": format!("t{n}@example.org"),
                "received_on": day.to_string(),
                "joined_on": today.to_string(),
            }),
        )
        .await;
    }
    let from = this_month - Months::new(3);
    let path = format!("/api/v1/reports/entry-lag/trend?from={from}&to={today}");
    let lgs = app.token_of(STATE_OFFICE).await;
    let reply = app.get(&path, &lgs).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let dd_trend = row(&reply.body, "DD");
    let months = dd_trend["months"].as_array().cloned().unwrap_or_default();
    assert_eq!(months.len(), 4);
    assert_eq!(months[0]["month"], from.format("%Y-%m").to_string());
    assert_eq!(months[0]["median_lag_days"], Value::Null);
    assert_eq!(months[0]["entered"], 0);
    assert_eq!(months[2]["entered"], 3);
    assert_eq!(months[2]["median_lag_days"], json!(lag(received[1])));
    assert_eq!(months[3]["median_lag_days"], json!(lag(this_month)));
    assert_eq!(
        row(&reply.body, "L")["months"][3]["median_lag_days"],
        Value::Null
    );

    let csv = app.get(&format!("{path}&format=csv"), &lgs).await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.content_type().starts_with("text/csv"));
    let rows = read_excel_csv(&csv.text);
    assert_eq!(
        rows[0],
        [
            "org_unit_id",
            "short_code",
            "name",
            "month",
            "entered",
            "median_lag_days"
        ]
    );
    // Fourteen units, four months each.
    assert_eq!(rows.len(), 1 + 14 * 4);
    let last_month_label = last_month.format("%Y-%m").to_string();
    let dd_last = rows
        .iter()
        .find(|r| r[1] == "DD" && r[3] == last_month_label)
        .expect("DD, last month");
    assert_eq!(dd_last[4], "3");
    assert_eq!(dd_last[5], lag(received[1]).to_string());

    let svg = app.get(&format!("{path}&format=svg"), &lgs).await;
    assert_eq!(svg.status, 200, "{}", svg.text);
    assert!(svg.content_type().starts_with("image/svg+xml"));
    let document = roxmltree::Document::parse(&svg.text).expect("well-formed SVG");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = document
        .descendants()
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for label in ["DD", "L", "month received", "median days until entered"] {
        assert!(texts.contains(&label), "no {label} in the chart");
    }
    assert!(texts.contains(&last_month.format("%Y-%m").to_string().as_str()));
    // A legend entry per unit: 13 districts and the manual queue.
    for code in [
        "BZ", "GR", "MEI", "PIR", "C", "ERZ", "FG", "V", "Z", "LL", "TDO", "SN",
    ] {
        assert!(texts.contains(&code), "no {code} in the legend");
    }
    assert!(
        document
            .descendants()
            .any(|n| n.tag_name().name() == "polyline")
    );
}

async fn metrics_gauge_open_overdue_and_escalated_per_district(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    scenario(&app).await;
    let reply = app.send(app.request(Method::GET, "/metrics", None)).await;
    assert_eq!(reply.status, 200);
    let text = &reply.text;
    for line in [
        r#"kartei_applications_open{district="DD",stage="handover"} 3"#,
        r#"kartei_applications_overdue{district="DD",stage="handover"} 2"#,
        r#"kartei_applications_escalated{district="DD",stage="handover"} 1"#,
        r#"kartei_applications_open{district="DD",stage="contact"} 0"#,
        r#"kartei_applications_open{district="L",stage="handover"} 0"#,
        r#"kartei_applications_open{district="unassigned",stage="handover"} 1"#,
        "# TYPE kartei_applications_escalated gauge",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}");
    }
    // Names and labels only: a sample's value is a number, and a request
    // timing such as 0.0010679 may hold a postal code's digits by chance.
    let names_and_labels: Vec<&str> = text
        .lines()
        .map(|line| line.rsplit_once(' ').map_or(line, |(series, _)| series))
        .collect();
    for name in ["Eins", "Zwei", "Fünf", "Berlin", "01067"] {
        assert!(
            !names_and_labels.iter().any(|series| series.contains(name)),
            "metrics show {name}"
        );
    }
}

async fn bad_report_parameters_are_refused(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let branch = app.unit_id("DD-NEU").await;
    for (query, field) in [
        ("from=2026-05-01&to=2026-04-01", "from"),
        ("from=01.05.2026", "from"),
        ("format=pdf", "format"),
        (&format!("org_unit_id={branch}") as &str, "org_unit_id"),
        (
            "org_unit_id=00000000-0000-0000-0000-000000000000",
            "org_unit_id",
        ),
    ] {
        let reply = app
            .get(&format!("/api/v1/reports/entry-lag?{query}"), &lgs)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{query}");
    }
    for query in ["limit=0", "limit=500", "cursor=nonsense"] {
        app.get(&format!("/api/v1/reports/unentered?{query}"), &lgs)
            .await
            .assert_problem(422);
    }
    app.get("/api/v1/reports/entry-lag/trend?format=png", &lgs)
        .await
        .assert_problem(422);
}

async fn generated_history_is_consistent_and_reported_whole(db: Db) {
    let app = TestApp::spawn(db).await;
    let plan = kartei_api::synthetic::Plan {
        members: 3000,
        applications: 2000,
        years: 2,
        seed: 3,
    };
    let done = kartei_api::synthetic::generate(&app.state, &plan)
        .await
        .expect("generated");
    assert_eq!(app.count("applications").await, 2000);
    assert_eq!(app.count("members").await, 3000);
    assert_eq!(done.members, 3000);
    // Every admitted application has its member, and only those.
    let admitted = app
        .scalar("SELECT COUNT(*) AS n FROM applications WHERE status = 'admitted'")
        .await;
    assert!(admitted > 1000, "{admitted} admitted");
    let linked = app
        .scalar(
            "SELECT COUNT(*) AS n FROM applications a JOIN members m \
             ON m.id = a.member_id AND m.application_id = a.id AND m.source = 'application'",
        )
        .await;
    assert_eq!(linked, admitted);
    // Steps in their order, nothing in the future.
    let today = days_ago(&app, 0);
    let out_of_order = app
        .scalar(&format!(
            "SELECT COUNT(*) AS n FROM applications WHERE registered_on < received_on \
             OR handed_over_on < routed_on OR contacted_on < handed_over_on \
             OR decided_on < contacted_on OR received_on > '{today}' OR decided_on > '{today}'"
        ))
        .await;
    assert_eq!(out_of_order, 0);
    // Open ones in several stages, spread over every district.
    let stages = app
        .scalar(
            "SELECT COUNT(DISTINCT status) AS n FROM applications \
             WHERE status IN ('routed', 'handed_over', 'contacted')",
        )
        .await;
    assert_eq!(stages, 3);
    let districts = app
        .scalar("SELECT COUNT(DISTINCT district_id) AS n FROM applications")
        .await;
    assert_eq!(districts, 13);

    // The report over the whole period counts every declaration once.
    let from = days_ago(&app, 2 * 365);
    let expected = app
        .scalar(&format!(
            "SELECT (SELECT COUNT(*) FROM applications WHERE received_on >= '{from}') + \
                    (SELECT COUNT(*) FROM members WHERE source = 'direct_entry' \
                     AND received_on >= '{from}') AS n"
        ))
        .await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let report = app
        .get(
            &format!("/api/v1/reports/entry-lag?from={from}&to={today}"),
            &lgs,
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let rows = report.body["items"].as_array().cloned().unwrap_or_default();
    let sum = |field: &str| rows.iter().filter_map(|r| r[field].as_i64()).sum::<i64>();
    assert_eq!(sum("received"), expected);
    assert_eq!(
        sum("open"),
        i64::try_from(done.open_applications).unwrap_or(0)
    );
    assert!(
        rows.iter()
            .filter(|r| r["kind"] == "district")
            .all(|r| r["median_lag_days"].is_number())
    );
}

/// Posts a transition and insists it succeeded.
async fn step(app: &TestApp, token: &str, id: &str, name: &str, body: Value) {
    let reply = app.transition(token, id, name, body).await;
    assert_eq!(reply.status, 200, "{name}: {}", reply.text);
}

/// Every figure and every trend point, from the rollup and straight from
/// the tables, for several periods and groupings.
async fn assert_sources_agree(app: &TestApp) {
    use kartei_persistence::reports::{self, Grouping, LagQuery, Source};
    let today = today(app);
    let dd: uuid::Uuid = app.unit_id("DD").await.parse().expect("uuid");
    let first_of_month = today.with_day(1).expect("first");
    let periods = [
        (today - Duration::days(400), today),
        (
            first_of_month - Months::new(2),
            first_of_month - Duration::days(1),
        ),
        (today - Duration::days(45), today - Duration::days(3)),
        (today, today),
        (first_of_month - Months::new(1) + Duration::days(9), today),
    ];
    for (from, to) in periods {
        for grouping in [
            Grouping::Districts { only: None },
            Grouping::Districts { only: Some(dd) },
            Grouping::Branches { district: dd },
        ] {
            let query = LagQuery {
                from,
                to,
                grouping,
                today,
                overdue: kartei_app::onboarding::overdue_cutoffs(&app.state.app, today),
                escalated: kartei_app::onboarding::escalation_cutoffs(&app.state.app, today),
            };
            let raw = reports::entry_lag(&app.db, &query, Source::Raw)
                .await
                .expect("raw");
            let rolled = reports::entry_lag(&app.db, &query, Source::Rollup)
                .await
                .expect("rollup");
            assert_eq!(rolled, raw, "{from}..{to} {grouping:?}");
            let raw = reports::monthly_medians(&app.db, &query, Source::Raw)
                .await
                .expect("raw trend");
            let rolled = reports::monthly_medians(&app.db, &query, Source::Rollup)
                .await
                .expect("rollup trend");
            assert_eq!(rolled, raw, "trend {from}..{to} {grouping:?}");
        }
    }
}

async fn rollup_rows(app: &TestApp) -> Vec<(String, String, String, String, i64, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT district_key, local_key, month, metric, days, items FROM lag_rollup \
             WHERE items <> 0 ORDER BY 1, 2, 3, 4, 5",
        ))
        .await
        .expect("rollup rows");
    rows.iter()
        .map(|r| {
            (
                r.try_get::<uuid::Uuid>("", "district_key")
                    .expect("d")
                    .to_string(),
                r.try_get::<uuid::Uuid>("", "local_key")
                    .expect("l")
                    .to_string(),
                r.try_get::<NaiveDate>("", "month").expect("m").to_string(),
                r.try_get::<String>("", "metric").expect("metric"),
                r.try_get::<i64>("", "days").expect("days"),
                r.try_get::<i64>("", "items").expect("items"),
            )
        })
        .collect()
}

/// A history with every kind of change that moves a figure, over two
/// months: registration, manual routing, reroute, hand-over, contact,
/// admission with and without a separate contact, rejection, withdrawal,
/// direct entries, an import and a transfer of a directly entered member.
async fn the_rollup_agrees_with_the_straightforward_query(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let leipzig_office = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let _ = leipzig_office;
    let l = app.unit_id("L").await;
    let branch = app.unit_id("DD-NEU").await;
    let mut open: Vec<String> = Vec::new();
    for round in 0..4_i64 {
        let lgs = app.token_of(STATE_OFFICE).await;
        let dd = app.token_of(DISTRICT_DRESDEN).await;
        let lz = app
            .login("kv-leipzig@kartei.example", "ein langes Passwort")
            .await;
        for (n, (postal_code, received)) in [
            ("01067", 3 + round),
            ("01097", 12),
            ("04109", 40 + round * 5),
            ("10115", 1),
            ("01067", 33),
        ]
        .into_iter()
        .enumerate()
        {
            let body = json!({
                "first_name": format!("R{round}N{n}"),
                "email": null,
                "postal_code": postal_code,
                "city": "Ort",
                "received_on": days_ago(&app, received),
            });
            open.push(id(&app.register(&lgs, body).await));
        }
        let [dd_plain, dd_branch, leipzig, queue, dd_late] =
            <[String; 5]>::try_from(open.split_off(open.len() - 5)).expect("five");
        step(&app, &lgs, &queue, "route", json!({ "org_unit_id": l })).await;
        step(&app, &dd, &dd_plain, "handover", json!({})).await;
        step(&app, &dd, &dd_branch, "handover", json!({})).await;
        step(&app, &lz, &leipzig, "handover", json!({})).await;
        step(
            &app,
            &dd,
            &dd_late,
            "reroute",
            json!({ "reason": "falsch" }),
        )
        .await;
        step(&app, &lgs, &dd_late, "route", json!({ "org_unit_id": l })).await;
        open.extend([dd_late.clone(), queue.clone()]);

        let dd = next_days(&app, 4, DISTRICT_DRESDEN).await;
        let lz = app
            .login("kv-leipzig@kartei.example", "ein langes Passwort")
            .await;
        let lgs = app.token_of(STATE_OFFICE).await;
        let today = days_ago(&app, 0);
        step(
            &app,
            &dd,
            &dd_plain,
            "contact",
            json!({ "contacted_on": today, "channel": "phone" }),
        )
        .await;
        step(
            &app,
            &dd,
            &dd_branch,
            "decision",
            json!({ "decision": "admitted", "decided_on": today, "contact": { "contacted_on": today, "channel": "email" } }),
        )
        .await;
        if round % 2 == 0 {
            step(
                &app,
                &lgs,
                &leipzig,
                "withdrawal",
                json!({ "withdrawn_on": today }),
            )
            .await;
        } else {
            step(
                &app,
                &lz,
                &leipzig,
                "decision",
                json!({ "decision": "rejected", "decided_on": today, "reason": "nein", "contact": { "contacted_on": today, "channel": "phone" } }),
            )
            .await;
        }
        enter(
            &app,
            &dd,
            &branch,
            json!({
                "first_name": format!("D{round}"),
                "email": format!("d{round}@example.org"),
                "received_on": days_ago(&app, 6 + round * 3),
                "joined_on": today,
            }),
        )
        .await;

        let dd = next_days(&app, 11, DISTRICT_DRESDEN).await;
        let today = days_ago(&app, 0);
        step(
            &app,
            &dd,
            &dd_plain,
            "decision",
            json!({ "decision": "admitted", "decided_on": today }),
        )
        .await;
        assert_sources_agree(&app).await;
    }

    // A directly entered member moves to Leipzig: its figures move along.
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = enter(
        &app,
        &dd,
        &branch,
        json!({ "first_name": "Wandernd", "email": "w@example.org" }),
    )
    .await;
    let started = app
        .post(
            &format!("/api/v1/members/{}/transfers", id(&member)),
            Some(&dd),
            &json!({ "to_org_unit_id": l, "effective_on": days_ago(&app, 0), "keep_home_ties": false }),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.text);
    let lz = app
        .login("kv-leipzig@kartei.example", "ein langes Passwort")
        .await;
    let confirmed = app
        .post(
            &format!("/api/v1/transfers/{}/confirm", id(&started.body)),
            Some(&lz),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    // An import counts nowhere.
    let lgs = app.token_of(STATE_OFFICE).await;
    let csv = format!(
        "first_name;last_name;date_of_birth;street;postal_code;city;org_unit;received_on;joined_on\n\
         Ina;Alt;1970-01-01;Weg 1;01067;Dresden;DD;{d};{d}\n",
        d = days_ago(&app, 20)
    );
    let imported = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
        .await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    assert_sources_agree(&app).await;

    // The maintained table is exactly what a rebuild computes.
    let maintained = rollup_rows(&app).await;
    assert!(maintained.len() > 20, "{} rows", maintained.len());
    kartei_persistence::rollup::rebuild(&app.db)
        .await
        .expect("rebuilt");
    assert_eq!(rollup_rows(&app).await, maintained);
}
