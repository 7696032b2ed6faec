//! What every use case runs with: the database, the settings and the clock.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::lag::ServiceLevels;
use kartei_persistence::DatabaseConnection;

use crate::clock::Clock;
use crate::config::Settings;
use crate::local_time;
use crate::passwords::PasswordHasher;

/// The use cases' shared context. Cheap to clone; both front ends hold one.
#[derive(Clone)]
pub struct App {
    pub(crate) db: DatabaseConnection,
    pub(crate) settings: Arc<Settings>,
    pub(crate) clock: Clock,
    pub(crate) passwords: PasswordHasher,
}

impl App {
    pub fn new(
        db: DatabaseConnection,
        settings: Arc<Settings>,
        clock: Clock,
        passwords: PasswordHasher,
    ) -> Self {
        App {
            db,
            settings,
            clock,
            passwords,
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
