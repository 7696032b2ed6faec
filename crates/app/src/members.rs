//! Member master data: reading with need-to-know scope (home ties
//! included), direct entry, every change under its version and into the
//! audit trail with the personal values sealed by the member's key, the
//! member list and its CSV export, and the Art. 15 export of one member.

mod edit;
mod entry;
mod list;
mod trail;

use chrono::{DateTime, Utc};
use kartei_domain::authz::member_view;
use kartei_domain::member::{LeaveError, Member};
use kartei_domain::privacy::{self, Processing};
use kartei_domain::{Action, Actor, authorize};
use kartei_persistence::audit::AuditRecord;
use kartei_persistence::transfers::{self, Transfer};
use kartei_persistence::{Tx, members, unit_of_work};
use uuid::Uuid;

use crate::onboarding::{self, ApplicationView};
use crate::scope::{self, UnitPaths};
use crate::{App, AppError, AppResult};

pub use edit::{MemberEdit, Resignation, complete_resignations, resign, update};
pub use entry::{DirectEntry, EntryInput, check_entry, create};
pub use kartei_domain::authz::MemberView;
pub use list::{MemberListQuery, MemberPage, list, list_for_csv};
pub(crate) use trail::audit_member;
pub use trail::diff;

/// A member record as one reader sees it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub member: Member,
    pub view: MemberView,
}

/// Reads a member for `action`. Outside the scope it is 404, unless the
/// caller's district keeps home ties with the member and only reads.
pub(crate) async fn read(app: &App, actor: &Actor, id: Uuid, action: Action) -> AppResult<Seen> {
    let member = members::get(&app.db, id).await?;
    let view = view_of(&mut UnitPaths::new(app), actor, &member, action).await?;
    Ok(Seen { member, view })
}

/// Reads a member `actor` may change under `action`: in full, else 404.
pub(crate) async fn read_full(
    app: &App,
    actor: &Actor,
    id: Uuid,
    action: Action,
) -> AppResult<Member> {
    let seen = read(app, actor, id, action).await?;
    if seen.view != MemberView::Full {
        return Err(AppError::NotFound);
    }
    Ok(seen.member)
}

/// How `actor` sees `member` for `action` (`kartei_domain::authz::member_view`).
pub async fn view_of(
    paths: &mut UnitPaths<'_>,
    actor: &Actor,
    member: &Member,
    action: Action,
) -> AppResult<MemberView> {
    let holding = paths.of(member.holding_unit()).await?;
    // Only a caller outside the holding unit's scope needs the home path.
    let home = match member.home_ties() {
        Some(home) if authorize(actor, action, Some(&holding)).is_err() => {
            Some(paths.of(home).await?)
        }
        _ => None,
    };
    Ok(member_view(actor, action, &holding, home.as_ref())?)
}

/// One member, as `actor` may see it.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<Seen> {
    read(app, actor, id, Action::ReadMembers).await
}

/// Whether `actor` may edit member `id` at all: 403 for the role, 404
/// outside the scope. For a front end that must refuse an edit before it
/// can read the edit itself (the API without `If-Match`).
pub async fn check_editable(app: &App, actor: &Actor, id: Uuid) -> AppResult<()> {
    authorize(actor, Action::EditMember, None)?;
    read_full(app, actor, id, Action::EditMember).await?;
    Ok(())
}

/// The audit trail of a member, oldest first, with sealed values opened
/// while the member's key exists.
pub async fn history(app: &App, actor: &Actor, id: Uuid) -> AppResult<Vec<AuditRecord>> {
    let member = read_full(app, actor, id, Action::ReadMemberHistory).await?;
    trail::history(app, member.id).await
}

/// Everything kartei stores about a member (GDPR Art. 15).
#[derive(Debug, Clone)]
pub struct MemberExport {
    pub exported_at: DateTime<Utc>,
    pub member: Member,
    /// The declaration the membership came from, with its timeline.
    pub application: Option<ApplicationView>,
    pub history: Vec<AuditRecord>,
    pub transfers: Vec<Transfer>,
    /// Purposes, recipients and the retention rule (Art. 15 (1) a, c, d).
    pub processing: Processing,
}

/// The Art. 15 export of member `id`; recorded in the audit trail before
/// it is handed out, so an export that happened is never missing.
pub async fn export(app: &App, actor: &Actor, id: Uuid) -> AppResult<MemberExport> {
    let member = read(app, actor, id, Action::ExportMember).await?.member;
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        audit_member(
            txn,
            Some(actor.user_id),
            member.id,
            "member_exported",
            Vec::new(),
            serde_json::json!({}),
            now,
        )
        .await
    })
    .await?;
    let application = match member.application_id {
        Some(application_id) => Some(onboarding::full_view_unchecked(app, application_id).await?),
        None => None,
    };
    let history = trail::history(app, member.id).await?;
    let processing = privacy::of_member(
        &member,
        scope::state_unit_id(app).await?,
        app.settings.retention.years_after_leaving,
    );
    let transfers = transfers::for_member(&app.db, member.id).await?;
    Ok(MemberExport {
        exported_at: now,
        member,
        application,
        history,
        transfers,
        processing,
    })
}

/// A membership that ended cannot end again.
pub(crate) fn leave_error(err: LeaveError) -> AppError {
    match err {
        LeaveError::AlreadyEnded(current) => {
            AppError::Conflict(format!("The membership already ended ({current})."))
        }
    }
}

/// The values of a checked input, once its checks passed.
pub(crate) fn checks_passed<T>(value: Option<T>) -> AppResult<T> {
    value.ok_or_else(|| AppError::internal(anyhow::anyhow!("checks passed without values")))
}
