//! Transfers between districts: started by the sending side, confirmed or
//! declined by the receiving district, announced by e-mail, home ties kept
//! on request.

use kartei_tests::{
    BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, body_text, header,
    on_both_databases,
};
use serde_json::{Value, json};

use kartei_tests::members::{enter, id};

on_both_databases!(
    a_confirmed_transfer_moves_the_member_and_keeps_home_ties,
    a_declined_transfer_leaves_the_member_where_it_was,
    only_the_right_sides_start_and_answer_transfers,
    the_sending_district_keeps_no_names_after_the_move,
    home_ties_end_when_the_membership_ends,
);

fn today(app: &TestApp) -> chrono::NaiveDate {
    kartei_api::local_time::local_date(app.state.clock.now())
}

async fn start(
    app: &TestApp,
    token: &str,
    member: &Value,
    to: &str,
    keep: bool,
) -> kartei_tests::Reply {
    app.post(
        &format!("/api/v1/members/{}/transfers", id(member)),
        Some(token),
        &json!({
            "to_org_unit_id": to,
            "effective_on": (today(app) + chrono::Duration::days(7)).to_string(),
            "keep_home_ties": keep,
        }),
    )
    .await
}

async fn a_confirmed_transfer_moves_the_member_and_keeps_home_ties(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let member = enter(
        &app,
        &dd,
        &app.unit_id("DD-NEU").await,
        json!({ "last_name": "Wanderer" }),
    )
    .await;
    let member_path = format!("/api/v1/members/{}", id(&member));
    let l_sued = app.unit_id("L-SUED").await;

    let started = start(&app, &dd, &member, &l_sued, true).await;
    assert_eq!(started.status, 201, "{}", started.text);
    assert_eq!(started.body["status"], "pending");
    assert_eq!(
        started.body["to_district_id"],
        app.unit_id("L").await.as_str()
    );
    assert_eq!(
        started.body["from_local_id"],
        app.unit_id("DD-NEU").await.as_str()
    );
    let transfer = started.body["id"].as_str().expect("id").to_owned();
    start(&app, &dd, &member, &l_sued, true)
        .await
        .assert_problem(409);

    // Leipzig sees who is coming, but not yet the record.
    let waiting = app.get("/api/v1/transfers?status=pending", &leipzig).await;
    assert_eq!(
        waiting.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        waiting.text
    );
    assert_eq!(waiting.body[0]["member"]["last_name"], "Wanderer");
    app.get(&member_path, &leipzig).await.assert_problem(404);

    let confirmed = app
        .post(
            &format!("/api/v1/transfers/{transfer}/confirm"),
            Some(&leipzig),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.body["status"], "confirmed");
    let again = app
        .post(
            &format!("/api/v1/transfers/{transfer}/confirm"),
            Some(&leipzig),
            &json!({}),
        )
        .await;
    assert_eq!(again.status, 200, "a repeated confirmation is harmless");
    app.post(
        &format!("/api/v1/transfers/{transfer}/decline"),
        Some(&leipzig),
        &json!({ "reason": "doch nicht" }),
    )
    .await
    .assert_problem(409);

    // Leipzig holds the member now, with the branch it chose.
    let held = app.get(&member_path, &leipzig).await;
    assert_eq!(held.status, 200);
    assert_eq!(held.body["view"], "full");
    assert_eq!(held.body["district_id"], app.unit_id("L").await.as_str());
    assert_eq!(held.body["local_id"], l_sued.as_str());
    assert_eq!(
        held.body["home_district_id"],
        app.unit_id("DD").await.as_str()
    );
    assert_eq!(
        held.body["version"],
        member["version"].as_i64().unwrap_or_default() + 1
    );

    // Dresden keeps name and contact data only, and may change nothing.
    let home = app.get(&member_path, &dd).await;
    assert_eq!(home.status, 200, "{}", home.text);
    assert_eq!(home.body["view"], "home_ties");
    assert_eq!(home.body["last_name"], "Wanderer");
    assert_eq!(home.body["email"], "karl.meier@example.org");
    for hidden in [
        "date_of_birth",
        "membership_number",
        "status",
        "version",
        "interests",
        "district_id",
    ] {
        assert!(
            home.body[hidden].is_null(),
            "{hidden} shown to the former district"
        );
    }
    app.patch(&member_path, &dd, Some(2), &json!({ "city": "Pirna" }))
        .await
        .assert_problem(404);
    app.get(&format!("{member_path}/history"), &dd)
        .await
        .assert_problem(404);
    app.get(&member_path, &branch).await.assert_problem(404);
    let listed = app.get("/api/v1/members", &dd).await;
    // Home ties exist so the former district can keep inviting the member.
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body["items"][0]["view"], "home_ties");
    assert!(listed.body["items"][0]["date_of_birth"].is_null());
    // Own members and home-ties members come in one alphabetical order,
    // page by page.
    let dresden = app.unit_id("DD").await;
    for name in ["Zander", "Aaron"] {
        enter(&app, &dd, &dresden, json!({ "last_name": name })).await;
    }
    let mut walked = Vec::new();
    let mut path = "/api/v1/members?limit=1".to_owned();
    loop {
        let page = app.get(&path, &dd).await;
        for item in page.body["items"].as_array().expect("items") {
            walked.push(format!(
                "{} ({})",
                item["last_name"].as_str().unwrap_or_default(),
                item["view"].as_str().unwrap_or_default()
            ));
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/members?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        walked,
        ["Aaron (full)", "Wanderer (home_ties)", "Zander (full)"]
    );

    let history = app.get(&format!("{member_path}/history"), &leipzig).await;
    let actions: Vec<&str> = history
        .body
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["member_created", "transfer_requested", "member_transferred"]
    );
    let moved = &history.body[2]["details"];
    assert_eq!(moved["transfer_id"], transfer.as_str());
    let fields: Vec<&str> = moved["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(fields, ["district_id", "local_id", "home_district_id"]);

    // Leipzig was asked, then both sides heard of the answer; no names.
    app.deliver_mail().await;
    let mails = app.written_mails();
    let mut seen: Vec<(String, String)> = mails
        .iter()
        .map(|m| {
            (
                header(m, "to").unwrap_or_default(),
                header(m, "subject").unwrap_or_default(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "dd@kartei.example".to_owned(),
                "Mitgliederwechsel bestätigt".to_owned()
            ),
            (
                "l@kartei.example".to_owned(),
                "Mitgliederwechsel bestätigt".to_owned()
            ),
            (
                "l@kartei.example".to_owned(),
                "Mitgliederwechsel zur Bestätigung".to_owned()
            ),
        ]
    );
    for mail in &mails {
        assert!(!mail.contains("Wanderer") && !body_text(mail).contains("Wanderer"));
        assert!(body_text(mail).contains(&transfer));
    }
}

async fn a_declined_transfer_leaves_the_member_where_it_was(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let member = enter(&app, &dd, &app.unit_id("DD").await, json!({})).await;
    let member_path = format!("/api/v1/members/{}", id(&member));
    let started = start(&app, &dd, &member, &app.unit_id("L").await, false).await;
    let transfer = started.body["id"].as_str().expect("id").to_owned();
    let decline = format!("/api/v1/transfers/{transfer}/decline");

    let empty = app
        .post(&decline, Some(&leipzig), &json!({ "reason": "  " }))
        .await;
    empty.assert_problem(422);
    assert_eq!(empty.error_fields(), ["reason"]);
    let declined = app
        .post(
            &decline,
            Some(&leipzig),
            &json!({ "reason": "Wohnt nicht bei uns" }),
        )
        .await;
    assert_eq!(declined.status, 200, "{}", declined.text);
    assert_eq!(declined.body["status"], "declined");
    assert_eq!(declined.body["reason"], "Wohnt nicht bei uns");
    app.post(
        &format!("/api/v1/transfers/{transfer}/confirm"),
        Some(&leipzig),
        &json!({}),
    )
    .await
    .assert_problem(409);

    let still = app.get(&member_path, &dd).await;
    assert_eq!(still.body["view"], "full");
    assert_eq!(still.body["district_id"], app.unit_id("DD").await.as_str());
    assert_eq!(still.body["version"], member["version"]);
    app.get(&member_path, &leipzig).await.assert_problem(404);
    let sent = app.get(&format!("/api/v1/transfers/{transfer}"), &dd).await;
    assert_eq!(sent.body["status"], "declined");

    // A new attempt is possible once the old one is answered; confirmed
    // without home ties, Dresden loses the member entirely.
    let retry = start(&app, &dd, &member, &app.unit_id("L").await, false).await;
    assert_eq!(retry.status, 201, "{}", retry.text);
    let retry_id = retry.body["id"].as_str().expect("id");
    let confirmed = app
        .post(
            &format!("/api/v1/transfers/{retry_id}/confirm"),
            Some(&leipzig),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    app.get(&member_path, &dd).await.assert_problem(404);
    assert!(app.get(&member_path, &leipzig).await.body["home_district_id"].is_null());
    app.deliver_mail().await;
    let subjects: Vec<String> = app
        .written_mails()
        .iter()
        .filter_map(|m| header(m, "subject"))
        .collect();
    assert_eq!(
        subjects
            .iter()
            .filter(|s| *s == "Mitgliederwechsel abgelehnt")
            .count(),
        2
    );
}

async fn only_the_right_sides_start_and_answer_transfers(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let branch = app.token_of(BRANCH_NEUSTADT).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let chemnitz = app
        .account("kv-chemnitz@kartei.example", "district_office", "C")
        .await;
    let member = enter(&app, &dd, &app.unit_id("DD-NEU").await, json!({})).await;
    let l = app.unit_id("L").await;
    let before = app.count("transfers").await;

    // Starting: bad destinations and dates are refused and change nothing.
    for (to, on, field) in [
        (app.unit_id("DD-NEU").await, 7, "to_org_unit_id"),
        (app.unit_id("SN").await, 7, "to_org_unit_id"),
        (uuid::Uuid::new_v4().to_string(), 7, "to_org_unit_id"),
        (l.clone(), 800, "effective_on"),
    ] {
        let reply = app.post(
            &format!("/api/v1/members/{}/transfers", id(&member)),
            Some(&dd),
            &json!({ "to_org_unit_id": to, "effective_on": (today(&app) + chrono::Duration::days(on)).to_string(), "keep_home_ties": false }),
        ).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field]);
    }
    start(&app, &branch, &member, &l, false)
        .await
        .assert_problem(403);
    start(&app, &leipzig, &member, &l, false)
        .await
        .assert_problem(404);
    assert_eq!(app.count("transfers").await, before);

    // The state office may start one; only the receiving district answers.
    let started = start(&app, &lgs, &member, &l, false).await;
    assert_eq!(started.status, 201, "{}", started.text);
    let confirm = format!(
        "/api/v1/transfers/{}/confirm",
        started.body["id"].as_str().expect("id")
    );
    app.post(&confirm, Some(&lgs), &json!({}))
        .await
        .assert_problem(403);
    app.post(&confirm, Some(&branch), &json!({}))
        .await
        .assert_problem(403);
    app.post(&confirm, Some(&dd), &json!({}))
        .await
        .assert_problem(404);
    app.post(&confirm, Some(&chemnitz), &json!({}))
        .await
        .assert_problem(404);
    app.get(&confirm.replace("/confirm", ""), &chemnitz)
        .await
        .assert_problem(404);
    assert_eq!(
        app.get("/api/v1/transfers", &chemnitz).await.body,
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/transfers", &dd)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        app.get("/api/v1/transfers", &lgs)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // A membership that ended cannot move.
    let left = enter(
        &app,
        &dd,
        &app.unit_id("DD").await,
        json!({ "first_name": "Erna" }),
    )
    .await;
    let resigned = app
        .post(
            &format!("/api/v1/members/{}/resignation", id(&left)),
            Some(&dd),
            &json!({ "effective_on": today(&app).to_string() }),
        )
        .await;
    assert_eq!(resigned.status, 200, "{}", resigned.text);
    start(&app, &dd, &left, &l, false).await.assert_problem(409);
}

/// Issue 13, point 2: once a transfer without home ties is confirmed, the
/// former district reads ids, units, dates and the outcome, never the person.
async fn the_sending_district_keeps_no_names_after_the_move(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let member = enter(
        &app,
        &dd,
        &app.unit_id("DD").await,
        json!({ "last_name": "Fortgezogen" }),
    )
    .await;
    let number = member["membership_number"].as_str().expect("number");
    let started = start(&app, &dd, &member, &app.unit_id("L").await, false).await;
    let transfer = started.body["id"].as_str().expect("id").to_owned();
    let one = format!("/api/v1/transfers/{transfer}");
    // While it is open both sides know whom it is about.
    for token in [&dd, &leipzig] {
        let open = app.get(&one, token).await;
        assert_eq!(open.body["member"]["last_name"], "Fortgezogen");
    }
    let confirmed = app
        .post(&format!("{one}/confirm"), Some(&leipzig), &json!({}))
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);

    let single = app.get(&one, &dd).await;
    assert_eq!(single.status, 200, "{}", single.text);
    assert_eq!(single.body["status"], "confirmed");
    assert_eq!(single.body["member_id"], member["id"]);
    assert!(single.body["member"].is_null(), "{}", single.text);
    let listed = app.get("/api/v1/transfers", &dd).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    assert!(listed.body[0]["member"].is_null(), "{}", listed.text);
    for reply in [&single, &listed] {
        assert!(!reply.text.contains("Fortgezogen"), "{}", reply.text);
        assert!(!reply.text.contains(number), "{}", reply.text);
    }
    // The side that holds the member now, and the state office, still do.
    for token in [&leipzig, &lgs] {
        let held = app.get(&one, token).await;
        assert_eq!(held.body["member"]["last_name"], "Fortgezogen");
        assert_eq!(held.body["member"]["membership_number"], number);
    }
}

