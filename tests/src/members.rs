//! Members as many test modules need them: a direct-entry body, entering
//! one over the API, the id of an answer, and a member list to import.

use serde_json::{Value, json};

use crate::TestApp;

/// A valid direct-entry body for a member of `unit`, with `changes` laid
/// over it.
pub fn entry(app: &TestApp, unit: &str, changes: Value) -> Value {
    let today = kartei_api::local_time::local_date(app.state.clock.now());
    let mut body = json!({
        "first_name": "Karl",
        "last_name": "Meier",
        "date_of_birth": "1980-05-01",
        "email": "karl.meier@example.org",
        "phone": "0351 7654321",
        "street": "Lindenweg 3",
        "postal_code": "01067",
        "city": "Dresden",
        "org_unit_id": unit,
        "received_on": (today - chrono::Duration::days(30)).to_string(),
        "joined_on": (today - chrono::Duration::days(20)).to_string(),
        "interests": ["Verkehr"],
        "consents": ["newsletter"]
    });
    if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        body.extend(changes.clone());
    }
    body
}

/// Enters a member over the API and answers its record.
pub async fn enter(app: &TestApp, token: &str, unit: &str, changes: Value) -> Value {
    let reply = app
        .post("/api/v1/members", Some(token), &entry(app, unit, changes))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body
}

/// Enters 9 members in Dresden, 6 in Leipzig and 2 in Chemnitz: the
/// delegate key's worked example.
pub async fn nine_six_two(app: &TestApp, token: &str) {
    for (short_code, count) in [("DD", 9), ("L", 6), ("C", 2)] {
        let unit = app.unit_id(short_code).await;
        for n in 0..count {
            enter(
                app,
                token,
                &unit,
                json!({ "last_name": format!("Mitglied{short_code}{n}"), "email": null }),
            )
            .await;
        }
    }
}

/// The `id` of an answer's body.
pub fn id(body: &Value) -> String {
    body["id"].as_str().expect("id").to_owned()
}

/// A member list of `rows` valid rows for the CSV import, `;`-separated.
pub fn import_csv(rows: usize) -> String {
    let mut csv = "first_name;last_name;date_of_birth;street;postal_code;city;org_unit;received_on;joined_on\n".to_owned();
    for row in 0..rows {
        csv.push_str(&format!(
            "Anna{row};Ölmann;1990-02-01;Weg {row};01097;Dresden;DD;2015-01-02;2015-02-01\n"
        ));
    }
    csv
}

/// The header of an import file: the fields of direct entry, a unit's
/// short code, and a membership number to keep.
pub const IMPORT_HEADER: &str = "first_name;last_name;date_of_birth;email;street;postal_code;city;org_unit;received_on;joined_on;membership_number";

/// A member list as a German Excel saves "CSV (Trennzeichen-getrennt)":
/// [`IMPORT_HEADER`] and `rows` as given (Windows-1252 bytes, `;`,
/// `TT.MM.JJJJ`), each line ended by CR LF.
pub fn excel_rows(rows: &[&[u8]]) -> Vec<u8> {
    let mut csv = format!("{IMPORT_HEADER}\r\n").into_bytes();
    for row in rows {
        csv.extend_from_slice(row);
        csv.extend_from_slice(b"\r\n");
    }
    csv
}
