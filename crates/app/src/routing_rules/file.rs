//! A routing table as the office keeps it in a spreadsheet: a header row
//! with `postal_code` and `org_unit` (a unit's short code), `;` or `,`,
//! UTF-8 or Windows-1252. It is read like a member list: the same text,
//! the same header check, and the leading zero that Excel drops from
//! Saxony's postal codes put back.

use crate::FieldError;
use crate::import::header::{self, Header};
use crate::import::text::CsvText;
use crate::import::{cells, row_error};

pub const POSTAL_CODE: &str = "postal_code";
pub const ORG_UNIT: &str = "org_unit";

/// One data row's cells as written, the postal code with its zero back.
pub struct RuleCells {
    /// 1 is the first row after the header.
    pub row: usize,
    pub postal_code: String,
    pub org_unit: String,
}

/// The rows of a file, and every row that cannot be read as one (the
/// rows read are still checked, so that one answer names every error).
/// A header that does not fit is the whole answer.
pub fn read(body: &[u8]) -> Result<(Vec<RuleCells>, Vec<FieldError>), Vec<FieldError>> {
    let file = CsvText::read(body).map_err(|error| vec![error])?;
    let mut reader = file.reader();
    let Header {
        columns,
        width,
        errors,
    } = header::read(&mut reader, &[POSTAL_CODE, ORG_UNIT], &[])?;
    let (Some(&code_at), Some(&unit_at), true) = (
        columns.get(POSTAL_CODE),
        columns.get(ORG_UNIT),
        errors.is_empty(),
    ) else {
        return Err(errors);
    };
    let mut rows = Vec::new();
    let mut unreadable = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 1;
        match record {
            // As in the member import, the reader's own message stays out.
            Err(_) => unreadable.push(row_error(row, "row", "cannot be read as CSV")),
            Ok(record) if record.len() != width => unreadable.push(row_error(
                row,
                "row",
                format!("has {} fields, the header {width}", record.len()),
            )),
            Ok(record) => {
                let cell = |at: usize| record.get(at).unwrap_or_default().trim();
                rows.push(RuleCells {
                    row,
                    postal_code: cells::postal_code(cell(code_at)).0.into_owned(),
                    org_unit: cell(unit_at).to_owned(),
                });
            }
        }
    }
    Ok((rows, unreadable))
}

/// A checked table as a file [`read`] reads back: what a confirmation
/// carries from the preview to the replacement.
pub fn write<'a>(rules: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut text = format!("{POSTAL_CODE};{ORG_UNIT}\n");
    for (postal_code, short_code) in rules {
        text.push_str(postal_code);
        text.push(';');
        text.push_str(short_code);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(body: &[u8]) -> Vec<(usize, String, String)> {
        match read(body) {
            Ok((rows, errors)) if errors.is_empty() => rows
                .into_iter()
                .map(|r| (r.row, r.postal_code, r.org_unit))
                .collect(),
            other => panic!("not read: {:?}", other.err()),
        }
    }

    #[test]
    fn excel_files_are_read_with_their_zeros_back() {
        assert!(
            read(b"plz;einheit\n").is_err(),
            "unknown columns are refused"
        );
        let excel = b"postal_code;org_unit;\n1067;DD-NEU;\n04109;L\xDC;\n";
        assert_eq!(
            cells(excel),
            vec![
                (1, "01067".to_owned(), "DD-NEU".to_owned()),
                (2, "04109".to_owned(), "LÜ".to_owned()),
            ]
        );
    }

    #[test]
    fn a_written_table_reads_back() {
        let text = write([("01067", "DD-NEU"), ("04109", "L")]);
        assert_eq!(
            cells(text.as_bytes()),
            vec![
                (1, "01067".to_owned(), "DD-NEU".to_owned()),
                (2, "04109".to_owned(), "L".to_owned()),
            ]
        );
    }

    #[test]
    fn a_short_row_is_named_and_the_others_still_read() {
        let Ok((rows, errors)) = read(b"org_unit,postal_code\nDD,01067\n01069\n") else {
            panic!("the header fits");
        };
        assert_eq!(rows.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, Some(2));
        let missing = read(b"postal_code\n01067\n").err().unwrap_or_default();
        assert_eq!(missing.len(), 1);
        assert_eq!(
            (missing[0].row, missing[0].field.as_str()),
            (Some(0), ORG_UNIT)
        );
    }
}
