//! kartei end to end: the real router on a free port, a fresh database per
//! test, every test on SQLite and (with `--include-ignored`) PostgreSQL.

mod access_matrix;
mod applications;
mod architecture;
mod audit;
mod auth;
mod browser;
mod census;
mod cli;
mod csv_cells;
mod delegates;
mod errors;
mod headers;
mod health;
mod import;
mod integration;
mod integration_clocks;
mod limits;
mod logs;
mod mail;
mod members;
mod org_units;
mod reports;
mod retention;
mod routing;
mod scope;
mod transfers;
mod users;
mod web;
mod web_admin;
mod web_census;
mod web_import;
mod web_members;
mod web_reports;
mod web_routing;
mod web_welcome;
