//! The append-only audit trail: who did what to which record, and when.
//! Details never hold secrets; they may hold the changed values, because the
//! trail is itself personal data protected like the records it describes.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::entities::audit_event::{self, Entity as AuditEvents};
use crate::{Page, RepoError};

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

/// One entry of the trail across records.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<Uuid>,
    pub details: serde_json::Value,
}

/// Which entries of the trail to list; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Any of these actions.
    pub actions: Option<Vec<String>>,
    pub actor_id: Option<Uuid>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// The trail, newest first (ids are UUIDv7, so by id), `limit` entries
/// after the id `after`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &AuditFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<AuditEvent>, RepoError> {
    use crate::entities::audit_event::Column as A;
    let mut query = AuditEvents::find().order_by_desc(A::Id);
    if let Some(actions) = &filter.actions {
        query = query.filter(A::Action.is_in(actions.iter().cloned()));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(A::ActorId.eq(actor));
    }
    if let Some(from) = filter.from {
        query = query.filter(A::OccurredAt.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(A::OccurredAt.lt(until));
    }
    if let Some(after) = after {
        query = query.filter(A::Id.lt(after));
    }
    let rows = query.limit(limit + 1).all(db).await?;
    Ok(Page::from_overfetch(
        rows.into_iter()
            .map(|row| AuditEvent {
                id: row.id,
                occurred_at: row.occurred_at,
                actor_id: row.actor_id,
                action: row.action,
                subject_type: row.subject_type,
                subject_id: row.subject_id,
                details: row.details,
            })
            .collect(),
        limit,
        |e| e.id,
    ))
}
