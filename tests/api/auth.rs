use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use kartei_tests::{ADMIN, BOARD, DEMO_PASSWORD, DISTRICT_DRESDEN, Db, TestApp, on_both_databases};
use reqwest::Method;
use serde_json::json;

on_both_databases!(
    login_gives_a_token_pair_that_opens_me,
    wrong_password_and_unknown_account_are_401,
    tampered_foreign_and_unsigned_tokens_are_refused,
    an_access_token_expires_after_its_lifetime,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_revokes_the_refresh_token,
    a_deactivated_account_loses_access_at_once,
    failed_logins_are_throttled_per_account,
    failed_logins_are_throttled_per_client_address,
    passwords_are_stored_as_argon2id_and_tokens_as_hashes,
    logout_ends_the_access_tokens_of_that_session_at_once,
    parallel_guesses_get_no_more_tries_than_the_limit,
    behind_a_proxy_the_address_the_proxy_added_is_throttled,
    a_refresh_family_ends_after_its_absolute_lifetime,
    two_tabs_refreshing_at_once_both_go_on_but_later_reuse_revokes,
);

async fn login_gives_a_token_pair_that_opens_me(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let reply = app.login_reply(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert!(
        reply.body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 40)
    );
    let token = reply.body["access_token"].as_str().expect("token");

    let me = app.get("/api/v1/me", token).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["email"], DISTRICT_DRESDEN);
    assert_eq!(me.body["role"], "district_office");
    assert_eq!(me.body["org_unit"]["short_code"], "DD");
    assert_eq!(me.body["org_unit"]["kind"], "district");
    assert_eq!(me.body["org_unit_id"], me.body["org_unit"]["id"]);
    assert!(me.body.get("password_hash").is_none());

    // E-mail addresses are compared without regard to case.
    let upper = app
        .login_reply("KV-Dresden@Kartei.Example", DEMO_PASSWORD)
        .await;
    assert_eq!(upper.status, 200);
}

async fn wrong_password_and_unknown_account_are_401(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let wrong = app.login_reply(ADMIN, "not the password").await;
    wrong.assert_problem(401);
    let unknown = app
        .login_reply("nobody@kartei.example", DEMO_PASSWORD)
        .await;
    unknown.assert_problem(401);
    // Both answers read the same: nothing tells which e-mail exists.
    assert_eq!(wrong.body, unknown.body);
    assert!(!wrong.text.contains("admin@"));

    let no_token = app.send(app.request(Method::GET, "/api/v1/me", None)).await;
    no_token.assert_problem(401);
    let not_bearer = app
        .send(
            app.request(Method::GET, "/api/v1/me", None)
                .header("authorization", "Basic YTpi"),
        )
        .await;
    not_bearer.assert_problem(401);
}

async fn tampered_foreign_and_unsigned_tokens_are_refused(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(ADMIN).await;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);

    // Another subject in the payload, the old signature.
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("payload")).expect("json");
    claims["sub"] = json!(uuid::Uuid::new_v4());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    app.get("/api/v1/me", &tampered).await.assert_problem(401);

    // alg: none, no signature.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{header}.{}.", parts[1]);
    app.get("/api/v1/me", &unsigned).await.assert_problem(401);

    // Signed with another secret.
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::from_slice::<serde_json::Value>(
            &URL_SAFE_NO_PAD.decode(parts[1]).expect("payload"),
        )
        .expect("json"),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-another"),
    )
    .expect("encoded");
    app.get("/api/v1/me", &foreign).await.assert_problem(401);

    app.get("/api/v1/me", "garbage").await.assert_problem(401);
    assert_eq!(app.get("/api/v1/me", &token).await.status, 200);
}

async fn an_access_token_expires_after_its_lifetime(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let token = app.token_of(BOARD).await;
    app.state.clock.advance(Duration::minutes(14));
    assert_eq!(app.get("/api/v1/me", &token).await.status, 200);
    app.state
        .clock
        .advance(Duration::minutes(1) + Duration::seconds(1));
    app.get("/api/v1/me", &token).await.assert_problem(401);
}

