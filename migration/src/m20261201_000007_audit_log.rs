//! Indexes for the audit log across records (`GET /api/v1/audit`), which
//! lists newest first by id and filters by action or by account. Without
//! them a filter for the few exports among millions of `member_created`
//! entries of an import would read the whole table backwards.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    Action,
    ActorId,
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
                    .name("idx_audit_events_action_id")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Action)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_actor_id")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::ActorId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_audit_events_actor_id", "idx_audit_events_action_id"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(AuditEvents::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
