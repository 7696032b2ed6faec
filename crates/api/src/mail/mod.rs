//! E-mail: the loops that run the outbox worker and the daily digest next
//! to the server. Mail is never sent from a request: use cases write it to
//! the outbox in their unit of work, and the worker delivers it. Templates,
//! transports and the steps themselves live in `kartei_app`.

pub mod digest;
pub use kartei_app::mail_texts as templates;
pub mod worker;

pub use kartei_app::mailer::Mailer;
