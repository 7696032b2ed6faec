//! Runs the daily digest (`kartei_app::jobs::digest`) next to the server.

use kartei_app::jobs::digest;

use crate::error::ApiError;
use crate::state::AppState;

/// Checks every minute whether the digest is due.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(err) = digest::run(&state.app, state.clock.now()).await {
                tracing::warn!(error = %ApiError::from(err).log_class(), "digest run failed");
            }
        }
    })
}
