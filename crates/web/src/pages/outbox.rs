//! The outbox as the administration reads it: the e-mails kartei queued,
//! narrowed to those that failed unless another status is asked for, the
//! latest first. Subjects carry no personal data by design; bodies do and
//! are never shown.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use kartei_app::outbox::{self, Order, OutboxStatus};
use kartei_app::paging::{Cursor, PageRequest};
use serde::Deserialize;

use crate::error::WebResult;
use crate::forms::Choice;
use crate::layout::Layout;
use crate::session::{SignedIn, WebState};
use crate::texts;

/// The statuses the filter offers, the default first.
const STATUSES: [(OutboxStatus, &str, &str); 3] = [
    (OutboxStatus::Failed, "failed", "nicht zustellbar"),
    (OutboxStatus::Pending, "pending", "wartet auf Versand"),
    (OutboxStatus::Sent, "sent", "versandt"),
];

/// `?status=&weiter=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    status: String,
    weiter: Option<String>,
}

struct Row {
    at: String,
    kind: &'static str,
    recipient: String,
    subject: String,
    attempts: i32,
    last_error: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    statuses: Vec<Choice>,
    status_label: &'static str,
    rows: Vec<Row>,
    next: Option<String>,
}

pub async fn list(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> WebResult<Response> {
    let (status, value, status_label) = STATUSES
        .into_iter()
        .find(|(_, value, _)| *value == params.status)
        .unwrap_or(STATUSES[0]);
    let page = PageRequest {
        limit: None,
        cursor: params.weiter,
    };
    let actor = signed_in.actor();
    let found = outbox::list(&state.app, &actor, Some(status), Order::NewestFirst, &page).await?;
    let page = ListPage {
        layout: Layout::of(&signed_in),
        statuses: STATUSES
            .into_iter()
            .map(|(s, value, label)| Choice {
                value,
                label,
                selected: s == status,
            })
            .collect(),
        status_label,
        rows: found
            .items
            .into_iter()
            .map(|mail| Row {
                at: texts::instant(mail.created_at),
                kind: texts::mail_kind(&mail.kind),
                recipient: mail.recipient,
                subject: mail.subject,
                attempts: mail.attempts,
                last_error: mail.last_error.unwrap_or_default(),
            })
            .collect(),
        next: found.next_after.map(|after| {
            format!(
                "/verwaltung/e-mails?status={value}&weiter={}",
                after.encode()
            )
        }),
    };
    Ok(Html(page.render()?).into_response())
}
