//! Delivers the outbox: `deliver_due` is one step, which claims the due
//! messages, sends them through the transport and records each outcome.
//! The front end runs it in a loop; tests drive it step by step.

use chrono::Duration;
use kartei_persistence::RepoError;
use kartei_persistence::outbox::{self, FAILED, PENDING};

use crate::App;
use crate::mailer::{Mailer, SendError};

/// After this many attempts a message is given up and shown to the admin.
pub const MAX_ATTEMPTS: i32 = 8;
/// Messages claimed at once; `mail.lease_seconds` must outlast sending them.
const BATCH: u64 = 20;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Exponential backoff: 30 s, 1 min, 2 min, ... at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds(30 * 2i64.pow(exponent)).min(Duration::hours(1))
}

/// Claims due messages and sends them; returns what happened.
///
/// The messages of a batch are sent at once, each over its own pooled SMTP
/// connection (lettre's pool bounds how many): one at a time, a worker
/// managed about 20 messages a second, far fewer than a campaign week's
/// registrations create. Each outcome is recorded as it arrives.
pub async fn deliver_due(app: &App, mailer: &Mailer) -> Result<DeliveryReport, RepoError> {
    let mut report = DeliveryReport::default();
    let now = app.now();
    let lease = Duration::seconds(i64::try_from(app.settings.mail.lease_seconds).unwrap_or(600));
    let claimed = outbox::claim_due(&app.db, now, lease, BATCH).await?;
    let mut sending = tokio::task::JoinSet::new();
    for mail in claimed {
        let mailer = mailer.clone();
        sending.spawn(async move {
            let outcome = mailer.send(&mail).await;
            (mail, outcome)
        });
    }
    // A failed bookkeeping write does not abort the sends still running:
    // each one finishes and is recorded if the database lets it.
    let mut first_error = None;
    while let Some(joined) = sending.join_next().await {
        // A send that panicked leaves its message claimed; it is due again
        // when the lease runs out, like a message of a worker that died.
        let Ok((mail, outcome)) = joined else {
            tracing::error!("a mail send panicked; the message is retried after its lease");
            continue;
        };
        match outcome {
            Ok(()) => {
                if let Err(write_err) = outbox::mark_sent(&app.db, mail.id, app.now()).await {
                    first_error.get_or_insert(write_err);
                    continue;
                }
                metrics::counter!("kartei_mail_sent_total", "kind" => mail.kind.clone())
                    .increment(1);
                report.sent += 1;
            }
            Err(err) => {
                let give_up = err == SendError::Permanent
                    || err == SendError::Build
                    || mail.attempts >= MAX_ATTEMPTS;
                let retry_at = (!give_up).then(|| app.now() + backoff(mail.attempts));
                if let Err(write_err) =
                    outbox::mark_attempt_failed(&app.db, mail.id, &err.to_string(), retry_at).await
                {
                    first_error.get_or_insert(write_err);
                    continue;
                }
                tracing::warn!(mail_id = %mail.id, kind = %mail.kind, attempts = mail.attempts, error = %err, "mail not delivered");
                if give_up {
                    metrics::counter!("kartei_mail_failed_total", "kind" => mail.kind.clone())
                        .increment(1);
                    report.failed += 1;
                } else {
                    report.retried += 1;
                }
            }
        }
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(report),
    }
}

/// Publishes the outbox's backlog as gauges.
pub async fn record_backlog(app: &App) -> Result<(), RepoError> {
    for status in [PENDING, FAILED] {
        let count = outbox::count_with_status(&app.db, status).await?;
        metrics::gauge!("kartei_outbox_messages", "status" => status).set(count as f64);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(8), Duration::seconds(3840).min(Duration::hours(1)));
        assert_eq!(backoff(50), Duration::hours(1));
    }
}
