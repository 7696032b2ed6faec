//! Reading a member list from CSV: the header, every row checked like a
//! direct entry, each error named by row and field, never by its cells.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::member::EntrySource;
use kartei_domain::{MembershipNumber, OrgUnit, OrgUnitKind};
use kartei_persistence::members::NewMember;
use uuid::Uuid;

use super::cells::{self, DateFormat};
use super::header::{self, Header};
use super::progress::ImportProgress;
use super::text::CsvText;
use super::{OPTIONAL, REQUIRED, row_error};
use crate::members::{EntryInput, check_entry};
use crate::person_input::PersonInput;
use crate::{Checks, FieldError};

/// The members of a file, each with its row number.
pub type Rows = Vec<(usize, NewMember)>;

/// What the cells showed of the way the file was written.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CellsRead {
    pub date_formats: BTreeSet<DateFormat>,
    /// Rows whose postal code got back its leading zero.
    pub postal_codes_padded: usize,
}

/// Reads and checks the whole file, counting each row as checked: the
/// members with their row numbers and what their cells showed, or every
/// error found.
pub fn parse(
    file: &CsvText<'_>,
    units: &[OrgUnit],
    today: NaiveDate,
    now: DateTime<Utc>,
    progress: &ImportProgress,
) -> Result<(Rows, CellsRead), Vec<FieldError>> {
    let mut reader = file.reader();
    let (columns, width) = header(&mut reader)?;
    let resolve = UnitResolver::new(units);

    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut numbers_seen: HashMap<String, usize> = HashMap::new();
    let mut read = CellsRead::default();
    for (index, record) in reader.records().enumerate() {
        let row = index + 1;
        let checked = match record {
            // The reader's message is kept out of the answer: the error
            // kinds it can report here carry no positions the row number
            // does not already give, and future ones might carry cells.
            Err(_) => Err(vec![row_error(row, "row", "cannot be read as CSV")]),
            Ok(record) if record.len() != width => Err(vec![row_error(
                row,
                "row",
                format!("has {} fields, the header {width}", record.len()),
            )]),
            Ok(record) => {
                let fields = Fields {
                    columns: &columns,
                    record: &record,
                };
                parse_row(
                    &fields,
                    &resolve,
                    &mut numbers_seen,
                    &mut read,
                    row,
                    today,
                    now,
                )
                .map_err(|found| {
                    found
                        .into_iter()
                        .map(|e| FieldError {
                            row: Some(row),
                            ..e
                        })
                        .collect()
                })
            }
        };
        match checked {
            Ok(member) => rows.push((row, member)),
            Err(found) => errors.extend(found),
        }
        progress.checked_one();
    }
    if errors.is_empty() {
        Ok((rows, read))
    } else {
        Err(errors)
    }
}

/// Column name → position; the header's own errors are reported as row 0.
/// Also the number of fields a row must have.
fn header(
    reader: &mut csv::Reader<&[u8]>,
) -> Result<(HashMap<String, usize>, usize), Vec<FieldError>> {
    let Header {
        columns,
        width,
        mut errors,
    } = header::read(reader, &REQUIRED, &OPTIONAL)?;
    match (
        columns.contains_key("org_unit_id"),
        columns.contains_key("org_unit"),
    ) {
        (false, false) => errors.push(row_error(
            0,
            "org_unit",
            "is a required column (or org_unit_id)",
        )),
        (true, true) => errors.push(row_error(
            0,
            "org_unit",
            "give either org_unit or org_unit_id",
        )),
        _ => {}
    }
    if errors.is_empty() {
        Ok((columns, width))
    } else {
        Err(errors)
    }
}

/// Finds the district (and branch) a row names by id or short code.
struct UnitResolver<'a> {
    by_id: HashMap<Uuid, &'a OrgUnit>,
    by_code: HashMap<String, &'a OrgUnit>,
}

impl<'a> UnitResolver<'a> {
    fn new(units: &'a [OrgUnit]) -> Self {
        UnitResolver {
            by_id: units.iter().map(|u| (u.id, u)).collect(),
            by_code: units
                .iter()
                .map(|u| (u.short_code.to_uppercase(), u))
                .collect(),
        }
    }

    fn holding(
        &self,
        id: &str,
        code: &str,
    ) -> Result<(Uuid, Option<Uuid>), (&'static str, &'static str)> {
        let (field, unit) = if id.is_empty() {
            ("org_unit", self.by_code.get(&code.to_uppercase()))
        } else {
            let unit = Uuid::parse_str(id).ok().and_then(|id| self.by_id.get(&id));
            ("org_unit_id", unit)
        };
        match unit.map(|u| (u.kind, u.id, u.parent_id)) {
            Some((OrgUnitKind::District, id, _)) => Ok((id, None)),
            Some((OrgUnitKind::Local, id, Some(district))) => Ok((district, Some(id))),
            Some(_) => Err((field, "must be a district or a local branch")),
            None if id.is_empty() && code.is_empty() => Err((field, "is required")),
            None => Err((field, "is not a known unit")),
        }
    }
}