async fn refresh_rotates_and_reuse_revokes_the_family(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let first = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    let refresh_1 = first.body["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();

    let second = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": refresh_1 }),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let refresh_2 = second.body["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_ne!(refresh_1, refresh_2);
    let access_2 = second.body["access_token"].as_str().expect("access");
    assert_eq!(app.get("/api/v1/me", access_2).await.status, 200);

    // Past the grace for two tabs refreshing at once (see
    // two_tabs_refreshing_at_once_both_go_on_but_later_reuse_revokes).
    app.state.clock.advance(Duration::seconds(6));

    // The spent token again: refused, and the whole family with it.
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({ "refresh_token": refresh_1 }),
    )
    .await
    .assert_problem(401);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({ "refresh_token": refresh_2 }),
    )
    .await
    .assert_problem(401);

    // A new login starts a new, healthy family.
    let again = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    let refresh_3 = again.body["refresh_token"].as_str().expect("refresh");
    let third = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": refresh_3 }),
        )
        .await;
    assert_eq!(third.status, 200);

    // Refresh tokens expire too.
    let refresh_4 = third.body["refresh_token"].as_str().expect("refresh");
    app.state
        .clock
        .advance(Duration::days(14) + Duration::seconds(1));
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({ "refresh_token": refresh_4 }),
    )
    .await
    .assert_problem(401);
}

async fn logout_revokes_the_refresh_token(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let login = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    let refresh = login.body["refresh_token"].as_str().expect("refresh");
    let out = app
        .post(
            "/api/v1/auth/logout",
            None,
            &json!({ "refresh_token": refresh }),
        )
        .await;
    assert_eq!(out.status, 204);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({ "refresh_token": refresh }),
    )
    .await
    .assert_problem(401);
}

async fn a_deactivated_account_loses_access_at_once(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let admin = app.token_of(ADMIN).await;
    let login = app.login_reply(DISTRICT_DRESDEN, DEMO_PASSWORD).await;
    let district = login.body["access_token"].as_str().expect("access");
    let refresh = login.body["refresh_token"].as_str().expect("refresh");
    let me = app.get("/api/v1/me", district).await;
    let id = me.body["id"].as_str().expect("id");
    let version = me.body["version"].as_i64().expect("version");

    let changed = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            Some(version),
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["active"], false);

    // The access token has not expired, and still opens nothing.
    app.get("/api/v1/me", district).await.assert_problem(401);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({ "refresh_token": refresh }),
    )
    .await
    .assert_problem(401);
    app.login_reply(DISTRICT_DRESDEN, DEMO_PASSWORD)
        .await
        .assert_problem(401);

    // Reactivated, the account can log in again.
    let version = changed.body["version"].as_i64().expect("version");
    let back = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            Some(version),
            &json!({ "active": true }),
        )
        .await;
    assert_eq!(back.status, 200);
    assert_eq!(
        app.login_reply(DISTRICT_DRESDEN, DEMO_PASSWORD)
            .await
            .status,
        200
    );
}

async fn failed_logins_are_throttled_per_account(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    for _ in 0..5 {
        app.login_reply(BOARD, "wrong password")
            .await
            .assert_problem(401);
    }
    // The sixth attempt is refused even with the right password.
    let locked = app.login_reply(BOARD, DEMO_PASSWORD).await;
    locked.assert_problem(429);
    let retry_after: u64 = locked.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Other accounts are not affected.
    assert_eq!(app.login_reply(ADMIN, DEMO_PASSWORD).await.status, 200);

    app.state.clock.advance(Duration::minutes(15));
    assert_eq!(app.login_reply(BOARD, DEMO_PASSWORD).await.status, 200);
}

async fn failed_logins_are_throttled_per_client_address(db: Db) {
    // A small limit keeps the test short: 2 per account, 20 per address.
    let app = TestApp::spawn_with(db, &[("auth.max_failed_logins", json!(2))]).await;
    kartei_api::seed::seed_demo(&app.state)
        .await
        .expect("seeded");
    for attempt in 0..20 {
        app.login_reply(&format!("guess{attempt}@kartei.example"), "wrong password")
            .await
            .assert_problem(401);
    }
    // Every account has failures to spare, the address has none.
    app.login_reply(ADMIN, DEMO_PASSWORD)
        .await
        .assert_problem(429);
    app.state.clock.advance(Duration::minutes(15));
    assert_eq!(app.login_reply(ADMIN, DEMO_PASSWORD).await.status, 200);
}

