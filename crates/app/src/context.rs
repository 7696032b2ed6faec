//! What every use case runs with: the database, the settings and the clock.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::lag::ServiceLevels;
use kartei_persistence::{DatabaseConnection, RepoError};
use secrecy::ExposeSecret;

use crate::clock::Clock;
use crate::config::Settings;
use crate::local_time;
use crate::passwords::PasswordHasher;
use crate::{AppError, AppResult};

/// The use cases' shared context. Cheap to clone; both front ends hold one.
#[derive(Clone)]
pub struct App {
    pub(crate) db: DatabaseConnection,
    pub(crate) settings: Arc<Settings>,
    pub(crate) clock: Clock,
    pub(crate) passwords: PasswordHasher,
}

impl App {
    /// Connects to the configured database and applies pending migrations:
    /// what every command of the binary and both front ends start with.
    pub async fn open(settings: Arc<Settings>, clock: Clock) -> anyhow::Result<App> {
        let passwords = PasswordHasher::new(&settings.auth)?;
        let db = kartei_persistence::connect(
            settings.database.url.expose_secret(),
            settings.database.max_connections,
        )
        .await?;
        kartei_persistence::migrate(&db).await?;
        Ok(App {
            db,
            settings,
            clock,
            passwords,
        })
    }

    /// Whether the database answers, for readiness probes.
    pub async fn ping(&self) -> AppResult<()> {
        kartei_persistence::db::ping(&self.db)
            .await
            .map_err(|err| AppError::from(RepoError::from(err)))
    }

    /// Closes the database connections once the server has stopped taking
    /// requests; a use case after this fails as unavailable.
    pub async fn close(&self) {
        if let Err(err) = self.db.clone().close().await {
            tracing::warn!(error = %RepoError::from(err).log_class(), "closing the database pool failed");
        }
    }

    /// The hasher of staff passwords (one per process: it bounds how many
    /// hashes run at once).
    pub fn passwords(&self) -> &PasswordHasher {
        &self.passwords
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today in the party office's calendar (Europe/Berlin).
    pub fn today(&self) -> NaiveDate {
        local_time::local_date(self.clock.now())
    }

    /// The service levels of the onboarding clocks, as configured.
    pub fn service_levels(&self) -> ServiceLevels {
        let levels = &self.settings.service_levels;
        ServiceLevels {
            handover_days: levels.handover_days,
            first_contact_days: levels.first_contact_days,
            entered_days: levels.entered_days,
        }
    }
}
