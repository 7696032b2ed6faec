//! Staff authentication: Argon2id passwords, short-lived JWT access tokens,
//! rotating refresh tokens stored as hashes, login throttling, and the
//! extractor that turns a bearer token into the acting account.

pub mod extractor;
pub mod password;
pub mod service;
pub mod tokens;

pub use extractor::Staff;
