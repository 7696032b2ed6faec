//! The retention job: members whose membership ended more than
//! `retention.years_after_leaving` years ago, and applications rejected or
//! withdrawn and staff accounts deactivated more than
//! `retention.days_after_closing` days ago, are anonymised; refresh tokens
//! past their expiry are deleted. Each record goes in its own transaction
//! with its audit entry, so an interrupted run simply continues next time.

use chrono::{DateTime, Duration, Months, Utc};
use kartei_domain::member::retention_over;
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::{
    DatabaseTransaction, RepoError, TransactionTrait, anonymise, member_keys, sessions, transfers,
    users,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::local_time;
use crate::state::AppState;

const BATCH: u64 = 200;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetentionReport {
    pub members: usize,
    pub applications: usize,
    pub staff_accounts: usize,
}

pub async fn run(state: &AppState, now: DateTime<Utc>) -> Result<RetentionReport, ApiError> {
    let settings = &state.settings.retention;
    let today = local_time::local_date(now);
    let mut report = RetentionReport::default();

    let years = settings.years_after_leaving;
    if let Some(left_before) = today.checked_sub_months(Months::new(years.saturating_mul(12))) {
        loop {
            let due = anonymise::members_due(&state.db, left_before, BATCH).await?;
            let batch_len = due.len();
            for (id, left_on, application) in due {
                // The SQL cut-off is a day coarse around 29 February.
                if retention_over(left_on, years, today) {
                    member(state, id, application, now).await?;
                    report.members += 1;
                }
            }
            if (batch_len as u64) < BATCH {
                break;
            }
        }
    }

    let closed_before = now - Duration::days(i64::from(settings.days_after_closing));
    loop {
        let due = anonymise::applications_due(&state.db, closed_before, BATCH).await?;
        for id in &due {
            application(state, *id, now).await?;
        }
        report.applications += due.len();
        if (due.len() as u64) < BATCH {
            break;
        }
    }
    loop {
        let due = users::anonymisation_due(&state.db, closed_before, BATCH).await?;
        for id in &due {
            staff_account(state, *id, now).await?;
        }
        report.staff_accounts += due.len();
        if (due.len() as u64) < BATCH {
            break;
        }
    }

    // An access token outlives nothing it was issued with by more than its
    // own lifetime; a day's margin keeps every row a live token could need.
    let purged = sessions::purge_expired(&state.db, now - Duration::days(1)).await?;
    if report != RetentionReport::default() || purged > 0 {
        tracing::info!(
            members = report.members,
            applications = report.applications,
            staff_accounts = report.staff_accounts,
            refresh_tokens = purged,
            "records anonymised"
        );
    }
    Ok(report)
}

async fn member(
    state: &AppState,
    id: Uuid,
    application: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    anonymise::member(&txn, id, now).await?;
    // Without the key, the old values in the append-only trail are unreadable.
    member_keys::destroy(&txn, id).await?;
    transfers::clear_reasons(&txn, id).await?;
    if let Some(application) = application {
        anonymise::application(&txn, application, now).await?;
    }
    done(
        txn,
        "member_anonymised",
        "member",
        id,
        serde_json::json!({ "changes": [], "application_id": application }),
        now,
    )
    .await
}

async fn application(state: &AppState, id: Uuid, now: DateTime<Utc>) -> Result<(), ApiError> {
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    anonymise::application(&txn, id, now).await?;
    done(
        txn,
        "application_anonymised",
        "application",
        id,
        serde_json::json!({}),
        now,
    )
    .await
}

async fn staff_account(state: &AppState, id: Uuid, now: DateTime<Utc>) -> Result<(), ApiError> {
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    users::anonymise(&txn, id, now).await?;
    done(
        txn,
        "staff_account_anonymised",
        "user",
        id,
        serde_json::json!({}),
        now,
    )
    .await
}

/// Records what the job did to one record, without an actor, and commits
/// it together with the change.
async fn done(
    txn: DatabaseTransaction,
    action: &'static str,
    subject_type: &'static str,
    id: Uuid,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let entry = AuditEntry {
        actor_id: None,
        action,
        subject_type,
        subject_id: Some(id),
        details,
    };
    audit::record(&txn, entry, now).await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(())
}

/// Runs the job once an hour (and at start-up).
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(err) = run(&state, state.clock.now()).await {
                tracing::warn!(error = %err.log_class(), "retention run failed");
            }
        }
    })
}
