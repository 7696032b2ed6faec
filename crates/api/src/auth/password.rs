//! Password hashing lives with the use cases (`kartei_app::passwords`),
//! which create accounts and set passwords; authentication verifies with
//! the same hasher.

pub use kartei_app::passwords::{PasswordError, PasswordHasher};
