//! The hourly run that makes resignations take effect on their day
//! (`kartei_app::members::complete_resignations`).

use crate::state::AppState;

/// Runs `complete_resignations` once an hour (and at start-up), so a
/// resignation takes effect within an hour of its day beginning.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match kartei_app::members::complete_resignations(&state.app).await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "resignations took effect"),
                Err(err) => {
                    let err = crate::error::ApiError::from(err);
                    tracing::warn!(error = %err.log_class(), "resignation run failed");
                }
            }
        }
    })
}
