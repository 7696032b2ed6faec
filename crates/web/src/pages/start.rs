//! The start page: what the account's part of the tree owes now, by stage,
//! with the overdue and escalated among them.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use kartei_app::{AppError, reports};
use kartei_domain::lag::LagStage;

use crate::error::WebResult;
use crate::layout::Layout;
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

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage<'a> {
    layout: Layout<'a>,
    /// `None` for a role that reads no declarations (the board).
    owed: Option<Vec<StageCard>>,
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
    let page = StartPage {
        layout: Layout::of(&signed_in),
        owed,
    };
    Ok(Html(page.render()?))
}
