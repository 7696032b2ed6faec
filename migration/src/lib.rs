//! The kartei schema. Migrations use sea-orm-migration's schema builder only
//! and never import entities, so an old migration never changes when an
//! entity does. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_foundation;
mod m20261125_000002_onboarding;
mod m20261125_000003_members;
mod m20261125_000004_reports;
mod m20261125_000005_lag_rollup;
mod m20261201_000006_need_to_know;
mod m20261201_000007_audit_log;
mod m20261202_000008_member_search;
mod m20261202_000009_integration;
mod m20261202_000010_member_census;
mod m20261202_000011_integration_rollup;
mod m20261202_000012_transfer_member_facts;

/// The condition "the application is still open", written the same way in
/// the partial index `idx_applications_open_by_age` and in the queries that
/// should use it: SQLite and PostgreSQL use a partial index only for a query
/// whose WHERE clause contains its condition. Must name the open statuses of
/// `kartei_domain::application::Status::OPEN` (a persistence test checks).
pub const OPEN_APPLICATIONS: &str =
    "status IN ('received', 'unroutable', 'routed', 'handed_over', 'contacted')";

/// The `counters` row that says `lag_rollup` must be filled from the
/// applications and members before it is read.
pub const LAG_ROLLUP_STALE: &str = "lag_rollup_stale";

/// The `counters` row that says `members.city_key` must be filled from the
/// cities before the member search reads it.
pub const CITY_KEYS_STALE: &str = "city_keys_stale";

/// The `counters` row that says `member_census` must be filled from the
/// members before the member counts read it.
pub const MEMBER_CENSUS_STALE: &str = "member_census_stale";

/// The `counters` row that says `integration_rollup` must be filled from
/// the integration steps and members before it is read.
pub const INTEGRATION_ROLLUP_STALE: &str = "integration_rollup_stale";

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_foundation::Migration),
            Box::new(m20261125_000002_onboarding::Migration),
            Box::new(m20261125_000003_members::Migration),
            Box::new(m20261125_000004_reports::Migration),
            Box::new(m20261125_000005_lag_rollup::Migration),
            Box::new(m20261201_000006_need_to_know::Migration),
            Box::new(m20261201_000007_audit_log::Migration),
            Box::new(m20261202_000008_member_search::Migration),
            Box::new(m20261202_000009_integration::Migration),
            Box::new(m20261202_000010_member_census::Migration),
            Box::new(m20261202_000011_integration_rollup::Migration),
            Box::new(m20261202_000012_transfer_member_facts::Migration),
        ]
    }
}
