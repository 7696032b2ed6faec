//! The integration steps' clocks in the daily digest, the escalation to the
//! district and the operator's gauges: a step appears the day after it is
//! due (not on the due day), in its district's digest and in its branch's
//! own, once a day however many instances run; at twice its level it
//! escalates to the district and not to the state office; subjects name
//! nobody.

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use kartei_app::jobs::digest::{self, DigestReport};
use kartei_tests::members::{enter, id};
use kartei_tests::{
    ADMIN, BRANCH_NEUSTADT, DISTRICT_DRESDEN, Db, TestApp, body_text, header, on_both_databases,
};
use serde_json::json;

on_both_databases!(
    each_step_reaches_the_digests_the_day_after_it_is_due,
    a_branch_without_an_address_is_told_through_its_district,
    integration_digests_go_out_once_however_many_instances_run,
    the_gauges_count_open_overdue_and_escalated_steps_per_district_and_step,
);

fn today(app: &TestApp) -> NaiveDate {
    kartei_api::local_time::local_date(app.state.clock.now())
}

/// Moves the app's clock to `days` days from now at `hh:mm` Berlin time.
fn set_local_time(app: &TestApp, days: i64, hh: u32, mm: u32) {
    let now = app.state.clock.now();
    let date = today(app) + Duration::days(days);
    let target = Berlin
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(hh, mm, 0).expect("time")))
        .earliest()
        .expect("local time")
        .with_timezone(&Utc);
    app.state.clock.advance(target - now);
}

/// Moves to `day` days after `start` at 07:30 and runs the digest.
async fn digest_on(app: &TestApp, start: NaiveDate, day: i64) -> DigestReport {
    let offset = (start + Duration::days(day) - today(app)).num_days();
    set_local_time(app, offset, 7, 30);
    digest::run(&app.state.app, app.state.clock.now())
        .await
        .expect("digest")
}

struct NewMember {
    id: String,
    number: String,
}

/// A member entered directly today into `short_code`, with `last_name`.
async fn new_member(app: &TestApp, token: &str, short_code: &str, last_name: &str) -> NewMember {
    let unit = app.unit_id(short_code).await;
    let body = enter(
        app,
        token,
        &unit,
        json!({ "last_name": last_name, "first_name": "Irmentraud", "email": null }),
    )
    .await;
    NewMember {
        id: id(&body),
        number: body["membership_number"]
            .as_str()
            .expect("membership number")
            .to_owned(),
    }
}

/// The mails written since the last call, delivered first (the written
/// files come in no particular order).
async fn new_mails(app: &TestApp, seen: &mut Vec<String>) -> Vec<String> {
    while app.deliver_mail().await.sent > 0 {}
    let fresh: Vec<String> = app
        .written_mails()
        .into_iter()
        .filter(|m| !seen.contains(m))
        .collect();
    seen.extend(fresh.iter().cloned());
    fresh
}

fn to(mail: &str) -> String {
    header(mail, "to").unwrap_or_default()
}

fn subject(mail: &str) -> String {
    header(mail, "subject").unwrap_or_default()
}

fn no_names(mails: &[String], names: &[&str]) {
    for mail in mails {
        for name in names {
            assert!(!subject(mail).contains(name), "{name} in a subject");
            assert!(!body_text(mail).contains(name), "{name} in a body");
        }
    }
}

