//! What a newcomer's first start loads into an empty database: the demo
//! organisation with one account per role ([`seed`]), and about a year of
//! synthetic history ([`synthetic`]): a few thousand members and a few
//! hundred declarations in every stage, some of them overdue, so that the
//! first look at the inbox and the reports shows an office at work.

use kartei_persistence::org_units;

use crate::seed::{self, SeedReport};
use crate::synthetic::{self, Generated, Plan};
use crate::{App, AppResult};

/// The history of the demo: the same on every first start.
pub const HISTORY: Plan = Plan {
    members: 3000,
    applications: 600,
    years: 1,
    seed: 2026,
};

/// What the demo loaded.
pub struct Demo {
    pub organisation: SeedReport,
    pub history: Generated,
}

/// Loads the demo into a database without any org unit (a fresh
/// installation); `None` when the database has one already, so a real
/// register never gets synthetic people.
pub async fn load_on_empty(app: &App) -> AppResult<Option<Demo>> {
    if org_units::count(&app.db).await? > 0 {
        return Ok(None);
    }
    let organisation = seed::seed_demo(app).await?;
    let history = synthetic::generate(app, &HISTORY).await?;
    Ok(Some(Demo {
        organisation,
        history,
    }))
}
