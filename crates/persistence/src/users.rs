use chrono::{DateTime, Utc};
use kartei_domain::{EmailAddress, Role, StaffAccount};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::entities::refresh_token;
use crate::entities::user::{self, Entity as Users};
use crate::{Page, RepoError};

impl TryFrom<user::Model> for StaffAccount {
    type Error = RepoError;

    fn try_from(row: user::Model) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| RepoError::Corrupt(format!("user {}: {what}", row.id));
        Ok(StaffAccount {
            id: row.id,
            email: EmailAddress::parse(&row.email).map_err(|_| corrupt("e-mail"))?,
            display_name: row.display_name.clone(),
            role: row.role.parse::<Role>().map_err(|_| corrupt("role"))?,
            org_unit_id: row.org_unit_id,
            active: row.active,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Uuid,
    pub email: EmailAddress,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: Option<Uuid>,
    pub password_hash: String,
}

/// The editable fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<EmailAddress>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub org_unit_id: Option<Option<Uuid>>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<StaffAccount, RepoError> {
    let row = user::ActiveModel {
        id: Set(new.id),
        email_key: Set(new.email.comparison_key()),
        email: Set(new.email.as_str().to_owned()),
        display_name: Set(new.display_name),
        role: Set(new.role.as_str().to_owned()),
        org_unit_id: Set(new.org_unit_id),
        password_hash: Set(new.password_hash),
        active: Set(true),
        deactivated_at: Set(None),
        anonymised_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Users::insert(row).exec_with_returning(db).await?.try_into()
}

/// The account `id`, if its session `session_id` (a refresh-token family)
/// has not been ended: by logout, reuse of a spent token, deactivation or a
/// password change, which all revoke the family's tokens. One statement, the
/// session checked through the index on `refresh_tokens.family_id`, so an
/// ended session costs the request nothing more than the account read did.
pub async fn get_in_session<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    session_id: Uuid,
) -> Result<StaffAccount, RepoError> {
    let live_session = Query::select()
        .expr(Expr::val(1))
        .from(refresh_token::Entity)
        .and_where(refresh_token::Column::FamilyId.eq(session_id))
        .and_where(refresh_token::Column::UserId.eq(id))
        .and_where(refresh_token::Column::RevokedAt.is_null())
        .to_owned();
    Users::find_by_id(id)
        .filter(Expr::exists(live_session))
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)?
        .try_into()
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<StaffAccount, RepoError> {
    Users::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)?
        .try_into()
}

/// The account with this address and its password hash, for logging in.
pub async fn find_for_login<C: ConnectionTrait>(
    db: &C,
    email: &EmailAddress,
) -> Result<Option<(StaffAccount, String)>, RepoError> {
    let Some(row) = Users::find()
        .filter(user::Column::EmailKey.eq(email.comparison_key()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let hash = row.password_hash.clone();
    Ok(Some((row.try_into()?, hash)))
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<StaffAccount>, RepoError> {
    let mut query = Users::find().order_by_asc(user::Column::Id);
    if let Some(after) = after {
        query = query.filter(user::Column::Id.gt(after));
    }
    let rows = query.limit(limit + 1).all(db).await?;
    let accounts = rows
        .into_iter()
        .map(StaffAccount::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(accounts, limit, |a| a.id))
}

/// Applies `changes` if the account is still at `expected_version`.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    expected_version: i64,
    changes: UserChanges,
    now: DateTime<Utc>,
) -> Result<StaffAccount, RepoError> {
    let mut update = Users::update_many()
        .col_expr(user::Column::Version, Expr::value(expected_version + 1))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::Version.eq(expected_version));
    if let Some(email) = changes.email {
        update = update
            .col_expr(user::Column::EmailKey, Expr::value(email.comparison_key()))
            .col_expr(user::Column::Email, Expr::value(email.as_str().to_owned()));
    }
    if let Some(display_name) = changes.display_name {
        update = update.col_expr(user::Column::DisplayName, Expr::value(display_name));
    }
    if let Some(role) = changes.role {
        update = update.col_expr(user::Column::Role, Expr::value(role.as_str().to_owned()));
    }
    if let Some(org_unit_id) = changes.org_unit_id {
        update = update.col_expr(user::Column::OrgUnitId, Expr::value(org_unit_id));
    }
    if let Some(hash) = changes.password_hash {
        update = update.col_expr(user::Column::PasswordHash, Expr::value(hash));
    }
    if let Some(active) = changes.active {
        // Deactivating again keeps the first date: the retention period
        // runs from when the account stopped being used.
        let since = if active {
            Expr::value(Option::<DateTime<Utc>>::None)
        } else {
            Func::coalesce([Expr::col(user::Column::DeactivatedAt), Expr::value(now)]).into()
        };
        update = update
            .col_expr(user::Column::Active, Expr::value(active))
            .col_expr(user::Column::DeactivatedAt, since);
    }
    let result = update.exec(db).await?;
    if result.rows_affected == 0 {
        get(db, id).await?;
        return Err(RepoError::StaleVersion);
    }
    get(db, id).await
}

/// Accounts inactive since before `deactivated_before` and not anonymised.
pub async fn anonymisation_due<C: ConnectionTrait>(
    db: &C,
    deactivated_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Uuid>, RepoError> {
    Ok(Users::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Active.eq(false))
        .filter(user::Column::DeactivatedAt.lt(deactivated_before))
        .filter(user::Column::AnonymisedAt.is_null())
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Removes a staff member from their account: name, address and password
/// go; the row stays, so the audit trail's `actor_id` still points at an
/// account, now nobody's. The address becomes a placeholder that no mail
/// server accepts and that frees the real one for a new account.
pub async fn anonymise<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    let placeholder = format!("entfernt-{}@kartei.invalid", id.simple());
    Users::update_many()
        .col_expr(user::Column::Email, Expr::value(placeholder.clone()))
        .col_expr(user::Column::EmailKey, Expr::value(placeholder))
        .col_expr(user::Column::DisplayName, Expr::value(""))
        // Not a PHC string: no password ever verifies against it.
        .col_expr(user::Column::PasswordHash, Expr::value("!"))
        .col_expr(user::Column::AnonymisedAt, Expr::value(now))
        .col_expr(
            user::Column::Version,
            Expr::col(user::Column::Version).add(1),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
