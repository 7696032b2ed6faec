//! kartei's HTTP side: the axum routes of the API contract, authentication,
//! the problem+json error mapping, the OpenAPI document, telemetry, the
//! command line and the wiring of it all (`startup`).
//!
//! A handler turns the request into the input of one use case of
//! `kartei_app`, calls it with the acting account, and renders the answer as
//! JSON, CSV or SVG; an `AppError` becomes problem+json. Handlers decide no
//! rule and open no transaction (ADR 0016).

pub mod auth;
pub mod cli;
pub mod csv_out;
pub mod dto;
pub mod error;
pub mod extract;
mod json_time;
pub mod mail;
pub mod openapi;
pub mod resignations;
pub mod retention;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod synthetic;
pub mod telemetry;

pub use kartei_app::{checks, clock, config, local_time, person_input};
