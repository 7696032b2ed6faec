//! The language of the party office: org units, roles, who may do what, and
//! the small value types (postal codes, e-mail addresses) that carry their own
//! rules.
//!
//! This crate knows nothing of databases, HTTP or async runtimes, and it never
//! reads the clock: time is always a parameter, so every rule here can be
//! tested as a plain function.

pub mod application;
pub mod authz;
pub mod calendar;
pub mod email;
pub mod lag;
pub mod member;
pub mod org;
pub mod person;
pub mod postal_code;
pub mod privacy;
pub mod role;
pub mod staff;
pub mod text;
pub mod throttle;

pub use authz::{Action, Actor, Denied, authorize};
pub use email::EmailAddress;
pub use org::{OrgUnitKind, UnitPath};
pub use postal_code::PostalCode;
pub use role::Role;
pub use staff::{OrgUnit, StaffAccount};