fn list(raw: &str) -> Vec<String> {
    raw.split([',', ';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One data row, read by column name.
struct Fields<'r> {
    columns: &'r HashMap<String, usize>,
    record: &'r csv::StringRecord,
}

impl<'r> Fields<'r> {
    fn get(&self, name: &str) -> &'r str {
        self.columns
            .get(name)
            .and_then(|i| self.record.get(*i))
            .map(str::trim)
            .unwrap_or_default()
    }
}

fn parse_row(
    fields: &Fields<'_>,
    units: &UnitResolver<'_>,
    numbers_seen: &mut HashMap<String, usize>,
    read: &mut CellsRead,
    row: usize,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<NewMember, Vec<FieldError>> {
    let get = |name: &str| fields.get(name);
    let mut checks = Checks::new();
    let mut unparsed = Vec::new();
    let mut date = |field: &'static str, fallback: NaiveDate| match cells::date(get(field)) {
        Ok((date, format)) => {
            read.date_formats.insert(format);
            date
        }
        Err(message) => {
            unparsed.push(FieldError::new(field, message));
            fallback
        }
    };
    // Unparseable dates get a harmless stand-in so that the other fields are
    // still checked; the stand-in's own findings are dropped below.
    let date_of_birth = date("date_of_birth", NaiveDate::MIN);
    let received_on = date("received_on", today);
    let joined_on = date("joined_on", today);
    let interests = list(get("interests"));
    let consents = list(get("consents"));
    let email = get("email");
    let phone = get("phone");
    let (postal_code, padded) = cells::postal_code(get("postal_code"));
    read.postal_codes_padded += usize::from(padded);
    let entry = check_entry(
        &mut checks,
        &EntryInput {
            person: PersonInput {
                first_name: get("first_name"),
                last_name: get("last_name"),
                date_of_birth: if date_of_birth == NaiveDate::MIN {
                    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(today)
                } else {
                    date_of_birth
                },
                email: Some(email),
                phone: Some(phone),
                street: get("street"),
                postal_code: &postal_code,
                city: get("city"),
                interests: &interests,
            },
            received_on,
            joined_on,
            consents: &consents,
        },
        today,
        now,
    );
    let holding = match units.holding(get("org_unit_id"), get("org_unit")) {
        Ok(holding) => Some(holding),
        Err((field, message)) => {
            checks.fail(field, message);
            None
        }
    };
    let number = match get("membership_number") {
        "" => Some(String::new()),
        raw => checks
            .field("membership_number", MembershipNumber::parse(raw))
            .map(MembershipNumber::into_string)
            .and_then(|n| match numbers_seen.insert(n.clone(), row) {
                Some(first) => {
                    checks.fail("membership_number", format!("repeats row {first}"));
                    None
                }
                None => Some(n),
            }),
    };
    let unparsed_fields: Vec<String> = unparsed.iter().map(|e| e.field.clone()).collect();
    let mut errors: Vec<FieldError> = checks
        .into_errors()
        .into_iter()
        .filter(|e| {
            !unparsed_fields.contains(&e.field) && (unparsed.is_empty() || e.field != "joined_on")
        })
        .collect();
    errors.extend(unparsed);
    match (entry, holding, number) {
        (Some((person, consents)), Some((district_id, local_id)), Some(number))
            if errors.is_empty() =>
        {
            Ok(NewMember {
                id: Uuid::now_v7(),
                membership_number: number,
                person,
                district_id,
                local_id,
                received_on,
                joined_on,
                application_id: None,
                consents,
                source: EntrySource::Import,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(kind: OrgUnitKind, code: &str, parent: Option<Uuid>) -> OrgUnit {
        OrgUnit {
            id: Uuid::now_v7(),
            kind,
            name: code.into(),
            short_code: code.into(),
            parent_id: parent,
            email: None,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    pub(super) fn units() -> Vec<OrgUnit> {
        let state = unit(OrgUnitKind::State, "SN", None);
        let district = unit(OrgUnitKind::District, "DD", Some(state.id));
        let branch = unit(OrgUnitKind::Local, "DD-NEU", Some(district.id));
        vec![state, district, branch]
    }

    pub(super) fn run(csv: &str) -> Result<Rows, Vec<FieldError>> {
        read(csv.as_bytes(), &ImportProgress::new()).map(|(rows, _)| rows)
    }

    /// The file decoded and parsed, as the import does.
    pub(super) fn read(
        body: &[u8],
        progress: &ImportProgress,
    ) -> Result<(Rows, CellsRead), Vec<FieldError>> {
        let now = Utc::now();
        let file = CsvText::read(body).map_err(|e| vec![e])?;
        parse(&file, &units(), now.date_naive(), now, progress)
    }

    fn errors(csv: &str) -> Vec<(usize, String)> {
        run(csv)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.row.unwrap_or(usize::MAX), e.field))
            .collect()
    }

    pub(super) const HEADER: &str =
        "first_name;last_name;date_of_birth;street;postal_code;city;org_unit;received_on;joined_on";

    #[test]
    fn semicolons_bom_and_german_dates_are_read() {
        let csv = format!(
            "\u{feff}{HEADER};interests\nAnna;Ölmann;01.02.1990;Weg 1;01097;Dresden;dd-neu;2024-01-02;03.01.2024;\"Umwelt, Verkehr\"\n"
        );
        let rows = run(&csv).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        let (row, member) = &rows[0];
        assert_eq!(*row, 1);
        assert_eq!(member.person.last_name, "Ölmann");
        assert!(member.local_id.is_some());
        assert_eq!(member.person.interests, ["Umwelt", "Verkehr"]);
        assert_eq!(
            member.joined_on,
            NaiveDate::from_ymd_opt(2024, 1, 3).unwrap_or_default()
        );
    }

    #[test]
    fn commas_work_as_well() {
        let csv = format!(
            "{}\nAnna,Berg,1990-02-01,Weg 1,01097,Dresden,DD,2024-01-02,2024-01-03\n",
            HEADER.replace(';', ",")
        );
        assert_eq!(run(&csv).map(|r| r.len()), Ok(1));
    }

    #[test]
    fn every_bad_row_and_field_is_named() {
        let csv = format!(
            "{HEADER};membership_number\n\
             Anna;Berg;1990-02-01;Weg 1;01097;Dresden;DD;2024-01-02;2024-01-03;77\n\
             ;Berg;gestern;Weg 1;109;Dresden;XX;2024-01-02;2024-01-03;77\n\
             Bea;Berg;1990-02-01;Weg 1;01097;Dresden;SN;2024-01-02;2023-01-03;\n"
        );
        assert_eq!(
            errors(&csv),
            [
                (2, "first_name".to_owned()),
                (2, "postal_code".to_owned()),
                (2, "org_unit".to_owned()),
                (2, "membership_number".to_owned()),
                (2, "date_of_birth".to_owned()),
                (3, "joined_on".to_owned()),
                (3, "org_unit".to_owned()),
            ]
        );
    }

    #[test]
    fn a_year_needs_four_digits() {
        // Read as the year 24, `02.01.24` made the birth date lie "in the
        // future" and blamed that field instead of this one.
        let csv =
            format!("{HEADER}\nAnna;Berg;01.02.1990;Weg 1;01097;Dresden;DD;02.01.24;2024-01-03\n");
        let found = run(&csv).err().unwrap_or_default();
        assert_eq!(
            found
                .iter()
                .map(|e| (e.row, e.field.as_str(), e.message.as_str()))
                .collect::<Vec<_>>(),
            [(
                Some(1),
                "received_on",
                "must be a date (YYYY-MM-DD or DD.MM.YYYY)"
            )]
        );
    }

    #[test]
    fn header_problems_are_row_zero() {
        assert_eq!(
            errors("first_name;last_name;shoe_size\n"),
            [
                (0, "column 3".to_owned()),
                (0, "date_of_birth".to_owned()),
                (0, "street".to_owned()),
                (0, "postal_code".to_owned()),
                (0, "city".to_owned()),
                (0, "received_on".to_owned()),
                (0, "joined_on".to_owned()),
                (0, "org_unit".to_owned()),
            ]
        );
    }

    #[test]
    fn a_file_without_header_row_is_refused_without_its_cells() {
        let found = run("Anna;Ölmann;1990-02-01;Weg 1;01097;Dresden;DD;2015-01-02;2015-02-01\n")
            .err()
            .unwrap_or_default();
        assert!(!found.is_empty());
        let text = format!("{found:?}");
        for cell in ["Anna", "Ölmann", "1990-02-01", "Weg 1", "01097", "Dresden"] {
            assert!(!text.contains(cell), "{cell} echoed: {text}");
        }
        assert!(found.iter().any(|e| e.field == "column 1"));
    }

    #[test]
    fn short_rows_are_reported() {
        assert_eq!(
            errors(&format!("{HEADER}\nAnna;Berg\n")),
            [(1, "row".to_owned())]
        );
    }

    #[test]
    fn every_row_counts_as_checked_good_or_bad() {
        let csv = format!(
            "{HEADER}\n\
             Anna;Berg;1990-02-01;Weg 1;01097;Dresden;DD;2024-01-02;2024-01-03\n\
             Anna;Berg\n\
             Anna;Berg;31.02.1990;Weg 1;1097;Dresden;DD;2024-01-02;2024-01-03\n\
             \"Anna\nMaria\";Berg;1990-02-01;Weg 1;01097;Dresden;DD;2024-01-02;2024-01-03\n"
        );
        let total = CsvText::read(csv.as_bytes()).map(|file| file.rows_up_to(usize::MAX));
        let progress = ImportProgress::new();
        assert!(read(csv.as_bytes(), &progress).is_err());
        assert_eq!(total, Ok(4));
        assert_eq!(progress.counts().rows_checked, 4);
    }

    #[test]
    fn an_excel_file_is_read_with_its_umlauts_dates_and_zeros() {
        let mut body = format!("{HEADER}\r\n").into_bytes();
        body.extend_from_slice(
            b"J\xFCrgen;Gro\xDFmann;07.03.1961;Bautzner Stra\xDFe 12;1067;Dresden;DD;02.01.2015;01.02.2015\r\n\
              Ren\xE9e;\xD6lschl\xE4ger;07.03.1962;Ring 5;01097;Dresden;DD;03.01.2015;02.02.2015\r\n",
        );
        let (rows, read) = read(&body, &ImportProgress::new()).unwrap_or_default();
        let people: Vec<_> = rows
            .iter()
            .map(|(_, m)| {
                let p = &m.person;
                (
                    p.first_name.as_str(),
                    p.last_name.as_str(),
                    p.street.as_str(),
                    p.postal_code.as_str(),
                )
            })
            .collect();
        assert_eq!(
            people,
            [
                ("Jürgen", "Großmann", "Bautzner Straße 12", "01067"),
                ("Renée", "Ölschläger", "Ring 5", "01097"),
            ]
        );
        assert_eq!(
            read,
            CellsRead {
                date_formats: BTreeSet::from([DateFormat::German]),
                postal_codes_padded: 1,
            }
        );
    }
}

/// The import over arbitrary files: it never panics, every error names a
/// row of the file, and a file of well-formed rows is taken whole.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::tests::{HEADER, run};

    /// A cell as people and spreadsheets write them: plausible values,
    /// separators, quotes, line breaks, and anything at all.
    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("DD".to_owned()),
            Just("dd-neu".to_owned()),
            Just("01097".to_owned()),
            Just("1990-02-01".to_owned()),
            Just("31.02.2024".to_owned()),
            Just("\"Umwelt; Verkehr\"".to_owned()),
            Just("\"unclosed".to_owned()),
            "[a-zA-ZäöüÄÖÜß .,;\"\r\n-]{0,20}",
            "[0-9.:-]{0,12}",
            any::<String>(),
        ]
    }

    fn well_formed_row() -> impl Strategy<Value = String> {
        (
            "[A-Z][a-zäöü]{1,10}",
            "[A-Z][a-zäöüß]{1,12}(-[A-Z][a-z]{1,8})?",
            1930i32..2000,
            1u32..=12,
            1u32..=28,
            "0[1-9][0-9]{3}",
            prop_oneof![Just("DD"), Just("dd-neu"), Just("DD-NEU")],
            0i32..8,
        )
            .prop_map(|(first, last, year, month, day, plz, unit, later)| {
                // Old enough (14) when joining, and not in the future.
                let joined = year + 16 + later;
                format!(
                    "{first};{last};{day:02}.{month:02}.{year};Weg 1;{plz};Ort;{unit};{joined}-01-02;{joined}-01-03"
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = super::tests::read(&body, &super::ImportProgress::new());
        }

        #[test]
        fn every_error_names_a_row_of_the_file(
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..11), 0..8),
            comma in any::<bool>(),
        ) {
            let separator = if comma { "," } else { ";" };
            let mut csv = HEADER.replace(';', separator);
            for row in &rows {
                csv.push('\n');
                csv.push_str(&row.join(separator));
            }
            // The reader ends a record at a bare `\r` too.
            let lines = csv.split(['\n', '\r']).count();
            match run(&csv) {
                Ok(members) => prop_assert!(members.len() <= rows.len()),
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for error in errors {
                        prop_assert!(error.row.is_some_and(|r| r <= lines), "{:?}", error);
                    }
                }
            }
        }

        #[test]
        fn well_formed_files_are_taken_whole(rows in proptest::collection::vec(well_formed_row(), 1..20)) {
            let csv = format!("{HEADER}\n{}\n", rows.join("\n"));
            let taken = run(&csv);
            prop_assert_eq!(taken.as_ref().map(Vec::len).ok(), Some(rows.len()), "{:?}", taken.err());
        }
    }
}
