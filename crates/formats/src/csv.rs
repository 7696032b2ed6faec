//! CSV that German Excel opens as it is: UTF-8 with a byte order mark
//! (without it Excel guesses Windows-1252), `;` between fields (Excel's
//! list separator under a German locale) and a decimal comma.
//!
//! Every cell goes through [`neutralise`]: a name, street or note that a
//! spreadsheet would run as a formula is written as text instead (OWASP's
//! rule against CSV injection).

use std::borrow::Cow;

/// A CSV file with a header row, each cell neutralised, as German Excel
/// opens it.
pub fn excel_csv(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    write_row(&mut writer, header.iter().copied())?;
    for row in rows {
        write_row(&mut writer, row.iter().map(String::as_str))?;
    }
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(writer.into_inner().map_err(|err| err.into_error())?);
    Ok(body)
}

/// One record, each cell neutralised; field by field, so that a cell that
/// needs no prefix is not copied.
fn write_row<'a>(
    writer: &mut csv::Writer<Vec<u8>>,
    cells: impl Iterator<Item = &'a str>,
) -> Result<(), csv::Error> {
    for cell in cells {
        writer.write_field(neutralise(cell).as_bytes())?;
    }
    // An empty record ends the one written field by field.
    writer.write_record(None::<&[u8]>)
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

/// A number with `places` digits after the decimal comma, for figures whose
/// small differences decide (a quota's remainder, a divisor's quotient).
pub fn decimal_places(value: Option<f64>, places: usize) -> String {
    value.map_or_else(String::new, |v| format!("{v:.places$}").replace('.', ","))
}

/// A flag as a German reader reads it.
pub fn yes_no(flag: bool) -> String {
    if flag { "ja" } else { "nein" }.to_owned()
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
