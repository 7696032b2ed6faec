//! The member list: what `actor` may see, alphabetically, page by page, and
//! all of it at once for the CSV download, which the audit trail records.

use chrono::NaiveDate;
use kartei_domain::authz::{ListScope, UnitScope, list_scope};
use kartei_domain::member::{Member, MemberStatus};
use kartei_domain::{Action, Actor, authorize};
use kartei_persistence::members::{self, MemberCursor, MemberFilter, MemberQuery};
use kartei_persistence::{RepoError, org_units};
use serde_json::json;
use uuid::Uuid;

use super::Seen;
use crate::paging::{Cursor, PageRequest};
use crate::{App, AppError, AppResult, audit_log, scope};

/// What a member list is narrowed to, as the request brings it.
#[derive(Debug, Clone, Default)]
pub struct MemberListQuery {
    /// What was typed into the search box: a name in several forms, a
    /// city, a membership number or an e-mail address (the rules are those
    /// of `kartei_persistence::members::MemberQuery`).
    pub q: Option<String>,
    /// A district or local branch.
    pub org_unit_id: Option<Uuid>,
    pub status: Option<MemberStatus>,
    /// Only members who joined on this day or later: the new ones.
    pub joined_from: Option<NaiveDate>,
    pub page: PageRequest,
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
    limit: u64,
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
    let (page, next) =
        members::list(&app.db, &prepared.filter, prepared.after, prepared.limit).await?;
    Ok(MemberPage {
        items: seen(prepared.visible, page),
        next_cursor: next.as_ref().map(Cursor::encode),
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
        "joined_from": query.joined_from,
        "search_term_given": query.q.is_some(),
    });
    audit_log::record_export(app, actor, "member_list", filter, rows.len()).await?;
    Ok(Some(rows))
}

/// The checks and the scope of a list query; `None` for an empty list.
async fn prepare(app: &App, actor: &Actor, query: &MemberListQuery) -> AppResult<Option<Prepared>> {
    authorize(actor, Action::ReadMembers, None)?;
    let limit = query.page.size()?;
    let after = query.page.position()?;
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
            joined_from: query.joined_from,
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
