//! Refresh tokens, stored only as hashes. All tokens that descend from one
//! login form a family; reusing a spent token revokes the whole family.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::RepoError;
use crate::entities::refresh_token::{self, Entity as RefreshTokens};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub spent_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<refresh_token::Model> for RefreshToken {
    fn from(row: refresh_token::Model) -> Self {
        RefreshToken {
            id: row.id,
            family_id: row.family_id,
            user_id: row.user_id,
            expires_at: row.expires_at,
            spent_at: row.spent_at,
            revoked_at: row.revoked_at,
        }
    }
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    family_id: Uuid,
    user_id: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), RepoError> {
    let row = refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        family_id: Set(family_id),
        user_id: Set(user_id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        expires_at: Set(expires_at),
        spent_at: Set(None),
        revoked_at: Set(None),
    };
    RefreshTokens::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn find_by_hash<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<RefreshToken>, RepoError> {
    Ok(RefreshTokens::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
        .map(RefreshToken::from))
}

/// When the family's first token was handed out: the login that started it.
pub async fn family_started_at<C: ConnectionTrait>(
    db: &C,
    family_id: Uuid,
) -> Result<Option<DateTime<Utc>>, RepoError> {
    Ok(RefreshTokens::find()
        .select_only()
        .column(refresh_token::Column::CreatedAt)
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .order_by_asc(refresh_token::Column::CreatedAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?)
}

/// Marks the token spent. Returns false when it was already spent or revoked,
/// which, under concurrency, means someone else used it first.
pub async fn spend<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, RepoError> {
    let result = RefreshTokens::update_many()
        .col_expr(refresh_token::Column::SpentAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(id))
        .filter(refresh_token::Column::SpentAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    RefreshTokens::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of an account, for deactivation and password changes.
pub async fn revoke_all_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    RefreshTokens::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes refresh tokens that expired before `before`. A token past its
/// expiry opens nothing, and its row only says when someone was signed in.
pub async fn purge_expired<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
) -> Result<u64, RepoError> {
    let result = RefreshTokens::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
