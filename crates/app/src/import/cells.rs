//! Cells as spreadsheets write them: dates in the ISO form or the German
//! one, and postal codes that lost their leading zero.

use std::borrow::Cow;
use std::ops::RangeInclusive;

use chrono::NaiveDate;

/// A way of writing a date that the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateFormat {
    /// `YYYY-MM-DD`, as the API writes dates.
    Iso,
    /// `DD.MM.YYYY`, as a German Excel writes them.
    German,
}

const NOT_A_DATE: &str = "must be a date (YYYY-MM-DD or DD.MM.YYYY)";

/// A date cell, and the format it was written in. The year takes four
/// digits: in Excel's short `01.02.90` the century is a guess, and read
/// as the year 90 it would pass as a date.
pub fn date(raw: &str) -> Result<(NaiveDate, DateFormat), &'static str> {
    if raw.is_empty() {
        return Err("is required");
    }
    let (format, year, month, day) = if let Some([year, month, day]) = three(raw, '-') {
        (DateFormat::Iso, year, month, day)
    } else if let Some([day, month, year]) = three(raw, '.') {
        (DateFormat::German, year, month, day)
    } else {
        return Err(NOT_A_DATE);
    };
    match (
        digits(year, 4..=4),
        digits(month, 1..=2),
        digits(day, 1..=2),
    ) {
        (Some(year), Some(month), Some(day)) => i32::try_from(year)
            .ok()
            .and_then(|year| NaiveDate::from_ymd_opt(year, month, day))
            .map(|date| (date, format))
            .ok_or(NOT_A_DATE),
        _ => Err(NOT_A_DATE),
    }
}

fn three(raw: &str, separator: char) -> Option<[&str; 3]> {
    let mut parts = raw.split(separator);
    let three = [parts.next()?, parts.next()?, parts.next()?];
    parts.next().is_none().then_some(three)
}

fn digits(part: &str, count: RangeInclusive<usize>) -> Option<u32> {
    if count.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// A postal code cell with the leading zero restored where Excel dropped
/// it, and whether it did: Excel takes `01067` for the number 1067 (the
/// codes of Saxony and its neighbours begin with 0) and saves four digits.
/// Anything else stays as written, for the postal code's own check.
pub fn postal_code(raw: &str) -> (Cow<'_, str>, bool) {
    // A number never begins with 0, so `0106` lost no zero: it is wrong.
    let lost_zero =
        raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) && !raw.starts_with('0');
    if lost_zero {
        (Cow::Owned(format!("0{raw}")), true)
    } else {
        (Cow::Borrowed(raw), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
    }

    #[test]
    fn iso_and_german_dates_are_read_with_their_format() {
        assert_eq!(date("1990-02-01"), Ok((day(1990, 2, 1), DateFormat::Iso)));
        assert_eq!(
            date("01.02.1990"),
            Ok((day(1990, 2, 1), DateFormat::German))
        );
        assert_eq!(date("1.2.1990"), Ok((day(1990, 2, 1), DateFormat::German)));
        assert_eq!(
            date("29.02.2024"),
            Ok((day(2024, 2, 29), DateFormat::German))
        );
    }

    #[test]
    fn nonsense_dates_are_refused() {
        assert_eq!(date(""), Err("is required"));
        for raw in [
            "31.02.2024",
            "29.02.2023",
            "01.13.1990",
            "00.01.1990",
            "2024-02-30",
            "01.02.90",
            "02.01.24",
            "90-02-01",
            "+1990-02-01",
            "01.02.01990",
            "1990/02/01",
            "01.02.1990.",
            "1990-02-01-03",
            "001.02.1990",
            "gestern",
            "01.02.1990 12:00",
        ] {
            assert_eq!(date(raw), Err(NOT_A_DATE), "{raw:?}");
        }
    }

    #[test]
    fn only_a_four_digit_code_without_its_zero_is_padded() {
        assert_eq!(postal_code("1067"), (Cow::Borrowed("01067"), true));
        assert_eq!(postal_code("9111"), (Cow::Borrowed("09111"), true));
        for raw in ["01067", "04109", "0106", "106", "106a", "10677", "", "١٠٦٧"] {
            assert_eq!(postal_code(raw), (Cow::Borrowed(raw), false), "{raw:?}");
        }
    }
}
