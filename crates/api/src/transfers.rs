//! Transfers between districts: the sending side starts one, the receiving
//! district confirms or declines it, both hear of it by e-mail through the
//! outbox, and a confirmation moves the member in the same transaction.

use chrono::NaiveDate;
use kartei_domain::member::{Member, MemberStatus, TransferStatus, answer_transfer};
use kartei_domain::{Action, Denied, authorize};
use kartei_persistence::transfers::{self, Transfer};
use kartei_persistence::{
    DatabaseTransaction, RepoError, TransactionTrait, members as member_repo, org_units, outbox,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::mail::templates;
use crate::members::{self, View};
use crate::state::AppState;

/// Where a member is to go: a district, or a branch with its district.
#[derive(Debug, Clone, Copy)]
pub struct Destination {
    pub district_id: Uuid,
    pub local_id: Option<Uuid>,
}

pub struct TransferRequest {
    pub member_id: Uuid,
    pub to: Destination,
    pub effective_on: NaiveDate,
    pub keep_home_ties: bool,
}

/// Starts a transfer of a member the caller holds.
pub async fn start(
    state: &AppState,
    staff: &Staff,
    request: TransferRequest,
) -> Result<Transfer, ApiError> {
    let (member, view) =
        members::read(state, staff, request.member_id, Action::StartTransfer).await?;
    if view != View::Full {
        return Err(ApiError::NotFound);
    }
    if member.status != MemberStatus::Active {
        return Err(ApiError::Conflict(format!(
            "Only active members can move; this membership ended ({}).",
            member.status
        )));
    }
    if request.to.district_id == member.district_id {
        return Err(ApiError::validation(
            "to_org_unit_id",
            "lies in the member's own district; change the local branch instead",
        ));
    }
    let now = state.clock.now();
    let transfer = Transfer {
        id: Uuid::now_v7(),
        member_id: member.id,
        from_district_id: member.district_id,
        from_local_id: member.local_id,
        to_district_id: request.to.district_id,
        to_local_id: request.to.local_id,
        effective_on: request.effective_on,
        keep_home_ties: request.keep_home_ties,
        status: TransferStatus::Pending,
        reason: None,
        requested_by: staff.0.id,
        requested_at: now,
        answered_by: None,
        answered_at: None,
    };
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    transfers::insert(&txn, &transfer)
        .await
        .map_err(|err| match err {
            RepoError::Conflict => {
                ApiError::Conflict("A transfer of this member is already open.".into())
            }
            other => other.into(),
        })?;
    members::audit_member(
        &txn,
        Some(staff.0.id),
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
    notify(&txn, &transfer, &[transfer.to_district_id], now).await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(transfer)
}

/// A transfer the caller may see: either side of it.
pub async fn read(state: &AppState, staff: &Staff, id: Uuid) -> Result<Transfer, ApiError> {
    let transfer = transfers::get(&state.db, id).await?;
    let actor = staff.actor();
    let sending = members::path_of(
        state,
        transfer.from_local_id.unwrap_or(transfer.from_district_id),
    )
    .await?;
    let receiving = members::path_of(state, transfer.to_district_id).await?;
    let sees = authorize(&actor, Action::ReadMembers, Some(&sending)).is_ok()
        || authorize(&actor, Action::AnswerTransfer, Some(&receiving)).is_ok();
    if sees {
        Ok(transfer)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The receiving district's answer. Confirming moves the member (with home
/// ties to the former district if asked for); repeating the answer given
/// before changes nothing.
pub async fn answer(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    answer: TransferStatus,
    reason: Option<String>,
) -> Result<Transfer, ApiError> {
    let actor = staff.actor();
    authorize(&actor, Action::AnswerTransfer, None)?;
    let transfer = transfers::get(&state.db, id).await?;
    let receiving = members::path_of(state, transfer.to_district_id).await?;
    match authorize(&actor, Action::AnswerTransfer, Some(&receiving)) {
        Ok(()) => {}
        Err(Denied::OutOfScope) => return Err(ApiError::NotFound),
        Err(denied) => return Err(denied.into()),
    }
    match answer_transfer(transfer.status, answer) {
        Ok(Some(_)) => {}
        Ok(None) => return Ok(transfer),
        Err(current) => {
            return Err(ApiError::Conflict(format!(
                "This transfer was already {}.",
                current.as_str()
            )));
        }
    }
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(RepoError::from)?;
    if !transfers::answer(&txn, id, answer, reason, staff.0.id, now).await? {
        return Err(ApiError::Conflict(
            "This transfer was answered meanwhile.".into(),
        ));
    }
    let member = member_repo::get(&txn, transfer.member_id).await?;
    if answer == TransferStatus::Confirmed {
        move_member(&txn, staff, &transfer, &member, now).await?;
    } else {
        members::audit_member(
            &txn,
            Some(staff.0.id),
            member.id,
            "transfer_declined",
            Vec::new(),
            json!({ "transfer_id": transfer.id }),
            now,
        )
        .await?;
    }
    let answered = transfers::get(&txn, id).await?;
    notify(
        &txn,
        &answered,
        &[answered.from_district_id, answered.to_district_id],
        now,
    )
    .await?;
    txn.commit().await.map_err(RepoError::from)?;
    Ok(answered)
}

async fn move_member(
    txn: &DatabaseTransaction,
    staff: &Staff,
    transfer: &Transfer,
    member: &Member,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    if member.status != MemberStatus::Active {
        return Err(ApiError::Conflict(format!(
            "The membership ended meanwhile ({}).",
            member.status
        )));
    }
    let moved = Member {
        district_id: transfer.to_district_id,
        local_id: transfer.to_local_id,
        home_district_id: transfer.keep_home_ties.then_some(transfer.from_district_id),
        ..member.clone()
    };
    member_repo::save(txn, member, &moved, now)
        .await
        .map_err(|err| match err {
            RepoError::StaleVersion => {
                ApiError::Conflict("The member was changed meanwhile; try again.".into())
            }
            other => other.into(),
        })?;
    members::audit_member(
        txn,
        Some(staff.0.id),
        member.id,
        "member_transferred",
        members::diff(member, &moved),
        json!({ "transfer_id": transfer.id, "effective_on": transfer.effective_on }),
        now,
    )
    .await
}

/// Queues the transfer's e-mail to each of `districts` that has an address.
async fn notify(
    txn: &DatabaseTransaction,
    transfer: &Transfer,
    districts: &[Uuid],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
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
            TransferStatus::Pending => templates::transfer_requested(
                email.to_string(),
                &from.name,
                &to.name,
                transfer.id,
                transfer.effective_on,
            ),
            answered => templates::transfer_answered(
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
