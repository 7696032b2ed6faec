//! `kartei seed-demo`: loads the demo organisation through
//! `kartei_app::seed`.

pub use kartei_app::seed::{DEMO_ACCOUNTS, DEMO_PASSWORD, SeedReport, login_help};

use crate::error::ApiError;
use crate::state::AppState;

/// Loads the demo organisation. Safe to run twice.
pub async fn seed_demo(state: &AppState) -> Result<SeedReport, ApiError> {
    Ok(kartei_app::seed::seed_demo(&state.app).await?)
}
