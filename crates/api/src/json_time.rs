//! Dates and times in JSON, written without `core::fmt`.
//!
//! chrono serializes through `Display`, which serde_json feeds through an
//! escaping adapter piece by piece: a member list of fifty spent a third
//! of its JSON time there (`docs/benchmarks.md`). These write the same text
//! from a small buffer; a year outside 0..=9999 or a leap second, which
//! chrono writes its own way, is left to chrono.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Serialize, Serializer};

/// For `#[serde(serialize_with)]` on an `Option<NaiveDate>`: `2026-12-02`.
pub fn option_date<S: Serializer>(day: &Option<NaiveDate>, to: S) -> Result<S::Ok, S::Error> {
    match day {
        Some(day) => date(day, to),
        None => to.serialize_none(),
    }
}

/// For `#[serde(serialize_with)]` on an `Option<DateTime<Utc>>`:
/// `2026-12-02T21:24:38.123Z`, with as many fraction digits as chrono
/// writes (none, 3, 6 or 9).
pub fn option_time<S: Serializer>(at: &Option<DateTime<Utc>>, to: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => time(at, to),
        None => to.serialize_none(),
    }
}

fn date<S: Serializer>(day: &NaiveDate, to: S) -> Result<S::Ok, S::Error> {
    let mut text = [0; 10];
    if !write_date(&mut text, day) {
        return day.serialize(to);
    }
    to.serialize_str(ascii(&text))
}

fn time<S: Serializer>(at: &DateTime<Utc>, to: S) -> Result<S::Ok, S::Error> {
    let mut text = [0; 30];
    let Some(len) = write_time(&mut text, at) else {
        return at.serialize(to);
    };
    to.serialize_str(ascii(&text[..len]))
}

/// `YYYY-MM-DD` into `text`; false for a year chrono writes with a sign.
fn write_date(text: &mut [u8; 10], day: &NaiveDate) -> bool {
    let Ok(year) = u32::try_from(day.year()) else {
        return false;
    };
    if year > 9999 {
        return false;
    }
    digits(&mut text[0..4], year);
    text[4] = b'-';
    digits(&mut text[5..7], day.month());
    text[7] = b'-';
    digits(&mut text[8..10], day.day());
    true
}

/// The RFC 3339 text chrono writes for `at` into `text`, and its length;
/// `None` where chrono is left to write it.
fn write_time(text: &mut [u8; 30], at: &DateTime<Utc>) -> Option<usize> {
    let mut day = [0; 10];
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 || !write_date(&mut day, &at.date_naive()) {
        return None;
    }
    text[..10].copy_from_slice(&day);
    text[10] = b'T';
    digits(&mut text[11..13], at.hour());
    text[13] = b':';
    digits(&mut text[14..16], at.minute());
    text[16] = b':';
    digits(&mut text[17..19], at.second());
    let mut len = 19;
    let (fraction, places) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if places > 0 {
        text[len] = b'.';
        digits(&mut text[len + 1..len + 1 + places], fraction);
        len += 1 + places;
    }
    text[len] = b'Z';
    Some(len + 1)
}

/// `value` as decimal digits filling `into`, with leading zeros.
fn digits(into: &mut [u8], mut value: u32) {
    for place in into.iter_mut().rev() {
        // A digit, below 10: the cast cannot truncate.
        *place = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn ascii(text: &[u8]) -> &str {
    // Only digits and separators were written.
    std::str::from_utf8(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[derive(Serialize)]
    struct Fast {
        #[serde(serialize_with = "option_date")]
        day: Option<NaiveDate>,
        #[serde(serialize_with = "option_time")]
        at: Option<DateTime<Utc>>,
    }

    #[derive(Serialize)]
    struct Chrono {
        day: Option<NaiveDate>,
        at: Option<DateTime<Utc>>,
    }

    /// Both texts: ours, and chrono's.
    fn both(day: Option<NaiveDate>, at: Option<DateTime<Utc>>) -> (String, String) {
        (
            serde_json::to_string(&Fast { day, at }).unwrap_or_default(),
            serde_json::to_string(&Chrono { day, at }).unwrap_or_default(),
        )
    }

    fn same_as_chrono(day: Option<NaiveDate>, at: Option<DateTime<Utc>>) {
        let (ours, chrono) = both(day, at);
        assert!(!ours.is_empty(), "written");
        assert_eq!(ours, chrono);
    }

    #[test]
    fn the_edges_are_written_as_chrono_writes_them() {
        let at = |s: i64, n: u32| Utc.timestamp_opt(s, n).single();
        let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d);
        same_as_chrono(None, None);
        same_as_chrono(day(2026, 12, 2), at(1_796_248_278, 0));
        for nanos in [1, 1_000, 1_000_000, 120_000_000, 999_999_999, 5_000, 100] {
            same_as_chrono(day(1, 1, 1), at(1_796_248_278, nanos));
        }
        // Left to chrono: a sign before the year, a leap second.
        same_as_chrono(day(-1, 1, 1), at(-62_198_755_200, 0));
        same_as_chrono(day(10_000, 1, 1), at(253_402_300_800, 0));
        same_as_chrono(day(0, 12, 31), at(1_483_228_799, 1_500_000_000));
        same_as_chrono(day(9999, 12, 31), at(253_402_300_799, 999_000_000));
    }

    proptest! {
        #[test]
        fn any_day_and_time_is_written_as_chrono_writes_it(
            days in -1_000_000i32..4_000_000,
            seconds in -70_000_000_000i64..260_000_000_000,
            nanos in prop_oneof![Just(0u32), 0u32..1000, (0u32..1000).prop_map(|n| n * 1_000_000),
                                 (0u32..1_000_000).prop_map(|n| n * 1_000), 0u32..1_000_000_000],
        ) {
            let day = NaiveDate::from_num_days_from_ce_opt(days);
            let at = Utc.timestamp_opt(seconds, nanos).single();
            let (ours, chrono) = both(day, at);
            prop_assert!(!ours.is_empty());
            prop_assert_eq!(ours, chrono);
        }
    }
}
