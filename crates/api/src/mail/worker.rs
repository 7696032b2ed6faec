//! Runs the outbox worker's step (`kartei_app::jobs::outbox`) in a loop
//! next to the server.

use kartei_app::jobs::outbox::{deliver_due, record_backlog};

use super::Mailer;
use crate::state::AppState;

/// Runs the worker until the process ends: deliver, then wait `poll` when
/// nothing was due.
pub fn spawn(
    state: AppState,
    mailer: Mailer,
    poll: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let busy = match deliver_due(&state.app, &mailer).await {
                Ok(report) => report.sent + report.retried + report.failed > 0,
                Err(err) => {
                    tracing::warn!(error = %err.log_class(), "outbox worker step failed");
                    false
                }
            };
            if let Err(err) = record_backlog(&state.app).await {
                tracing::debug!(error = %err.log_class(), "outbox backlog not recorded");
            }
            if !busy {
                tokio::time::sleep(poll).await;
            }
        }
    })
}
