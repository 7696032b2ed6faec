//! The member imports this instance runs or ran in the last hour, so that
//! the page of one shows how far it is while a background task writes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Duration, Utc};
use kartei_app::FieldError;
use kartei_app::import::{ImportProgress, Imported};
use uuid::Uuid;

/// How long a finished import's report stays to be read.
const KEPT_FOR_MINUTES: i64 = 60;

/// The imports this instance runs or ran in the last hour, by id.
#[derive(Clone, Default)]
pub struct ImportJobs(Arc<Mutex<HashMap<Uuid, Arc<ImportJob>>>>);

pub struct ImportJob {
    /// Only the account that uploaded the file sees its report.
    pub owner: Uuid,
    pub started_at: DateTime<Utc>,
    pub progress: ImportProgress,
    pub outcome: OnceLock<Outcome>,
}

pub enum Outcome {
    Imported(Imported),
    Refused(Vec<FieldError>),
    TooManyRows(usize),
    /// The rule that refused it, in German, when no row is at fault.
    Failed(&'static str),
}

impl ImportJobs {
    pub fn start(&self, job: ImportJob) -> (Uuid, Arc<ImportJob>) {
        let id = Uuid::now_v7();
        let job = Arc::new(job);
        let mut jobs = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let horizon = job.started_at - Duration::minutes(KEPT_FOR_MINUTES);
        jobs.retain(|_, old| old.outcome.get().is_none() || old.started_at > horizon);
        jobs.insert(id, Arc::clone(&job));
        (id, job)
    }

    pub fn get(&self, id: Uuid, owner: Uuid) -> Option<Arc<ImportJob>> {
        let jobs = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        jobs.get(&id).filter(|job| job.owner == owner).cloned()
    }
}
