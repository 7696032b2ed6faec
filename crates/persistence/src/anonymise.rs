//! Anonymisation after the retention period: the person's fields are
//! overwritten in place, while everything the reports count (units, status,
//! dates of receipt, entry, joining and leaving, stage timestamps) stays.
//!
//! Blank names and a sentinel birth date keep the NOT NULL columns valid;
//! `anonymised_at` marks the row. The membership number is replaced by the
//! row id, so it no longer points into paper files; the counter guarantees
//! that it is never handed out again.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::Status;
use kartei_domain::member::MemberStatus;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entities::application::{self, Entity as Applications};
use crate::entities::application_duplicate::{self, Entity as Duplicates};
use crate::entities::application_event::{self, Entity as Events};
use crate::entities::member::{self, Entity as Members};
use crate::{RepoError, person_columns};

/// Keys of an application event's data that say something about the
/// person: free text, and the membership number (which points into paper
/// files and other systems).
const PERSONAL_KEYS: [&str; 3] = ["reason", "note", "membership_number"];

/// Ids of members whose membership ended before `left_before` and who are
/// not anonymised yet.
pub async fn members_due<C: ConnectionTrait>(
    db: &C,
    left_before: NaiveDate,
    limit: u64,
) -> Result<Vec<(Uuid, NaiveDate, Option<Uuid>)>, RepoError> {
    use member::Column as M;
    let rows: Vec<(Uuid, Option<NaiveDate>, Option<Uuid>)> = Members::find()
        .select_only()
        .columns([M::Id, M::LeftOn, M::ApplicationId])
        .filter(M::Status.ne(MemberStatus::Active.as_str()))
        .filter(M::LeftOn.lt(left_before))
        .filter(M::AnonymisedAt.is_null())
        .order_by_asc(M::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, left_on, application)| left_on.map(|on| (id, on, application)))
        .collect())
}

/// Ids of rejected or withdrawn applications closed before `closed_before`
/// and not anonymised yet.
pub async fn applications_due<C: ConnectionTrait>(
    db: &C,
    closed_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Uuid>, RepoError> {
    use application::Column as A;
    Ok(Applications::find()
        .select_only()
        .column(A::Id)
        .filter(A::Status.is_in([Status::Rejected.as_str(), Status::Withdrawn.as_str()]))
        .filter(A::ClosedAt.lt(closed_before))
        .filter(A::AnonymisedAt.is_null())
        .order_by_asc(A::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Overwrites a member's personal fields.
pub async fn member<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    use member::Column as M;
    let mut columns: Vec<(M, SimpleExpr)> = person_columns::erased();
    columns.extend([
        (M::MembershipNumber, Expr::value(id.simple().to_string())),
        (M::StatusReason, Expr::value(Option::<String>::None)),
        (M::Consents, Expr::value(serde_json::json!({}))),
        (M::HomeDistrictId, Expr::value(Option::<Uuid>::None)),
        (M::AnonymisedAt, Expr::value(now)),
        (M::Version, Expr::col(M::Version).add(1)),
        (M::UpdatedAt, Expr::value(now)),
    ]);
    let update = columns.into_iter().fold(
        Members::update_many().filter(M::Id.eq(id)),
        |update, (column, value)| update.col_expr(column, value),
    );
    update.exec(db).await?;
    // Anonymised members count as age unknown, in the moves too.
    crate::census::copy_member_facts(db, id).await?;
    crate::integration::erase_notes(db, id).await?;
    forget_duplicates(db, id).await
}

/// A record that is gone is nobody's duplicate, and has none: the link
/// "this may be that person" is about the person too.
async fn forget_duplicates<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<(), RepoError> {
    use application_duplicate::Column as D;
    Duplicates::delete_many()
        .filter(
            Condition::any()
                .add(D::ApplicationId.eq(id))
                .add(D::CandidateId.eq(id)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Overwrites an application's personal fields and the free text of its
/// timeline.
pub async fn application<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    use application::Column as A;
    let none = || Expr::value(Option::<String>::None);
    let mut columns: Vec<(A, SimpleExpr)> = person_columns::erased();
    columns.extend([
        (A::Notes, none()),
        (A::ContactNote, none()),
        (A::DecisionReason, none()),
        (A::WithdrawalReason, none()),
        (A::AnonymisedAt, Expr::value(now)),
        (A::Version, Expr::col(A::Version).add(1)),
        (A::UpdatedAt, Expr::value(now)),
    ]);
    let update = columns.into_iter().fold(
        Applications::update_many().filter(A::Id.eq(id)),
        |update, (column, value)| update.col_expr(column, value),
    );
    update.exec(db).await?;
    forget_duplicates(db, id).await?;

    let events = Events::find()
        .filter(application_event::Column::ApplicationId.eq(id))
        .all(db)
        .await?;
    for event in events {
        let mut data = event.data.clone();
        let Some(fields) = data.as_object_mut() else {
            continue;
        };
        let mut changed = false;
        for key in PERSONAL_KEYS {
            if let Some(value) = fields.get_mut(key)
                && !serde_json::Value::is_null(value)
            {
                *value = serde_json::Value::Null;
                changed = true;
            }
        }
        if changed {
            let mut row = event.into_active_model();
            row.data = Set(data);
            Events::update(row).exec(db).await?;
        }
    }
    Ok(())
}