async fn passwords_are_stored_as_argon2id_and_tokens_as_hashes(db: Db) {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn_demo(db).await;
    let login = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    let refresh = login.body["refresh_token"].as_str().expect("refresh");
    let backend = app.db.get_database_backend();
    let hashes = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT password_hash FROM users",
        ))
        .await
        .expect("query");
    assert!(!hashes.is_empty());
    for row in hashes {
        let hash: String = row.try_get("", "password_hash").expect("column");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(DEMO_PASSWORD));
    }
    let tokens = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT token_hash FROM refresh_tokens",
        ))
        .await
        .expect("query");
    for row in tokens {
        let stored: String = row.try_get("", "token_hash").expect("column");
        assert_ne!(stored, refresh);
        assert_eq!(stored.len(), 64);
    }
}

fn refresh_body(reply: &kartei_tests::Reply) -> serde_json::Value {
    json!({ "refresh_token": reply.body["refresh_token"].as_str().expect("refresh") })
}

fn access(reply: &kartei_tests::Reply) -> String {
    reply.body["access_token"]
        .as_str()
        .expect("access")
        .to_owned()
}

async fn logout_ends_the_access_tokens_of_that_session_at_once(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let ended = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    let other = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    assert_eq!(app.get("/api/v1/me", &access(&ended)).await.status, 200);

    let out = app
        .post("/api/v1/auth/logout", None, &refresh_body(&ended))
        .await;
    assert_eq!(out.status, 204);
    // Not 15 minutes later: at once.
    app.get("/api/v1/me", &access(&ended))
        .await
        .assert_problem(401);
    // The account's other session goes on.
    assert_eq!(app.get("/api/v1/me", &access(&other)).await.status, 200);

    // Every access token of the session ends with it, also those handed
    // out before the last refresh.
    let refreshed = app
        .post("/api/v1/auth/refresh", None, &refresh_body(&other))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(app.get("/api/v1/me", &access(&refreshed)).await.status, 200);
    app.post("/api/v1/auth/logout", None, &refresh_body(&refreshed))
        .await;
    app.get("/api/v1/me", &access(&other))
        .await
        .assert_problem(401);
    app.get("/api/v1/me", &access(&refreshed))
        .await
        .assert_problem(401);
    // Logging in again starts a session that works.
    let again = app.token_of(ADMIN).await;
    assert_eq!(app.get("/api/v1/me", &again).await.status, 200);
}

/// Sends `count` logins at once; their status codes and whether each
/// carried Retry-After.
async fn parallel_logins(
    app: &TestApp,
    count: usize,
    email: &str,
    password: &str,
) -> Vec<(u16, bool)> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let request = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }));
        tasks.spawn(async move {
            let reply = request.send().await.expect("sent");
            (
                reply.status().as_u16(),
                reply.headers().contains_key("retry-after"),
            )
        });
    }
    let mut replies = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        replies.push(reply.expect("task"));
    }
    replies
}

async fn parallel_guesses_get_no_more_tries_than_the_limit(db: Db) {
    // auth.max_failed_logins is 5.
    let app = TestApp::spawn_demo(db).await;
    let replies = parallel_logins(&app, 20, BOARD, "wrong password").await;
    let checked = replies.iter().filter(|(status, _)| *status == 401).count();
    let refused = replies
        .iter()
        .filter(|(status, retry)| *status == 429 && *retry)
        .count();
    assert!((1..=5).contains(&checked), "{replies:?}");
    assert_eq!(checked + refused, 20, "{replies:?}");
    assert!(app.count("login_failures").await <= 5);
    // Locked, even with the right password.
    app.login_reply(BOARD, DEMO_PASSWORD)
        .await
        .assert_problem(429);

    // Fewer guesses than the limit, at once: every one is checked.
    let replies = parallel_logins(&app, 4, ADMIN, "wrong password").await;
    assert!(
        replies.iter().all(|(status, _)| *status == 401),
        "{replies:?}"
    );
    assert_eq!(app.login_reply(ADMIN, DEMO_PASSWORD).await.status, 200);
}

