//! The kartei schema. Migrations use sea-orm-migration's schema builder only
//! and never import entities, so an old migration never changes when an
//! entity does. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_foundation;
mod m20261125_000002_onboarding;
mod m20261125_000003_members;
mod m20261125_000004_reports;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_foundation::Migration),
            Box::new(m20261125_000002_onboarding::Migration),
            Box::new(m20261125_000003_members::Migration),
            Box::new(m20261125_000004_reports::Migration),
        ]
    }
}
