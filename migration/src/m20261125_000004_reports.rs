//! Indexes the entry-lag reports need: members entered directly are found
//! by source and `received_on` without reading every member.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Source,
    ReceivedOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_members_source_received")
                    .table(Members::Table)
                    .col(Members::Source)
                    .col(Members::ReceivedOn)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_members_source_received")
                    .table(Members::Table)
                    .to_owned(),
            )
            .await
    }
}
