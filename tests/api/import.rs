//! CSV import of member lists: all rows or none, with a report per row.

use std::sync::Arc;
use std::time::Duration;

use kartei_app::import::{ImportCounts, ImportProgress};
use kartei_domain::{Actor, Role};
use kartei_tests::{DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases};
use serde_json::{Value, json};
use uuid::Uuid;

use kartei_tests::members::{IMPORT_HEADER, enter, excel_rows, id, import_csv};

on_both_databases!(
    a_member_list_imports_whole_with_numbers_kept_and_assigned,
    a_refused_import_names_each_row_and_changes_nothing,
    only_the_state_office_imports_csv,
    a_file_without_header_row_is_refused_without_echoing_its_cells,
    an_excel_file_in_windows_1252_imports_with_its_umlauts_and_zeros,
    a_bad_date_is_named_by_row_and_field_and_nothing_is_imported,
    another_task_reads_the_progress_of_a_running_import,
);

const HEADER: &str = IMPORT_HEADER;

async fn a_member_list_imports_whole_with_numbers_kept_and_assigned(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let csv = format!(
        "\u{feff}{HEADER}\r\n\
         Anna;Ölmann;01.02.1990;anna@example.org;Weg 1;01097;Dresden;DD-NEU;2015-01-02;2015-02-01;500123\r\n\
         Bernd;Berg;1971-03-04;;\"Markt 2; Hinterhaus\";04109;Leipzig;L;2016-05-06;2016-06-01;\r\n\
         Clara;Çelik;1999-12-31;;Ring 3;09111;Chemnitz;c;2020-01-01;2020-01-15;\r\n"
    );
    let reply = app
        .post_text(
            "/api/v1/members/import",
            &lgs,
            "text/csv; charset=utf-8",
            csv,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({
            "imported": 3,
            "read_as": {
                "encoding": "utf-8",
                "delimiter": ";",
                "date_formats": ["YYYY-MM-DD", "DD.MM.YYYY"],
                "postal_codes_padded": 0
            }
        })
    );

    let listed = app.get("/api/v1/members?limit=10", &lgs).await;
    let items = listed.body["items"].as_array().expect("items").clone();
    let by_name = |name: &str| -> Value {
        items
            .iter()
            .find(|m| m["last_name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let anna = by_name("Ölmann");
    assert_eq!(anna["membership_number"], "500123");
    assert_eq!(anna["local_id"], app.unit_id("DD-NEU").await.as_str());
    assert_eq!(anna["district_id"], app.unit_id("DD").await.as_str());
    assert_eq!(anna["joined_on"], "2015-02-01");
    assert_eq!(by_name("Berg")["street"], "Markt 2; Hinterhaus");
    assert_eq!(
        by_name("Çelik")["district_id"],
        app.unit_id("C").await.as_str()
    );
    // Numbers handed out after an import never collide with imported ones.
    let assigned: Vec<i64> = ["Berg", "Çelik"]
        .iter()
        .map(|n| {
            by_name(n)["membership_number"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("numeric")
        })
        .collect();
    assert!(assigned.iter().all(|n| *n > 500123), "{assigned:?}");
    let later = enter(&app, &lgs, &app.unit_id("DD").await, json!({})).await;
    let later_number: i64 = later["membership_number"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("numeric");
    assert!(later_number > assigned.iter().copied().max().unwrap_or_default());

    let history = app
        .get(&format!("/api/v1/members/{}/history", id(&anna)), &lgs)
        .await;
    assert_eq!(history.body[0]["action"], "member_created");
    assert_eq!(history.body[0]["details"]["source"], "import");

    // Commas and unit ids work as well.
    let dresden = app.unit_id("DD").await;
    let commas = format!(
        "first_name,last_name,date_of_birth,street,postal_code,city,org_unit_id,received_on,joined_on,interests\n\
         Dora,Dachs,1980-01-01,Weg 4,01067,Dresden,{dresden},2019-01-01,2019-02-01,\"Umwelt, Verkehr\"\n"
    );
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", commas)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["read_as"]["delimiter"], ",");
    assert_eq!(reply.body["read_as"]["date_formats"], json!(["YYYY-MM-DD"]));
    let dora = app.get("/api/v1/members?q=dachs", &lgs).await;
    assert_eq!(
        dora.body["items"][0]["interests"],
        json!(["Umwelt", "Verkehr"])
    );
}

async fn a_refused_import_names_each_row_and_changes_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let existing = enter(&app, &lgs, &app.unit_id("DD").await, json!({})).await;
    let taken = existing["membership_number"]
        .as_str()
        .expect("number")
        .to_owned();
    let members_before = app.count("members").await;
    let audit_before = app.count("audit_events").await;

    let csv = format!(
        "{HEADER}\n\
         Anna;Ölmann;1990-02-01;;Weg 1;01097;Dresden;DD;2015-01-02;2015-02-01;\n\
         Bernd;Berg;1971-03-04;kein-mail;Markt 2;04109;Leipzig;NIRGENDS;2016-05-06;2016-06-01;\n\
         Clara;Celik;1999-12-31;;Ring 3;09111;Chemnitz;C;2020-01-01;2020-01-15;{taken}\n"
    );
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
        .await;
    reply.assert_problem(422);
    let errors: Vec<(u64, String)> = reply.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or_default(),
                e["field"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [(2, "email".to_owned()), (2, "org_unit".to_owned())]
    );
    assert!(
        !reply.text.contains("kein-mail") && !reply.text.contains("Berg"),
        "no values echoed"
    );
    assert_eq!(
        app.count("members").await,
        members_before,
        "nothing half-imported"
    );
    assert_eq!(app.count("audit_events").await, audit_before);

    // With the rows fixed, the taken number is the only problem left.
    let csv = format!(
        "{HEADER}\n\
         Anna;Ölmann;1990-02-01;;Weg 1;01097;Dresden;DD;2015-01-02;2015-02-01;\n\
         Clara;Celik;1999-12-31;;Ring 3;09111;Chemnitz;C;2020-01-01;2020-01-15;{taken}\n"
    );
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
        .await;
    reply.assert_problem(422);
    assert_eq!(
        reply.body["errors"],
        json!([{ "row": 2, "field": "membership_number", "message": "is already taken" }])
    );
    assert_eq!(app.count("members").await, members_before);
    // The counter did not move either: the next number follows the last one.
    let next = enter(
        &app,
        &lgs,
        &app.unit_id("DD").await,
        json!({ "first_name": "Nina" }),
    )
    .await;
    let next_number: i64 = next["membership_number"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("numeric");
    assert_eq!(next_number, taken.parse::<i64>().expect("numeric") + 1);

    let header_only = app
        .post_text(
            "/api/v1/members/import",
            &lgs,
            "text/csv",
            "first_name;nickname\n",
        )
        .await;
    header_only.assert_problem(422);
    assert!(
        header_only.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| e["row"] == 0)
    );
}

async fn only_the_state_office_imports_csv(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let csv = format!(
        "{HEADER}\nAnna;Ölmann;1990-02-01;;Weg 1;01097;Dresden;DD;2015-01-02;2015-02-01;\n"
    );
    app.post_text("/api/v1/members/import", &dd, "text/csv", csv.clone())
        .await
        .assert_problem(403);
    app.post_text("/api/v1/members/import", &lgs, "application/json", csv)
        .await
        .assert_problem(415);
    assert_eq!(app.count("members").await, 0);
}

async fn a_file_without_header_row_is_refused_without_echoing_its_cells(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let audit_before = app.count("audit_events").await;
    // The header row forgotten: the first person's data stands where the
    // column names belong.
    let csv = "Annegret;Zwiebelmann;1961-07-08;annegret@example.org;Quittenweg 9;01097;Dresden;DD;2015-01-02;2015-02-01;\n\
               Bernd;Berg;1971-03-04;;Markt 2;04109;Leipzig;L;2016-05-06;2016-06-01;\n";
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
        .await;
    reply.assert_problem(422);
    for cell in [
        "Annegret",
        "Zwiebelmann",
        "1961-07-08",
        "annegret@example.org",
        "Quittenweg",
        "Bernd",
        "Markt 2",
    ] {
        assert!(
            !reply.text.contains(cell),
            "{cell:?} echoed: {}",
            reply.text
        );
    }
    let errors = reply.body["errors"].as_array().expect("errors");
    assert!(errors.iter().all(|e| e["row"] == 0), "{}", reply.text);
    // Unknown columns are named by position, missing ones by field name,
    // each with the rule it breaks.
    assert!(
        errors.contains(&json!({
            "row": 0, "field": "column 1", "message": "is not a known column name"
        })),
        "{}",
        reply.text
    );
    assert!(
        errors.contains(&json!({
            "row": 0, "field": "last_name", "message": "is a required column"
        })),
        "{}",
        reply.text
    );
    assert_eq!(app.count("members").await, 0);
    assert_eq!(app.count("audit_events").await, audit_before);

    // With its header row the same file is taken.
    let fixed = format!("{HEADER}\n{csv}");
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", fixed)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["imported"], 2);
}

async fn an_excel_file_in_windows_1252_imports_with_its_umlauts_and_zeros(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let csv = excel_rows(&[
        b"J\xFCrgen;Gro\xDFmann;07.03.1961;;Bautzner Stra\xDFe 12;1067;Dresden;DD;02.01.2015;01.02.2015;",
        b"Ren\xE9e;\xD6lschl\xE4ger;1980-05-06;;Zschopauer Stra\xDFe 5;09111;Chemnitz;C;06.05.2016;2016-06-01;",
    ]);
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({
            "imported": 2,
            "read_as": {
                "encoding": "windows-1252",
                "delimiter": ";",
                "date_formats": ["YYYY-MM-DD", "DD.MM.YYYY"],
                "postal_codes_padded": 1
            }
        })
    );

    let listed = app.get("/api/v1/members?limit=10", &lgs).await;
    let items = listed.body["items"].as_array().expect("items");
    let member = |first_name: &str| -> Value {
        let found = items.iter().find(|m| m["first_name"] == first_name);
        found
            .cloned()
            .unwrap_or_else(|| panic!("{first_name} missing: {}", listed.text))
    };
    let jurgen = member("Jürgen");
    assert_eq!(jurgen["last_name"], "Großmann");
    assert_eq!(jurgen["street"], "Bautzner Straße 12");
    assert_eq!(jurgen["postal_code"], "01067");
    assert_eq!(jurgen["date_of_birth"], "1961-03-07");
    assert_eq!(jurgen["received_on"], "2015-01-02");
    assert_eq!(jurgen["joined_on"], "2015-02-01");
    let renee = member("Renée");
    assert_eq!(renee["last_name"], "Ölschläger");
    assert_eq!(renee["street"], "Zschopauer Straße 5");
    assert_eq!(renee["postal_code"], "09111");
    assert_eq!(renee["received_on"], "2016-05-06");
    // Found by the umlaut-insensitive search as well.
    let found = app.get("/api/v1/members?q=grossmann", &lgs).await;
    assert_eq!(found.body["items"][0]["id"], jurgen["id"], "{}", found.text);
}

async fn a_bad_date_is_named_by_row_and_field_and_nothing_is_imported(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let audit_before = app.count("audit_events").await;
    let csv = excel_rows(&[
        b"J\xFCrgen;Gro\xDFmann;07.03.1961;;Bautzner Stra\xDFe 12;1067;Dresden;DD;02.01.2015;01.02.2015;",
        b"Ren\xE9e;\xD6lschl\xE4ger;1980-05-06;;Ring 5;09111;Chemnitz;C;2016-05-06;31.02.2016;",
        // Excel's short year: the century would be a guess.
        b"Hans;H\xE4hnel;07.03.61;;Ring 6;1067;Dresden;DD;2016-05-06;2016-06-01;",
        b"Grete;Gr\xFCn;1970-01-01;;Ring 7;1O67;Dresden;DD;2016-05-06;2016-06-01;",
    ]);
    let reply = app
        .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
        .await;
    reply.assert_problem(422);
    let not_a_date = "must be a date (YYYY-MM-DD or DD.MM.YYYY)";
    assert_eq!(
        reply.body["errors"],
        json!([
            { "row": 2, "field": "joined_on", "message": not_a_date },
            { "row": 3, "field": "date_of_birth", "message": not_a_date },
            { "row": 4, "field": "postal_code", "message": "must be exactly five digits" },
        ]),
        "{}",
        reply.text
    );
    for cell in [
        "31.02.2016",
        "07.03.61",
        "1O67",
        "Hähnel",
        "Ölschläger",
        "Ring",
    ] {
        assert!(
            !reply.text.contains(cell),
            "{cell:?} echoed: {}",
            reply.text
        );
    }
    assert_eq!(app.count("members").await, 0, "nothing half-imported");
    assert_eq!(app.count("audit_events").await, audit_before);
}

async fn another_task_reads_the_progress_of_a_running_import(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let me = app.get("/api/v1/me", &lgs).await;
    let uuid = |value: &Value| value.as_str().and_then(|s| Uuid::parse_str(s).ok());
    let actor = Actor {
        user_id: uuid(&me.body["id"]).expect("account id"),
        role: Role::StateOffice,
        org_unit_id: uuid(&me.body["org_unit_id"]),
    };
    // More rows than one write step, so that the writing advances in parts.
    let rows = 2_500;
    let progress = Arc::new(ImportProgress::new());
    let import = tokio::spawn({
        let (app, settings, progress) = (
            app.state.app.clone(),
            app.state.settings.import,
            Arc::clone(&progress),
        );
        async move {
            let csv = import_csv(rows);
            kartei_app::import::import(&app, &actor, csv.as_bytes(), &settings, Some(&progress))
                .await
        }
    });
    let mut readings = vec![progress.counts()];
    while !import.is_finished() {
        tokio::time::sleep(Duration::from_millis(2)).await;
        readings.push(progress.counts());
    }
    let imported = import.await.expect("joined").expect("imported");
    assert_eq!(imported.count, rows);
    readings.push(progress.counts());
    let done = ImportCounts {
        total_rows: rows,
        rows_checked: rows,
        rows_written: rows,
    };
    assert_eq!(readings.last(), Some(&done));
    for (before, after) in readings.iter().zip(&readings[1..]) {
        assert!(
            after.rows_written <= after.rows_checked && after.rows_checked <= after.total_rows,
            "{after:?}"
        );
        assert!(
            before.rows_checked <= after.rows_checked && before.rows_written <= after.rows_written,
            "{before:?} then {after:?}"
        );
    }
    assert_eq!(app.count("members").await, rows as i64);
}
