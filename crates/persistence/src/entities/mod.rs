//! sea-orm entities: one per table, never serialised to clients.

pub mod audit_event;
pub mod login_failure;
pub mod org_unit;
pub mod refresh_token;
pub mod routing_rule;
pub mod user;
