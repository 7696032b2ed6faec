//! The audit log across records, for the system owner: who logged in,
//! changed, exported or imported what, and when. Bulk reads of personal
//! data (CSV lists, imports) appear with their filter and row count; no
//! entry carries a person's values, and changed values stay sealed.

use chrono::{DateTime, Days, NaiveDate, Utc};
use kartei_domain::{Action, Actor, authorize};
use kartei_persistence::Page;
use kartei_persistence::audit::{self, AuditEntry, AuditEvent, AuditFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::paging::PageRequest;
use crate::{App, AppError, AppResult, local_time};

/// The action of a bulk read of personal data (a CSV list).
pub const EXPORT: &str = "export";
/// The action of a CSV import.
pub const IMPORT: &str = "import";
const ART15_EXPORTS: [&str; 2] = ["member_exported", "application_exported"];

/// Records that `actor` took a list of `rows` records of `subject` out of
/// kartei, with the filter it asked for.
pub async fn record_export(
    app: &App,
    actor: &Actor,
    subject: &'static str,
    filter: Value,
    rows: usize,
) -> AppResult<()> {
    audit::record(
        &app.db,
        AuditEntry {
            actor_id: Some(actor.user_id),
            action: EXPORT,
            subject_type: subject,
            subject_id: None,
            details: json!({ "format": "csv", "filter": filter, "rows": rows }),
        },
        app.now(),
    )
    .await?;
    Ok(())
}

/// What the log is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// An action name; `export` stands for every kind of export.
    pub action: Option<String>,
    pub actor_id: Option<Uuid>,
    /// First day, Europe/Berlin.
    pub from: Option<NaiveDate>,
    /// Last day, included.
    pub to: Option<NaiveDate>,
}

/// One entry as the system owner reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditLine {
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// An Art. 15 export reads as `export` with `"kind": "art15"`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<Uuid>,
    /// The stored details, with every sealed value only marked as sealed.
    pub detail: Value,
}

impl From<AuditEvent> for AuditLine {
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
        AuditLine {
            at: event.occurred_at,
            actor_id: event.actor_id,
            action,
            subject_type: event.subject_type,
            subject_id: event.subject_id,
            detail,
        }
    }
}

/// One page of the log, newest first.
pub async fn list(
    app: &App,
    actor: &Actor,
    query: AuditQuery,
    page: &PageRequest,
) -> AppResult<Page<AuditLine>> {
    authorize(actor, Action::ReadAuditLog, None)?;
    let (limit, after) = page.by_id()?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(AppError::invalid("from", "must not be after to"));
    }
    let filter = AuditFilter {
        actions: query.action.as_deref().map(stored_actions).transpose()?,
        actor_id: query.actor_id,
        from: query.from.map(local_time::start_of_day),
        until: query
            .to
            .and_then(|to| to.checked_add_days(Days::new(1)))
            .map(local_time::start_of_day),
    };
    let page = audit::list(&app.db, &filter, after, limit).await?;
    Ok(page.map(AuditLine::from))
}

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

fn stored_actions(action: &str) -> AppResult<Vec<String>> {
    let valid = (1..=64).contains(&action.len())
        && action.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !valid {
        return Err(AppError::invalid(
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
