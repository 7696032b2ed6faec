//! The rules of moving a member to another district: who may be moved
//! where and when, and what the member record becomes when the receiving
//! district confirms. The answer itself is [`answer_transfer`].
//!
//! [`answer_transfer`]: crate::member::answer_transfer

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Member, MemberStatus};

/// How far from today a transfer's day may lie, either way: a move is
/// recorded around the time it happens.
pub const TRANSFER_REACH_DAYS: i64 = 366;

/// Why a transfer cannot start or go through. [`TransferError::field`]
/// names the request field of those that are field errors (HTTP 422); the
/// others are conflicts with the member's state (HTTP 409). The messages
/// are the ones the API answered before the rules moved here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// A former member is nobody's to move: the record stays with the
    /// district that held it when the membership ended.
    #[error("Only active members can move; this membership ended ({0}).")]
    Ended(MemberStatus),
    /// Within a district a member changes branch by an edit; a transfer is
    /// between districts, since it needs the other district's consent.
    #[error("lies in the member's own district; change the local branch instead")]
    OwnDistrict,
    #[error("must lie within a year of today")]
    OutOfReach,
    /// The membership ended between the request and the confirmation.
    #[error("The membership ended meanwhile ({0}).")]
    EndedMeanwhile(MemberStatus),
}

impl TransferError {
    /// The request field of a field error; `None` for a conflict.
    pub fn field(self) -> Option<&'static str> {
        match self {
            TransferError::OwnDistrict => Some("to_org_unit_id"),
            TransferError::OutOfReach => Some("effective_on"),
            TransferError::Ended(_) | TransferError::EndedMeanwhile(_) => None,
        }
    }
}

/// The day a transfer takes effect: within a year of today, either way.
pub fn transfer_day(effective_on: NaiveDate, today: NaiveDate) -> Result<NaiveDate, TransferError> {
    if (effective_on - today).num_days().abs() > TRANSFER_REACH_DAYS {
        Err(TransferError::OutOfReach)
    } else {
        Ok(effective_on)
    }
}

/// Whether `member` may be asked to move to `to_district_id`: an active
/// member, into another district. The membership's end is checked first:
/// a former member's destination does not matter.
pub fn may_transfer(member: &Member, to_district_id: Uuid) -> Result<(), TransferError> {
    if member.status != MemberStatus::Active {
        Err(TransferError::Ended(member.status))
    } else if to_district_id == member.district_id {
        Err(TransferError::OwnDistrict)
    } else {
        Ok(())
    }
}

/// Where a confirmed transfer takes the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub from_district_id: Uuid,
    pub to_district_id: Uuid,
    pub to_local_id: Option<Uuid>,
    /// The former district keeps reading name and contact data.
    pub keep_home_ties: bool,
}

/// The member record once the receiving district confirmed: held by the
/// new district (and branch), with home ties to the former district if the
/// transfer asked for them. Home ties to an earlier district end here:
/// only the district the member just left keeps a bond.
pub fn moved(member: &Member, to: Move) -> Result<Member, TransferError> {
    if member.status != MemberStatus::Active {
        return Err(TransferError::EndedMeanwhile(member.status));
    }
    Ok(Member {
        district_id: to.to_district_id,
        local_id: to.to_local_id,
        home_district_id: to.keep_home_ties.then_some(to.from_district_id),
        ..member.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::member::tests::member;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn only_active_members_move_and_only_out_of_their_district() {
        let active = member(None);
        let other = Uuid::from_u128(99);
        assert_eq!(may_transfer(&active, other), Ok(()));
        assert_eq!(
            may_transfer(&active, active.district_id),
            Err(TransferError::OwnDistrict)
        );
        for ended in [
            MemberStatus::Left,
            MemberStatus::Deceased,
            MemberStatus::Expelled,
        ] {
            let former = Member {
                status: ended,
                ..active.clone()
            };
            assert_eq!(
                may_transfer(&former, other),
                Err(TransferError::Ended(ended))
            );
            // The end decides, whatever the destination.
            assert_eq!(
                may_transfer(&former, former.district_id),
                Err(TransferError::Ended(ended))
            );
        }
    }

    #[test]
    fn a_transfer_day_lies_within_a_year_either_way() {
        let today = d(2026, 12, 1);
        assert_eq!(transfer_day(d(2027, 12, 2), today), Ok(d(2027, 12, 2)));
        assert_eq!(transfer_day(d(2025, 11, 30), today), Ok(d(2025, 11, 30)));
        assert_eq!(
            transfer_day(d(2027, 12, 3), today),
            Err(TransferError::OutOfReach)
        );
        assert_eq!(
            transfer_day(d(2025, 11, 29), today),
            Err(TransferError::OutOfReach)
        );
    }

    #[test]
    fn a_confirmed_move_changes_the_holding_and_the_home_ties() {
        let earlier_home = Uuid::from_u128(5);
        let member = member(Some(earlier_home));
        let to = Move {
            from_district_id: member.district_id,
            to_district_id: Uuid::from_u128(20),
            to_local_id: Some(Uuid::from_u128(21)),
            keep_home_ties: true,
        };
        let Ok(moved_with_ties) = moved(&member, to) else {
            panic!("an active member moves")
        };
        assert_eq!(
            (
                moved_with_ties.district_id,
                moved_with_ties.local_id,
                moved_with_ties.home_district_id
            ),
            (to.to_district_id, to.to_local_id, Some(member.district_id))
        );
        assert_eq!(moved_with_ties.id, member.id);
        let Ok(moved_without) = moved(
            &member,
            Move {
                keep_home_ties: false,
                ..to
            },
        ) else {
            panic!("an active member moves")
        };
        assert_eq!(moved_without.home_district_id, None);
        let deceased = Member {
            status: MemberStatus::Deceased,
            ..member
        };
        assert_eq!(
            moved(&deceased, to),
            Err(TransferError::EndedMeanwhile(MemberStatus::Deceased))
        );
    }

    #[test]
    fn errors_say_what_the_api_said() {
        assert_eq!(
            TransferError::Ended(MemberStatus::Left).to_string(),
            "Only active members can move; this membership ended (left)."
        );
        assert_eq!(
            TransferError::EndedMeanwhile(MemberStatus::Expelled).to_string(),
            "The membership ended meanwhile (expelled)."
        );
        assert_eq!(
            (
                TransferError::OwnDistrict.field(),
                TransferError::OwnDistrict.to_string()
            ),
            (
                Some("to_org_unit_id"),
                "lies in the member's own district; change the local branch instead".to_owned()
            )
        );
        assert_eq!(
            (
                TransferError::OutOfReach.field(),
                TransferError::OutOfReach.to_string()
            ),
            (
                Some("effective_on"),
                "must lie within a year of today".to_owned()
            )
        );
        assert_eq!(TransferError::Ended(MemberStatus::Left).field(), None);
    }
}
