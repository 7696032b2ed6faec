//! The member counts and the delegate key as pages over HTTP: the figures
//! of members entered over the API, each table as a CSV download in
//! German, the refusals at their fields in German, and who may read them.

use chrono::{Duration, NaiveDate};
use kartei_tests::members::{enter, nine_six_two};
use kartei_tests::web::{Browser, signed_in};
use kartei_tests::{
    BOARD, BRANCH_NEUSTADT, DEMO_PASSWORD, DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp,
    on_both_databases, read_excel_csv,
};
use serde_json::json;

on_both_databases!(
    the_counts_page_shows_the_members_entered_with_a_sum_and_a_download,
    the_district_office_counts_its_own_district_and_the_branch_is_refused,
    a_day_to_come_is_told_at_the_field_in_german,
    the_delegate_key_page_shows_the_worked_example,
    a_tie_the_list_decided_is_marked_for_the_lot,
    bad_key_parameters_are_told_at_their_fields_and_the_district_is_refused,
);

/// The mark beside a district whose seat only the list's order decided.
const TIE: &str = "Gleichstand – Los nach Satzung";

fn today(app: &TestApp) -> NaiveDate {
    kartei_api::local_time::local_date(app.state.clock.now())
}

fn german(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

async fn browser<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    signed_in(app, email, DEMO_PASSWORD).await
}

/// The cells of the table row headed `name`, as a person reads them.
fn row(html: &str, name: &str) -> Vec<String> {
    let row = html
        .split(&format!("<th scope=\"row\">{name}</th>"))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row {name} in {html}"));
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let inner = &cell[cell.find('>').map_or(0, |i| i + 1)..];
            let inner = inner.split("</td>").next().unwrap_or_default();
            // Without the tags inside the cell (a tie's mark).
            let mut text = String::new();
            let mut in_tag = false;
            for c in inner.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.trim().to_owned()
        })
        .collect()
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// The CSV row of the unit with `short_code`.
fn csv_row(rows: &[Vec<String>], short_code: &str) -> Vec<String> {
    rows.iter()
        .find(|row| row.get(1).is_some_and(|code| code == short_code))
        .cloned()
        .unwrap_or_else(|| panic!("no {short_code} in {rows:?}"))
}

/// Three members in Dresden, one of each age band, one of them in the
/// branch Neustadt; one in Leipzig.
async fn members_of_every_age(app: &TestApp, lgs: &str) {
    let dresden = app.unit_id("DD").await;
    let neustadt = app.unit_id("DD-NEU").await;
    let leipzig = app.unit_id("L").await;
    for (unit, name, born) in [
        (&dresden, "Jung", "2000-03-01"),
        (&dresden, "Mittel", "1980-05-01"),
        (&neustadt, "Alt", "1950-01-01"),
        (&leipzig, "Leipziger", "1980-05-01"),
    ] {
        enter(
            app,
            lgs,
            unit,
            json!({ "last_name": name, "date_of_birth": born, "email": null }),
        )
        .await;
    }
}

