//! The member list: what `actor` may see, alphabetically, page by page, and
//! all of it at once for the CSV download, which the audit trail records.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kartei_domain::authz::{ListScope, UnitScope, list_scope};
use kartei_domain::member::{Member, MemberStatus};
use kartei_domain::{Action, Actor, authorize};
use kartei_persistence::members::{self, MemberCursor, MemberFilter, MemberQuery};
use kartei_persistence::{RepoError, org_units};
use serde_json::json;
use uuid::Uuid;

use super::Seen;
use crate::{App, AppError, AppResult, audit_log, scope};

const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 200;

/// What a member list is narrowed to, as the request brings it.
#[derive(Debug, Clone, Default)]
pub struct MemberListQuery {
    /// A name prefix, a membership number or an e-mail address.
    pub q: Option<String>,
    /// A district or local branch.
    pub org_unit_id: Option<Uuid>,
    pub status: Option<MemberStatus>,
    /// Members per page, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the page before.
    pub cursor: Option<String>,
}

/// One page of a member list.
#[derive(Debug, Clone)]
pub struct MemberPage {
    pub items: Vec<Seen>,
    pub next_cursor: Option<String>,
}

/// A list query checked against the actor's scope.
struct Prepared {
    filter: MemberFilter,
    visible: UnitScope,
    limit: u32,
    after: Option<MemberCursor>,
}

/// Members `actor` may see, alphabetically; home-tie members of a former
/// district appear in the home-ties view.
pub async fn list(app: &App, actor: &Actor, query: MemberListQuery) -> AppResult<MemberPage> {
    let Some(prepared) = prepare(app, actor, &query).await? else {
        return Ok(MemberPage {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let (page, next) = members::list(
        &app.db,
        &prepared.filter,
        prepared.after,
        u64::from(prepared.limit),
    )
    .await?;
    Ok(MemberPage {
        items: seen(prepared.visible, page),
        next_cursor: next.as_ref().map(encode_cursor),
    })
}

/// Every member of the list from the cursor on, for a CSV download; the
/// bulk read is recorded in the audit trail before it is handed out.
/// `None` when the actor sees nothing at all (an account without a unit),
/// which is answered as an empty list, not as a file.
pub async fn list_for_csv(
    app: &App,
    actor: &Actor,
    query: MemberListQuery,
) -> AppResult<Option<Vec<Seen>>> {
    let Some(prepared) = prepare(app, actor, &query).await? else {
        return Ok(None);
    };
    let mut all = Vec::new();
    let mut cursor = prepared.after;
    loop {
        let (page, next) = members::list(&app.db, &prepared.filter, cursor, 1000).await?;
        all.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let rows = seen(prepared.visible, all);
    // The search term may be a name or an e-mail address: the trail
    // keeps only that there was one.
    let filter = json!({
        "org_unit_id": query.org_unit_id,
        "status": query.status.map(MemberStatus::as_str),
        "search_term_given": query.q.is_some(),
    });
    audit_log::record_export(app, actor, "member_list", filter, rows.len()).await?;
    Ok(Some(rows))
}

/// The checks and the scope of a list query; `None` for an empty list.
async fn prepare(app: &App, actor: &Actor, query: &MemberListQuery) -> AppResult<Option<Prepared>> {
    authorize(actor, Action::ReadMembers, None)?;
    let limit = page_size(query.limit)?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    // An account without a unit sees nothing, whatever unit it asked for.
    if list_scope(actor, None) == ListScope::Nothing {
        return Ok(None);
    }
    let requested = match query.org_unit_id {
        Some(unit) => match org_units::get(&app.db, unit).await {
            Ok(found) => Some((found.id, found.kind)),
            Err(RepoError::NotFound) => {
                return Err(AppError::invalid("org_unit_id", "no such org unit"));
            }
            Err(err) => return Err(err.into()),
        },
        None => None,
    };
    let ListScope::Within {
        visible,
        narrowed_to,
        home_ties_of,
    } = list_scope(actor, requested)
    else {
        return Ok(None);
    };
    Ok(Some(Prepared {
        filter: MemberFilter {
            scope: Some(scope::stored(visible)),
            include_home_ties_of: home_ties_of,
            unit: narrowed_to.map(scope::stored),
            status: query.status,
            query: query.q.as_deref().and_then(MemberQuery::parse),
        },
        visible,
        limit,
        after,
    }))
}

fn seen(visible: UnitScope, members: Vec<Member>) -> Vec<Seen> {
    members
        .into_iter()
        .map(|member| Seen {
            view: visible.member_view(member.district_id, member.local_id),
            member,
        })
        .collect()
}

/// The page size asked for, or the default.
fn page_size(limit: Option<u32>) -> AppResult<u32> {
    let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if (1..=MAX_PAGE_SIZE).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::invalid("limit", "must be between 1 and 200"))
    }
}

fn encode_cursor(cursor: &MemberCursor) -> String {
    URL_SAFE_NO_PAD.encode(json!([cursor.0, cursor.1]).to_string())
}

fn decode_cursor(raw: &str) -> AppResult<MemberCursor> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<(String, Uuid)>(&bytes).ok())
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this API handed out"))
}
