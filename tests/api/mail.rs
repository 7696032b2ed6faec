//! E-mail through the outbox: delivery, retries, failures, several workers,
//! a real SMTP server, and the daily digest.

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use kartei_app::jobs::{digest, outbox as worker};
use kartei_tests::{
    ADMIN, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, STATE_OFFICE, SmtpServer, TestApp, body_text,
    header, message_id, on_both_databases, with_smtp_on_both_databases,
};
use serde_json::json;

on_both_databases!(
    a_routing_mail_is_delivered_once_with_its_message_id,
    undeliverable_mail_ends_failed_and_visible_to_the_admin,
    two_workers_on_one_database_never_send_twice,
    the_morning_digest_lists_what_is_overdue_once_a_day,
    digests_go_out_once_however_many_instances_run,
);

with_smtp_on_both_databases!(
    mail_reaches_a_real_smtp_server,
    mail_written_while_the_smtp_server_is_down_arrives_exactly_once,
);

fn id(body: &serde_json::Value) -> String {
    body["id"].as_str().expect("id").to_owned()
}

async fn a_routing_mail_is_delivered_once_with_its_message_id(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let application = app
        .register(
            &lgs,
            json!({ "first_name": "Wilhelmine", "last_name": "Zabel", "postal_code": "01097" }),
        )
        .await;
    // District and branch are both told.
    assert_eq!(app.count("outbox").await, 2);
    assert!(
        app.written_mails().is_empty(),
        "nothing is sent from the request"
    );

    let report = app.deliver_mail().await;
    assert_eq!(report.sent, 2);
    assert_eq!(app.deliver_mail().await, worker::DeliveryReport::default());
    let mails = app.written_mails();
    assert_eq!(mails.len(), 2);

    let admin = app.token_of(ADMIN).await;
    let sent = app.get("/api/v1/outbox?status=sent", &admin).await;
    let entries = sent.body["items"].as_array().expect("items");
    assert_eq!(entries.len(), 2);
    let mut expected_ids: Vec<String> = entries
        .iter()
        .map(|e| e["message_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut written_ids: Vec<String> = mails.iter().filter_map(|m| message_id(m)).collect();
    expected_ids.sort();
    written_ids.sort();
    assert_eq!(written_ids, expected_ids);

    for mail in &mails {
        let subject = header(mail, "subject").expect("subject");
        assert_eq!(subject, "Neue Beitrittserklärung zur Übernahme");
        for personal in ["Wilhelmine", "Zabel", "anna.schmidt", "01097"] {
            assert!(!subject.contains(personal));
            assert!(
                !body_text(mail).contains(personal),
                "{personal} in the body"
            );
        }
        let id = application["id"].as_str().expect("id");
        assert!(body_text(mail).contains(id));
        // The mail links to the case's page, and says nothing more.
        assert!(
            body_text(mail).contains(&format!("http://127.0.0.1:8080/erklaerungen/{id}")),
            "{}",
            body_text(mail)
        );
    }
    let recipients: Vec<String> = mails.iter().filter_map(|m| header(m, "to")).collect();
    assert!(recipients.iter().any(|r| r.contains("dd@kartei.example")));
    assert!(
        recipients
            .iter()
            .any(|r| r.contains("dd-neu@kartei.example"))
    );
}

async fn undeliverable_mail_ends_failed_and_visible_to_the_admin(db: Db) {
    let app = TestApp::spawn_with_unreachable_smtp(db).await;
    kartei_api::seed::seed_demo(&app.state).await.expect("seed");
    let lgs = app.token_of(STATE_OFFICE).await;
    app.register(&lgs, json!({})).await;

    let mut failed = 0;
    for attempt in 1..=worker::MAX_ATTEMPTS {
        let report = app.deliver_mail().await;
        if attempt < worker::MAX_ATTEMPTS {
            assert_eq!(report.retried, 1, "attempt {attempt}");
            // Not due again before its backoff has passed.
            assert_eq!(app.deliver_mail().await, worker::DeliveryReport::default());
        }
        failed += report.failed;
        app.state.clock.advance(Duration::hours(2));
    }
    assert_eq!(failed, 1);

    let admin = app.token_of(ADMIN).await;
    let reply = app.get("/api/v1/outbox?status=failed", &admin).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let items = reply.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["attempts"], worker::MAX_ATTEMPTS);
    assert_eq!(items[0]["recipient"], "dd@kartei.example");
    assert!(
        items[0].get("body").is_none(),
        "no bodies in the outbox list"
    );
    assert!(
        items[0]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(
        app.get("/api/v1/outbox?status=pending", &admin).await.body["items"],
        json!([])
    );
    let lgs = app.token_of(STATE_OFFICE).await;
    app.get("/api/v1/outbox?status=failed", &lgs)
        .await
        .assert_problem(403);

    worker::record_backlog(&app.state.app)
        .await
        .expect("gauges");
    let metrics = app
        .send(app.request(reqwest::Method::GET, "/metrics", None))
        .await;
    assert!(metrics.text.contains("kartei_mail_failed_total"));
    assert!(
        metrics
            .text
            .contains("kartei_outbox_messages{status=\"failed\"}")
    );
}

async fn two_workers_on_one_database_never_send_twice(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    for n in 0..40 {
        let postal_code = if n % 2 == 0 { "01097" } else { "04109" };
        app.register(&lgs, json!({ "first_name": format!("Person{}", "x".repeat(n % 7 + 1)), "email": null, "postal_code": postal_code }))
            .await;
    }
    let queued = app.count("outbox").await;
    assert_eq!(queued, 60);

    let second = app.second_instance().await;
    let run = |state: kartei_api::state::AppState| async move {
        let mut sent = 0;
        loop {
            let report = worker::deliver_due(&state.app, &state.mailer)
                .await
                .expect("step");
            if report.sent == 0 && report.retried == 0 {
                return sent;
            }
            sent += report.sent;
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(run(app.state.clone())),
        tokio::spawn(run(second))
    );
    let (a, b) = (a.expect("worker a"), b.expect("worker b"));
    assert_eq!(a + b, 60, "worker a sent {a}, worker b {b}");

    let mails = app.written_mails();
    assert_eq!(mails.len(), 60);
    let mut ids: Vec<String> = mails.iter().filter_map(|m| message_id(m)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60, "no message was sent twice");
}

/// Moves the app's clock to `days` days from now at `hh:mm` Berlin time.
fn set_local_time(app: &TestApp, days: i64, hh: u32, mm: u32) {
    let now = app.state.clock.now();
    let date = kartei_api::local_time::local_date(now) + Duration::days(days);
    let target = Berlin
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(hh, mm, 0).expect("time")))
        .earliest()
        .expect("local time")
        .with_timezone(&Utc);
    app.state.clock.advance(target - now);
}

async fn the_morning_digest_lists_what_is_overdue_once_a_day(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    // Registered at noon, so that the day counts are clear.
    set_local_time(&app, 0, 12, 0);
    let lgs = app.token_of(STATE_OFFICE).await;
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let today = kartei_api::local_time::local_date(app.state.clock.now()).to_string();
    let waiting = id(&app
        .register(&lgs, json!({ "received_on": today, "email": null }))
        .await);
    let handed = id(&app
        .register(
            &lgs,
            json!({ "received_on": today, "first_name": "Bert", "email": null }),
        )
        .await);
    app.transition(&dd, &handed, "handover", json!({})).await;
    let leipzig = id(&app.register(&lgs, json!({ "received_on": today, "first_name": "Carl", "postal_code": "04109", "email": null })).await);
    let queued = id(&app.register(&lgs, json!({ "received_on": today, "first_name": "Dirk", "postal_code": "10115", "email": null })).await);
    let before = app.count("outbox").await;

    // Four days later, before 07:00: nothing yet.
    set_local_time(&app, 4, 6, 59);
    let report = digest::run(&app.state.app, app.state.clock.now())
        .await
        .expect("digest");
    assert_eq!(report, digest::DigestReport::default());
    // At 07:01: Dresden, Leipzig and the state office (its queue) owe a step.
    set_local_time(&app, 0, 7, 1);
    let report = digest::run(&app.state.app, app.state.clock.now())
        .await
        .expect("digest");
    assert_eq!(
        report,
        digest::DigestReport {
            digests: 3,
            escalations: 0,
            ..Default::default()
        }
    );
    // Later the same day: nothing more.
    set_local_time(&app, 0, 15, 0);
    let report = digest::run(&app.state.app, app.state.clock.now())
        .await
        .expect("digest");
    assert_eq!(report, digest::DigestReport::default());
    assert_eq!(app.count("outbox").await, before + 3);

    app.deliver_mail().await;
    let digests: Vec<String> = app
        .written_mails()
        .into_iter()
        .filter(|m| header(m, "subject").is_some_and(|s| s.starts_with("Tagesübersicht")))
        .collect();
    assert_eq!(digests.len(), 3);
    let to_dresden = digests
        .iter()
        .find(|m| header(m, "to").is_some_and(|t| t.contains("dd@kartei.example")))
        .expect("Dresden's digest");
    let body = body_text(to_dresden);
    assert!(body.contains(&waiting), "the waiting one is listed");
    assert!(body.contains(&format!("/erklaerungen/{waiting}")), "{body}");
    assert!(
        !body.contains(&handed),
        "the handed-over one is within its level"
    );
    assert!(!body.contains(&leipzig), "other districts' items are not");
    assert!(body.contains("Übernahme"));
    assert!(
        !body.contains("Schmidt") && !body.contains("Anna"),
        "no names"
    );
    assert!(digests.iter().any(
        |m| header(m, "to").is_some_and(|t| t.contains("l@kartei.example"))
            && body_text(m).contains(&leipzig)
    ));
    assert!(digests.iter().any(
        |m| header(m, "to").is_some_and(|t| t.contains("sn@kartei.example"))
            && body_text(m).contains(&queued)
    ));

    // The next morning there is another digest; a week after receipt the
    // hand-over is overdue twice as long and escalates to the state office.
    set_local_time(&app, 1, 7, 30);
    let report = digest::run(&app.state.app, app.state.clock.now())
        .await
        .expect("digest");
    assert_eq!(
        report,
        digest::DigestReport {
            digests: 3,
            escalations: 0,
            ..Default::default()
        }
    );
    set_local_time(&app, 2, 7, 30);
    let report = digest::run(&app.state.app, app.state.clock.now())
        .await
        .expect("digest");
    assert_eq!(
        report,
        digest::DigestReport {
            digests: 3,
            escalations: 1,
            ..Default::default()
        }
    );
    app.deliver_mail().await;
    let escalation = app
        .written_mails()
        .into_iter()
        .find(|m| header(m, "subject").is_some_and(|s| s.starts_with("Eskalation")))
        .expect("escalation");
    assert!(header(&escalation, "to").is_some_and(|t| t.contains("sn@kartei.example")));
    let body = body_text(&escalation);
    assert!(body.contains(&waiting) && body.contains(&leipzig) && body.contains(&queued));
    assert!(!body.contains(&handed));
    assert!(body.contains("Stadtverband Dresden"));
}

async fn digests_go_out_once_however_many_instances_run(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    set_local_time(&app, 0, 12, 0);
    let lgs = app.token_of(STATE_OFFICE).await;
    for (name, postal_code) in [
        ("Ada", "01067"),
        ("Bea", "04109"),
        ("Cid", "09111"),
        ("Dan", "08056"),
    ] {
        app.register(
            &lgs,
            json!({ "first_name": name, "postal_code": postal_code, "email": null }),
        )
        .await;
    }
    let before = app.count("outbox").await;
    set_local_time(&app, 5, 7, 0);
    let instances = [
        app.state.clone(),
        app.second_instance().await,
        app.second_instance().await,
    ];
    let now = app.state.clock.now();
    let runs = instances.into_iter().map(|state| {
        tokio::spawn(async move { digest::run(&state.app, now).await.expect("digest") })
    });
    let mut total = 0;
    for run in runs {
        total += run.await.expect("joined").digests;
    }
    assert_eq!(total, 4);
    assert_eq!(app.count("outbox").await, before + 4);
    assert_eq!(app.count("digests").await, 4);
}

async fn mail_reaches_a_real_smtp_server(db: Db) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(db, &smtp.settings()).await;
    kartei_api::seed::seed_demo(&app.state).await.expect("seed");
    let lgs = app.token_of(STATE_OFFICE).await;
    let application = app.register(&lgs, json!({ "postal_code": "01097" })).await;
    let report = app.deliver_mail().await;
    assert_eq!(report.sent, 2);
    let received = smtp.messages();
    assert_eq!(received.len(), 2);
    for mail in &received {
        assert!(body_text(mail).contains(application["id"].as_str().expect("id")));
        assert_eq!(
            header(mail, "subject").as_deref(),
            Some("Neue Beitrittserklärung zur Übernahme")
        );
        assert!(header(mail, "from").is_some_and(|f| f.contains("kartei@localhost")));
    }
    // The branch account exists to show both units are told.
    let _ = BRANCH_NEUSTADT;
}