async fn behind_a_proxy_the_address_the_proxy_added_is_throttled(db: Db) {
    // 2 failures per account, 20 per address.
    let app = TestApp::spawn_with(
        db,
        &[
            ("auth.max_failed_logins", json!(2)),
            ("server.trust_forwarded_for", json!(true)),
        ],
    )
    .await;
    kartei_api::seed::seed_demo(&app.state)
        .await
        .expect("seeded");
    let login = |forwarded: String, email: String, password: &'static str| {
        app.send(
            app.request(Method::POST, "/api/v1/auth/login", None)
                .header("x-forwarded-for", forwarded)
                .json(&json!({ "email": email, "password": password })),
        )
    };
    // The client forges a new leftmost entry each time; the proxy appends
    // the address it saw.
    for attempt in 0..20 {
        login(
            format!("10.0.{attempt}.1, 203.0.113.7"),
            format!("guess{attempt}@kartei.example"),
            "wrong password",
        )
        .await
        .assert_problem(401);
    }
    login("10.9.9.9, 203.0.113.7".into(), ADMIN.into(), DEMO_PASSWORD)
        .await
        .assert_problem(429);
    // Another client behind the same proxy is not affected.
    let other = login("10.9.9.9, 203.0.113.8".into(), ADMIN.into(), DEMO_PASSWORD).await;
    assert_eq!(other.status, 200, "{}", other.text);
}

async fn a_refresh_family_ends_after_its_absolute_lifetime(db: Db) {
    // auth.refresh_token_days is 14 (sliding), the family lives 30 days.
    let app = TestApp::spawn_demo(db).await;
    let mut current = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    for days in [13, 13, 3] {
        app.state.clock.advance(Duration::days(days));
        current = app
            .post("/api/v1/auth/refresh", None, &refresh_body(&current))
            .await;
        assert_eq!(current.status, 200, "{}", current.text);
    }
    // Day 29 worked; past day 30 the family is over although its newest
    // token is a day old.
    app.state
        .clock
        .advance(Duration::days(1) + Duration::seconds(1));
    app.post("/api/v1/auth/refresh", None, &refresh_body(&current))
        .await
        .assert_problem(401);
    // A new login starts a new family.
    let fresh = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    let next = app
        .post("/api/v1/auth/refresh", None, &refresh_body(&fresh))
        .await;
    assert_eq!(next.status, 200, "{}", next.text);
}

async fn two_tabs_refreshing_at_once_both_go_on_but_later_reuse_revokes(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let login = app.login_reply(ADMIN, DEMO_PASSWORD).await;
    // Two tabs send the same refresh token at the same moment.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let request = app
            .http
            .post(app.url("/api/v1/auth/refresh"))
            .json(&refresh_body(&login));
        tasks.spawn(async move {
            let reply = request.send().await.expect("sent");
            let status = reply.status().as_u16();
            let text = reply.text().await.expect("body");
            (
                status,
                serde_json::from_str::<serde_json::Value>(&text).expect("json"),
            )
        });
    }
    let mut tabs = Vec::new();
    while let Some(tab) = tasks.join_next().await {
        let (status, body) = tab.expect("task");
        assert_eq!(status, 200, "{body}");
        tabs.push(body);
    }
    assert_ne!(tabs[0]["refresh_token"], tabs[1]["refresh_token"]);
    for tab in &tabs {
        let token = tab["access_token"].as_str().expect("access");
        assert_eq!(app.get("/api/v1/me", token).await.status, 200);
    }

    // Within the grace, once more in sequence: still a pair.
    let again = app
        .post("/api/v1/auth/refresh", None, &refresh_body(&login))
        .await;
    assert_eq!(again.status, 200, "{}", again.text);

    // After the grace, the spent token is a stolen one: the whole family
    // goes, the tabs' newer tokens with it.
    app.state.clock.advance(Duration::seconds(6));
    app.post("/api/v1/auth/refresh", None, &refresh_body(&login))
        .await
        .assert_problem(401);
    for tab in &tabs {
        app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": tab["refresh_token"] }),
        )
        .await
        .assert_problem(401);
        let token = tab["access_token"].as_str().expect("access");
        app.get("/api/v1/me", token).await.assert_problem(401);
    }
    app.post("/api/v1/auth/refresh", None, &refresh_body(&again))
        .await
        .assert_problem(401);
}
