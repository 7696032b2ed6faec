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
    let backend = app.state.db.get_database_backend();
    let hashes = app
        .state
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
        .state
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
