//! How long a browser stays signed in to the web application. The office's
//! computers are shared and a tab is easily left open: a session ends after
//! 30 minutes without a request, and 12 hours after the sign-in however
//! busy it was (a working day, not a week).

use chrono::{DateTime, Duration, Utc};

/// Without a request for this long, the browser must sign in again.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// This long after signing in, the browser must sign in again.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);

/// Whether a browser session signed in at `signed_in_at` and last seen at
/// `seen_at` may go on at `now`.
pub fn browser_session_live(
    signed_in_at: DateTime<Utc>,
    seen_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    seen_at >= signed_in_at
        && now >= seen_at - Duration::minutes(1)
        && now - seen_at < IDLE_TIMEOUT
        && now - signed_in_at < ABSOLUTE_TIMEOUT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minutes)
    }

    #[test]
    fn an_idle_half_hour_ends_the_session() {
        assert!(browser_session_live(at(0), at(0), at(29)));
        assert!(!browser_session_live(at(0), at(0), at(30)));
        assert!(browser_session_live(at(0), at(100), at(129)));
    }

    #[test]
    fn twelve_hours_end_it_however_busy() {
        let end = 12 * 60;
        assert!(browser_session_live(at(0), at(end - 5), at(end - 1)));
        assert!(!browser_session_live(at(0), at(end - 5), at(end)));
    }

    #[test]
    fn times_out_of_order_are_refused() {
        // Seen before the sign-in, or (beyond clock skew) in the future.
        assert!(!browser_session_live(at(10), at(5), at(11)));
        assert!(!browser_session_live(at(0), at(10), at(5)));
    }
}
