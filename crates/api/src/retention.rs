//! Runs the retention job (`kartei_app::jobs::retention`) next to the
//! server.

use kartei_app::jobs::retention;

use crate::error::ApiError;
use crate::state::AppState;

/// Runs the job once an hour (and at start-up).
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(err) = retention::run(&state.app, state.clock.now()).await {
                tracing::warn!(error = %ApiError::from(err).log_class(), "retention run failed");
            }
        }
    })
}
