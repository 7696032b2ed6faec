//! The append-only audit trail: who did what to which record, and when.
//! Details never hold secrets; they may hold the changed values, because the
//! trail is itself personal data protected like the records it describes.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::RepoError;
use crate::entities::audit_event::{self, Entity as AuditEvents};

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor_id: Option<Uuid>,
    pub action: &'static str,
    pub subject_type: &'static str,
    pub subject_id: Option<Uuid>,
    pub details: serde_json::Value,
}

pub async fn record<C: ConnectionTrait>(
    db: &C,
    entry: AuditEntry,
    at: DateTime<Utc>,
) -> Result<(), RepoError> {
    AuditEvents::insert(row(entry, at))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn row(entry: AuditEntry, at: DateTime<Utc>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(at),
        actor_id: Set(entry.actor_id),
        action: Set(entry.action.to_owned()),
        subject_type: Set(entry.subject_type.to_owned()),
        subject_id: Set(entry.subject_id),
        details: Set(entry.details),
    }
}

/// Appends many entries with multi-row statements (bulk imports).
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    entries: Vec<AuditEntry>,
    at: DateTime<Utc>,
) -> Result<(), RepoError> {
    // 7 columns: far below both databases' bound-parameter limits.
    const CHUNK: usize = 2000;
    let mut rows = entries.into_iter().map(|entry| row(entry, at)).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        AuditEvents::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub details: serde_json::Value,
}

/// Everything recorded about one subject, oldest first.
pub async fn for_subject<C: ConnectionTrait>(
    db: &C,
    subject_type: &str,
    subject_id: Uuid,
) -> Result<Vec<AuditRecord>, RepoError> {
    use crate::entities::audit_event::Column as A;
    Ok(AuditEvents::find()
        .filter(A::SubjectType.eq(subject_type))
        .filter(A::SubjectId.eq(subject_id))
        .order_by_asc(A::OccurredAt)
        .order_by_asc(A::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| AuditRecord {
            id: row.id,
            occurred_at: row.occurred_at,
            actor_id: row.actor_id,
            action: row.action,
            details: row.details,
        })
        .collect())
}