async fn the_counts_page_shows_the_members_entered_with_a_sum_and_a_download(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    members_of_every_age(&app, &lgs).await;

    let mut board = browser(&app, BOARD).await;
    let start = board.get("/").await;
    assert!(start.text.contains("href=\"/auswertungen/mitglieder\""));
    assert!(start.text.contains("href=\"/auswertungen/delegierte\""));
    let reports = board.get("/auswertungen").await;
    assert!(reports.text.contains("href=\"/auswertungen/mitglieder\""));

    let page = board.get("/auswertungen/mitglieder").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text
            .contains("<h1>Mitgliederbestand zum Stichtag</h1>")
    );
    let day = german(today(&app));
    assert!(
        page.text.contains(&format!("value=\"{day}\"")),
        "today is the default day"
    );
    // Members, joined, left, 14–35, 36–60, over 60, unknown, by statute.
    assert_eq!(
        row(&page.text, "Stadtverband Dresden"),
        strings(&["3", "3", "0", "1", "1", "1", "0", "0"])
    );
    assert_eq!(
        row(&page.text, "Stadtverband Leipzig"),
        strings(&["1", "1", "0", "0", "1", "0", "0", "0"])
    );
    assert_eq!(
        row(&page.text, "Summe"),
        strings(&["4", "4", "0", "1", "2", "1", "0", "0"])
    );
    assert!(page.text.contains("<tfoot>"), "the sum is the table's foot");
    assert!(!page.text.contains("Jung"), "figures, no person");
    assert!(
        page.text
            .contains(&format!("/auswertungen/mitglieder.csv?stichtag={day}"))
    );

    // The members joined twenty days ago: a month ago there were none.
    let month_ago = german(today(&app) - Duration::days(30));
    let before = board
        .get(&format!("/auswertungen/mitglieder?stichtag={month_ago}"))
        .await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert_eq!(
        row(&before.text, "Summe"),
        strings(&["0", "0", "0", "0", "0", "0", "0", "0"])
    );

    let file = board
        .get(&format!("/auswertungen/mitglieder.csv?stichtag={day}"))
        .await;
    assert_eq!(file.status, 200);
    assert!(file.content_type().starts_with("text/csv"));
    let rows = read_excel_csv(&file.text);
    assert_eq!(
        rows[0],
        strings(&[
            "Gliederung",
            "Kürzel",
            "Mitglieder",
            "Eintritte (12 Monate)",
            "Austritte (12 Monate)",
            "14–35 Jahre",
            "36–60 Jahre",
            "über 60 Jahre",
            "Alter unbekannt",
            "Mitglieder kraft Satzung ohne Datensatz",
        ])
    );
    assert_eq!(
        csv_row(&rows, "DD")[2..],
        strings(&["3", "3", "0", "1", "1", "1", "0", "0"])
    );

    // The state level breaks a district down by its branches.
    let dresden = app.unit_id("DD").await;
    let mut office = browser(&app, STATE_OFFICE).await;
    let branches = office
        .get(&format!("/auswertungen/mitglieder?kreisverband={dresden}"))
        .await;
    assert_eq!(branches.status, 200, "{}", branches.text);
    assert!(branches.text.contains(&format!(
        "<option value=\"{dresden}\" selected>nach Ortsverbänden: Stadtverband Dresden</option>"
    )));
    assert_eq!(
        row(&branches.text, "Ortsverband Dresden-Neustadt")[..2],
        strings(&["1", "1"])
    );
    assert_eq!(
        row(&branches.text, "Stadtverband Dresden (ohne Ortsverband)")[..2],
        strings(&["2", "2"])
    );
    assert!(
        !branches
            .text
            .contains("<th scope=\"row\">Stadtverband Leipzig"),
        "only the chosen district's branches"
    );
    let file = office
        .get(&format!(
            "/auswertungen/mitglieder.csv?kreisverband={dresden}"
        ))
        .await;
    let rows = read_excel_csv(&file.text);
    assert_eq!(csv_row(&rows, "DD-NEU")[2], "1");
    assert_eq!(
        rows.len(),
        3,
        "the header, the branch, the district: {rows:?}"
    );
}

async fn the_district_office_counts_its_own_district_and_the_branch_is_refused(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    members_of_every_age(&app, &lgs).await;

    let mut district = browser(&app, DISTRICT_DRESDEN).await;
    let page = district.get("/auswertungen/mitglieder").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        row(&page.text, "Ortsverband Dresden-Neustadt"),
        strings(&["1", "1", "0", "0", "0", "1", "0", "0"])
    );
    assert_eq!(
        row(&page.text, "Summe"),
        strings(&["3", "3", "0", "1", "1", "1", "0", "0"])
    );
    assert!(!page.text.contains("Leipzig"), "{}", page.text);
    assert!(
        !page.text.contains("id=\"kreisverband\""),
        "no choice of district"
    );
    assert!(
        !page.text.contains("href=\"/auswertungen/delegierte\""),
        "the delegate key is not the district's"
    );
    let file = district.get("/auswertungen/mitglieder.csv").await;
    assert_eq!(file.status, 200);
    let rows = read_excel_csv(&file.text);
    assert!(
        rows.iter().skip(1).all(|row| row[1].starts_with("DD")),
        "{rows:?}"
    );
    // Another district's branches are not there for it.
    let leipzig = app.unit_id("L").await;
    let other = district
        .get(&format!("/auswertungen/mitglieder?kreisverband={leipzig}"))
        .await;
    assert_eq!(other.status, 404, "{}", other.text);
    assert!(!other.text.contains("Leipzig"));

    let mut branch = browser(&app, BRANCH_NEUSTADT).await;
    let refused = branch.get("/auswertungen/mitglieder").await;
    assert_eq!(refused.status, 403);
    assert!(refused.text.contains("Keine Berechtigung"));
    assert_eq!(branch.get("/auswertungen/mitglieder.csv").await.status, 403);
}

