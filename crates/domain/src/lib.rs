//! The language of the party office: org units, roles, who may do what, and
//! the small value types (postal codes, e-mail addresses) that carry their own
//! rules.
//!
//! This crate knows nothing of databases, HTTP or async runtimes, and it never
//! reads the clock: time is always a parameter, so every rule here can be
//! tested as a plain function.
//!
//! Where the rules live:
//!
//! - what people type, checked once at the edge into types that cannot
//!   hold a wrong value: [`PostalCode`], [`EmailAddress`],
//!   [`person::PersonName`], [`person::Phone`], [`member::MembershipNumber`],
//!   [`application::IntakeChannel`], [`application::ContactChannel`],
//!   [`member::ConsentKind`], and reasons and notes ([`text::Reason`],
//!   [`text::Note`]). Their errors print the message a caller shows beside
//!   the field;
//! - a declaration's life: [`application::transition`], the rejection's
//!   reason, the objection deadline and [`application::member_by_statute`];
//! - the clocks against the service levels and the cut-offs a list query
//!   compares with: [`lag`];
//! - a membership: its end ([`member::leave`], [`member::ending`]), its
//!   entry dates, consents ([`member::Consents`]) and transfers
//!   ([`member::transfer`], [`member::answer_transfer`]);
//! - the integration steps after admission, who owes them and when they
//!   are due: [`integration`];
//! - who counts as a member on a cut-off day, and in which age band:
//!   [`census`];
//! - who may do what, where, and what every list shows: [`authz`];
//! - a party's delegate key, the seats each district gets from its members
//!   as the statutes write it: [`apportionment::apportion`].

pub mod application;
pub mod apportionment;
pub mod authz;
pub mod calendar;
pub mod census;
pub mod email;
pub mod integration;
pub mod lag;
pub mod member;
pub mod org;
pub mod person;
pub mod postal_code;
pub mod privacy;
pub mod role;
pub mod session;
pub mod staff;
pub mod text;
pub mod throttle;

pub use authz::{Action, Actor, Denied, authorize};
pub use email::EmailAddress;
pub use member::MembershipNumber;
pub use org::{OrgUnitKind, UnitPath};
pub use person::{PersonName, Phone};
pub use postal_code::PostalCode;
pub use role::Role;
pub use staff::{OrgUnit, StaffAccount};
