//! CSV downloads that German Excel opens as they are: UTF-8 with a byte
//! order mark (without it Excel guesses Windows-1252), `;` between fields
//! (Excel's list separator under a German locale) and a decimal comma.
//!
//! Every cell goes through [`neutralise`]: a name, street or note that a
//! spreadsheet would run as a formula is written as text instead (OWASP's
//! rule against CSV injection).

use std::borrow::Cow;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

/// How a list is answered: JSON, or (`?format=csv`) an Excel-ready CSV.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ListFormat {
    Json,
    Csv,
}

/// A `text/csv` attachment named `filename` with a header row.
pub fn excel_csv(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> ApiResult<Response> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    write_row(&mut writer, header.iter().copied())?;
    for row in rows {
        write_row(&mut writer, row.iter().map(String::as_str))?;
    }
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(writer.into_inner().map_err(ApiError::internal)?);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// One record, each cell neutralised; field by field, so that a cell that
/// needs no prefix is not copied.
fn write_row<'a>(
    writer: &mut csv::Writer<Vec<u8>>,
    cells: impl Iterator<Item = &'a str>,
) -> ApiResult<()> {
    for cell in cells {
        writer
            .write_field(neutralise(cell).as_bytes())
            .map_err(ApiError::internal)?;
    }
    // An empty record ends the one written field by field.
    writer
        .write_record(None::<&[u8]>)
        .map_err(ApiError::internal)
}

/// The cell as a spreadsheet must show it: a cell that begins with `=`,
/// `+`, `-`, `@`, a tab or a carriage return could be taken for a formula
/// (`=HYPERLINK(..)`, `@SUM(..)`, `-2+3`), so it gets a leading `'`, which
/// makes Excel and LibreOffice read the rest as text.
///
/// One exception, deliberately narrower than OWASP's "prefix them all": a
/// cell that is nothing but a negative number (`-3`, `-2,5`) stays as it is.
/// Such a cell cannot call anything, and prefixing it would turn a report's
/// figures into text that no longer sums. Text columns stay safe either way:
/// a name like `-2+3` or `-1,5@x` is more than a number and is prefixed.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_negative_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `-` and digits, with at most one decimal comma or point between digits.
fn is_negative_number(cell: &str) -> bool {
    let Some(number) = cell.strip_prefix('-') else {
        return false;
    };
    let mut parts = number.splitn(2, [',', '.']);
    let digits = |part: Option<&str>| {
        part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let whole = parts.next();
    match parts.next() {
        None => digits(whole),
        fraction => digits(whole) && digits(fraction),
    }
}

/// A number as German Excel reads it: `25,5`, or empty when there is none.
pub fn decimal(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| {
        let text = format!("{v:.1}");
        text.strip_suffix(".0")
            .map_or_else(|| text.replace('.', ","), str::to_owned)
    })
}

/// An optional value as text, empty when there is none.
pub fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_use_a_comma_and_drop_a_zero_fraction() {
        assert_eq!(decimal(Some(25.5)), "25,5");
        assert_eq!(decimal(Some(37.0)), "37");
        assert_eq!(decimal(Some(36.96)), "37");
        assert_eq!(decimal(None), "");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_written_as_text() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+49 351 1234567", "'+49 351 1234567"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
            ("-", "'-"),
            ("-1,5@x", "'-1,5@x"),
            ("-1,", "'-1,"),
            ("--1", "'--1"),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn plain_text_and_negative_numbers_stay_as_they_are() {
        for cell in [
            "Ölmann", "a=b", "3-4", "", "'quoted", "-3", "-2,5", "-0.5", "42", "ja",
        ] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }
}
