//! A member's audit trail: what changed, with the personal values sealed by
//! the member's key, so that anonymisation can make them unreadable.

use chrono::{DateTime, Utc};
use kartei_domain::member::Member;
use kartei_persistence::audit::{self, AuditEntry, AuditRecord};
use kartei_persistence::{Tx, member_keys};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{App, AppResult};

fn person_fields(member: &Member) -> Vec<(&'static str, Value)> {
    let p = &member.person;
    vec![
        ("first_name", json!(p.first_name)),
        ("last_name", json!(p.last_name)),
        ("date_of_birth", json!(p.date_of_birth)),
        ("email", json!(p.email.as_ref().map(|e| e.to_string()))),
        ("phone", json!(p.phone)),
        ("street", json!(p.street)),
        ("postal_code", json!(p.postal_code.to_string())),
        ("city", json!(p.city)),
        ("interests", json!(p.interests)),
        ("district_id", json!(member.district_id)),
        ("local_id", json!(member.local_id)),
        ("status", json!(member.status.as_str())),
        ("left_on", json!(member.left_on)),
        ("resigns_on", json!(member.resigns_on)),
        ("status_reason", json!(member.status_reason)),
        ("consents", json!(member.consents)),
        ("home_district_id", json!(member.home_district_id)),
        ("membership_number", json!(member.membership_number)),
    ]
}

/// The fields that differ, with old and new values.
pub fn diff(before: &Member, after: &Member) -> Vec<(&'static str, Value, Value)> {
    person_fields(before)
        .into_iter()
        .zip(person_fields(after))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| (field, old, new))
        .collect()
}

/// Appends an audit entry about `member_id`; `changes` values are sealed
/// with the member's key, so that anonymisation can make them unreadable.
pub(crate) async fn audit_member(
    txn: &Tx,
    actor_id: Option<Uuid>,
    member_id: Uuid,
    action: &'static str,
    changes: Vec<(&'static str, Value, Value)>,
    extra: Value,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let mut sealed = Vec::with_capacity(changes.len());
    if !changes.is_empty() {
        let key = member_keys::get_or_create(txn, member_id).await?;
        for (field, old, new) in changes {
            sealed.push(json!({
                "field": field,
                "old": member_keys::seal(&key, &old)?,
                "new": member_keys::seal(&key, &new)?,
            }));
        }
    }
    let mut details = json!({ "changes": sealed });
    if let (Some(details), Some(extra)) = (details.as_object_mut(), extra.as_object()) {
        details.extend(extra.clone());
    }
    audit::record(
        txn,
        AuditEntry {
            actor_id,
            action,
            subject_type: "member",
            subject_id: Some(member_id),
            details,
        },
        at,
    )
    .await?;
    Ok(())
}

/// The audit trail of a member, with sealed values opened while the key
/// exists. The caller has checked that the reader may see it.
pub(super) async fn history(app: &App, member_id: Uuid) -> AppResult<Vec<AuditRecord>> {
    let key = member_keys::find(&app.db, member_id).await?;
    let mut records = audit::for_subject(&app.db, "member", member_id).await?;
    for record in &mut records {
        if let Some(changes) = record
            .details
            .get_mut("changes")
            .and_then(Value::as_array_mut)
        {
            for change in changes {
                for side in ["old", "new"] {
                    if let Some(value) = change.get_mut(side) {
                        *value = member_keys::open(key.as_ref(), value);
                    }
                }
            }
        }
    }
    Ok(records)
}
