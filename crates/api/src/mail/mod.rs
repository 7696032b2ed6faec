//! E-mail: German templates, the lettre transports, the outbox worker and
//! the daily digest. Mail is never sent from a request: handlers write it to
//! the outbox in their transaction, and the worker delivers it.

pub mod digest;
pub use kartei_app::mail_texts as templates;
pub mod transport;
pub mod worker;

pub use transport::Mailer;
