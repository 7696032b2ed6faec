//! When a pooled connection is pinged before it is handed out (ADR 0023).
//!
//! A ping is a round trip before every statement, a fifth of a short
//! request's time. A connection that was in use a moment ago is almost
//! never dead; the exception is a database restart, which ends every
//! connection of the pool at once while they still count as recently
//! used. So a connection is pinged when it has idled long enough that the
//! server may have gone away since, and every connection is pinged for a
//! while after any statement found the database away.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A connection idle this long is pinged: a restart takes longer than that.
pub(crate) const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How long after an outage was seen every connection is pinged: long
/// enough for the pool to have met each of its dead connections once.
const PING_ALL_AFTER_OUTAGE: Duration = Duration::from_secs(60);

/// Milliseconds from [`epoch`] to the last outage seen, plus one; zero
/// while none was.
static LAST_OUTAGE: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn millis_since_epoch() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A statement or an acquire found the database away (connection lost,
/// server shutting down or starting, pool timed out).
pub(crate) fn seen() {
    // Taken before the clock is read, so that the first outage is never
    // recorded as zero, "none".
    epoch();
    LAST_OUTAGE.store(millis_since_epoch().saturating_add(1), Ordering::Relaxed);
}

/// Whether a connection idle for `idle_for` is pinged before it is used.
pub(crate) fn ping_due(idle_for: Duration) -> bool {
    idle_for >= PING_AFTER_IDLE || outage_is_recent()
}

fn outage_is_recent() -> bool {
    outage_within_window(LAST_OUTAGE.load(Ordering::Relaxed), millis_since_epoch())
}

/// Whether the outage recorded as `stamp` lies less than
/// [`PING_ALL_AFTER_OUTAGE`] before `now` (both as in [`LAST_OUTAGE`]).
fn outage_within_window(stamp: u64, now: u64) -> bool {
    stamp != 0 && u128::from(now.saturating_sub(stamp - 1)) < PING_ALL_AFTER_OUTAGE.as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hot_connection_is_pinged_only_after_an_outage() {
        // One test touches the process's record of outages, and only
        // ever sets it.
        assert!(ping_due(PING_AFTER_IDLE), "idle");
        seen();
        assert!(ping_due(Duration::ZERO), "hot, right after an outage");
    }

    #[test]
    fn the_pings_after_an_outage_end_after_the_window() {
        let window = PING_ALL_AFTER_OUTAGE.as_secs() * 1000;
        assert!(!outage_within_window(0, 5), "none seen");
        assert!(outage_within_window(1, 0), "seen at the epoch");
        assert!(outage_within_window(1_001, 1_000 + window - 1));
        assert!(!outage_within_window(1_001, 1_000 + window));
    }
}
