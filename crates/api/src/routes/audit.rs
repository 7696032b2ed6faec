//! The audit log across records, for the system owner: who logged in,
//! changed, exported or imported what, and when. Bulk reads of personal
//! data (CSV lists, imports) appear with their filter and row count; no
//! entry carries a person's values, and changed values stay sealed.

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use kartei_app::audit_log::{self, AuditLine, AuditQuery};
use kartei_app::paging::PageRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ListResponse;
use crate::auth::Staff;
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries of this action only, e.g. `export`, `import`, `login`,
    /// `member_changed`.
    pub action: Option<String>,
    /// Entries of this staff account only.
    pub actor_id: Option<Uuid>,
    /// First day (Europe/Berlin), included.
    pub from: Option<NaiveDate>,
    /// Last day (Europe/Berlin), included.
    pub to: Option<NaiveDate>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// What an entry is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditSubject {
    /// `member`, `user`, `org_unit`, `session`, `member_list`, `unentered`,
    /// `member_import`, ...
    #[serde(rename = "type")]
    pub subject_type: String,
    /// The record, when the entry is about one.
    pub id: Option<Uuid>,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// `export` for every export (bulk CSV and Art. 15), otherwise the
    /// stored action.
    pub action: String,
    pub subject: AuditSubject,
    /// What the entry records: for exports `format`, `filter` and `rows`;
    /// for changes the fields changed, their values sealed
    /// (`{"sealed": true}`). Never a person's values.
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<AuditLine> for AuditItem {
    fn from(line: AuditLine) -> Self {
        AuditItem {
            at: line.at,
            actor_id: line.actor_id,
            action: line.action,
            subject: AuditSubject {
                subject_type: line.subject_type,
                id: line.subject_id,
            },
            detail: line.detail,
        }
    }
}

/// The audit log, newest first, in keyset pages; `from` and `to` are
/// calendar days in Europe/Berlin, both included.
#[utoipa::path(
    get, path = "/audit", tag = "audit", security(("bearer" = [])),
    params(AuditParams),
    responses(
        (status = 200, body = ListResponse<AuditItem>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_audit(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<AuditParams>,
) -> ApiResult<Json<ListResponse<AuditItem>>> {
    let page = PageRequest {
        limit: params.limit,
        cursor: params.cursor,
    };
    let query = AuditQuery {
        action: params.action,
        actor_id: params.actor_id,
        from: params.from,
        to: params.to,
    };
    let page = audit_log::list(&state.app, &staff.actor(), query, &page).await?;
    Ok(Json(ListResponse::from_page(page, AuditItem::from)))
}
