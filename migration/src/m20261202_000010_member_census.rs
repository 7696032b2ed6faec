//! `member_census`: the members whose membership has not ended, counted
//! per district, local branch and month of birth, kept current by the
//! repositories in the transaction of each change. The member counts at a
//! cut-off day start from it and take back what happened after the day
//! (`kartei_persistence::census`), so they read the few members who joined,
//! left or moved since instead of all of them; the indexes below serve
//! exactly those reads, with every column they need (the id too, which
//! the joins to transfers use), so that PostgreSQL answers them from the
//! index alone.
//!
//! The table starts empty and marked stale: the first `migrate` after this
//! one fills it from the members, since what counts lives in the domain.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum MemberCensus {
    Table,
    DistrictKey,
    /// The local branch, the nil UUID for none, or the max UUID for the
    /// row that counts the whole district.
    LocalKey,
    /// The first day of the month of birth.
    BornMonth,
    Members,
}

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Id,
    JoinedOn,
    LeftOn,
    ResignsOn,
    DateOfBirth,
    DistrictId,
    LocalId,
    AnonymisedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Transfers {
    Table,
    EffectiveOn,
    Status,
    MemberId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Applications {
    Table,
    ClosedAt,
    ReceivedOn,
    DistrictId,
    LocalId,
    EnteredOn,
    WithdrawnOn,
    DecidedOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum Counters {
    Table,
    Name,
    Value,
}

/// Who joined after a day, who left after it, who was born in a month:
/// each with the dates and units the counts need.
const MEMBER_INDEXES: [(&str, &[Members]); 3] = [
    (
        "idx_members_census_joined",
        &[
            Members::JoinedOn,
            Members::LeftOn,
            Members::ResignsOn,
            Members::DateOfBirth,
            Members::DistrictId,
            Members::LocalId,
            Members::AnonymisedAt,
            Members::Id,
        ],
    ),
    (
        "idx_members_census_left",
        &[
            Members::LeftOn,
            Members::JoinedOn,
            Members::ResignsOn,
            Members::DateOfBirth,
            Members::DistrictId,
            Members::LocalId,
            Members::AnonymisedAt,
            Members::Id,
        ],
    ),
    (
        "idx_members_census_born",
        &[
            Members::DateOfBirth,
            Members::LeftOn,
            Members::ResignsOn,
            Members::JoinedOn,
            Members::DistrictId,
            Members::LocalId,
            Members::AnonymisedAt,
            Members::Id,
        ],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MemberCensus::Table)
                    .col(uuid(MemberCensus::DistrictKey))
                    .col(uuid(MemberCensus::LocalKey))
                    .col(date(MemberCensus::BornMonth))
                    .col(big_integer(MemberCensus::Members))
                    .primary_key(
                        Index::create()
                            .col(MemberCensus::DistrictKey)
                            .col(MemberCensus::LocalKey)
                            .col(MemberCensus::BornMonth),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in MEMBER_INDEXES {
            let mut index = Index::create();
            index.name(name).table(Members::Table);
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_transfers_effective")
                    .table(Transfers::Table)
                    .col(Transfers::EffectiveOn)
                    .col(Transfers::Status)
                    .col(Transfers::MemberId)
                    .to_owned(),
            )
            .await?;
        // The declarations closed since a day: members by statute that day
        // who had no record yet, with what decides it, from the index alone.
        manager
            .create_index(
                Index::create()
                    .name("idx_applications_closed")
                    .table(Applications::Table)
                    .col(Applications::ClosedAt)
                    .col(Applications::ReceivedOn)
                    .col(Applications::EnteredOn)
                    .col(Applications::WithdrawnOn)
                    .col(Applications::DecidedOn)
                    .col(Applications::DistrictId)
                    .col(Applications::LocalId)
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
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Counters::Table)
                    .and_where(Expr::col(Counters::Name).eq(crate::MEMBER_CENSUS_STALE))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_applications_closed")
                    .table(Applications::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_transfers_effective")
                    .table(Transfers::Table)
                    .to_owned(),
            )
            .await?;
        for (name, _) in MEMBER_INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Members::Table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(MemberCensus::Table).to_owned())
            .await
    }
}
