//! Transfers between districts: the sending side starts one, the receiving
//! district confirms or declines it, both hear of it by e-mail through the
//! outbox, and a confirmation moves the member in the same unit of work.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::authz::{ListScope, list_scope, transfer_names_person, transfer_visible};
use kartei_domain::member::{self, Member, Move, TransferError, TransferStatus, answer_transfer};
use kartei_domain::text::Reason;
use kartei_domain::{Action, Actor, Denied, authorize};
use kartei_persistence::transfers::{self, Transfer};
use kartei_persistence::{RepoError, Tx, members as member_repo, org_units, outbox, unit_of_work};
use serde_json::json;
use uuid::Uuid;

use crate::checks::Checks;
use crate::members::{self, audit_member, diff};
use crate::scope::{self, UnitPaths, route_to};
use crate::{App, AppError, AppResult, mail_texts};

/// The most transfers one list holds, and how many it holds unless asked.
const LIST_MAX: u64 = 200;
const LIST_DEFAULT: u64 = 50;

/// A transfer as a reader sees it: with the member it is about when the
/// reader may learn who moves ([`transfer_names_person`]).
#[derive(Debug, Clone)]
pub struct TransferView {
    pub transfer: Transfer,
    pub member: Option<Member>,
    /// The reader answers it now: the receiving side, while it waits.
    pub answerable: bool,
}

/// Whether `actor` may answer `transfer` now, by the same rule as
/// [`confirm`] and [`decline`].
async fn answerable(
    paths: &mut UnitPaths<'_>,
    actor: &Actor,
    transfer: &Transfer,
) -> AppResult<bool> {
    if transfer.status != TransferStatus::Pending {
        return Ok(false);
    }
    let receiving = paths.of(transfer.to_district_id).await?;
    Ok(authorize(actor, Action::AnswerTransfer, Some(&receiving)).is_ok())
}

/// A transfer as the sending side asks for it: the raw request values.
#[derive(Debug, Clone)]
pub struct TransferStart {
    /// The receiving district, or one of its local branches.
    pub to_org_unit_id: Uuid,
    pub effective_on: NaiveDate,
    /// Whether the former district keeps read access to name and contact data.
    pub keep_home_ties: bool,
}

/// Starts a transfer of member `member_id`, which `actor` holds; the
/// receiving district is asked by e-mail to confirm.
pub async fn start(
    app: &App,
    actor: &Actor,
    member_id: Uuid,
    input: TransferStart,
) -> AppResult<Transfer> {
    authorize(actor, Action::StartTransfer, None)?;
    let today = app.today();
    let mut checks = Checks::new();
    if let Err(err) = member::transfer_day(input.effective_on, today) {
        checks.fail(err.field().unwrap_or("effective_on"), err);
    }
    let to = route_to(app, input.to_org_unit_id).await?;
    if to.is_none() {
        checks.fail("to_org_unit_id", "must be a district or a local branch");
    }
    checks.finish()?;
    let to = to.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("checks passed without a destination"))
    })?;
    let member = members::read_full(app, actor, member_id, Action::StartTransfer).await?;
    member::may_transfer(&member, to.district_id).map_err(transfer_error)?;
    let now = app.now();
    let transfer = Transfer {
        id: Uuid::now_v7(),
        member_id: member.id,
        from_district_id: member.district_id,
        from_local_id: member.local_id,
        to_district_id: to.district_id,
        to_local_id: to.local_id,
        effective_on: input.effective_on,
        keep_home_ties: input.keep_home_ties,
        status: TransferStatus::Pending,
        reason: None,
        requested_by: actor.user_id,
        requested_at: now,
        answered_by: None,
        answered_at: None,
    };
    let links = mail_texts::Links::new(&app.settings.server.public_url);
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        transfers::insert(txn, &transfer)
            .await
            .map_err(|err| match err {
                RepoError::Conflict => {
                    AppError::Conflict("A transfer of this member is already open.".into())
                }
                other => other.into(),
            })?;
        audit_member(
            txn,
            Some(actor.user_id),
            member.id,
            "transfer_requested",
            Vec::new(),
            json!({
                "transfer_id": transfer.id,
                "to_district_id": transfer.to_district_id,
                "to_local_id": transfer.to_local_id,
                "effective_on": transfer.effective_on,
                "keep_home_ties": transfer.keep_home_ties,
            }),
            now,
        )
        .await?;
        notify(txn, &links, &transfer, &[transfer.to_district_id], now).await
    })
    .await?;
    Ok(transfer)
}

