//! The e-mail outbox: mail is written here in the same transaction as the
//! change that caused it, and sent by a worker that claims due rows. A claim
//! is a lease (`claimed_until`); on PostgreSQL the claim skips rows another
//! instance holds (`FOR UPDATE SKIP LOCKED`), on SQLite the single writer
//! makes the one-statement claim atomic.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use crate::entities::outbox::{self, Column as C, Entity as Outbox};
use crate::{Page, RepoError};

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone)]
pub struct NewMail {
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: Uuid,
    pub message_id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<outbox::Model> for OutboxMail {
    fn from(row: outbox::Model) -> Self {
        OutboxMail {
            id: row.id,
            message_id: row.message_id,
            kind: row.kind,
            recipient: row.recipient,
            subject: row.subject,
            body: row.body,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error: row.last_error,
            created_at: row.created_at,
            sent_at: row.sent_at,
        }
    }
}

/// Queues `mail`; returns its id.
pub async fn enqueue<Db: ConnectionTrait>(
    db: &Db,
    mail: NewMail,
    now: DateTime<Utc>,
) -> Result<Uuid, RepoError> {
    let id = Uuid::now_v7();
    let row = outbox::ActiveModel {
        id: Set(id),
        message_id: Set(format!("<{}@kartei>", id.simple())),
        kind: Set(mail.kind.to_owned()),
        recipient: Set(mail.recipient),
        subject: Set(mail.subject),
        body: Set(mail.body),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    };
    Outbox::insert(row).exec_without_returning(db).await?;
    Ok(id)
}

/// Claims up to `batch` due messages for `lease`; each claim counts as an
/// attempt. A message whose claim ran out (its worker died) is due again.
pub async fn claim_due<Db: ConnectionTrait>(
    db: &Db,
    now: DateTime<Utc>,
    lease: Duration,
    batch: u64,
) -> Result<Vec<OutboxMail>, RepoError> {
    let due = Outbox::find()
        .select_only()
        .column(C::Id)
        .filter(C::Status.eq(PENDING))
        .filter(C::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(C::ClaimedUntil.is_null())
                .add(C::ClaimedUntil.lt(now)),
        )
        .order_by_asc(C::NextAttemptAt)
        .limit(batch)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_query();
    let claimed = Outbox::update_many()
        .col_expr(C::ClaimedUntil, Expr::value(now + lease))
        .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
        .filter(C::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    Ok(claimed.into_iter().map(OutboxMail::from).collect())
}

pub async fn mark_sent<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    Outbox::update_many()
        .col_expr(C::Status, Expr::value(SENT))
        .col_expr(C::SentAt, Expr::value(now))
        .col_expr(C::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::LastError, Expr::value(Option::<String>::None))
        .filter(C::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed attempt: due again at `retry_at`, or failed for good
/// when `retry_at` is `None`.
pub async fn mark_attempt_failed<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), RepoError> {
    let error: String = error.chars().take(500).collect();
    let mut update = Outbox::update_many()
        .col_expr(C::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::LastError, Expr::value(error))
        .filter(C::Id.eq(id));
    update = match retry_at {
        Some(at) => update.col_expr(C::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(C::Status, Expr::value(FAILED)),
    };
    update.exec(db).await?;
    Ok(())
}

pub async fn list<Db: ConnectionTrait>(
    db: &Db,
    status: Option<&str>,
    newest_first: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<OutboxMail>, RepoError> {
    // Ids are UUIDv7: their order is the order the mails were queued in.
    let mut query = if newest_first {
        Outbox::find().order_by_desc(C::Id)
    } else {
        Outbox::find().order_by_asc(C::Id)
    };
    if let Some(status) = status {
        query = query.filter(C::Status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(if newest_first {
            C::Id.lt(after)
        } else {
            C::Id.gt(after)
        });
    }
    let rows = query.limit(limit + 1).all(db).await?;
    Ok(Page::from_overfetch(
        rows.into_iter().map(OutboxMail::from).collect(),
        limit,
        |m| m.id,
    ))
}

pub async fn count_with_status<Db: ConnectionTrait>(
    db: &Db,
    status: &str,
) -> Result<u64, RepoError> {
    Ok(Outbox::find()
        .filter(C::Status.eq(status))
        .count(db)
        .await?)
}
