//! Integration steps after admission: one row per configured step for every
//! member admitted or entered directly from now on (not for imported
//! members, nor for those entered before), done once with its day, channel
//! and note. Who owes an open step is not stored: it is the member's branch
//! or district as the member row has it now, so a transfer moves it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum IntegrationSteps {
    Table,
    Id,
    MemberId,
    Step,
    StartedOn,
    DoneOn,
    Channel,
    Note,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Id,
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
                    .table(IntegrationSteps::Table)
                    .col(pk_uuid(IntegrationSteps::Id))
                    .col(uuid(IntegrationSteps::MemberId))
                    .col(string_len(IntegrationSteps::Step, 40))
                    .col(date(IntegrationSteps::StartedOn))
                    .col(date_null(IntegrationSteps::DoneOn))
                    .col(string_len_null(IntegrationSteps::Channel, 16))
                    .col(text_null(IntegrationSteps::Note))
                    .col(uuid_null(IntegrationSteps::RecordedBy))
                    .col(timestamp_with_time_zone_null(IntegrationSteps::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IntegrationSteps::Table, IntegrationSteps::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One row per member and step: a step is owed once.
        manager
            .create_index(
                Index::create()
                    .name("idx_integration_steps_member_step")
                    .table(IntegrationSteps::Table)
                    .col(IntegrationSteps::MemberId)
                    .col(IntegrationSteps::Step)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The open steps only, by step and start: the register of members
        // still owed a step and the digests read these, and each step's
        // cut-off for overdue is a range of `started_on`.
        manager
            .create_index(
                Index::create()
                    .name("idx_integration_steps_open")
                    .table(IntegrationSteps::Table)
                    .col(IntegrationSteps::Step)
                    .col(IntegrationSteps::StartedOn)
                    .col(IntegrationSteps::Id)
                    .and_where(Expr::col(IntegrationSteps::DoneOn).is_null())
                    .to_owned(),
            )
            .await?;
        // The report reads a period of starts, done or not.
        manager
            .create_index(
                Index::create()
                    .name("idx_integration_steps_started_on")
                    .table(IntegrationSteps::Table)
                    .col(IntegrationSteps::StartedOn)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IntegrationSteps::Table).to_owned())
            .await
    }
}
