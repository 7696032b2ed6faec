//! The audit log across records (`GET /api/v1/audit`, admin only): every
//! bulk read of personal data (member list and unentered register as CSV,
//! the Art. 15 export, the import) appears with its filter and row count,
//! never with the rows; changed values stay sealed.

use kartei_tests::{ADMIN, BOARD, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases};
use serde_json::{Value, json};

use kartei_tests::members::{enter, id};

on_both_databases!(
    bulk_reads_and_imports_are_logged_with_filter_and_count_only,
    the_audit_log_pages_and_filters_by_actor_and_day,
    only_the_admin_reads_the_audit_log_and_bad_filters_are_422,
);

/// Every item of the log matching `query`, following the cursors.
async fn all_items(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = format!("/api/v1/audit?limit=200&{query}");
    loop {
        let reply = app.get(&path, token).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        items.extend(reply.body["items"].as_array().cloned().unwrap_or_default());
        match reply.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/audit?limit=200&{query}&cursor={cursor}"),
            None => return items,
        }
    }
}

async fn account_id(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/me", token).await.body["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn bulk_reads_and_imports_are_logged_with_filter_and_count_only(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let admin = app.token_of(ADMIN).await;
    let lgs_id = account_id(&app, &lgs).await;
    let dd = app.unit_id("DD").await;
    let member = enter(
        &app,
        &lgs,
        &dd,
        json!({
            "last_name": "Quastenflosser",
            "email": "quasten@example.org",
            "street": "Seerosenweg 7",
        }),
    )
    .await;
    let changed = app
        .patch(
            &format!("/api/v1/members/{}", id(&member)),
            &lgs,
            member["version"].as_i64(),
            &json!({ "street": "Wasserlinsenpfad 8" }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    app.register(&lgs, json!({ "last_name": "Kaulquappe" }))
        .await;

    // Reads that are no bulk export leave no export entry.
    assert_eq!(app.get("/api/v1/members?q=quasten", &lgs).await.status, 200);
    assert_eq!(app.get("/api/v1/reports/unentered", &lgs).await.status, 200);
    assert!(all_items(&app, &admin, "action=export").await.is_empty());

    let csv = app.get("/api/v1/members?format=csv&q=quasten", &lgs).await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let unentered = app
        .get(
            &format!("/api/v1/reports/unentered?format=csv&org_unit_id={dd}"),
            &lgs,
        )
        .await;
    assert_eq!(unentered.status, 200, "{}", unentered.text);
    let export = app
        .get(&format!("/api/v1/members/{}/export", id(&member)), &lgs)
        .await;
    assert_eq!(export.status, 200, "{}", export.text);
    let import = app
        .post_text(
            "/api/v1/members/import",
            &lgs,
            "text/csv",
            "first_name;last_name;date_of_birth;street;postal_code;city;org_unit;received_on;joined_on\n\
             Olga;Teichrose;1970-01-01;Uferweg 1;01097;Dresden;DD;2015-01-02;2015-02-01\n\
             Paul;Teichrose;1971-01-01;Uferweg 1;01097;Dresden;DD;2015-01-02;2015-02-01\n",
        )
        .await;
    assert_eq!(import.status, 201, "{}", import.text);

    let exports = all_items(&app, &admin, "action=export").await;
    assert_eq!(exports.len(), 3, "{exports:#?}");
    // Newest first.
    let art15 = &exports[0];
    assert_eq!(art15["action"], "export");
    assert_eq!(
        art15["subject"],
        json!({ "type": "member", "id": id(&member) })
    );
    assert_eq!(art15["detail"]["kind"], "art15");
    let register = &exports[1];
    assert_eq!(
        register["subject"],
        json!({ "type": "unentered", "id": null })
    );
    assert_eq!(
        register["detail"],
        json!({ "format": "csv", "filter": { "org_unit_id": dd }, "rows": 1 })
    );
    let list = &exports[2];
    assert_eq!(list["action"], "export");
    assert_eq!(list["actor_id"], lgs_id.as_str());
    assert!(list["at"].as_str().is_some_and(|at| at.ends_with('Z')));
    assert_eq!(
        list["subject"],
        json!({ "type": "member_list", "id": null })
    );
    assert_eq!(
        list["detail"],
        json!({
            "format": "csv",
            "filter": {
                "org_unit_id": null,
                "status": null,
                "joined_from": null,
                "search_term_given": true
            },
            "rows": 1
        })
    );

    let imports = all_items(&app, &admin, "action=import").await;
    assert_eq!(imports.len(), 1, "{imports:#?}");
    assert_eq!(imports[0]["actor_id"], lgs_id.as_str());
    assert_eq!(
        imports[0]["subject"],
        json!({ "type": "member_import", "id": null })
    );
    assert_eq!(imports[0]["detail"], json!({ "format": "csv", "rows": 2 }));

    // The change is logged by field, its values sealed.
    let changes = all_items(&app, &admin, "action=member_changed").await;
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0]["detail"]["changes"],
        json!([{ "field": "street", "old": { "sealed": true }, "new": { "sealed": true } }])
    );

    let everything = serde_json::to_string(&all_items(&app, &admin, "").await).expect("json");
    for personal in [
        "Quastenflosser",
        "quasten",
        "Seerosenweg",
        "Wasserlinsenpfad",
        "Kaulquappe",
        "Teichrose",
        "Uferweg",
        "1970-01-01",
    ] {
        assert!(
            !everything.contains(personal),
            "{personal:?} in the audit log"
        );
    }
}

async fn the_audit_log_pages_and_filters_by_actor_and_day(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let admin = app.token_of(ADMIN).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let lgs_id = account_id(&app, &lgs).await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/members?format=csv", &lgs).await.status,
            200
        );
    }

    let first = app.get("/api/v1/audit?limit=2", &admin).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let page1 = first.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(page1.len(), 2);
    let cursor = first.body["next_cursor"].as_str().expect("more pages");
    let second = app
        .get(&format!("/api/v1/audit?limit=2&cursor={cursor}"), &admin)
        .await;
    let page2 = second.body["items"].as_array().cloned().unwrap_or_default();
    let four = app.get("/api/v1/audit?limit=4", &admin).await;
    let both: Vec<Value> = page1.into_iter().chain(page2).collect();
    assert_eq!(Value::Array(both.clone()), four.body["items"]);
    let times: Vec<chrono::DateTime<chrono::Utc>> = both
        .iter()
        .filter_map(|i| i["at"].as_str()?.parse().ok())
        .collect();
    assert_eq!(times.len(), 4);
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let everything = all_items(&app, &admin, "").await;
    assert!(everything.len() > 4);

    let by_actor = all_items(&app, &admin, &format!("actor_id={lgs_id}")).await;
    // Its login and its three exports.
    assert_eq!(by_actor.len(), 4, "{by_actor:#?}");
    assert!(by_actor.iter().all(|i| i["actor_id"] == lgs_id.as_str()));
    let exports = all_items(&app, &admin, &format!("actor_id={lgs_id}&action=export")).await;
    assert_eq!(exports.len(), 3);

    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let yesterday = today.pred_opt().expect("a day before");
    let tomorrow = today.succ_opt().expect("a day after");
    let on = |from, to| format!("action=export&from={from}&to={to}");
    assert_eq!(all_items(&app, &admin, &on(today, today)).await.len(), 3);
    assert_eq!(
        all_items(&app, &admin, &on(yesterday, today)).await.len(),
        3
    );
    assert!(
        all_items(&app, &admin, &on(yesterday, yesterday))
            .await
            .is_empty()
    );
    assert!(
        all_items(&app, &admin, &on(tomorrow, tomorrow))
            .await
            .is_empty()
    );
    assert_eq!(
        all_items(&app, &admin, &format!("action=export&from={today}"))
            .await
            .len(),
        3
    );
    assert!(
        all_items(&app, &admin, &format!("action=export&to={yesterday}"))
            .await
            .is_empty()
    );
}

async fn only_the_admin_reads_the_audit_log_and_bad_filters_are_422(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    for account in [STATE_OFFICE, DISTRICT_DRESDEN, BOARD] {
        let token = app.token_of(account).await;
        app.get("/api/v1/audit", &token).await.assert_problem(403);
    }
    app.send(app.request(reqwest::Method::GET, "/api/v1/audit", None))
        .await
        .assert_problem(401);

    let admin = app.token_of(ADMIN).await;
    for (query, field) in [
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("action=Export%21", "action"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=nonsense", "cursor"),
    ] {
        let reply = app.get(&format!("/api/v1/audit?{query}"), &admin).await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{query}");
    }
    for query in ["from=gestern", "actor_id=42"] {
        let reply = app.get(&format!("/api/v1/audit?{query}"), &admin).await;
        assert!(
            matches!(reply.status.as_u16(), 400 | 422),
            "{query}: {}",
            reply.text
        );
        assert_eq!(reply.content_type(), "application/problem+json");
    }
    // A well-formed filter that matches nothing is an empty page.
    let none = app.get("/api/v1/audit?action=no_such_action", &admin).await;
    assert_eq!(none.status, 200);
    assert_eq!(none.body, json!({ "items": [], "next_cursor": null }));
}