/// A rule of the domain that refuses a transfer: a field's error, or a
/// conflict with the state of the membership.
fn transfer_error(err: TransferError) -> AppError {
    match err.field() {
        Some(field) => AppError::invalid(field, err),
        None => AppError::Conflict(err.to_string()),
    }
}

/// One transfer, for either side of it; anyone else is told it does not
/// exist.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<TransferView> {
    authorize(actor, Action::ReadMembers, None)?;
    let transfer = transfers::get(&app.db, id).await?;
    let sending = scope::path_of(
        app,
        transfer.from_local_id.unwrap_or(transfer.from_district_id),
    )
    .await?;
    let receiving = scope::path_of(app, transfer.to_district_id).await?;
    if !transfer_visible(actor, &sending, &receiving) {
        return Err(AppError::NotFound);
    }
    let member = member_repo::get(&app.db, transfer.member_id).await?;
    let mut paths = UnitPaths::new(app);
    let named = names_person(&mut paths, actor, &transfer, &member).await?;
    Ok(TransferView {
        answerable: answerable(&mut paths, actor, &transfer).await?,
        member: named.then_some(member),
        transfer,
    })
}

/// What a list of transfers is narrowed to, as the request brings it.
#[derive(Debug, Clone, Default)]
pub struct TransferListQuery {
    pub status: Option<TransferStatus>,
    /// At most this many, newest first (default 50, at most 200).
    pub limit: Option<u64>,
}

/// Transfers from or to the actor's part of the organisation, newest first.
pub async fn list(
    app: &App,
    actor: &Actor,
    query: TransferListQuery,
) -> AppResult<Vec<TransferView>> {
    authorize(actor, Action::ReadMembers, None)?;
    let limit = query.limit.unwrap_or(LIST_DEFAULT);
    if !(1..=LIST_MAX).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 200"));
    }
    let ListScope::Within { visible, .. } = list_scope(actor, None) else {
        return Ok(Vec::new());
    };
    let scope = scope::stored(visible);
    let found = transfers::list(&app.db, &scope, query.status, limit).await?;
    // One query for the people of the whole page.
    let ids: Vec<Uuid> = found.iter().map(|t| t.member_id).collect();
    let mut people: HashMap<Uuid, Member> = member_repo::get_many(&app.db, &ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut paths = UnitPaths::new(app);
    let mut items = Vec::with_capacity(found.len());
    for transfer in found {
        let member = match people.remove(&transfer.member_id) {
            Some(member) if names_person(&mut paths, actor, &transfer, &member).await? => {
                Some(member)
            }
            _ => None,
        };
        let answerable = answerable(&mut paths, actor, &transfer).await?;
        items.push(TransferView {
            transfer,
            member,
            answerable,
        });
    }
    Ok(items)
}

/// `transfer_names_person` for `actor`: after the answer, only whoever
/// reads the member record learns whom the transfer is about.
async fn names_person(
    paths: &mut UnitPaths<'_>,
    actor: &Actor,
    transfer: &Transfer,
    member: &Member,
) -> AppResult<bool> {
    let reads_member = transfer.status != TransferStatus::Pending
        && members::view_of(paths, actor, member, Action::ReadMembers)
            .await
            .is_ok();
    Ok(transfer_names_person(transfer.status, reads_member))
}

/// The receiving district takes the member; it holds the record from now on.
pub async fn confirm(app: &App, actor: &Actor, id: Uuid) -> AppResult<Transfer> {
    answer(app, actor, id, TransferStatus::Confirmed, None).await
}

/// The receiving district declines, with a reason; the member stays.
pub async fn decline(app: &App, actor: &Actor, id: Uuid, reason: &str) -> AppResult<Transfer> {
    authorize(actor, Action::AnswerTransfer, None)?;
    let mut checks = Checks::new();
    let reason = match Reason::optional(Some(reason)) {
        Ok(Some(reason)) => Some(reason.into_string()),
        Ok(None) => {
            checks.fail("reason", "is required");
            None
        }
        Err(err) => {
            checks.fail("reason", err);
            None
        }
    };
    checks.finish()?;
    answer(app, actor, id, TransferStatus::Declined, reason).await
}

