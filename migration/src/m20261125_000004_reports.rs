//! What the entry-lag reports need: the entry day on the application, and
//! indexes: members entered directly are found
//! by source and `received_on` without reading every member, and open
//! applications oldest first from a partial index of the open ones only (an
//! index on `received_on` alone walks every closed application first, since
//! the open ones are the most recent).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Applications {
    Table,
    EnteredOn,
}

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
        // The day the member record of an admitted application was created,
        // kept on the application so that the lag needs no join.
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .add_column(ColumnDef::new(Applications::EnteredOn).date().null())
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE applications SET entered_on = \
                 (SELECT m.entered_on FROM members m WHERE m.id = applications.member_id) \
                 WHERE member_id IS NOT NULL",
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX idx_applications_open_by_age ON applications (received_on, id) \
                 WHERE {}",
                crate::OPEN_APPLICATIONS
            ))
            .await?;
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
            .get_connection()
            .execute_unprepared("DROP INDEX idx_applications_open_by_age")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .drop_column(Applications::EnteredOn)
                    .to_owned(),
            )
            .await?;
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
