//! The facts of its member that the member counts at a cut-off day need,
//! copied onto each transfer: when the membership began and ended, the
//! birth date, whether the record was anonymised, and where the member is
//! now. A count takes back the moves since the day, and a flow of the
//! twelve months the moves since each member's day of joining or leaving;
//! with the facts at hand they read only the transfers since, instead of
//! looking up each transfer's member (ten thousand lookups at 2,000,000
//! members). The repositories keep the copies current in the transaction
//! of every change of a member (`kartei_persistence::census`).
//!
//! The columns start empty and `member_census` is marked stale again: the
//! first `migrate` after this one fills both.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Transfers {
    Table,
    MemberJoinedOn,
    /// The day the membership ended, a pending resignation's included.
    MemberEndedOn,
    MemberBornOn,
    MemberAnonymised,
    /// The member's district and branch now.
    MemberDistrictId,
    MemberLocalId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Counters {
    Table,
    Name,
    Value,
}

fn columns() -> [ColumnDef; 6] {
    [
        date_null(Transfers::MemberJoinedOn),
        date_null(Transfers::MemberEndedOn),
        date_null(Transfers::MemberBornOn),
        boolean_null(Transfers::MemberAnonymised),
        uuid_null(Transfers::MemberDistrictId),
        uuid_null(Transfers::MemberLocalId),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Transfers::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Counters::Table)
                    .and_where(Expr::col(Counters::Name).eq(crate::MEMBER_CENSUS_STALE))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Counters::Table)
                    .columns([Counters::Name, Counters::Value])
                    .values_panic([crate::MEMBER_CENSUS_STALE.into(), 1i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Transfers::MemberJoinedOn,
            Transfers::MemberEndedOn,
            Transfers::MemberBornOn,
            Transfers::MemberAnonymised,
            Transfers::MemberDistrictId,
            Transfers::MemberLocalId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Transfers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
