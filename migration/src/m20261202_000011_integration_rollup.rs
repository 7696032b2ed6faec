//! `integration_rollup`: how many integration steps took how many days to
//! be done (`-1`: not done yet), per district, local branch, month of
//! `started_on` and step, kept current by the repositories in the same
//! transaction as each change, so that the integration report over whole
//! months sums a few rows instead of reading every step. The table starts
//! empty and marked stale: the first `migrate` after this one fills it from
//! the steps and members (`kartei_persistence::integration_rollup`), since
//! the definition of the figures lives there.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum IntegrationRollup {
    Table,
    /// The member's district.
    DistrictKey,
    /// The member's local branch, or the nil UUID.
    LocalKey,
    /// The first day of the month of `started_on`.
    Month,
    Step,
    /// Days from start to done; -1 while not done.
    Days,
    Items,
}

#[derive(DeriveIden, Clone, Copy)]
enum Counters {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IntegrationRollup::Table)
                    .col(uuid(IntegrationRollup::DistrictKey))
                    .col(uuid(IntegrationRollup::LocalKey))
                    .col(date(IntegrationRollup::Month))
                    .col(string_len(IntegrationRollup::Step, 40))
                    .col(big_integer(IntegrationRollup::Days))
                    .col(big_integer(IntegrationRollup::Items))
                    .primary_key(
                        Index::create()
                            .col(IntegrationRollup::DistrictKey)
                            .col(IntegrationRollup::LocalKey)
                            .col(IntegrationRollup::Month)
                            .col(IntegrationRollup::Step)
                            .col(IntegrationRollup::Days),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_integration_rollup_month")
                    .table(IntegrationRollup::Table)
                    .col(IntegrationRollup::Month)
                    .col(IntegrationRollup::Step)
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Counters::Table)
                    .columns([Counters::Name, Counters::Value])
                    .values_panic([crate::INTEGRATION_ROLLUP_STALE.into(), 1i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Counters::Table)
                    .and_where(Expr::col(Counters::Name).eq(crate::INTEGRATION_ROLLUP_STALE))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(IntegrationRollup::Table).to_owned())
            .await
    }
}
