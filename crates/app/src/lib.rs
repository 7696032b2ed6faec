//! The use cases of the party office: what the state office, the districts,
//! the branches and the board do with declarations, members and reports.
//!
//! Each use case is a function of the acting staff member
//! ([`kartei_domain::Actor`]), typed input and the clock of [`App`]. It asks
//! the domain whether the actor may act and what the rules say, runs one
//! unit of work in `kartei_persistence`, and answers domain types or an
//! [`AppError`]. The JSON API (`kartei-api`) and the staff web application
//! call the same functions, so no rule, query or scope check is written
//! twice; neither front end opens a transaction.

pub mod accounts;
pub mod audit_log;
pub mod census;
pub mod checks;
pub mod clock;
pub mod config;
mod context;
pub mod demo;
mod error;
pub mod import;
pub mod integration;
pub mod jobs;
pub mod mail_texts;
pub mod mailer;
pub mod members;
pub mod onboarding;
pub mod org_units;
pub mod outbox;
pub mod paging;
pub mod passwords;
pub mod person_input;
pub mod reports;
pub mod routing_rules;
pub mod scope;
pub mod seed;
pub mod sessions;
pub mod synthetic;
pub mod transfers;

pub use checks::Checks;
pub use clock::Clock;
pub use context::App;
pub use error::{AppError, AppResult, FieldError, log_class_of};
pub use kartei_domain::calendar as local_time;
