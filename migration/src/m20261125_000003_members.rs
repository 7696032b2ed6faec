//! Member master data beyond onboarding: leaving, consents, home ties,
//! anonymisation, transfers, per-member keys for the audit trail, and the
//! append-only guard on `audit_events`.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Id,
    LeftOn,
    StatusReason,
    Status,
    DistrictId,
    Consents,
    HomeDistrictId,
    AnonymisedAt,
    LastNameKey,
    LocalId,
    EnteredOn,
    Source,
}

#[derive(DeriveIden, Clone, Copy)]
enum Applications {
    Table,
    AnonymisedAt,
    RegisteredOn,
    RoutedOn,
    HandedOverOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum MemberKeys {
    Table,
    MemberId,
    Key,
}

#[derive(DeriveIden, Clone, Copy)]
enum Transfers {
    Table,
    Id,
    MemberId,
    FromDistrictId,
    FromLocalId,
    ToDistrictId,
    ToLocalId,
    EffectiveOn,
    KeepHomeTies,
    Status,
    Reason,
    RequestedBy,
    RequestedAt,
    AnsweredBy,
    AnsweredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OrgUnits {
    Table,
    Id,
}

const SQLITE_GUARDS: &str = "
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
";

const POSTGRES_GUARDS: &str = "
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            date_null(Members::LeftOn),
            text_null(Members::StatusReason),
            json_null(Members::Consents),
            uuid_null(Members::HomeDistrictId),
            timestamp_with_time_zone_null(Members::AnonymisedAt),
            date_null(Members::EnteredOn),
            string_len_null(Members::Source, 16),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Members::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for (name, columns) in [
            (
                "idx_members_name_order",
                vec![Members::LastNameKey, Members::Id],
            ),
            (
                "idx_members_local_order",
                vec![Members::LocalId, Members::LastNameKey, Members::Id],
            ),
            (
                "idx_members_district_status",
                vec![
                    Members::DistrictId,
                    Members::Status,
                    Members::LastNameKey,
                    Members::Id,
                ],
            ),
            (
                "idx_members_home",
                vec![Members::HomeDistrictId, Members::LastNameKey, Members::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Members::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        // SQLite alters one column per statement.
        for column in [
            timestamp_with_time_zone_null(Applications::AnonymisedAt),
            date_null(Applications::RegisteredOn),
            date_null(Applications::RoutedOn),
            date_null(Applications::HandedOverOn),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Applications::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // The reports count calendar days in Europe/Berlin; rows written
        // before these columns existed get them from their timestamps.
        let backfill = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "UPDATE members SET entered_on = (entered_at AT TIME ZONE 'Europe/Berlin')::date,
                   source = CASE WHEN application_id IS NULL THEN 'direct_entry' ELSE 'application' END;
                 UPDATE applications SET registered_on = (registered_at AT TIME ZONE 'Europe/Berlin')::date,
                   routed_on = (routed_at AT TIME ZONE 'Europe/Berlin')::date,
                   handed_over_on = (handed_over_at AT TIME ZONE 'Europe/Berlin')::date;"
            }
            // SQLite knows no time zones; Berlin is UTC+1 or +2, so the
            // local date of a timestamp is the UTC date of it plus an hour
            // or two; one hour is right for all but the summer's late night.
            _ => {
                "UPDATE members SET entered_on = date(entered_at, '+1 hour'),
                   source = CASE WHEN application_id IS NULL THEN 'direct_entry' ELSE 'application' END;
                 UPDATE applications SET registered_on = date(registered_at, '+1 hour'),
                   routed_on = date(routed_at, '+1 hour'),
                   handed_over_on = date(handed_over_at, '+1 hour');"
            }
        };
        manager
            .get_connection()
            .execute_unprepared(backfill)
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MemberKeys::Table)
                    .col(uuid(MemberKeys::MemberId).primary_key())
                    .col(string_len(MemberKeys::Key, 64))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Transfers::Table)
                    .col(pk_uuid(Transfers::Id))
                    .col(uuid(Transfers::MemberId))
                    .col(uuid(Transfers::FromDistrictId))
                    .col(uuid_null(Transfers::FromLocalId))
                    .col(uuid(Transfers::ToDistrictId))
                    .col(uuid_null(Transfers::ToLocalId))
                    .col(date(Transfers::EffectiveOn))
                    .col(boolean(Transfers::KeepHomeTies))
                    .col(string_len(Transfers::Status, 16))
                    .col(text_null(Transfers::Reason))
                    .col(uuid(Transfers::RequestedBy))
                    .col(timestamp_with_time_zone(Transfers::RequestedAt))
                    .col(uuid_null(Transfers::AnsweredBy))
                    .col(timestamp_with_time_zone_null(Transfers::AnsweredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Transfers::Table, Transfers::ToDistrictId)
                            .to(OrgUnits::Table, OrgUnits::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_transfers_member")
                    .table(Transfers::Table)
                    .col(Transfers::MemberId)
                    .col(Transfers::Status)
                    .to_owned(),
            )
            .await?;
        // At most one open transfer per member, even under concurrent starts;
        // the receiving and sending sides list theirs by district.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_transfers_one_pending ON transfers (member_id) \
                 WHERE status = 'pending';
                 CREATE INDEX idx_transfers_to ON transfers (to_district_id, status);
                 CREATE INDEX idx_transfers_from ON transfers (from_district_id, status);",
            )
            .await?;

        // Name keys compare byte by byte, as in Rust and SQLite, whatever the
        // database's locale: prefix ranges and keyset cursors rely on it.
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    r#"ALTER TABLE members ALTER COLUMN last_name_key TYPE varchar(200) COLLATE "C",
                         ALTER COLUMN first_name_key TYPE varchar(200) COLLATE "C";
                       ALTER TABLE applications ALTER COLUMN last_name_key TYPE varchar(200) COLLATE "C",
                         ALTER COLUMN first_name_key TYPE varchar(200) COLLATE "C";"#,
                )
                .await?;
        }

        let guards = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_GUARDS,
            _ => SQLITE_GUARDS,
        };
        manager.get_connection().execute_unprepared(guards).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop_guards = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "DROP TRIGGER audit_events_no_change ON audit_events;
                 DROP TRIGGER audit_events_no_truncate ON audit_events;
                 DROP FUNCTION audit_events_append_only();"
            }
            _ => "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;",
        };
        manager
            .get_connection()
            .execute_unprepared(drop_guards)
            .await?;
        manager
            .drop_table(Table::drop().table(Transfers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MemberKeys::Table).to_owned())
            .await?;
        Ok(())
    }
}
