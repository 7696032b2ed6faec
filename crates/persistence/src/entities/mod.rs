//! sea-orm entities: one per table, never serialised to clients.

pub mod application;
pub mod application_duplicate;
pub mod application_event;
pub mod audit_event;
pub mod digest;
pub mod integration_step;
pub mod login_failure;
pub mod member;
pub mod member_key;
pub mod org_unit;
pub mod outbox;
pub mod refresh_token;
pub mod routing_rule;
pub mod transfer;
pub mod user;
