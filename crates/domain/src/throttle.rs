//! Login throttling: how many failed logins an account, and a client address,
//! may collect before further attempts are refused for a while.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failed logins of one account within `window` before it is locked.
    pub max_failures_per_account: u32,
    /// Failed logins from one client address within `window` before it is
    /// locked; larger, because an office may share one address.
    pub max_failures_per_client: u32,
    pub window: Duration,
}

impl ThrottlePolicy {
    /// The contract's rule: a client address gets ten times as many attempts
    /// as an account.
    pub fn new(max_failed_logins: u32, lockout: Duration) -> Self {
        Self {
            max_failures_per_account: max_failed_logins,
            max_failures_per_client: max_failed_logins.saturating_mul(10),
            window: lockout,
        }
    }

    /// The start of the window in which failures count at `now`.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// Given the times of the failures inside the window, oldest first,
    /// returns how long the caller must wait, or `None` if it may try now.
    /// A limit of zero switches throttling off.
    /// The lock lifts when enough of the old failures have left the window.
    pub fn retry_after(
        &self,
        failures_oldest_first: &[DateTime<Utc>],
        limit: u32,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let count = failures_oldest_first.len();
        if limit == 0 || count < limit {
            return None;
        }
        // Once `count - limit + 1` failures have expired, one attempt is free.
        let deciding = failures_oldest_first[count - limit];
        let wait = deciding + self.window - now;
        (wait > Duration::zero()).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minutes)
    }

    #[test]
    fn a_client_gets_ten_times_the_account_limit() {
        let policy = ThrottlePolicy::new(5, Duration::minutes(15));
        assert_eq!(policy.max_failures_per_client, 50);
    }

    #[test]
    fn locked_from_the_limit_until_the_oldest_deciding_failure_expires() {
        let policy = ThrottlePolicy::new(3, Duration::minutes(15));
        let failures = [at(0), at(1), at(2)];
        assert_eq!(policy.retry_after(&failures[..2], 3, at(3)), None);
        assert_eq!(
            policy.retry_after(&failures, 3, at(3)),
            Some(Duration::minutes(12))
        );
        assert_eq!(policy.retry_after(&failures, 3, at(15)), None);
        let more = [at(0), at(1), at(2), at(10)];
        assert_eq!(
            policy.retry_after(&more, 3, at(11)),
            Some(Duration::minutes(5))
        );
    }

    #[test]
    fn a_zero_limit_switches_throttling_off() {
        let policy = ThrottlePolicy::new(0, Duration::minutes(15));
        assert_eq!(policy.retry_after(&[], 0, at(0)), None);
        assert_eq!(policy.retry_after(&[at(0), at(1)], 0, at(2)), None);
    }
}
