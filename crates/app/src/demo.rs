//! What a newcomer's first start loads into an empty database: the demo
//! organisation with one account per role ([`seed`]), and about a year of
//! synthetic history ([`synthetic`]): a few thousand members and
//! declarations, some dozens still open in every stage and some of those
//! overdue, so that the first look at the inbox and the reports shows an
//! office at work.

use kartei_persistence::org_units;

use crate::seed::{self, SeedReport};
use crate::synthetic::{self, Generated, Plan};
use crate::{App, AppResult};

/// The history of the demo: the same on every first start.
pub const HISTORY: Plan = Plan {
    members: 4000,
    // Most of a year's declarations are done; these leave some sixty open
    // in the stages, a few in each district's inbox.
    applications: 2000,
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
