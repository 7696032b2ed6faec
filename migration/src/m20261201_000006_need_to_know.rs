//! Need-to-know and the lifecycle as the contract says: likely duplicates
//! kept on the application (so that the state office sees those outside
//! the registering district's scope), resignations that take effect on a
//! future day, and when a staff account was deactivated (so that retention
//! can anonymise it).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ApplicationDuplicates {
    Table,
    ApplicationId,
    CandidateId,
    Kind,
    DistrictId,
    LocalId,
    MatchedOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum Applications {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    DeactivatedAt,
    AnonymisedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Status,
    ResignsOn,
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
                    .table(ApplicationDuplicates::Table)
                    .col(uuid(ApplicationDuplicates::ApplicationId))
                    .col(uuid(ApplicationDuplicates::CandidateId))
                    .col(string_len(ApplicationDuplicates::Kind, 16))
                    .col(uuid_null(ApplicationDuplicates::DistrictId))
                    .col(uuid_null(ApplicationDuplicates::LocalId))
                    .col(string_len(ApplicationDuplicates::MatchedOn, 32))
                    .primary_key(
                        Index::create()
                            .col(ApplicationDuplicates::ApplicationId)
                            .col(ApplicationDuplicates::CandidateId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ApplicationDuplicates::Table,
                                ApplicationDuplicates::ApplicationId,
                            )
                            .to(Applications::Table, Applications::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Members::Table)
                    .add_column(date_null(Members::ResignsOn))
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        for column in [
            timestamp_with_time_zone_null(Users::DeactivatedAt),
            timestamp_with_time_zone_null(Users::AnonymisedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // Accounts deactivated before the column existed count from their
        // last change, which was at the latest their deactivation.
        manager
            .get_connection()
            .execute_unprepared("UPDATE users SET deactivated_at = updated_at WHERE active = false")
            .await?;
        // The daily job finds the resignations due without reading every
        // active member.
        manager
            .create_index(
                Index::create()
                    .name("idx_members_resigns_on")
                    .table(Members::Table)
                    .col(Members::ResignsOn)
                    .col(Members::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_members_resigns_on").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Members::Table)
                    .drop_column(Members::ResignsOn)
                    .to_owned(),
            )
            .await?;
        for column in [Users::DeactivatedAt, Users::AnonymisedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ApplicationDuplicates::Table).to_owned())
            .await
    }
}
