//! The administration's pages over HTTP: staff accounts, the tree, the
//! routing table replaced from a file after a preview, and the mails that
//! could not be delivered; each page the administrator's alone.

use chrono::Duration;
use kartei_app::jobs::outbox as worker;
use kartei_tests::web::{Browser, hidden_field, input_value, location, signed_in};
use kartei_tests::{ADMIN, DEMO_PASSWORD, Db, STATE_OFFICE, TestApp, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    an_account_created_in_the_form_signs_in,
    a_wrong_field_is_told_in_german_and_creates_nothing,
    a_stale_account_edit_overwrites_nothing,
    the_admin_cannot_deactivate_itself_or_change_its_role,
    a_unit_is_created_and_renamed,
    a_routing_file_is_previewed_then_replaces_the_table,
    a_routing_file_with_errors_replaces_nothing,
    failed_mails_are_listed_newest_first_without_bodies,
    every_page_is_403_for_the_state_office_and_no_id_is_probed,
);

/// The CSRF token of the page at `path`.
async fn token(browser: &mut Browser<'_>, path: &str) -> String {
    let page = browser.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.text);
    hidden_field(&page.text, "csrf").expect("the page has a form")
}

async fn user_by_email(app: &TestApp, email: &str) -> Value {
    let admin = app.token_of(ADMIN).await;
    let users = app.get("/api/v1/users?limit=200", &admin).await;
    users.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["email"] == email)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn an_account_created_in_the_form_signs_in(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    let start = admin.get("/").await;
    assert!(start.text.contains("href=\"/verwaltung\""), "navigation");
    let hub = admin.get("/verwaltung").await;
    assert_eq!(hub.status, 200);
    for link in ["konten", "gliederungen", "zuordnung", "e-mails"] {
        assert!(hub.text.contains(&format!("href=\"/verwaltung/{link}\"")));
    }

    let csrf = token(&mut admin, "/verwaltung/konten").await;
    let leipzig = app.unit_id("L").await;
    let created = admin
        .post_form(
            "/verwaltung/konten",
            &[
                ("csrf", &csrf),
                ("email", "kv-leipzig@kartei.example"),
                ("display_name", "Kreisgeschäftsstelle Leipzig"),
                ("role", "district_office"),
                ("org_unit_id", &leipzig),
                ("password", "ein langes Passwort"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.text);
    let list = admin.get(location(&created)).await;
    assert!(
        list.text.contains("Das Konto ist angelegt."),
        "{}",
        list.text
    );
    for shown in [
        "Kreisgeschäftsstelle Leipzig",
        "kv-leipzig@kartei.example",
        "Kreisgeschäftsstelle",
        "Stadtverband Leipzig",
    ] {
        assert!(list.text.contains(shown), "{shown}: {}", list.text);
    }
    // The password is never written back into a page.
    assert!(!list.text.contains("ein langes Passwort"));

    let mut leipzig_office = Browser::new(&app);
    let reply = leipzig_office
        .sign_in("kv-leipzig@kartei.example", "ein langes Passwort")
        .await;
    assert_eq!(reply.status, 303, "{}", reply.text);
    let start = leipzig_office.get("/").await;
    assert!(start.text.contains("Kreisgeschäftsstelle Leipzig"));
    assert!(!start.text.contains("href=\"/verwaltung\""));
}

async fn a_wrong_field_is_told_in_german_and_creates_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    let csrf = token(&mut admin, "/verwaltung/konten").await;
    let users = app.count("users").await;

    let refused = admin
        .post_form(
            "/verwaltung/konten",
            &[
                ("csrf", &csrf),
                ("email", "kein-at-zeichen"),
                ("display_name", "Neu"),
                ("role", "district_office"),
                ("org_unit_id", ""),
                ("password", "kurz"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    for error in [
        "E-Mail-Adresse: ist keine gültige E-Mail-Adresse",
        "Gliederung: ist für diese Rolle erforderlich",
        "muss mindestens 12 Zeichen lang sein",
        "aria-invalid=\"true\"",
    ] {
        assert!(refused.text.contains(error), "{error}: {}", refused.text);
    }
    // What was typed stays, but the password.
    assert_eq!(
        input_value(&refused.text, "email").as_deref(),
        Some("kein-at-zeichen")
    );
    assert!(!refused.text.contains("value=\"kurz\""));

    let taken = admin
        .post_form(
            "/verwaltung/konten",
            &[
                ("csrf", &csrf),
                ("email", STATE_OFFICE),
                ("display_name", "Noch einmal"),
                ("role", "board"),
                ("org_unit_id", ""),
                ("password", "ein langes Passwort"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422, "{}", taken.text);
    assert!(taken.text.contains("E-Mail-Adresse: ist schon vergeben"));
    assert_eq!(app.count("users").await, users, "nothing created");
}

/// The fields of the account form as served, with `changes` typed in.
fn account_fields(form: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = ["csrf", "version", "display_name", "email"]
        .into_iter()
        .map(|name| (name.to_owned(), input_value(form, name).unwrap_or_default()))
        .collect();
    let selected = |name: &str| {
        let select = &form[form.find(&format!("name=\"{name}\"")).unwrap_or(0)..];
        let select = &select[..select.find("</select>").unwrap_or(select.len())];
        select
            .find("\" selected>")
            .and_then(|end| select[..end].rfind("value=\"").map(|s| s + 7..end))
            .map(|range| select[range].to_owned())
            .unwrap_or_default()
    };
    fields.push(("role".to_owned(), selected("role")));
    fields.push(("org_unit_id".to_owned(), selected("org_unit_id")));
    if form.contains("name=\"active\" value=\"1\" checked") {
        fields.push(("active".to_owned(), "1".to_owned()));
    }
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        if !value.is_empty() {
            fields.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    fields
}

async fn a_stale_account_edit_overwrites_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let office = user_by_email(&app, STATE_OFFICE).await;
    let id = office["id"].as_str().expect("id").to_owned();
    let path = format!("/verwaltung/konten/{id}");
    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    let form = admin.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert_eq!(
        input_value(&form.text, "display_name").as_deref(),
        Some("Landesgeschäftsstelle")
    );

    // Someone else renames the account meanwhile.
    let version = office["version"].as_i64().expect("version");
    let token = app.token_of(ADMIN).await;
    let other = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &token,
            Some(version),
            &json!({ "display_name": "LGS Dresden" }),
        )
        .await;
    assert_eq!(other.status, 200, "{}", other.text);

    let fields = account_fields(&form.text, &[("display_name", "LGS Chemnitz")]);
    let stale = admin.post_fields(&path, &fields).await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert!(
        stale
            .text
            .contains("Jemand anderes hat diesen Datensatz geändert")
    );
    assert!(
        stale.text.contains("LGS Dresden"),
        "the state now: {}",
        stale.text
    );
    assert_eq!(
        user_by_email(&app, STATE_OFFICE).await["display_name"],
        "LGS Dresden",
        "nothing overwritten"
    );

    // Saving again from the conflict page is a decision with the other
    // change in view.
    let again = account_fields(&stale.text, &[]);
    let saved = admin.post_fields(&path, &again).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    assert_eq!(
        user_by_email(&app, STATE_OFFICE).await["display_name"],
        "LGS Chemnitz"
    );
}

async fn the_admin_cannot_deactivate_itself_or_change_its_role(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let own = user_by_email(&app, ADMIN).await;
    let path = format!("/verwaltung/konten/{}", own["id"].as_str().expect("id"));
    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    let form = admin.get(&path).await;

    for change in [("active", ""), ("role", "board")] {
        let fields = account_fields(&form.text, &[change]);
        let refused = admin.post_fields(&path, &fields).await;
        assert_eq!(refused.status, 409, "{change:?}: {}", refused.text);
        assert!(
            refused.text.contains(
                "Ihr eigenes Konto können Sie weder deaktivieren noch seine Rolle ändern."
            ),
            "{}",
            refused.text
        );
    }
    let now = user_by_email(&app, ADMIN).await;
    assert_eq!(
        (now["active"].clone(), now["role"].clone()),
        (json!(true), json!("admin"))
    );
    assert_eq!(now["version"], own["version"]);
    // Still signed in: nothing ended the session.
    assert_eq!(admin.get("/verwaltung").await.status, 200);
}

async fn a_unit_is_created_and_renamed(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    let tree = admin.get("/verwaltung/gliederungen").await;
    assert_eq!(tree.status, 200);
    assert!(tree.text.contains("Ortsverband Dresden-Neustadt"));
    let csrf = hidden_field(&tree.text, "csrf").expect("token");
    let dresden = app.unit_id("DD").await;
    let units = app.count("org_units").await;

    let refused = admin
        .post_form(
            "/verwaltung/gliederungen",
            &[
                ("csrf", &csrf),
                ("name", "Ortsverband Dresden-Pieschen"),
                ("kind", "local"),
                ("parent_id", ""),
                ("short_code", "DD PIE"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("darf nur Buchstaben, Ziffern und Bindestriche enthalten"),
        "{}",
        refused.text
    );
    let taken = admin
        .post_form(
            "/verwaltung/gliederungen",
            &[
                ("csrf", &csrf),
                ("name", "Ortsverband Dresden-Pieschen"),
                ("kind", "local"),
                ("parent_id", &dresden),
                ("short_code", "DD-NEU"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(taken.status, 422, "{}", taken.text);
    assert!(taken.text.contains("ist schon vergeben"), "{}", taken.text);
    assert_eq!(app.count("org_units").await, units, "nothing created");

    let created = admin
        .post_form(
            "/verwaltung/gliederungen",
            &[
                ("csrf", &csrf),
                ("name", "Ortsverband Dresden-Pieschen"),
                ("kind", "local"),
                ("parent_id", &dresden),
                ("short_code", "DD-PIE"),
                ("email", "dd-pie@kartei.example"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.text);
    let tree = admin.get(location(&created)).await;
    assert!(tree.text.contains("Die Gliederung ist angelegt."));
    assert!(tree.text.contains("Ortsverband Dresden-Pieschen"));
    assert!(tree.text.contains("dd-pie@kartei.example"));

    let id = app.unit_id("DD-PIE").await;
    let path = format!("/verwaltung/gliederungen/{id}");
    let form = admin.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.text);
    let fields = [
        ("csrf", csrf.clone()),
        (
            "version",
            input_value(&form.text, "version").unwrap_or_default(),
        ),
        ("name", "Ortsverband Pieschen".to_owned()),
        ("short_code", "DD-PIE".to_owned()),
        ("email", String::new()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let saved = admin.post_form(&path, &pairs).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let token = app.token_of(ADMIN).await;
    let unit = app.get(&format!("/api/v1/org-units/{id}"), &token).await;
    assert_eq!(unit.body["name"], "Ortsverband Pieschen");
    assert_eq!(unit.body["email"], Value::Null);

    // The form read before the rename is stale now.
    let stale = admin.post_form(&path, &pairs).await;
    assert_eq!(stale.status, 409, "{}", stale.text);
}

async fn routing_table(app: &TestApp) -> Vec<(String, String)> {
    let token = app.token_of(ADMIN).await;
    let reply = app.get("/api/v1/routing-rules", &token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
        .body
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            let field = |name: &str| r[name].as_str().unwrap_or_default().to_owned();
            (field("postal_code"), field("org_unit_id"))
        })
        .collect()
}

async fn a_routing_file_is_previewed_then_replaces_the_table(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let before = routing_table(&app).await;
    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    let csrf = token(&mut admin, "/verwaltung/zuordnung").await;

    // As a German Excel saves it: semicolons, Windows-1252, 01067 without
    // its zero. 01067 and 01099 stay, 01097 moves, 99998 is new, every
    // other code goes.
    let file =
        b"postal_code;org_unit\r\n1067;DD\r\n01097;L-SUED\r\n01099;dd-neu\r\n99998;DD\r\n".to_vec();
    let preview = admin
        .post_file(
            "/verwaltung/zuordnung/vorschau",
            &[("csrf", &csrf)],
            ("datei", "zuordnung.csv", file),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    let removed = before.len() - 3;
    for shown in [
        "1 neu zugeordnet".to_owned(),
        "1 an eine andere Gliederung".to_owned(),
        format!("{removed} nicht mehr zugeordnet"),
        "2 unverändert".to_owned(),
        "Ortsverband Dresden-Neustadt (Stadtverband Dresden)".to_owned(),
        "Ortsverband Leipzig-Süd (Stadtverband Leipzig)".to_owned(),
        "99998".to_owned(),
    ] {
        assert!(preview.text.contains(&shown), "{shown}: {}", preview.text);
    }
    assert_eq!(
        routing_table(&app).await,
        before,
        "a preview writes nothing"
    );

    let rules = hidden_field(&preview.text, "regeln").expect("the confirmation carries the table");
    let seen = hidden_field(&preview.text, "stand").expect("and the table it was shown against");

    // Someone replaces the table between the preview and the confirmation:
    // the confirmation writes nothing and shows the change against theirs.
    let api = app.token_of(ADMIN).await;
    let theirs = json!([
        { "postal_code": "01067", "org_unit_id": app.unit_id("DD").await },
        { "postal_code": "04109", "org_unit_id": app.unit_id("L").await },
    ]);
    let reply = app.put("/api/v1/routing-rules", &api, &theirs).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let late = admin
        .post_form(
            "/verwaltung/zuordnung",
            &[("csrf", &csrf), ("regeln", &rules), ("stand", &seen)],
        )
        .await;
    assert_eq!(late.status, 409, "{}", late.text);
    assert!(late.text.contains("inzwischen ersetzt"), "{}", late.text);
    assert!(late.text.contains("3 neu zugeordnet"), "{}", late.text);
    assert!(
        late.text.contains("1 nicht mehr zugeordnet"),
        "{}",
        late.text
    );
    let codes: Vec<String> = routing_table(&app)
        .await
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(codes, ["01067", "04109"], "theirs stands");

    let seen = hidden_field(&late.text, "stand").expect("the new table's fingerprint");
    let replaced = admin
        .post_form(
            "/verwaltung/zuordnung",
            &[("csrf", &csrf), ("regeln", &rules), ("stand", &seen)],
        )
        .await;
    assert_eq!(replaced.status, 303, "{}", replaced.text);
    let page = admin.get(location(&replaced)).await;
    assert!(page.text.contains("Die Zuordnung ist ersetzt."));
    let after = routing_table(&app).await;
    let codes: Vec<&str> = after.iter().map(|(code, _)| code.as_str()).collect();
    assert_eq!(codes, ["01067", "01097", "01099", "99998"]);
    let token = app.token_of(STATE_OFFICE).await;
    let moved = app
        .get("/api/v1/routing/resolve?postal_code=01097", &token)
        .await;
    assert_eq!(moved.body["local_id"], app.unit_id("L-SUED").await.as_str());
    let gone = app
        .get("/api/v1/routing/resolve?postal_code=04109", &token)
        .await;
    assert_eq!(gone.status, 404);
}

async fn a_routing_file_with_errors_replaces_nothing(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let before = routing_table(&app).await;
    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    let csrf = token(&mut admin, "/verwaltung/zuordnung").await;

    let file = "postal_code,org_unit\n01067,DD\n0106,DD\n01069,XX\n01067,L\n01070\n01071,SN\n";
    let refused = admin
        .post_file(
            "/verwaltung/zuordnung/vorschau",
            &[("csrf", &csrf)],
            ("datei", "zuordnung.csv", file.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("Nichts ersetzt."));
    assert!(!refused.text.contains("name=\"regeln\""), "no confirmation");
    for (row, field, message) in [
        (
            "2",
            "Postleitzahl (postal_code)",
            "muss genau fünf Ziffern haben",
        ),
        ("3", "Gliederung (org_unit)", "ist kein bekanntes Kürzel"),
        ("4", "Postleitzahl (postal_code)", "kommt mehrfach vor"),
        ("5", "ganze Zeile", "hat 1 Felder, die Kopfzeile 2"),
        (
            "6",
            "Gliederung (org_unit)",
            "muss ein Kreis- oder Ortsverband sein",
        ),
    ] {
        let cells = format!("<tr><td class=\"number\">{row}</td><td>{field}</td><td>{message}");
        assert!(refused.text.contains(&cells), "{cells}: {}", refused.text);
    }
    let header = admin
        .post_file(
            "/verwaltung/zuordnung/vorschau",
            &[("csrf", &csrf)],
            (
                "datei",
                "zuordnung.csv",
                b"plz;org_unit\n01067;DD\n".to_vec(),
            ),
        )
        .await;
    assert_eq!(header.status, 422);
    assert!(header.text.contains("Kopfzeile"), "{}", header.text);
    assert!(header.text.contains("Spalte 1"), "{}", header.text);

    // A confirmation is checked again: one that was changed on its way
    // replaces nothing either.
    let forged = admin
        .post_form(
            "/verwaltung/zuordnung",
            &[
                ("csrf", &csrf),
                ("regeln", "postal_code;org_unit\n01067;DD\n1;DD\n"),
            ],
        )
        .await;
    assert_eq!(forged.status, 422, "{}", forged.text);
    assert!(forged.text.contains("muss genau fünf Ziffern haben"));
    let stale_token = admin
        .post_form(
            "/verwaltung/zuordnung",
            &[
                ("csrf", "nicht-das-richtige"),
                ("regeln", "postal_code;org_unit\n01067;DD\n"),
            ],
        )
        .await;
    assert_eq!(stale_token.status, 403);
    assert_eq!(routing_table(&app).await, before, "nothing replaced");
}

async fn failed_mails_are_listed_newest_first_without_bodies(db: Db) {
    let app = TestApp::spawn_with_unreachable_smtp(db).await;
    kartei_api::seed::seed_demo(&app.state).await.expect("seed");
    let office = app.token_of(STATE_OFFICE).await;
    app.register(&office, json!({})).await;
    app.register(
        &office,
        json!({ "postal_code": "80331", "city": "München" }),
    )
    .await;
    for _ in 1..=worker::MAX_ATTEMPTS {
        app.deliver_mail().await;
        app.state.clock.advance(Duration::hours(2));
    }

    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    let failed = admin.get("/verwaltung/e-mails").await;
    assert_eq!(failed.status, 200, "{}", failed.text);
    let routed = failed
        .text
        .find("Erklärung zur Übernahme")
        .expect("the routed one");
    let stranded = failed
        .text
        .find("Erklärung ohne Zuordnung")
        .expect("the unroutable one");
    assert!(stranded < routed, "newest first: {}", failed.text);
    assert!(
        failed
            .text
            .contains("Neue Beitrittserklärung zur Übernahme"),
        "the subject"
    );
    assert!(failed.text.contains("dd@kartei.example"));
    assert!(failed.text.contains(&format!(
        "<td class=\"number\">{}</td>",
        worker::MAX_ATTEMPTS
    )));
    // Bodies name the person; the page does not.
    assert!(!failed.text.contains("Schmidt"), "{}", failed.text);
    assert!(!failed.text.contains("München"));

    let sent = admin.get("/verwaltung/e-mails?status=sent").await;
    assert!(
        sent.text
            .contains("Keine E-Mails mit dem Stand „versandt“."),
        "{}",
        sent.text
    );
}

async fn every_page_is_403_for_the_state_office_and_no_id_is_probed(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let account = user_by_email(&app, ADMIN).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let unit = app.unit_id("DD").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut office = signed_in(&app, STATE_OFFICE, DEMO_PASSWORD).await;
    assert!(!office.get("/").await.text.contains("href=\"/verwaltung\""));
    let csrf = token(&mut office, "/").await;
    let pages = [
        "/verwaltung".to_owned(),
        "/verwaltung/konten".to_owned(),
        format!("/verwaltung/konten/{account}"),
        format!("/verwaltung/konten/{unknown}"),
        "/verwaltung/gliederungen".to_owned(),
        format!("/verwaltung/gliederungen/{unit}"),
        format!("/verwaltung/gliederungen/{unknown}"),
        "/verwaltung/zuordnung".to_owned(),
        "/verwaltung/e-mails".to_owned(),
    ];
    for page in &pages {
        let reply = office.get(page).await;
        assert_eq!(reply.status, 403, "GET {page}: {}", reply.text);
        assert!(reply.text.contains("Keine Berechtigung"));
    }
    for page in pages
        .iter()
        .filter(|p| *p != "/verwaltung" && !p.ends_with("e-mails"))
    {
        let reply = office
            .post_form(page, &[("csrf", &csrf), ("role", "admin")])
            .await;
        assert_eq!(reply.status, 403, "POST {page}: {}", reply.text);
    }
    let upload = office
        .post_file(
            "/verwaltung/zuordnung/vorschau",
            &[("csrf", &csrf)],
            ("datei", "zuordnung.csv", b"postal_code;org_unit\n".to_vec()),
        )
        .await;
    assert_eq!(upload.status, 403);

    // The administrator learns of an unknown id what the API says: 404.
    let mut admin = signed_in(&app, ADMIN, DEMO_PASSWORD).await;
    for page in [
        format!("/verwaltung/konten/{unknown}"),
        format!("/verwaltung/gliederungen/{unknown}"),
    ] {
        assert_eq!(admin.get(&page).await.status, 404, "{page}");
    }
}
