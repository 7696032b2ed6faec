//! `kartei generate`: synthetic members and applications for benchmarks
//! and load tests, written by `kartei_app::synthetic`.

pub use kartei_app::synthetic::{FIRST_NAMES, Generated, LAST_NAMES, NAME_SUFFIXES, Plan};

use crate::state::AppState;

/// Fills the database after `plan`, printing progress to standard error.
pub async fn generate(state: &AppState, plan: &Plan) -> anyhow::Result<Generated> {
    kartei_app::synthetic::generate(&state.app, plan)
        .await
        .map_err(|err| match err {
            kartei_app::AppError::Internal(inner) => inner,
            other => anyhow::Error::from(other),
        })
}