async fn a_day_to_come_is_told_at_the_field_in_german(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut office = browser(&app, STATE_OFFICE).await;
    let tomorrow = german(today(&app) + Duration::days(1));
    let refused = office
        .get(&format!("/auswertungen/mitglieder?stichtag={tomorrow}"))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains(
            "<p class=\"error\" id=\"stichtag-fehler\">Stichtag: darf nicht in der Zukunft liegen</p>"
        ),
        "{}",
        refused.text
    );
    assert!(
        refused
            .text
            .contains("aria-describedby=\"stichtag-fehler\"")
    );
    assert!(refused.text.contains(&format!("value=\"{tomorrow}\"")));
    assert!(
        !refused.text.contains("<table"),
        "no figures for a wrong day"
    );

    let unreadable = office
        .get("/auswertungen/mitglieder?stichtag=gestern")
        .await;
    assert_eq!(unreadable.status, 422);
    assert!(
        unreadable
            .text
            .contains("Stichtag: ist kein Datum (TT.MM.JJJJ)")
    );
    let file = office
        .get(&format!("/auswertungen/mitglieder.csv?stichtag={tomorrow}"))
        .await;
    assert_eq!(file.status, 400);
    assert!(file.text.contains("Ungültige Angaben"));
}

async fn the_delegate_key_page_shows_the_worked_example(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    nine_six_two(&app, &lgs).await;
    // One declaration for Chemnitz, received 60 days ago: past its
    // objection deadline, a member by statute without a record.
    let received = (today(&app) - Duration::days(60)).to_string();
    for name in ["Erste", "Zweite", "Dritte"] {
        app.register(
            &lgs,
            json!({
                "last_name": name,
                "received_on": received,
                "postal_code": "09111",
                "city": "Chemnitz",
            }),
        )
        .await;
    }

    let mut board = browser(&app, BOARD).await;
    let empty = board.get("/auswertungen/delegierte").await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    let last_year = today(&app)
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap_or(0)
        - 1;
    assert!(
        empty.text.contains(&format!("value=\"31.12.{last_year}\"")),
        "31 December of last year is the default day"
    );
    assert!(
        empty
            .text
            .contains("<option value=\"hare-niemeyer\" selected>Hare-Niemeyer</option>")
    );
    assert!(!empty.text.contains("<table"), "nothing computed yet");

    let day = german(today(&app));
    let hare = board
        .get(&format!(
            "/auswertungen/delegierte?stichtag={day}&sitze=5&verfahren=hare-niemeyer&grundmandate=0"
        ))
        .await;
    assert_eq!(hare.status, 200, "{}", hare.text);
    assert!(
        hare.text
            .contains(&format!("Delegiertenschlüssel zum Stichtag {day}"))
    );
    assert!(
        hare.text
            .contains("<dt>Verfahren</dt><dd>Hare-Niemeyer</dd>")
    );
    assert!(hare.text.contains("<dt>Sitze</dt><dd>5</dd>"));
    assert!(hare.text.contains("<dt>paarweise</dt><dd>nein</dd>"));
    assert!(
        hare.text
            .contains("<dt>Grundmandate je Kreisverband</dt><dd>0</dd>")
    );
    // Code, members, seats, base seats, quota, remainder, note, by statute,
    // seats with them, difference. On record 9/6/2: 3/2/0; with the three
    // members by statute of Chemnitz 9/6/5: 2/2/1.
    assert_eq!(
        row(&hare.text, "Stadtverband Dresden"),
        strings(&[
            "DD",
            "9",
            "3",
            "0",
            "2,6471",
            "0,6471",
            "",
            "0",
            "2",
            "\u{2212}1"
        ])
    );
    assert_eq!(
        row(&hare.text, "Stadtverband Leipzig"),
        strings(&["L", "6", "2", "0", "1,7647", "0,7647", "", "0", "2", "0"])
    );
    assert_eq!(
        row(&hare.text, "Stadtverband Chemnitz"),
        strings(&["C", "2", "0", "0", "0,5882", "0,5882", "", "3", "1", "+1"])
    );
    assert_eq!(
        row(&hare.text, "Summe"),
        strings(&["", "17", "5", "0", "", "", "", "3", "5", "0"])
    );
    assert!(!hare.text.contains(TIE));

    // Adams: one seat each first, then 9 and 6 beat 4.5 and 2: 2/2/1.
    let adams = board
        .get(&format!(
            "/auswertungen/delegierte?stichtag={day}&sitze=5&verfahren=adams"
        ))
        .await;
    assert_eq!(adams.status, 200, "{}", adams.text);
    assert!(adams.text.contains("<dt>Verfahren</dt><dd>Adams</dd>"));
    // Code, members, seats, base seats, last quotient, note, ...
    assert_eq!(
        row(&adams.text, "Stadtverband Dresden")[1..5],
        strings(&["9", "2", "0", "9,0000"])
    );
    assert_eq!(
        row(&adams.text, "Stadtverband Leipzig")[1..5],
        strings(&["6", "2", "0", "6,0000"])
    );
    assert_eq!(
        row(&adams.text, "Stadtverband Chemnitz")[1..5],
        strings(&["2", "1", "0", "unendlich"])
    );
    assert!(
        adams
            .text
            .contains("<dt>Letzter Quotient</dt><dd>6,0000</dd>")
    );
    let csv_link = format!(
        "/auswertungen/delegierte.csv?stichtag={day}&#38;sitze=5&#38;verfahren=adams&#38;grundmandate=0"
    );
    assert!(adams.text.contains(&csv_link), "{}", adams.text);

    let file = board
        .get(&format!(
            "/auswertungen/delegierte.csv?stichtag={day}&sitze=5&verfahren=hare-niemeyer"
        ))
        .await;
    assert_eq!(file.status, 200);
    assert!(file.content_type().starts_with("text/csv"));
    let disposition = file.headers["content-disposition"]
        .to_str()
        .unwrap_or_default();
    assert!(
        disposition.contains("delegiertenschluessel-")
            && disposition.contains("hare-niemeyer-5-sitze"),
        "{disposition}"
    );
    let rows = read_excel_csv(&file.text);
    assert_eq!(
        rows[0],
        strings(&[
            "Kreisverband",
            "Kürzel",
            "Mitglieder",
            "Sitze",
            "davon Grundmandate",
            "Quote",
            "Rest",
            "Letzter Quotient",
            "Gleichstand (Los nach Satzung)",
            "Mitglieder kraft Satzung",
            "Sitze mit ihnen",
            "Differenz",
        ])
    );
    assert_eq!(
        csv_row(&rows, "DD")[2..],
        strings(&[
            "9", "3", "0", "2,6471", "0,6471", "", "nein", "0", "2", "-1"
        ])
    );
    assert_eq!(rows.len(), 14, "the header and 13 districts");

    // Ten seats in pairs, a double base mandate for each of 13 districts
    // is 26 seats: 34 leave 4 pairs by members.
    let pairs = board
        .get(&format!(
            "/auswertungen/delegierte?stichtag={day}&sitze=34&verfahren=hare-niemeyer&paarweise=ja&grundmandate=2"
        ))
        .await;
    assert_eq!(pairs.status, 200, "{}", pairs.text);
    assert!(pairs.text.contains("<dt>paarweise</dt><dd>ja</dd>"));
    assert!(
        pairs
            .text
            .contains("name=\"paarweise\" value=\"ja\" checked")
    );
    assert_eq!(
        row(&pairs.text, "Stadtverband Dresden")[1..4],
        strings(&["9", "6", "2"])
    );
    assert_eq!(row(&pairs.text, "Summe")[2], "34");
}

