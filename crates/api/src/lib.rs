//! kartei's HTTP side: the axum routes of the API contract, authentication,
//! the problem+json error mapping, the OpenAPI document, telemetry, the
//! command line and the wiring of it all (`startup`).
//!
//! Handlers parse requests into domain types, ask `kartei_domain::authorize`
//! who may act, and call repositories of `kartei_persistence`; the rules
//! themselves live in the domain crate.

pub mod accounts;
pub mod auth;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod config;
pub mod csv_out;
pub mod dto;
pub mod error;
pub mod extract;
pub mod import;
pub mod mail;
pub mod members;
pub mod onboarding;
pub mod openapi;
pub mod person_input;
pub mod retention;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod synthetic;
pub mod telemetry;
pub mod transfers;

/// The party office's calendar (Europe/Berlin), under the name the API uses.
pub use kartei_domain::calendar as local_time;
