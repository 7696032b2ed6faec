//! The start page: what the account's part of the tree owes now, by stage,
//! with the overdue and escalated among them.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use kartei_app::members::{self, MemberListQuery};
use kartei_app::paging::PageRequest;
use kartei_app::{AppError, reports};
use kartei_domain::lag::LagStage;
use kartei_domain::member::MemberStatus;
use kartei_domain::{Action, authz};

use crate::error::WebResult;
use crate::layout::Layout;
use crate::pages::members as members_page;
use crate::pages::welcome;
use crate::session::SignedIn;
use crate::session::WebState;
use crate::texts;

struct StageCard {
    label: &'static str,
    /// The list of what waits in this stage.
    link: &'static str,
    open: i64,
    overdue: i64,
    escalated: i64,
}

/// The declarations list narrowed to those waiting in `stage`.
fn waiting_list(stage: LagStage) -> &'static str {
    match stage {
        LagStage::Registration => "/erklaerungen?status=unroutable",
        LagStage::Handover => "/erklaerungen?status=routed",
        LagStage::Contact => "/erklaerungen?status=handed_over",
        LagStage::Decision => "/erklaerungen?status=contacted",
    }
}

/// A member who joined lately, as the start page lists them.
struct NewMember {
    id: uuid::Uuid,
    name: String,
    joined_on: String,
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage<'a> {
    layout: Layout<'a>,
    /// `None` for a role that reads no declarations (the board).
    owed: Option<Vec<StageCard>>,
    /// The members who joined lately in a district's or branch's part of
    /// the tree, to welcome; `None` where the account holds no members.
    new_members: Option<NewMembers>,
    /// The integration steps owed, for a district office or a branch.
    owed_steps: Option<welcome::OwedSteps>,
}

struct NewMembers {
    since: String,
    first: Vec<NewMember>,
    more: bool,
}

/// How many new members the start page names before it links to the rest.
const NEW_MEMBERS_SHOWN: u32 = 10;

/// The newest members of the account's district or branch.
async fn new_members(state: &WebState, signed_in: &SignedIn) -> WebResult<Option<NewMembers>> {
    let actor = signed_in.actor();
    let holds_members =
        actor.org_unit_id.is_some() && authz::role_may(signed_in.account.role, Action::ReadMembers);
    if !holds_members {
        return Ok(None);
    }
    let since = members_page::new_since(state);
    let query = MemberListQuery {
        joined_from: Some(since),
        status: Some(MemberStatus::Active),
        page: PageRequest {
            limit: Some(NEW_MEMBERS_SHOWN),
            cursor: None,
        },
        ..MemberListQuery::default()
    };
    let found = members::list(&state.app, &actor, query).await?;
    Ok(Some(NewMembers {
        since: texts::date(since),
        more: found.next_cursor.is_some(),
        first: found
            .items
            .iter()
            .map(|seen| NewMember {
                id: seen.member.id,
                name: format!(
                    "{}, {}",
                    seen.member.person.last_name, seen.member.person.first_name
                ),
                joined_on: texts::date(seen.member.joined_on),
            })
            .collect(),
    }))
}

pub async fn page(State(state): State<WebState>, signed_in: SignedIn) -> WebResult<Html<String>> {
    let owed = match reports::owed(&state.app, &signed_in.actor()).await {
        Ok(stages) => Some(
            LagStage::ALL
                .into_iter()
                .filter_map(|stage| {
                    let owed = stages.get(&stage)?;
                    Some(StageCard {
                        label: texts::owed_in(stage),
                        link: waiting_list(stage),
                        open: owed.open,
                        overdue: owed.overdue,
                        escalated: owed.escalated,
                    })
                })
                .collect(),
        ),
        Err(AppError::Denied(_)) => None,
        Err(err) => return Err(err.into()),
    };
    // The ones who owe the steps; the state office reads the register
    // without owing.
    let owed_steps = if authz::role_may(signed_in.account.role, Action::RecordIntegrationStep) {
        welcome::owed_steps(&state, &signed_in.actor()).await?
    } else {
        None
    };
    let page = StartPage {
        owed_steps,
        layout: Layout::of(&signed_in),
        owed,
        new_members: new_members(&state, &signed_in).await?,
    };
    Ok(Html(page.render()?))
}
