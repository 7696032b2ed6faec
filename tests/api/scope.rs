//! Who may call what: every role against every route of this part of the
//! API, and no token at all.

use kartei_tests::{
    ADMIN, BOARD, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp, on_both_databases,
};
use reqwest::Method;
use serde_json::{Value, json};

on_both_databases!(every_role_against_every_route);

struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    /// Roles that may; every other role gets 403.
    allowed: &'static [&'static str],
}

async fn every_role_against_every_route(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let dresden = app.unit_id("DD").await;
    let state = app.unit_id("SN").await;
    let everyone: &[&str] = &[
        ADMIN,
        STATE_OFFICE,
        DISTRICT_DRESDEN,
        BRANCH_NEUSTADT,
        BOARD,
    ];
    let admin_only: &[&str] = &[ADMIN];
    let some_user = app.get("/api/v1/me", &app.token_of(BOARD).await).await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let calls = [
        Call {
            method: Method::GET,
            path: "/api/v1/me".into(),
            body: None,
            allowed: everyone,
        },
        Call {
            method: Method::GET,
            path: "/api/v1/users".into(),
            body: None,
            allowed: admin_only,
        },
        Call {
            method: Method::POST,
            path: "/api/v1/users".into(),
            body: Some(
                json!({ "email": "x@kartei.example", "display_name": "X", "role": "board", "password": "ein langes Passwort" }),
            ),
            allowed: admin_only,
        },
        Call {
            method: Method::GET,
            path: format!("/api/v1/users/{some_user}"),
            body: None,
            allowed: admin_only,
        },
        Call {
            method: Method::PATCH,
            path: format!("/api/v1/users/{some_user}"),
            body: Some(json!({ "display_name": "Vorstand" })),
            allowed: admin_only,
        },
        Call {
            method: Method::GET,
            path: "/api/v1/org-units".into(),
            body: None,
            allowed: everyone,
        },
        Call {
            method: Method::GET,
            path: format!("/api/v1/org-units/{dresden}"),
            body: None,
            allowed: everyone,
        },
        Call {
            method: Method::POST,
            path: "/api/v1/org-units".into(),
            body: Some(
                json!({ "name": "KV Neu", "kind": "district", "parent_id": state, "short_code": "NEU" }),
            ),
            allowed: admin_only,
        },
        Call {
            method: Method::PATCH,
            path: format!("/api/v1/org-units/{dresden}"),
            body: Some(json!({ "name": "Stadtverband Dresden" })),
            allowed: admin_only,
        },
        Call {
            method: Method::GET,
            path: "/api/v1/routing-rules".into(),
            body: None,
            allowed: admin_only,
        },
        Call {
            method: Method::PUT,
            path: "/api/v1/routing-rules".into(),
            body: Some(json!([{ "postal_code": "01067", "org_unit_id": dresden }])),
            allowed: admin_only,
        },
        Call {
            method: Method::GET,
            path: "/api/v1/routing/resolve?postal_code=01067".into(),
            body: None,
            allowed: everyone,
        },
    ];

    for call in &calls {
        let anonymous = app.request(call.method.clone(), &call.path, None);
        let anonymous = match &call.body {
            Some(body) => anonymous.json(body),
            None => anonymous,
        };
        app.send(anonymous).await.assert_problem(401);
    }
    // Non-admins first, so that the admin's writes do not change what the
    // others see.
    for email in [
        STATE_OFFICE,
        DISTRICT_DRESDEN,
        BRANCH_NEUSTADT,
        BOARD,
        ADMIN,
    ] {
        let token = app.token_of(email).await;
        for call in &calls {
            let mut request = app.request(call.method.clone(), &call.path, Some(&token));
            if call.method == Method::PATCH {
                let current = app.get(&call.path, &app.token_of(ADMIN).await).await;
                request = request.header("if-match", format!("\"{}\"", current.body["version"]));
            }
            if let Some(body) = &call.body {
                request = request.json(body);
            }
            let reply = app.send(request).await;
            if call.allowed.contains(&email) {
                assert!(
                    reply.status.is_success(),
                    "{email} {} {}: {} {}",
                    call.method,
                    call.path,
                    reply.status,
                    reply.text
                );
            } else {
                assert_eq!(
                    reply.status, 403,
                    "{email} {} {}: {}",
                    call.method, call.path, reply.text
                );
                reply.assert_problem(403);
            }
        }
    }
}
