//! The member search beyond last names: a member is also found by first
//! name and by city, each along an index in list order (the page's key,
//! last name key then id, after the searched key), in the whole register,
//! in a district, in a local branch and among a former district's home
//! ties, as the name-order indexes of `m20261125_000003_members` are.
//!
//! `city_key` starts blank and marked stale: the key is
//! `kartei_domain::text::search_key` of the city, which SQL cannot compute
//! the same way on both databases, so the first `migrate` after this one
//! fills it (`kartei_persistence::person_columns`).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Id,
    DistrictId,
    LocalId,
    HomeDistrictId,
    FirstNameKey,
    LastNameKey,
    CityKey,
}

#[derive(DeriveIden, Clone, Copy)]
enum Counters {
    Table,
    Name,
    Value,
}

/// Each searched key, in each scope a list has: none (the state level), a
/// district, a local branch, a former district's home ties.
const INDEXES: [(&str, Option<Members>, Members); 8] = [
    ("idx_members_first_name", None, Members::FirstNameKey),
    (
        "idx_members_district_first_name",
        Some(Members::DistrictId),
        Members::FirstNameKey,
    ),
    (
        "idx_members_local_first_name",
        Some(Members::LocalId),
        Members::FirstNameKey,
    ),
    (
        "idx_members_home_first_name",
        Some(Members::HomeDistrictId),
        Members::FirstNameKey,
    ),
    ("idx_members_city", None, Members::CityKey),
    (
        "idx_members_district_city",
        Some(Members::DistrictId),
        Members::CityKey,
    ),
    (
        "idx_members_local_city",
        Some(Members::LocalId),
        Members::CityKey,
    ),
    (
        "idx_members_home_city",
        Some(Members::HomeDistrictId),
        Members::CityKey,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Members::Table)
                    .add_column(string_len(Members::CityKey, 200).default(""))
                    .to_owned(),
            )
            .await?;
        // Byte order like the name keys (see `m20261125_000003_members`).
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    r#"ALTER TABLE members ALTER COLUMN city_key TYPE varchar(200) COLLATE "C""#,
                )
                .await?;
        }
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Counters::Table)
                    .columns([Counters::Name, Counters::Value])
                    .values_panic([crate::CITY_KEYS_STALE.into(), 1i64.into()])
                    .to_owned(),
            )
            .await?;
        for (name, scope, key) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(Members::Table);
            if let Some(scope) = scope {
                index.col(scope);
            }
            index.col(key).col(Members::LastNameKey).col(Members::Id);
            // Few members keep home ties, so these two hold few rows. Without
            // them PostgreSQL intersects the home ties with every member of
            // that first name or city in the state, then sorts.
            if let Some(Members::HomeDistrictId) = scope {
                index.and_where(Expr::col(Members::HomeDistrictId).is_not_null());
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Members::Table).to_owned())
                .await?;
        }
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Counters::Table)
                    .and_where(Expr::col(Counters::Name).eq(crate::CITY_KEYS_STALE))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Members::Table)
                    .drop_column(Members::CityKey)
                    .to_owned(),
            )
            .await
    }
}
