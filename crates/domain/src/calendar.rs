//! Calendar days in Europe/Berlin: the party office's days, which decide
//! when a clock has passed its level and when the morning digest goes out.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;

/// The local date of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Berlin).date_naive()
}

/// The local time of day of an instant.
pub fn local_time(at: DateTime<Utc>) -> NaiveTime {
    at.with_timezone(&Berlin).time()
}

/// The instant a local day begins (the earliest, should midnight be
/// ambiguous; Berlin's clock changes happen at night, not at midnight).
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    Berlin
        .from_local_datetime(&midnight)
        .earliest()
        .map(|local| local.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_days_start_an_hour_or_two_before_utc_days() {
        let winter = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap_or_default();
        assert_eq!(
            start_of_day(winter).to_rfc3339(),
            "2026-01-14T23:00:00+00:00"
        );
        let summer = NaiveDate::from_ymd_opt(2026, 7, 15).unwrap_or_default();
        assert_eq!(
            start_of_day(summer).to_rfc3339(),
            "2026-07-14T22:00:00+00:00"
        );
        let late_utc = "2026-07-14T22:30:00Z"
            .parse::<DateTime<Utc>>()
            .unwrap_or_default();
        assert_eq!(local_date(late_utc), summer);
    }
}
