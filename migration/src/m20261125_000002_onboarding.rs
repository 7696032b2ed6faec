//! Applications and their timeline, member records, the membership number
//! counter, the e-mail outbox and the record of sent digests.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Applications {
    Table,
    Id,
    ReceivedOn,
    Channel,
    FirstName,
    LastName,
    FirstNameKey,
    LastNameKey,
    DateOfBirth,
    Email,
    EmailKey,
    Phone,
    Street,
    PostalCode,
    City,
    Interests,
    PreferredOrgUnitId,
    Notes,
    Status,
    DistrictId,
    LocalId,
    RegisteredAt,
    RegisteredBy,
    RoutedAt,
    HandedOverAt,
    ContactedAt,
    ContactedOn,
    ContactChannel,
    ContactNote,
    DecidedAt,
    DecidedOn,
    DecisionReason,
    WithdrawnOn,
    WithdrawalReason,
    StageStartedAt,
    ClosedAt,
    MemberId,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApplicationEvents {
    Table,
    Id,
    ApplicationId,
    Kind,
    FromStatus,
    ToStatus,
    ActorId,
    OccurredAt,
    Data,
}

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Id,
    MembershipNumber,
    FirstName,
    LastName,
    FirstNameKey,
    LastNameKey,
    DateOfBirth,
    Email,
    EmailKey,
    Phone,
    Street,
    PostalCode,
    City,
    DistrictId,
    LocalId,
    Status,
    ReceivedOn,
    JoinedOn,
    EnteredAt,
    Interests,
    ApplicationId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Counters {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    MessageId,
    Kind,
    Recipient,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Digests {
    Table,
    Id,
    OrgUnitId,
    Day,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OrgUnits {
    Table,
    Id,
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    columns: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(column);
    }
    manager.create_index(statement.to_owned()).await
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
                    .table(Applications::Table)
                    .col(pk_uuid(Applications::Id))
                    .col(date(Applications::ReceivedOn))
                    .col(string_len(Applications::Channel, 16))
                    .col(string_len(Applications::FirstName, 100))
                    .col(string_len(Applications::LastName, 100))
                    .col(string_len(Applications::FirstNameKey, 200))
                    .col(string_len(Applications::LastNameKey, 200))
                    .col(date(Applications::DateOfBirth))
                    .col(string_len_null(Applications::Email, 254))
                    .col(string_len_null(Applications::EmailKey, 254))
                    .col(string_len_null(Applications::Phone, 40))
                    .col(string_len(Applications::Street, 200))
                    .col(string_len(Applications::PostalCode, 5))
                    .col(string_len(Applications::City, 100))
                    .col(json(Applications::Interests))
                    .col(uuid_null(Applications::PreferredOrgUnitId))
                    .col(text_null(Applications::Notes))
                    .col(string_len(Applications::Status, 16))
                    .col(uuid_null(Applications::DistrictId))
                    .col(uuid_null(Applications::LocalId))
                    .col(timestamp_with_time_zone(Applications::RegisteredAt))
                    .col(uuid(Applications::RegisteredBy))
                    .col(timestamp_with_time_zone_null(Applications::RoutedAt))
                    .col(timestamp_with_time_zone_null(Applications::HandedOverAt))
                    .col(timestamp_with_time_zone_null(Applications::ContactedAt))
                    .col(date_null(Applications::ContactedOn))
                    .col(string_len_null(Applications::ContactChannel, 16))
                    .col(text_null(Applications::ContactNote))
                    .col(timestamp_with_time_zone_null(Applications::DecidedAt))
                    .col(date_null(Applications::DecidedOn))
                    .col(text_null(Applications::DecisionReason))
                    .col(date_null(Applications::WithdrawnOn))
                    .col(text_null(Applications::WithdrawalReason))
                    .col(timestamp_with_time_zone(Applications::StageStartedAt))
                    .col(timestamp_with_time_zone_null(Applications::ClosedAt))
                    .col(uuid_null(Applications::MemberId))
                    .col(big_integer(Applications::Version))
                    .col(timestamp_with_time_zone(Applications::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Applications::Table, Applications::DistrictId)
                            .to(OrgUnits::Table, OrgUnits::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Applications::Table, Applications::LocalId)
                            .to(OrgUnits::Table, OrgUnits::Id),
                    )
                    .to_owned(),
            )
            .await?;
        use Applications as A;
        for (name, columns) in [
            (
                "idx_applications_district",
                vec![
                    A::DistrictId.into_iden(),
                    A::Status.into_iden(),
                    A::Id.into_iden(),
                ],
            ),
            (
                "idx_applications_local",
                vec![
                    A::LocalId.into_iden(),
                    A::Status.into_iden(),
                    A::Id.into_iden(),
                ],
            ),
            (
                "idx_applications_status_stage",
                vec![A::Status.into_iden(), A::StageStartedAt.into_iden()],
            ),
            (
                "idx_applications_status_received",
                vec![A::Status.into_iden(), A::ReceivedOn.into_iden()],
            ),
            (
                "idx_applications_name",
                vec![
                    A::LastNameKey.into_iden(),
                    A::FirstNameKey.into_iden(),
                    A::DateOfBirth.into_iden(),
                ],
            ),
            ("idx_applications_email", vec![A::EmailKey.into_iden()]),
            ("idx_applications_received", vec![A::ReceivedOn.into_iden()]),
        ] {
            index(manager, name, A::Table, columns).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ApplicationEvents::Table)
                    .col(pk_uuid(ApplicationEvents::Id))
                    .col(uuid(ApplicationEvents::ApplicationId))
                    .col(string_len(ApplicationEvents::Kind, 32))
                    .col(string_len_null(ApplicationEvents::FromStatus, 16))
                    .col(string_len(ApplicationEvents::ToStatus, 16))
                    .col(uuid_null(ApplicationEvents::ActorId))
                    .col(timestamp_with_time_zone(ApplicationEvents::OccurredAt))
                    .col(json(ApplicationEvents::Data))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApplicationEvents::Table, ApplicationEvents::ApplicationId)
                            .to(Applications::Table, Applications::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_application_events_application",
            ApplicationEvents::Table,
            vec![
                ApplicationEvents::ApplicationId.into_iden(),
                ApplicationEvents::Id.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(pk_uuid(Members::Id))
                    .col(string_len_uniq(Members::MembershipNumber, 32))
                    .col(string_len(Members::FirstName, 100))
                    .col(string_len(Members::LastName, 100))
                    .col(string_len(Members::FirstNameKey, 200))
                    .col(string_len(Members::LastNameKey, 200))
                    .col(date(Members::DateOfBirth))
                    .col(string_len_null(Members::Email, 254))
                    .col(string_len_null(Members::EmailKey, 254))
                    .col(string_len_null(Members::Phone, 40))
                    .col(string_len(Members::Street, 200))
                    .col(string_len(Members::PostalCode, 5))
                    .col(string_len(Members::City, 100))
                    .col(uuid(Members::DistrictId))
                    .col(uuid_null(Members::LocalId))
                    .col(string_len(Members::Status, 16))
                    .col(date(Members::ReceivedOn))
                    .col(date(Members::JoinedOn))
                    .col(timestamp_with_time_zone(Members::EnteredAt))
                    .col(json(Members::Interests))
                    .col(uuid_null(Members::ApplicationId))
                    .col(big_integer(Members::Version))
                    .col(timestamp_with_time_zone(Members::CreatedAt))
                    .col(timestamp_with_time_zone(Members::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Members::Table, Members::DistrictId)
                            .to(OrgUnits::Table, OrgUnits::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Members::Table, Members::LocalId)
                            .to(OrgUnits::Table, OrgUnits::Id),
                    )
                    .to_owned(),
            )
            .await?;
        use Members as M;
        for (name, columns) in [
            (
                "idx_members_district_name",
                vec![
                    M::DistrictId.into_iden(),
                    M::LastNameKey.into_iden(),
                    M::Id.into_iden(),
                ],
            ),
            (
                "idx_members_local",
                vec![M::LocalId.into_iden(), M::LastNameKey.into_iden()],
            ),
            (
                "idx_members_name",
                vec![
                    M::LastNameKey.into_iden(),
                    M::FirstNameKey.into_iden(),
                    M::DateOfBirth.into_iden(),
                ],
            ),
            ("idx_members_email", vec![M::EmailKey.into_iden()]),
        ] {
            index(manager, name, M::Table, columns).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Counters::Table)
                    .col(string_len(Counters::Name, 32).primary_key())
                    .col(big_integer(Counters::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Counters::Table)
                    .columns([Counters::Name, Counters::Value])
                    .values_panic(["membership_number".into(), 100_000i64.into()])
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(string_len_uniq(Outbox::MessageId, 200))
                    .col(string_len(Outbox::Kind, 32))
                    .col(string_len(Outbox::Recipient, 254))
                    .col(string_len(Outbox::Subject, 200))
                    .col(text(Outbox::Body))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Outbox::ClaimedUntil))
                    .col(string_len_null(Outbox::LastError, 500))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_outbox_due",
            Outbox::Table,
            vec![
                Outbox::Status.into_iden(),
                Outbox::NextAttemptAt.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Digests::Table)
                    .col(pk_uuid(Digests::Id))
                    .col(uuid(Digests::OrgUnitId))
                    .col(date(Digests::Day))
                    .col(string_len(Digests::Kind, 16))
                    .col(timestamp_with_time_zone(Digests::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_digests_once_per_day")
                    .table(Digests::Table)
                    .col(Digests::OrgUnitId)
                    .col(Digests::Day)
                    .col(Digests::Kind)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Digests::Table.into_iden(),
            Outbox::Table.into_iden(),
            Counters::Table.into_iden(),
            Members::Table.into_iden(),
            ApplicationEvents::Table.into_iden(),
            Applications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
