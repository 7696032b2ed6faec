//! `lag_rollup`: how many declarations took how many days, per district,
//! local branch, month of receipt and metric, kept current by the
//! repositories in the same transaction as each change, so that a report
//! over whole months sums a few thousand rows instead of reading every
//! application. The table starts empty and marked stale: the first
//! `migrate` after this one fills it from the applications and members
//! (`kartei_persistence::rollup`), since the lag definitions live there.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum LagRollup {
    Table,
    /// The district, or the nil UUID while no district holds it.
    DistrictKey,
    /// The local branch, or the nil UUID.
    LocalKey,
    /// The first day of the month of `received_on`.
    Month,
    Metric,
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
                    .table(LagRollup::Table)
                    .col(uuid(LagRollup::DistrictKey))
                    .col(uuid(LagRollup::LocalKey))
                    .col(date(LagRollup::Month))
                    .col(string_len(LagRollup::Metric, 16))
                    .col(big_integer(LagRollup::Days))
                    .col(big_integer(LagRollup::Items))
                    .primary_key(
                        Index::create()
                            .col(LagRollup::DistrictKey)
                            .col(LagRollup::LocalKey)
                            .col(LagRollup::Month)
                            .col(LagRollup::Metric)
                            .col(LagRollup::Days),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_lag_rollup_month")
                    .table(LagRollup::Table)
                    .col(LagRollup::Month)
                    .col(LagRollup::Metric)
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Counters::Table)
                    .columns([Counters::Name, Counters::Value])
                    .values_panic([crate::LAG_ROLLUP_STALE.into(), 1i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Counters::Table)
                    .and_where(Expr::col(Counters::Name).eq(crate::LAG_ROLLUP_STALE))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LagRollup::Table).to_owned())
            .await
    }
}
