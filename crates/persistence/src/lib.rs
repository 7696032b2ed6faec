//! Where kartei's data lives: sea-orm entities, the connection to SQLite or
//! PostgreSQL, and repositories that turn rows into the domain's types.
//!
//! Entities never leave this crate's repositories as answers to clients; the
//! API sees domain types and [`RepoError`].

pub mod anonymise;
pub mod applications;
pub mod audit;
pub mod census;
pub mod db;
pub mod digests;
pub mod entities;
mod error;
pub mod integration;
pub mod integration_rollup;
mod lag_sql;
pub mod member_keys;
pub mod members;
pub mod org_units;
mod outages;
pub mod outbox;
mod page;
mod person_columns;
pub mod reports;
pub mod rollup;
pub mod routing;
pub mod sessions;
mod sql;
mod stale_marks;
pub mod synthetic;
pub mod throttle;
pub mod transfers;
mod unit_of_work;
pub mod users;

pub use db::{Backend, connect, migrate};
pub use error::{RepoError, db_err_class, error_class};
pub use page::Page;
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
pub use unit_of_work::{Tx, unit_of_work};