async fn a_tie_the_list_decided_is_marked_for_the_lot(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    for short_code in ["DD", "L"] {
        enter(
            &app,
            &lgs,
            &app.unit_id(short_code).await,
            json!({ "email": null }),
        )
        .await;
    }
    let mut office = browser(&app, STATE_OFFICE).await;
    let day = german(today(&app));
    // One seat, one member each in Dresden and Leipzig: the list's order
    // gives it to Dresden, and the statute's lot must decide.
    let tied = office
        .get(&format!(
            "/auswertungen/delegierte?stichtag={day}&sitze=1&verfahren=dhondt"
        ))
        .await;
    assert_eq!(tied.status, 200, "{}", tied.text);
    let tie = TIE;
    assert_eq!(row(&tied.text, "Stadtverband Dresden")[5], tie);
    assert_eq!(row(&tied.text, "Stadtverband Leipzig")[5], tie);
    assert_eq!(row(&tied.text, "Stadtverband Chemnitz")[5], "");
    assert!(tied.text.contains(&format!("<strong>{tie}:</strong>")));
    let file = office
        .get(&format!(
            "/auswertungen/delegierte.csv?stichtag={day}&sitze=1&verfahren=dhondt"
        ))
        .await;
    let rows = read_excel_csv(&file.text);
    assert_eq!(csv_row(&rows, "L")[8], "ja");
    assert_eq!(csv_row(&rows, "C")[8], "nein");
}

