//! The retention job: members whose membership ended more than
//! `retention.years_after_leaving` years ago, and applications rejected or
//! withdrawn and staff accounts deactivated more than
//! `retention.days_after_closing` days ago, are anonymised; refresh tokens
//! past their expiry are deleted. Each record goes in its own unit of work
//! with its audit entry, so an interrupted run simply continues next time.

use chrono::{DateTime, Duration, Months, Utc};
use kartei_domain::member::retention_over;
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::{
    RepoError, Tx, anonymise, member_keys, sessions, transfers, unit_of_work, users,
};
use uuid::Uuid;

use crate::{App, AppResult, local_time};

const BATCH: u64 = 200;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetentionReport {
    pub members: usize,
    pub applications: usize,
    pub staff_accounts: usize,
}

/// One run of the job as of `now`.
pub async fn run(app: &App, now: DateTime<Utc>) -> AppResult<RetentionReport> {
    let settings = &app.settings.retention;
    let today = local_time::local_date(now);
    let mut report = RetentionReport::default();

    let years = settings.years_after_leaving;
    if let Some(left_before) = today.checked_sub_months(Months::new(years.saturating_mul(12))) {
        loop {
            let due = anonymise::members_due(&app.db, left_before, BATCH).await?;
            let batch_len = due.len();
            for (id, left_on, application) in due {
                // The SQL cut-off is a day coarse around 29 February.
                if retention_over(left_on, years, today) {
                    member(app, id, application, now).await?;
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
        let due = anonymise::applications_due(&app.db, closed_before, BATCH).await?;
        for id in &due {
            application(app, *id, now).await?;
        }
        report.applications += due.len();
        if (due.len() as u64) < BATCH {
            break;
        }
    }
    loop {
        let due = users::anonymisation_due(&app.db, closed_before, BATCH).await?;
        for id in &due {
            staff_account(app, *id, now).await?;
        }
        report.staff_accounts += due.len();
        if (due.len() as u64) < BATCH {
            break;
        }
    }

    // An access token outlives nothing it was issued with by more than its
    // own lifetime; a day's margin keeps every row a live token could need.
    let purged = sessions::purge_expired(&app.db, now - Duration::days(1)).await?;
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
    app: &App,
    id: Uuid,
    application: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        anonymise::member(txn, id, now).await?;
        // Without the key, the old values in the append-only trail are unreadable.
        member_keys::destroy(txn, id).await?;
        transfers::clear_reasons(txn, id).await?;
        if let Some(application) = application {
            anonymise::application(txn, application, now).await?;
        }
        done(
            txn,
            "member_anonymised",
            "member",
            id,
            serde_json::json!({ "changes": [], "application_id": application }),
            now,
        )
        .await?;
        Ok(())
    })
    .await
}

async fn application(app: &App, id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        anonymise::application(txn, id, now).await?;
        done(
            txn,
            "application_anonymised",
            "application",
            id,
            serde_json::json!({}),
            now,
        )
        .await?;
        Ok(())
    })
    .await
}

async fn staff_account(app: &App, id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        users::anonymise(txn, id, now).await?;
        done(
            txn,
            "staff_account_anonymised",
            "user",
            id,
            serde_json::json!({}),
            now,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Records what the job did to one record, without an actor, in the unit
/// of work of the change.
async fn done(
    txn: &Tx,
    action: &'static str,
    subject_type: &'static str,
    id: Uuid,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    let entry = AuditEntry {
        actor_id: None,
        action,
        subject_type,
        subject_id: Some(id),
        details,
    };
    audit::record(txn, entry, now).await
}
