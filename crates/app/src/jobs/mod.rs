//! The office's background jobs, one step each: the front end that runs
//! them decides when (kartei-api runs them on timers next to the server),
//! and tests call a step directly. No staff member acts in them.

pub mod digest;
pub mod outbox;
pub mod retention;
