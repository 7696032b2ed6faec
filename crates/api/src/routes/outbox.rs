use axum::extract::State;
use chrono::{DateTime, Utc};
use kartei_app::outbox::{self, Order, OutboxStatus};
use kartei_app::paging::PageRequest;
use kartei_persistence::outbox::OutboxMail;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ListResponse;
use crate::auth::Staff;
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_outbox))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatusDto {
    Pending,
    Sent,
    Failed,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    pub status: Option<OutboxStatusDto>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// An outbox message, without its body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub message_id: String,
    pub kind: String,
    /// An office's address, never a member's.
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxMail> for OutboxEntry {
    fn from(mail: OutboxMail) -> Self {
        OutboxEntry {
            id: mail.id,
            message_id: mail.message_id,
            kind: mail.kind,
            recipient: mail.recipient,
            subject: mail.subject,
            status: mail.status,
            attempts: mail.attempts,
            last_error: mail.last_error,
            created_at: mail.created_at,
            next_attempt_at: mail.next_attempt_at,
            sent_at: mail.sent_at,
        }
    }
}

/// E-mails by status; `?status=failed` lists what could not be delivered.
#[utoipa::path(
    get, path = "/outbox", tag = "outbox", security(("bearer" = [])),
    params(OutboxParams),
    responses(
        (status = 200, body = ListResponse<OutboxEntry>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_outbox(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<OutboxParams>,
) -> ApiResult<Json<ListResponse<OutboxEntry>>> {
    let page = PageRequest {
        limit: params.limit,
        cursor: params.cursor,
    };
    let status = params.status.map(|s| match s {
        OutboxStatusDto::Pending => OutboxStatus::Pending,
        OutboxStatusDto::Sent => OutboxStatus::Sent,
        OutboxStatusDto::Failed => OutboxStatus::Failed,
    });
    let page = outbox::list(&state.app, &staff.actor(), status, Order::Queued, &page).await?;
    Ok(Json(ListResponse::from_page(page, OutboxEntry::from)))
}