/// The receiving district's answer. Confirming moves the member (with home
/// ties to the former district if asked for); repeating the answer given
/// before changes nothing.
async fn answer(
    app: &App,
    actor: &Actor,
    id: Uuid,
    answer: TransferStatus,
    reason: Option<String>,
) -> AppResult<Transfer> {
    authorize(actor, Action::AnswerTransfer, None)?;
    let transfer = transfers::get(&app.db, id).await?;
    let receiving = scope::path_of(app, transfer.to_district_id).await?;
    match authorize(actor, Action::AnswerTransfer, Some(&receiving)) {
        Ok(()) => {}
        Err(Denied::OutOfScope) => return Err(AppError::NotFound),
        Err(denied) => return Err(denied.into()),
    }
    match answer_transfer(transfer.status, answer) {
        Ok(Some(_)) => {}
        Ok(None) => return Ok(transfer),
        Err(current) => {
            return Err(AppError::Conflict(format!(
                "This transfer was already {}.",
                current.as_str()
            )));
        }
    }
    let now = app.now();
    let links = mail_texts::Links::new(&app.settings.server.public_url);
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<Transfer> {
        if !transfers::answer(txn, id, answer, reason, actor.user_id, now).await? {
            return Err(AppError::Conflict(
                "This transfer was answered meanwhile.".into(),
            ));
        }
        let member = member_repo::get(txn, transfer.member_id).await?;
        if answer == TransferStatus::Confirmed {
            move_member(txn, actor, &transfer, &member, now).await?;
        } else {
            audit_member(
                txn,
                Some(actor.user_id),
                member.id,
                "transfer_declined",
                Vec::new(),
                json!({ "transfer_id": transfer.id }),
                now,
            )
            .await?;
        }
        let answered = transfers::get(txn, id).await?;
        notify(
            txn,
            &links,
            &answered,
            &[answered.from_district_id, answered.to_district_id],
            now,
        )
        .await?;
        Ok(answered)
    })
    .await
}

async fn move_member(
    txn: &Tx,
    actor: &Actor,
    transfer: &Transfer,
    member: &Member,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let moved = member::moved(
        member,
        Move {
            from_district_id: transfer.from_district_id,
            to_district_id: transfer.to_district_id,
            to_local_id: transfer.to_local_id,
            keep_home_ties: transfer.keep_home_ties,
        },
    )
    .map_err(transfer_error)?;
    member_repo::save(txn, member, &moved, now)
        .await
        .map_err(|err| match err {
            RepoError::StaleVersion => {
                AppError::Conflict("The member was changed meanwhile; try again.".into())
            }
            other => other.into(),
        })?;
    audit_member(
        txn,
        Some(actor.user_id),
        member.id,
        "member_transferred",
        diff(member, &moved),
        json!({ "transfer_id": transfer.id, "effective_on": transfer.effective_on }),
        now,
    )
    .await
}

/// Queues the transfer's e-mail to each of `districts` that has an address.
async fn notify(
    txn: &Tx,
    links: &mail_texts::Links<'_>,
    transfer: &Transfer,
    districts: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let from = org_units::get(txn, transfer.from_district_id).await?;
    let to = org_units::get(txn, transfer.to_district_id).await?;
    for unit in [&from, &to]
        .into_iter()
        .filter(|u| districts.contains(&u.id))
    {
        let Some(email) = &unit.email else {
            tracing::warn!(org_unit_id = %unit.id, "transfer mail skipped: the unit has no e-mail address");
            continue;
        };
        let mail = match transfer.status {
            TransferStatus::Pending => mail_texts::transfer_requested(
                links,
                email.to_string(),
                &from.name,
                &to.name,
                transfer.id,
                transfer.effective_on,
            ),
            answered => mail_texts::transfer_answered(
                links,
                email.to_string(),
                &from.name,
                &to.name,
                transfer.id,
                transfer.effective_on,
                answered == TransferStatus::Confirmed,
            ),
        };
        outbox::enqueue(txn, mail, now).await?;
    }
    Ok(())
}