async fn mail_written_while_the_smtp_server_is_down_arrives_exactly_once(db: Db) {
    let mut smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(db, &smtp.settings()).await;
    kartei_api::seed::seed_demo(&app.state).await.expect("seed");
    smtp.stop();
    let lgs = app.token_of(STATE_OFFICE).await;
    for (name, postal_code) in [("Ada", "01067"), ("Bea", "01097"), ("Cid", "10115")] {
        app.register(
            &lgs,
            json!({ "first_name": name, "postal_code": postal_code, "email": null }),
        )
        .await;
    }
    let queued = app.count("outbox").await;
    assert_eq!(queued, 4);
    // Down: every attempt fails and is scheduled again; nothing is lost.
    for _ in 0..3 {
        let report = app.deliver_mail().await;
        assert_eq!(report.sent, 0);
        assert_eq!(report.failed, 0);
        app.state.clock.advance(Duration::minutes(10));
    }
    smtp.resume().await;
    let report = app.deliver_mail().await;
    assert_eq!(report.sent, 4);
    assert_eq!(app.deliver_mail().await, worker::DeliveryReport::default());
    let received = smtp.messages();
    assert_eq!(received.len(), 4);
    let mut ids: Vec<String> = received.iter().filter_map(|m| message_id(m)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each message exactly once");
}