async fn record_done(app: &TestApp, who: &str, member: &str, step: &str) {
    let token = app.token_of(who).await;
    let reply = app
        .post(
            &format!("/api/v1/members/{member}/integration"),
            Some(&token),
            &json!({ "step": step, "done_on": today(app).to_string(), "channel": "phone" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

async fn each_step_reaches_the_digests_the_day_after_it_is_due(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    set_local_time(&app, 0, 12, 0);
    let start = today(&app);
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let in_branch = new_member(&app, &dd, "DD-NEU", "Zweigmann").await;
    let in_district = new_member(&app, &dd, "DD", "Kreismann").await;
    let names = ["Zweigmann", "Kreismann", "Irmentraud"];
    let mut seen = Vec::new();
    new_mails(&app, &mut seen).await;

    // The welcome (14 days) is due on day 14: nothing yet.
    assert_eq!(digest_on(&app, start, 14).await, DigestReport::default());
    // The day after, the district's digest has a section for both, the
    // branch gets its own with the one it owes.
    let report = digest_on(&app, start, 15).await;
    assert_eq!(
        report,
        DigestReport {
            digests: 1,
            branch_digests: 1,
            ..DigestReport::default()
        }
    );
    // Twice the same day (later, or again): nothing more.
    assert_eq!(
        digest::run(&app.state.app, app.state.clock.now())
            .await
            .expect("digest"),
        DigestReport::default()
    );
    let mails = new_mails(&app, &mut seen).await;
    assert_eq!(mails.len(), 2);
    no_names(&mails, &names);
    let district = mails
        .iter()
        .find(|m| to(m).contains("dd@kartei.example"))
        .expect("the district's digest");
    assert!(subject(district).starts_with("Tagesübersicht überfälliger Vorgänge vom"));
    let body = body_text(district);
    assert!(body.contains("Integration neuer Mitglieder"), "{body}");
    assert!(body.contains(&in_branch.number) && body.contains(&in_district.number));
    assert!(body.contains("Begrüßung") && !body.contains("Erste Einladung"));
    assert!(body.contains("seit 1 Tag überfällig"), "{body}");
    assert!(body.contains(&format!("/mitglieder/{}", in_branch.id)));
    assert!(body.contains("Ortsverband Dresden-Neustadt"), "{body}");
    assert!(
        !body.contains("Vorgang"),
        "no application is overdue: {body}"
    );
    let branch = mails
        .iter()
        .find(|m| to(m).contains("dd-neu@kartei.example"))
        .expect("the branch's digest");
    assert!(
        subject(branch).starts_with("Tagesübersicht: überfällige Schritte für neue Mitglieder")
    );
    let body = body_text(branch);
    assert!(body.contains(&in_branch.number) && !body.contains(&in_district.number));
    assert!(body.contains("Ortsverband Dresden-Neustadt"));

    // Twice the level is day 28: still a digest, no escalation; day 29
    // escalates to the district, not to the state office.
    let report = digest_on(&app, start, 28).await;
    assert_eq!(report.integration_escalations, 0);
    assert_eq!((report.digests, report.branch_digests), (1, 1));
    let mails = new_mails(&app, &mut seen).await;
    for mail in &mails {
        assert!(
            body_text(mail).contains("seit 14 Tagen"),
            "{}",
            body_text(mail)
        );
    }
    let report = digest_on(&app, start, 29).await;
    assert_eq!(
        report,
        DigestReport {
            digests: 1,
            branch_digests: 1,
            integration_escalations: 1,
            escalations: 0,
        }
    );
    let mails = new_mails(&app, &mut seen).await;
    no_names(&mails, &names);
    let escalations: Vec<&String> = mails
        .iter()
        .filter(|m| subject(m).starts_with("Eskalation"))
        .collect();
    assert_eq!(escalations.len(), 1);
    let escalation = escalations[0];
    assert!(to(escalation).contains("dd@kartei.example"));
    assert!(!mails.iter().any(|m| to(m).contains("sn@kartei.example")));
    assert!(subject(escalation).starts_with("Eskalation: doppelt überfällige Schritte"));
    let body = body_text(escalation);
    assert!(body.contains(&in_branch.number) && body.contains(&in_district.number));
    assert!(body.contains("(eskaliert)"));
    // The same day again: no second escalation.
    assert_eq!(
        digest::run(&app.state.app, app.state.clock.now())
            .await
            .expect("digest"),
        DigestReport::default()
    );

    // Welcomed: nothing owed until the first invitation (42 days) is late.
    record_done(&app, BRANCH_NEUSTADT, &in_branch.id, "welcome").await;
    record_done(&app, DISTRICT_DRESDEN, &in_district.id, "welcome").await;
    assert_eq!(digest_on(&app, start, 42).await, DigestReport::default());
    let report = digest_on(&app, start, 43).await;
    assert_eq!((report.digests, report.branch_digests), (1, 1));
    assert_eq!(report.integration_escalations, 0);
    let mails = new_mails(&app, &mut seen).await;
    for mail in &mails {
        let body = body_text(mail);
        assert!(body.contains("Erste Einladung") && !body.contains("Begrüßung"));
    }
}

async fn a_branch_without_an_address_is_told_through_its_district(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    set_local_time(&app, 0, 12, 0);
    let start = today(&app);
    let admin = app.token_of(ADMIN).await;
    let branch = app.unit_id("DD-NEU").await;
    let changed = app
        .patch(
            &format!("/api/v1/org-units/{branch}"),
            &admin,
            Some(1),
            &json!({ "email": null }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let member = new_member(&app, &dd, "DD-NEU", "Ohneadresse").await;
    let mut seen = Vec::new();
    let report = digest_on(&app, start, 15).await;
    assert_eq!((report.digests, report.branch_digests), (1, 1));
    let mails = new_mails(&app, &mut seen).await;
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| to(m).contains("dd@kartei.example")));
    let branch_digest = mails
        .iter()
        .find(|m| subject(m).starts_with("Tagesübersicht: überfällige Schritte"))
        .expect("the branch's digest");
    assert!(body_text(branch_digest).contains(&member.number));
    no_names(&mails, &["Ohneadresse"]);
}

async fn integration_digests_go_out_once_however_many_instances_run(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    set_local_time(&app, 0, 12, 0);
    let start = today(&app);
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    new_member(&app, &dd, "DD-NEU", "Alpha").await;
    new_member(&app, &dd, "DD", "Beta").await;
    new_member(&app, &leipzig, "L-SUED", "Gamma").await;
    let before = app.count("outbox").await;
    for (day, expected) in [
        (
            15,
            DigestReport {
                digests: 2,
                branch_digests: 2,
                ..DigestReport::default()
            },
        ),
        (
            29,
            DigestReport {
                digests: 2,
                branch_digests: 2,
                integration_escalations: 2,
                ..DigestReport::default()
            },
        ),
    ] {
        let offset = (start + Duration::days(day) - today(&app)).num_days();
        set_local_time(&app, offset, 7, 0);
        let instances = [
            app.state.clone(),
            app.second_instance().await,
            app.second_instance().await,
        ];
        let now = app.state.clock.now();
        let runs = instances.into_iter().map(|state| {
            tokio::spawn(async move { digest::run(&state.app, now).await.expect("digest") })
        });
        let mut total = DigestReport::default();
        for run in runs {
            let report = run.await.expect("joined");
            total.digests += report.digests;
            total.branch_digests += report.branch_digests;
            total.escalations += report.escalations;
            total.integration_escalations += report.integration_escalations;
        }
        assert_eq!(total, expected, "day {day}");
    }
    assert_eq!(app.count("outbox").await, before + 10);
    assert_eq!(app.count("digests").await, 10);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS n FROM digests WHERE kind = 'step_escalation'")
            .await,
        2
    );
}

async fn read(app: &TestApp) -> String {
    app.send(app.request(reqwest::Method::GET, "/metrics", None))
        .await
        .text
}

/// The value of one gauge line in `/metrics`.
fn gauge(text: &str, name: &str, district: &str, step: &str) -> i64 {
    let prefix = format!("{name}{{district=\"{district}\",step=\"{step}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        .trim()
        .parse()
        .expect("a number")
}

async fn the_gauges_count_open_overdue_and_escalated_steps_per_district_and_step(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    set_local_time(&app, 0, 12, 0);
    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let leipzig = app
        .account("kv-leipzig@kartei.example", "district_office", "L")
        .await;
    let first = new_member(&app, &dd, "DD-NEU", "Erster").await;
    let second = new_member(&app, &dd, "DD", "Zweiter").await;
    new_member(&app, &leipzig, "L-SUED", "Dritter").await;
    record_done(&app, BRANCH_NEUSTADT, &first.id, "welcome").await;

    let text = read(&app).await;
    let open = "kartei_integration_steps_open";
    let overdue = "kartei_integration_steps_overdue";
    let escalated = "kartei_integration_steps_escalated";
    assert!(text.contains(&format!("# TYPE {open} gauge")));
    assert_eq!(gauge(&text, open, "DD", "welcome"), 1);
    assert_eq!(gauge(&text, open, "DD", "first_invitation"), 2);
    assert_eq!(gauge(&text, open, "L", "welcome"), 1);
    assert_eq!(gauge(&text, open, "BZ", "welcome"), 0);
    assert_eq!(gauge(&text, overdue, "DD", "welcome"), 0);
    for personal in [
        "Erster",
        "Zweiter",
        first.number.as_str(),
        second.number.as_str(),
    ] {
        assert!(!text.contains(personal), "{personal} in the metrics");
    }

    // The day after the welcome is due: overdue; after twice its level:
    // escalated too.
    set_local_time(&app, 15, 12, 0);
    let text = read(&app).await;
    assert_eq!(gauge(&text, overdue, "DD", "welcome"), 1);
    assert_eq!(gauge(&text, overdue, "L", "welcome"), 1);
    assert_eq!(gauge(&text, escalated, "DD", "welcome"), 0);
    assert_eq!(gauge(&text, overdue, "DD", "first_invitation"), 0);
    set_local_time(&app, 14, 12, 0);
    let text = read(&app).await;
    assert_eq!(gauge(&text, escalated, "DD", "welcome"), 1);
    assert_eq!(gauge(&text, escalated, "L", "welcome"), 1);
    assert_eq!(gauge(&text, open, "DD", "first_invitation"), 2);
    assert_eq!(gauge(&text, overdue, "DD", "first_invitation"), 0);
    set_local_time(&app, 14, 12, 0);
    let text = read(&app).await;
    assert_eq!(gauge(&text, overdue, "DD", "first_invitation"), 2);
    assert_eq!(gauge(&text, escalated, "DD", "first_invitation"), 0);
}
