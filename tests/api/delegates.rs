//! The delegate key over the API: the worked examples of the statutes'
//! methods on real member counts, the members by statute counted beside
//! them, and who may ask.

use chrono::Duration;
use kartei_tests::members::{enter, nine_six_two};
use kartei_tests::{
    BOARD, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases,
    read_excel_csv,
};
use serde_json::{Value, json};

on_both_databases!(
    the_methods_give_the_seats_of_the_worked_examples,
    late_entry_costs_a_district_its_seat,
    only_the_state_office_and_the_board_ask_and_bad_keys_are_refused,
);

fn today(app: &TestApp) -> String {
    kartei_api::local_time::local_date(app.state.clock.now()).to_string()
}

async fn key(app: &TestApp, token: &str, query: &str) -> Value {
    let reply = app
        .get(
            &format!("/api/v1/reports/delegates?as_of={}&{query}", today(app)),
            token,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body
}

/// Seats of Dresden, Leipzig and Chemnitz, and of the key in all.
fn seats_of(key: &Value, field: &str) -> (u64, u64, u64) {
    let of = |short_code: &str| {
        key["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["short_code"] == short_code))
            .and_then(|i| i[field].as_u64())
            .unwrap_or(u64::MAX)
    };
    (of("DD"), of("L"), of("C"))
}

fn total(key: &Value) -> u64 {
    key["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["seats"].as_u64()).sum())
        .unwrap_or_default()
}

async fn the_methods_give_the_seats_of_the_worked_examples(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    nine_six_two(&app, &lgs).await;

    // 9, 6 and 2 members, 5 seats. Hare-Niemeyer: quotas 45/17 = 2.65,
    // 30/17 = 1.76 and 10/17 = 0.59; 2 + 1 + 0 whole, the two left go to
    // the largest remainders .76 and .65: 3/2/0.
    let hare = key(&app, &lgs, "seats=5&method=hare-niemeyer").await;
    assert_eq!(seats_of(&hare, "seats"), (3, 2, 0), "{hare}");
    assert_eq!(total(&hare), 5, "the other districts have no members");
    assert_eq!(hare["method"], "hare-niemeyer");
    let dresden = &hare["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["short_code"] == "DD"))
        .cloned()
        .unwrap_or_default();
    assert!((dresden["quota"].as_f64().unwrap_or_default() - 45.0 / 17.0).abs() < 1e-9);
    assert!(dresden["last_quotient"].is_null());
    // Adams: divisors 0, 1, 2, ...: one seat each first, then 9/1 = 9
    // and 6/1 = 6 beat 9/2 = 4.5 and 2/1 = 2: 2/2/1.
    let adams = key(&app, &lgs, "seats=5&method=adams").await;
    assert_eq!(seats_of(&adams, "seats"), (2, 2, 1), "{adams}");
    // D'Hondt: 9, 6, 4.5, 3, 3 (9/3 before 6/2, more members): 3/2/0.
    let dhondt = key(&app, &lgs, "seats=5&method=dhondt").await;
    assert_eq!(seats_of(&dhondt, "seats"), (3, 2, 0), "{dhondt}");
    // Sainte-Laguë: divisors 0.5, 1.5, 2.5: 18, 12, 6 (9/1.5), then 4
    // (6/1.5) and 4 (2/0.5) for the last two seats: 2/2/1.
    let sainte = key(&app, &lgs, "seats=5&method=sainte-lague").await;
    assert_eq!(seats_of(&sainte, "seats"), (2, 2, 1), "{sainte}");
    assert_eq!(sainte["last_quotient"], 4.0);

    // Ten seats in pairs: five pairs, given like five seats.
    let pairs = key(&app, &lgs, "seats=10&method=hare-niemeyer&pairs=true").await;
    assert_eq!(seats_of(&pairs, "seats"), (6, 4, 0), "{pairs}");
    let pairs = key(&app, &lgs, "seats=10&method=adams&pairs=true").await;
    assert_eq!(seats_of(&pairs, "seats"), (4, 4, 2), "{pairs}");

    // A double base mandate for each of the 13 districts, in pairs: 26
    // seats first, the 4 pairs of 34 seats left by members: 2 + 1 + 0
    // whole pairs of quotas 2.12, 1.41, 0.47, the last to the remainder
    // .47 of Chemnitz.
    let based = key(
        &app,
        &lgs,
        "seats=34&method=hare-niemeyer&pairs=true&base_seats=2",
    )
    .await;
    assert_eq!(seats_of(&based, "seats"), (6, 4, 4), "{based}");
    assert_eq!(total(&based), 34);
    assert!(
        based["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|i| i["seats"].as_u64() >= Some(2)))
    );

    let csv = app
        .get(
            &format!(
                "/api/v1/reports/delegates?as_of={}&seats=5&method=hare-niemeyer&format=csv",
                today(&app)
            ),
            &lgs,
        )
        .await;
    assert_eq!(csv.status, 200);
    let rows = read_excel_csv(&csv.text);
    let dresden = rows
        .iter()
        .find(|r| r[1] == "DD")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(&dresden[3..8], ["9", "3", "0", "2,6471", "0,6471"]);
}

async fn late_entry_costs_a_district_its_seat(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    nine_six_two(&app, &lgs).await;
    // Three declarations for Chemnitz, received 60 days ago: past their
    // objection deadline of 42 days, and not entered.
    let received = (kartei_api::local_time::local_date(app.state.clock.now()) - Duration::days(60))
        .to_string();
    for name in ["Erste", "Zweite", "Dritte"] {
        let declaration = app
            .register(
                &lgs,
                json!({
                    "last_name": name,
                    "received_on": received,
                    "postal_code": "09111",
                    "city": "Chemnitz",
                }),
            )
            .await;
        assert_eq!(declaration["district_id"], app.unit_id("C").await.as_str());
    }

    // On record 9/6/2: 3/2/0. With them 9/6/5: quotas 2.25, 1.5, 1.25,
    // the fifth seat to the remainder .5 of Leipzig: 2/2/1.
    let key = key(&app, &lgs, "seats=5&method=hare-niemeyer").await;
    assert_eq!(seats_of(&key, "members_by_statute"), (0, 0, 3), "{key}");
    assert_eq!(seats_of(&key, "seats"), (3, 2, 0), "{key}");
    assert_eq!(
        seats_of(&key, "seats_with_members_by_statute"),
        (2, 2, 1),
        "{key}"
    );
    let lost = |short_code: &str| {
        key["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["short_code"] == short_code))
            .map(|i| i["seats_lost_to_late_entry"].clone())
            .unwrap_or_default()
    };
    assert_eq!((lost("DD"), lost("C")), (json!(-1), json!(1)));
}

async fn only_the_state_office_and_the_board_ask_and_bad_keys_are_refused(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let board = app.token_of(BOARD).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    // With no members anywhere there is nothing to give seats by.
    let nothing = app
        .get(
            &format!(
                "/api/v1/reports/delegates?as_of={}&seats=5&method=dhondt",
                today(&app)
            ),
            &board,
        )
        .await;
    nothing.assert_problem(422);
    let members = app.unit_id("DD").await;
    enter(&app, &lgs, &members, json!({})).await;
    let board_key = key(&app, &board, "seats=5&method=dhondt").await;
    assert_eq!(seats_of(&board_key, "seats"), (5, 0, 0), "{board_key}");
    for account in [DISTRICT_DRESDEN, BRANCH_NEUSTADT] {
        let token = app.token_of(account).await;
        app.get("/api/v1/reports/delegates?seats=5&method=adams", &token)
            .await
            .assert_problem(403);
    }

    // The default day is 31 December of last year.
    enter(
        &app,
        &lgs,
        &members,
        json!({ "last_name": "Lange", "received_on": "2019-12-20", "joined_on": "2020-01-01" }),
    )
    .await;
    let default = app
        .get("/api/v1/reports/delegates?seats=5&method=adams", &lgs)
        .await;
    assert_eq!(default.status, 200, "{}", default.text);
    let year = kartei_api::local_time::local_date(app.state.clock.now())
        .format("%Y")
        .to_string();
    let last_year = year.parse::<i32>().unwrap_or_default() - 1;
    assert_eq!(default.body["as_of"], format!("{last_year}-12-31"));

    for (query, field) in [
        ("seats=5&method=zufall", "method"),
        ("seats=5", "method"),
        ("method=adams", "seats"),
        ("seats=5&method=adams&pairs=true", "seats"),
        (
            "seats=10&method=adams&pairs=true&base_seats=1",
            "base_seats",
        ),
        // 13 districts with 2 base seats each need 26.
        ("seats=25&method=adams&base_seats=2", "seats"),
    ] {
        let reply = app
            .get(&format!("/api/v1/reports/delegates?{query}"), &lgs)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{query}: {}", reply.text);
    }
    let tomorrow =
        (kartei_api::local_time::local_date(app.state.clock.now()) + Duration::days(1)).to_string();
    let reply = app
        .get(
            &format!("/api/v1/reports/delegates?as_of={tomorrow}&seats=5&method=adams"),
            &lgs,
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["as_of"]);
}