async fn bad_key_parameters_are_told_at_their_fields_and_the_district_is_refused(db: Db) {
    let app = TestApp::spawn_demo(db).await;
    let mut office = browser(&app, STATE_OFFICE).await;
    let day = german(today(&app));
    let tomorrow = german(today(&app) + Duration::days(1));
    // No members yet: only base seats could be given.
    for (query, field, message) in [
        (
            format!("stichtag={day}&sitze=5&verfahren=zufall"),
            "verfahren",
            "Verfahren: ist keines der Verfahren Hare-Niemeyer, Sainte-Laguë, Adams oder D&#39;Hondt",
        ),
        (
            format!("stichtag={day}&sitze=&verfahren="),
            "sitze",
            "Sitze insgesamt: ist erforderlich",
        ),
        (
            format!("stichtag={day}&sitze=&verfahren="),
            "verfahren",
            "Verfahren: ist erforderlich",
        ),
        (
            format!("stichtag={day}&sitze=fünf&verfahren=adams"),
            "sitze",
            "Sitze insgesamt: ist keine ganze Zahl (zum Beispiel 120)",
        ),
        (
            format!("stichtag={day}&sitze=5&verfahren=adams&paarweise=ja"),
            "sitze",
            "Sitze insgesamt: muss gerade sein, wenn paarweise vergeben wird",
        ),
        (
            format!("stichtag={day}&sitze=10&verfahren=adams&paarweise=ja&grundmandate=1"),
            "grundmandate",
            "Grundmandate je Kreisverband: muss gerade sein, wenn paarweise vergeben wird",
        ),
        (
            format!("stichtag={day}&sitze=25&verfahren=adams&grundmandate=2"),
            "sitze",
            "Sitze insgesamt: muss mindestens 26 sein: 2 Grundmandate für jeden der 13 Kreisverbände",
        ),
        (
            format!("stichtag={tomorrow}&sitze=5&verfahren=adams"),
            "stichtag",
            "Stichtag (TT.MM.JJJJ): darf nicht in der Zukunft liegen",
        ),
        (
            format!("stichtag={day}&sitze=5&verfahren=dhondt"),
            "sitze",
            "Sitze insgesamt: Es gibt am Stichtag keine Mitglieder, nach denen Sitze verteilt werden könnten; nur die Grundmandate können vergeben werden",
        ),
    ] {
        let reply = office
            .get(&format!("/auswertungen/delegierte?{query}"))
            .await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.text);
        let at_field = format!("<p class=\"error\" id=\"{field}-fehler\">{message}</p>");
        assert!(reply.text.contains(&at_field), "{query}: {}", reply.text);
        assert!(
            reply
                .text
                .contains(&format!("aria-describedby=\"{field}-fehler\"")),
            "{query}"
        );
        assert!(!reply.text.contains("<table"), "{query}: nothing computed");
    }
    // What was typed stays in the form.
    let typed = office
        .get(&format!(
            "/auswertungen/delegierte?stichtag={day}&sitze=fünf&verfahren=adams&grundmandate=0"
        ))
        .await;
    assert!(typed.text.contains("value=\"fünf\""));
    assert!(
        typed
            .text
            .contains("<option value=\"adams\" selected>Adams</option>")
    );
    let file = office
        .get(&format!(
            "/auswertungen/delegierte.csv?stichtag={day}&sitze=5&verfahren=zufall"
        ))
        .await;
    assert_eq!(file.status, 400);

    for account in [DISTRICT_DRESDEN, BRANCH_NEUSTADT] {
        let mut refused = browser(&app, account).await;
        let page = refused.get("/auswertungen/delegierte").await;
        assert_eq!(page.status, 403, "{account}");
        assert!(page.text.contains("Keine Berechtigung"));
        let file = refused
            .get(&format!(
                "/auswertungen/delegierte.csv?stichtag={day}&sitze=5&verfahren=adams"
            ))
            .await;
        assert_eq!(file.status, 403, "{account}");
    }
}
