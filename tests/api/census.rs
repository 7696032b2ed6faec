//! Member counts at a cut-off date: who counts on the day, where, how old,
//! and the members by statute that have no record yet.

use chrono::{Datelike, Duration, NaiveDate};
use kartei_tests::members::{enter, id};
use kartei_tests::{
    BOARD, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases,
    read_excel_csv,
};
use serde_json::{Value, json};

on_both_databases!(
    counts_on_a_past_day_follow_transfers_resignations_and_deaths,
    the_age_bands_turn_on_the_birthday,
    open_declarations_past_their_deadline_count_as_members_by_statute,
    the_counts_are_figures_for_the_offices_and_the_board,
    the_census_agrees_with_the_straightforward_count,
);

fn today(app: &TestApp) -> NaiveDate {
    kartei_api::local_time::local_date(app.state.clock.now())
}

fn days_ago(app: &TestApp, days: i64) -> String {
    (today(app) - Duration::days(days)).to_string()
}

/// The row of `short_code`'s unit in a member-counts report.
async fn row_of(app: &TestApp, report: &Value, short_code: &str) -> Value {
    let unit = app.unit_id(short_code).await;
    report["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["org_unit_id"] == unit.as_str()))
        .cloned()
        .unwrap_or_else(|| panic!("no row for {short_code}: {report}"))
}

async fn counts(app: &TestApp, token: &str, query: &str) -> Value {
    let reply = app
        .get(&format!("/api/v1/reports/members?{query}"), token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body
}

/// A member of Dresden (branch Neustadt) who joined `joined` days ago.
async fn joined(app: &TestApp, token: &str, name: &str, joined: i64) -> Value {
    let unit = app.unit_id("DD-NEU").await;
    enter(
        app,
        token,
        &unit,
        json!({
            "last_name": name,
            "received_on": days_ago(app, joined + 5),
            "joined_on": days_ago(app, joined),
        }),
    )
    .await
}

/// Members of Dresden who joined, moved, resigned and died around a
/// cut-off day 100 days ago; the test below says who counts where.
async fn a_history(app: &TestApp) {
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;

    joined(app, &dd, "Bleibt", 500).await;
    joined(app, &dd, "AmStichtag", 100).await;
    joined(app, &dd, "Neu", 30).await;
    // Moved to Leipzig after the cut-off: counts in Dresden on the day.
    let later = joined(app, &dd, "Spaeter", 500).await;
    // Moved before the cut-off: counts in Leipzig.
    let earlier = joined(app, &dd, "Frueher", 500).await;
    for (member, effective) in [(&later, 50), (&earlier, 150)] {
        moves_to_leipzig(app, &dd, &leipzig, member, effective).await;
    }
    // Resigned after the cut-off: a member on the day, and gone since.
    let resigned = joined(app, &dd, "Austritt", 500).await;
    // Resigned on the cut-off day itself: over on that day.
    let on_the_day = joined(app, &dd, "Stichtagsaustritt", 500).await;
    for (member, effective) in [(&resigned, 60), (&on_the_day, 100)] {
        resigns(app, &dd, member, effective).await;
    }
    // Died before the cut-off.
    let died = joined(app, &dd, "Verstorben", 500).await;
    let reply = app
        .patch(
            &format!("/api/v1/members/{}", id(&died)),
            &dd,
            died["version"].as_i64(),
            &json!({ "status": "deceased", "left_on": days_ago(app, 120) }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// `member` of Dresden moves to Leipzig-Süd with effect `days` days ago.
async fn moves_to_leipzig(app: &TestApp, dd: &str, leipzig: &str, member: &Value, days: i64) {
    let started = app
        .post(
            &format!("/api/v1/members/{}/transfers", id(member)),
            Some(dd),
            &json!({
                "to_org_unit_id": app.unit_id("L-SUED").await,
                "effective_on": days_ago(app, days),
                "keep_home_ties": false,
            }),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.text);
    let transfer = started.body["id"].as_str().unwrap_or_default().to_owned();
    let confirmed = app
        .post(
            &format!("/api/v1/transfers/{transfer}/confirm"),
            Some(leipzig),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
}

/// `member` resigns with effect `days` days ago, by `token`.
async fn resigns(app: &TestApp, token: &str, member: &Value, days: i64) {
    let reply = app
        .post(
            &format!("/api/v1/members/{}/resignation", id(member)),
            Some(token),
            &json!({ "effective_on": days_ago(app, days) }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

async fn counts_on_a_past_day_follow_transfers_resignations_and_deaths(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let cut_off = days_ago(&app, 100);
    a_history(&app).await;

    let report = counts(&app, &lgs, &format!("as_of={cut_off}")).await;
    assert_eq!(report["as_of"], cut_off.as_str());
    assert_eq!(report["group_by"], "district");
    let dresden = row_of(&app, &report, "DD").await;
    // Bleibt, AmStichtag, Spaeter, Austritt.
    assert_eq!(dresden["members"], 4, "{dresden}");
    assert_eq!(dresden["age_36_60"], 4, "born 1980: 45 or 46");
    // In the twelve months up to the day: AmStichtag, on the day itself;
    // the others joined 400 days before it.
    assert_eq!(dresden["joined"], 1, "{dresden}");
    // Verstorben, 20 days before the day, and Stichtagsaustritt on it.
    assert_eq!(dresden["left"], 2, "{dresden}");
    let leipzig_row = row_of(&app, &report, "L").await;
    assert_eq!(leipzig_row["members"], 1, "Frueher: {leipzig_row}");

    // Today: Spaeter is in Leipzig, Austritt has gone, Neu has come.
    let now = counts(&app, &lgs, "").await;
    let dresden = row_of(&app, &now, "DD").await;
    // Bleibt, AmStichtag, Neu.
    assert_eq!(dresden["members"], 3, "{dresden}");
    assert_eq!(row_of(&app, &now, "L").await["members"], 2);
    // AmStichtag and Neu joined in the last twelve months, in Dresden;
    // the three who left did so in them, in Dresden too.
    assert_eq!(dresden["joined"], 2, "{dresden}");
    assert_eq!(dresden["left"], 3, "{dresden}");

    // Per branch of Dresden: Neustadt holds them all.
    let branches = counts(
        &app,
        &lgs,
        &format!("as_of={cut_off}&org_unit_id={}", app.unit_id("DD").await),
    )
    .await;
    assert_eq!(branches["group_by"], "local");
    assert_eq!(row_of(&app, &branches, "DD-NEU").await["members"], 4);
    assert_eq!(row_of(&app, &branches, "DD").await["members"], 0);
}

async fn the_age_bands_turn_on_the_birthday(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let unit = app.unit_id("DD-NEU").await;
    let mut cut_off = today(&app) - Duration::days(10);
    if (cut_off.month(), cut_off.day()) == (2, 29) {
        cut_off -= Duration::days(1);
    }
    let born = |years: i32| cut_off.with_year(cut_off.year() - years).unwrap_or(cut_off);
    for (name, years) in [("SechsUndDreissig", 36), ("EinUndSechzig", 61)] {
        enter(
            &app,
            &dd,
            &unit,
            json!({
                "last_name": name,
                "date_of_birth": born(years).to_string(),
                "received_on": days_ago(&app, 400),
                "joined_on": days_ago(&app, 390),
            }),
        )
        .await;
    }
    let lgs = app.token_of(STATE_OFFICE).await;
    let on_birthday = counts(&app, &lgs, &format!("as_of={cut_off}")).await;
    let dresden = row_of(&app, &on_birthday, "DD").await;
    assert_eq!(
        (
            dresden["age_14_35"].as_i64(),
            dresden["age_36_60"].as_i64(),
            dresden["age_over_60"].as_i64()
        ),
        (Some(0), Some(1), Some(1)),
        "{dresden}"
    );
    let day_before = cut_off - Duration::days(1);
    let before = counts(&app, &lgs, &format!("as_of={day_before}")).await;
    let dresden = row_of(&app, &before, "DD").await;
    assert_eq!(
        (
            dresden["age_14_35"].as_i64(),
            dresden["age_36_60"].as_i64(),
            dresden["age_over_60"].as_i64()
        ),
        (Some(1), Some(1), Some(0)),
        "{dresden}"
    );
}

async fn open_declarations_past_their_deadline_count_as_members_by_statute(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    // The objection deadline is 42 days after receipt; on a cut-off day
    // 100 days ago, declarations received before 142 days ago had passed it.
    let cut_off = days_ago(&app, 100);
    let still_open = app
        .register(&lgs, json!({ "received_on": days_ago(&app, 200) }))
        .await;
    let admitted_since = app
        .register(
            &lgs,
            json!({ "last_name": "Spaet", "received_on": days_ago(&app, 150) }),
        )
        .await;
    // Received 142 days ago: its deadline is the cut-off day, not passed
    // on it.
    app.register(
        &lgs,
        json!({ "last_name": "Frisch", "received_on": days_ago(&app, 142) }),
    )
    .await;
    assert_eq!(still_open["district_id"], app.unit_id("DD").await.as_str());
    let admitted = id(&admitted_since);
    for (step, body) in [
        ("handover", json!({})),
        (
            "decision",
            json!({
                "decision": "admitted",
                "decided_on": days_ago(&app, 0),
                "contact": { "contacted_on": days_ago(&app, 0), "channel": "phone" },
            }),
        ),
    ] {
        let reply = app.transition(&dd, &admitted, step, body).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }

    let report = counts(&app, &lgs, &format!("as_of={cut_off}")).await;
    let dresden = row_of(&app, &report, "DD").await;
    assert_eq!(dresden["members_by_statute"], 2, "{dresden}");
    // Today Spaet has its record, and Frisch's deadline has passed.
    let now = counts(&app, &lgs, "").await;
    assert_eq!(row_of(&app, &now, "DD").await["members_by_statute"], 2);
    let yesterday = counts(&app, &lgs, &format!("as_of={}", days_ago(&app, 1))).await;
    assert_eq!(
        row_of(&app, &yesterday, "DD").await["members_by_statute"],
        3,
        "yesterday none of the three had a record"
    );
}

async fn the_counts_are_figures_for_the_offices_and_the_board(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    joined(&app, &dd, "Zaehlbar", 10).await;

    let own = counts(&app, &dd, "").await;
    assert_eq!(own["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(row_of(&app, &own, "DD").await["members"], 1);
    app.get(
        &format!(
            "/api/v1/reports/members?org_unit_id={}",
            app.unit_id("L").await
        ),
        &dd,
    )
    .await
    .assert_problem(404);
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    app.get("/api/v1/reports/members", &branch)
        .await
        .assert_problem(403);
    let board = app.token_of(BOARD).await;
    let seen = counts(&app, &board, "").await;
    assert_eq!(row_of(&app, &seen, "DD").await["members"], 1);
    assert!(!seen.to_string().contains("Zaehlbar"));

    let lgs = app.token_of(STATE_OFFICE).await;
    let tomorrow = (today(&app) + Duration::days(1)).to_string();
    let refused = app
        .get(&format!("/api/v1/reports/members?as_of={tomorrow}"), &lgs)
        .await;
    refused.assert_problem(422);
    assert_eq!(refused.error_fields(), ["as_of"]);

    let csv = app.get("/api/v1/reports/members?format=csv", &lgs).await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.content_type().starts_with("text/csv"),
        "{}",
        csv.content_type()
    );
    let rows = read_excel_csv(&csv.text);
    assert_eq!(rows[0][3], "members");
    let dresden = rows
        .iter()
        .find(|r| r[1] == "DD")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(dresden[3], "1");
}

/// The counts from `member_census` and the changes after the day equal
/// the count of every member, for days before, on and after each change,
/// for every grouping; and the kept table equals a rebuild.
async fn the_census_agrees_with_the_straightforward_count(db: Db) {
    use kartei_domain::census::{AgeLimits, year_before};
    use kartei_persistence::census::{self, CensusQuery, Source};
    use kartei_persistence::reports::Grouping;

    let app = TestApp::spawn_demo(db).await;
    a_history(&app).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let branch = app.unit_id("DD-NEU").await;
    // Born in the months in which the age bands start on the cut-off day,
    // on either side of the birthday; one of them resigns with notice.
    let cut_off = today(&app) - Duration::days(100);
    for (years, shift) in [(36, -3), (36, 2), (61, -1), (61, 4)] {
        let born =
            cut_off.with_year(cut_off.year() - years).unwrap_or(cut_off) + Duration::days(shift);
        enter(
            &app,
            &dd,
            &branch,
            json!({
                "last_name": format!("Grenzfall{years}{shift}"),
                "date_of_birth": born.to_string(),
                "received_on": days_ago(&app, 700),
                "joined_on": days_ago(&app, 690),
            }),
        )
        .await;
    }
    // Joined within the twelve months of most days below, and moved
    // since: joined in Dresden. Moved, then left: left in Leipzig.
    let leipzig = app
        .account("kv-leipzig-2@kartei.example", "district_office", "L")
        .await;
    let newcomer = joined(&app, &dd, "Wechselt", 200).await;
    moves_to_leipzig(&app, &dd, &leipzig, &newcomer, 80).await;
    let mover = joined(&app, &dd, "WechseltUndGeht", 500).await;
    moves_to_leipzig(&app, &dd, &leipzig, &mover, 90).await;
    resigns(&app, &leipzig, &mover, 40).await;
    let leaving = joined(&app, &dd, "Kuendigt", 300).await;
    let reply = app
        .post(
            &format!("/api/v1/members/{}/resignation", id(&leaving)),
            Some(&dd),
            &json!({ "effective_on": (today(&app) + Duration::days(30)).to_string() }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let csv = format!(
        "first_name;last_name;date_of_birth;street;postal_code;city;org_unit;received_on;joined_on\n\
         Ina;Alt;1960-01-01;Weg 1;04109;Leipzig;L;{d};{d}\n",
        d = days_ago(&app, 250)
    );
    let imported = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
        .await;
    assert_eq!(imported.status, 201, "{}", imported.text);

    let dresden: uuid::Uuid = app.unit_id("DD").await.parse().expect("uuid");
    for days in [
        0, 29, 50, 60, 99, 100, 101, 120, 150, 250, 300, 400, 499, 500, 690, 800,
    ] {
        let as_of = today(&app) - Duration::days(days);
        for grouping in [
            Grouping::Districts { only: None },
            Grouping::Districts {
                only: Some(dresden),
            },
            Grouping::Branches { district: dresden },
        ] {
            let query = CensusQuery {
                as_of,
                year_before: year_before(as_of),
                ages: AgeLimits::on(as_of),
                by_statute_before: as_of - Duration::days(42),
                grouping,
            };
            let raw = census::count(&app.db, &query, Source::Raw)
                .await
                .expect("raw");
            let kept = census::count(&app.db, &query, Source::Census)
                .await
                .expect("census");
            let nonzero = |figures: std::collections::BTreeMap<_, census::CensusFigures>| {
                figures
                    .into_iter()
                    .filter(|(_, f)| *f != census::CensusFigures::default())
                    .collect::<Vec<_>>()
            };
            assert_eq!(nonzero(kept), nonzero(raw), "{as_of} {grouping:?}");
        }
    }

    let maintained = census_rows(&app).await;
    assert!(maintained.len() >= 10, "{maintained:?}");
    census::rebuild(&app.db).await.expect("rebuilt");
    assert_eq!(census_rows(&app).await, maintained);
}

async fn census_rows(app: &TestApp) -> Vec<(uuid::Uuid, uuid::Uuid, NaiveDate, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.db;
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT district_key, local_key, born_month, members FROM member_census \
         WHERE members <> 0 ORDER BY 1, 2, 3",
    ))
    .await
    .expect("census rows")
    .iter()
    .map(|r| {
        (
            r.try_get("", "district_key").expect("district"),
            r.try_get("", "local_key").expect("local"),
            r.try_get("", "born_month").expect("month"),
            r.try_get("", "members").expect("members"),
        )
    })
    .collect()
}
