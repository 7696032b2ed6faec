//! The outbox as the administrator sees it: every e-mail kartei queued,
//! whether it went out, and why not.

use kartei_domain::{Action, Actor, authorize};
use kartei_persistence::Page;
use kartei_persistence::outbox::{self, OutboxMail};

use crate::paging::PageRequest;
use crate::{App, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Not sent yet, or to be tried again.
    Pending,
    Sent,
    /// Given up.
    Failed,
}

/// The order of a list of mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As they were queued: the order the worker sends them in.
    Queued,
    /// The latest first, as someone looking for a recent failure reads.
    NewestFirst,
}

/// One page of the outbox, narrowed to a status.
pub async fn list(
    app: &App,
    actor: &Actor,
    status: Option<OutboxStatus>,
    order: Order,
    page: &PageRequest,
) -> AppResult<Page<OutboxMail>> {
    authorize(actor, Action::ReadOutbox, None)?;
    let (limit, after) = page.by_id()?;
    let status = status.map(|s| match s {
        OutboxStatus::Pending => outbox::PENDING,
        OutboxStatus::Sent => outbox::SENT,
        OutboxStatus::Failed => outbox::FAILED,
    });
    let newest_first = order == Order::NewestFirst;
    Ok(outbox::list(&app.db, status, newest_first, after, limit).await?)
}