/// Issue 13, point 3: home ties are a bond with a member; once the
/// membership ends the former district is outside like anyone else.
async fn home_ties_end_when_the_membership_ends(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let today = today(&app).to_string();
    let mut paths = Vec::new();
    for (name, ending) in [
        (
            "Austritt",
            json!({ "resignation": { "effective_on": today } }),
        ),
        (
            "Verstorben",
            json!({ "status": "deceased", "left_on": today }),
        ),
        (
            "Ausgeschlossen",
            json!({ "status": "expelled", "left_on": today }),
        ),
    ] {
        let member = enter(
            &app,
            &dd,
            &app.unit_id("DD").await,
            json!({ "last_name": name, "email": format!("{name}@example.org") }),
        )
        .await;
        let started = start(&app, &dd, &member, &app.unit_id("L").await, true).await;
        let transfer = started.body["id"].as_str().expect("id").to_owned();
        app.post(
            &format!("/api/v1/transfers/{transfer}/confirm"),
            Some(&leipzig),
            &json!({}),
        )
        .await;
        let path = format!("/api/v1/members/{}", id(&member));
        let tied = app.get(&path, &dd).await;
        assert_eq!(tied.body["view"], "home_ties", "{}", tied.text);
        paths.push((path, ending));
    }
    let listed = app.get("/api/v1/members", &dd).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(3));

    for (path, ending) in &paths {
        let ended = match ending.get("resignation") {
            Some(body) => {
                app.post(&format!("{path}/resignation"), Some(&leipzig), body)
                    .await
            }
            None => {
                let version = app.get(path, &leipzig).await.body["version"].as_i64();
                app.patch(path, &leipzig, version, ending).await
            }
        };
        assert_eq!(ended.status, 200, "{}", ended.text);
        assert_ne!(ended.body["status"], "active");
        app.get(path, &dd).await.assert_problem(404);
    }
    for query in ["", "?status=left", "?status=deceased", "?q=Austritt"] {
        let listed = app.get(&format!("/api/v1/members{query}"), &dd).await;
        assert_eq!(
            listed.body["items"].as_array().map(Vec::len),
            Some(0),
            "{query}: {}",
            listed.text
        );
    }
}
