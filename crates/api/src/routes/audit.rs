//! The audit log across records, for the system owner: who logged in,
//! changed, exported or imported what, and when. Bulk reads of personal
//! data (CSV lists, imports) appear with their filter and row count; no
//! entry carries a person's values, and changed values stay sealed.

use axum::extract::State;
use chrono::{DateTime, Days, NaiveDate, Utc};
use kartei_domain::{Action, authorize};
use kartei_persistence::audit::{self, AuditEntry, AuditEvent, AuditFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ListResponse;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, PageParams, Query};
use crate::local_time;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// The action bulk exports are stored under, and the one the API reports
/// for every export.
pub const EXPORT: &str = "export";
/// The action a CSV import is stored under (beside one `member_created`
/// per row).
pub const IMPORT: &str = "import";
/// The Art. 15 exports of one person are stored as `member_exported` (from
/// the start; the trail is append-only, so the old name stays in the table)
/// and `application_exported`; the API reports both as exports.
const ART15_EXPORTS: [&str; 2] = ["member_exported", "application_exported"];

/// Records that `staff` read `rows` records of personal data in bulk, as
/// `subject` (`member_list`, `unentered`) with `filter`. Called before the
/// data is handed out: an export that happened is never missing from the
/// trail. `filter` must hold ids and codes only, never a search term.
pub async fn record_export(
    state: &AppState,
    staff: &Staff,
    subject: &'static str,
    filter: Value,
    rows: usize,
) -> Result<(), ApiError> {
    audit::record(
        &state.db,
        AuditEntry {
            actor_id: Some(staff.0.id),
            action: EXPORT,
            subject_type: subject,
            subject_id: None,
            details: json!({ "format": "csv", "filter": filter, "rows": rows }),
        },
        state.clock.now(),
    )
    .await?;
    Ok(())
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

impl From<AuditEvent> for AuditItem {
    fn from(event: AuditEvent) -> Self {
        let mut detail = hide_sealed(event.details);
        let action = if ART15_EXPORTS.contains(&event.action.as_str()) {
            if let Some(object) = detail.as_object_mut() {
                object.insert("kind".into(), json!("art15"));
            }
            EXPORT.to_owned()
        } else {
            event.action
        };
        AuditItem {
            at: event.occurred_at,
            actor_id: event.actor_id,
            action,
            subject: AuditSubject {
                subject_type: event.subject_type,
                id: event.subject_id,
            },
            detail,
        }
    }
}

/// Replaces each sealed value by `{"sealed": true}`: the ciphertext is of
/// no use to a reader of the log, and its length would hint at the value.
fn hide_sealed(mut details: Value) -> Value {
    if let Some(changes) = details.get_mut("changes").and_then(Value::as_array_mut) {
        for change in changes {
            for side in ["old", "new"] {
                if let Some(value) = change.get_mut(side)
                    && value.get("sealed").is_some()
                {
                    *value = json!({ "sealed": true });
                }
            }
        }
    }
    details
}

/// The stored actions an `action` filter stands for.
fn stored_actions(action: &str) -> Result<Vec<String>, ApiError> {
    let valid = (1..=64).contains(&action.len())
        && action.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !valid {
        return Err(ApiError::validation(
            "action",
            "must be an action name: lower-case letters and '_'",
        ));
    }
    Ok(if action == EXPORT {
        std::iter::once(EXPORT)
            .chain(ART15_EXPORTS)
            .map(str::to_owned)
            .collect()
    } else {
        vec![action.to_owned()]
    })
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
    authorize(&staff.actor(), Action::ReadAuditLog, None)?;
    let (limit, after) = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .resolve()?;
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from > to
    {
        return Err(ApiError::validation("from", "must not be after to"));
    }
    let filter = AuditFilter {
        actions: params.action.as_deref().map(stored_actions).transpose()?,
        actor_id: params.actor_id,
        from: params.from.map(local_time::start_of_day),
        until: params
            .to
            .and_then(|to| to.checked_add_days(Days::new(1)))
            .map(local_time::start_of_day),
    };
    let page = audit::list(&state.db, &filter, after, limit).await?;
    Ok(Json(ListResponse::from_page(page, AuditItem::from)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_stay_sealed_and_the_rest_stays() {
        let stored = json!({
            "changes": [{ "field": "street", "old": { "sealed": "AAAA" }, "new": { "sealed": "BBBB" } }],
            "source": "import",
        });
        assert_eq!(
            hide_sealed(stored),
            json!({
                "changes": [{ "field": "street", "old": { "sealed": true }, "new": { "sealed": true } }],
                "source": "import",
            })
        );
    }

    #[test]
    fn export_stands_for_every_kind_of_export() {
        assert_eq!(
            stored_actions("export").ok(),
            Some(vec![
                "export".to_owned(),
                "member_exported".to_owned(),
                "application_exported".to_owned()
            ])
        );
        assert_eq!(stored_actions("login").ok(), Some(vec!["login".to_owned()]));
        assert!(stored_actions("").is_err());
        assert!(stored_actions("DROP TABLE").is_err());
    }
}
