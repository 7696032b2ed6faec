//! Member records: what an admitted application becomes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::application::Applicant;

pub mod consent;
pub mod ending;
pub mod entry;
pub mod number;
pub mod transfer;

pub use consent::{ConsentKind, Consents, UnknownConsent};
pub use ending::{
    EndingError, ending_by_edit, not_before_joining, resignation_day, resignation_in_reach,
};
pub use entry::{EntryDateError, entry_dates};
pub use number::{MembershipNumber, MembershipNumberError};
pub use transfer::{Move, TransferError, may_transfer, moved, transfer_day};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    Active,
    Left,
    Deceased,
    Expelled,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 4] = [
        MemberStatus::Active,
        MemberStatus::Left,
        MemberStatus::Deceased,
        MemberStatus::Expelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Left => "left",
            MemberStatus::Deceased => "deceased",
            MemberStatus::Expelled => "expelled",
        }
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown member status")]
pub struct UnknownMemberStatus;

impl FromStr for MemberStatus {
    type Err = UnknownMemberStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MemberStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or(UnknownMemberStatus)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: Uuid,
    pub membership_number: String,
    pub person: Applicant,
    pub district_id: Uuid,
    pub local_id: Option<Uuid>,
    pub status: MemberStatus,
    /// When an active membership ended (resignation, death, expulsion).
    pub left_on: Option<NaiveDate>,
    /// A resignation recorded for a day still to come: the member stays
    /// active until then ([`resignation_due`]).
    pub resigns_on: Option<NaiveDate>,
    pub status_reason: Option<String>,
    /// Consent kind → when it was given.
    pub consents: std::collections::BTreeMap<String, DateTime<Utc>>,
    /// The former district that keeps reading name and contact data.
    pub home_district_id: Option<Uuid>,
    pub anonymised_at: Option<DateTime<Utc>>,
    pub received_on: NaiveDate,
    pub joined_on: NaiveDate,
    pub entered_at: DateTime<Utc>,
    pub application_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Member {
    pub fn holding_unit(&self) -> Uuid {
        self.local_id.unwrap_or(self.district_id)
    }

    /// The former district that keeps reading name and contact data. Home
    /// ties are a bond with a member, so they end with the membership: a
    /// former member's data is nobody's business but the holding district's.
    pub fn home_ties(&self) -> Option<Uuid> {
        self.home_district_id
            .filter(|_| self.status == MemberStatus::Active)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaveError {
    #[error("the membership already ended ({0})")]
    AlreadyEnded(MemberStatus),
}

/// Ends an active membership with `status` on `on`. A day still to come (a
/// resignation with notice) leaves the member active with the date pending
/// until [`resignation_due`] on that day; repeating what is recorded
/// changes nothing, and a membership that ended stays ended.
pub fn leave(
    member: &Member,
    status: MemberStatus,
    on: NaiveDate,
    reason: Option<String>,
    today: NaiveDate,
) -> Result<Member, LeaveError> {
    match (member.status, member.left_on) {
        (MemberStatus::Active, _) if on > today => Ok(Member {
            resigns_on: Some(on),
            status_reason: reason,
            ..member.clone()
        }),
        (MemberStatus::Active, _) => Ok(Member {
            status,
            left_on: Some(on),
            resigns_on: None,
            status_reason: reason,
            ..member.clone()
        }),
        (current, Some(left_on)) if current == status && left_on == on => Ok(member.clone()),
        (current, _) => Err(LeaveError::AlreadyEnded(current)),
    }
}

/// The member as of `today` when a pending resignation has come due: left
/// on the day the resignation named, whenever the job gets to it.
pub fn resignation_due(member: &Member, today: NaiveDate) -> Option<Member> {
    match member.resigns_on {
        Some(on) if member.status == MemberStatus::Active && on <= today => Some(Member {
            status: MemberStatus::Left,
            left_on: Some(on),
            resigns_on: None,
            ..member.clone()
        }),
        _ => None,
    }
}

/// The consents a member can give, each recorded with the time it was given:
/// the names of [`ConsentKind`].
pub const CONSENT_KINDS: [&str; 4] = ConsentKind::NAMES;

/// Whether a former member's record is due for anonymisation on `today`:
/// `years` full years after the day they left.
pub fn retention_over(left_on: NaiveDate, years: u32, today: NaiveDate) -> bool {
    left_on
        .checked_add_months(chrono::Months::new(years.saturating_mul(12)))
        .is_some_and(|until| today > until)
}

/// How a member record came into kartei. Imported records predate kartei,
/// so their entry lag means nothing and the reports leave them out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntrySource {
    Application,
    DirectEntry,
    Import,
}

impl EntrySource {
    pub fn as_str(self) -> &'static str {
        match self {
            EntrySource::Application => "application",
            EntrySource::DirectEntry => "direct_entry",
            EntrySource::Import => "import",
        }
    }
}

/// A transfer between districts, asked by the sending side and answered by
/// the receiving one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferStatus {
    Pending,
    Confirmed,
    Declined,
}

impl TransferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "pending",
            TransferStatus::Confirmed => "confirmed",
            TransferStatus::Declined => "declined",
        }
    }
}

impl FromStr for TransferStatus {
    type Err = UnknownMemberStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            TransferStatus::Pending,
            TransferStatus::Confirmed,
            TransferStatus::Declined,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
        .ok_or(UnknownMemberStatus)
    }
}

/// The answer to a transfer: `Ok(Some(next))` moves it, `Ok(None)` is the
/// repeat of the answer given before, `Err` an answer that no longer fits.
pub fn answer_transfer(
    current: TransferStatus,
    answer: TransferStatus,
) -> Result<Option<TransferStatus>, TransferStatus> {
    match (current, answer) {
        (TransferStatus::Pending, TransferStatus::Confirmed | TransferStatus::Declined) => {
            Ok(Some(answer))
        }
        (current, answer) if current == answer => Ok(None),
        (current, _) => Err(current),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn retention_runs_full_years_after_leaving() {
        assert!(!retention_over(d(2016, 3, 31), 10, d(2026, 3, 31)));
        assert!(retention_over(d(2016, 3, 31), 10, d(2026, 4, 1)));
        assert!(!retention_over(d(2026, 1, 1), 0, d(2026, 1, 1)));
        assert!(retention_over(d(2026, 1, 1), 0, d(2026, 1, 2)));
    }

    #[test]
    fn a_transfer_is_answered_once() {
        use TransferStatus::*;
        assert_eq!(answer_transfer(Pending, Confirmed), Ok(Some(Confirmed)));
        assert_eq!(answer_transfer(Pending, Declined), Ok(Some(Declined)));
        assert_eq!(answer_transfer(Confirmed, Confirmed), Ok(None));
        assert_eq!(answer_transfer(Declined, Declined), Ok(None));
        assert_eq!(answer_transfer(Confirmed, Declined), Err(Confirmed));
        assert_eq!(answer_transfer(Declined, Confirmed), Err(Declined));
    }

    /// An active member of district 2, joined 2026-01-02.
    pub(crate) fn member(home: Option<Uuid>) -> Member {
        let Ok(postal_code) = crate::PostalCode::parse("01067") else {
            panic!("postal code")
        };
        Member {
            id: Uuid::from_u128(1),
            membership_number: "1".into(),
            person: Applicant {
                first_name: "Ada".into(),
                last_name: "Muster".into(),
                date_of_birth: d(1990, 1, 1),
                email: None,
                phone: None,
                street: "Hauptstr. 1".into(),
                postal_code,
                city: "Dresden".into(),
                interests: Vec::new(),
            },
            district_id: Uuid::from_u128(2),
            local_id: None,
            status: MemberStatus::Active,
            left_on: None,
            resigns_on: None,
            status_reason: None,
            consents: Default::default(),
            home_district_id: home,
            anonymised_at: None,
            received_on: d(2026, 1, 1),
            joined_on: d(2026, 1, 2),
            entered_at: DateTime::<Utc>::MIN_UTC,
            application_id: None,
            version: 1,
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    #[test]
    fn home_ties_end_with_the_membership() {
        let home = Uuid::from_u128(7);
        let member = member(Some(home));
        assert_eq!(member.home_ties(), Some(home));
        for ended in [
            MemberStatus::Left,
            MemberStatus::Deceased,
            MemberStatus::Expelled,
        ] {
            let former = Member {
                status: ended,
                ..member.clone()
            };
            assert_eq!(former.home_ties(), None, "{ended}");
        }
    }

    #[test]
    fn a_resignation_with_notice_waits_for_its_day() {
        let today = d(2026, 12, 1);
        let active = member(None);
        let Ok(pending) = leave(&active, MemberStatus::Left, d(2026, 12, 31), None, today) else {
            panic!("a resignation with notice")
        };
        assert_eq!(pending.status, MemberStatus::Active);
        assert_eq!(
            (pending.left_on, pending.resigns_on),
            (None, Some(d(2026, 12, 31)))
        );
        assert_eq!(resignation_due(&pending, d(2026, 12, 30)), None);
        let Some(left) = resignation_due(&pending, d(2027, 1, 3)) else {
            panic!("due")
        };
        assert_eq!(left.status, MemberStatus::Left);
        assert_eq!(
            (left.left_on, left.resigns_on),
            (Some(d(2026, 12, 31)), None)
        );
        assert_eq!(resignation_due(&left, d(2027, 1, 3)), None);

        let Ok(at_once) = leave(&active, MemberStatus::Left, today, None, today) else {
            panic!("a resignation today")
        };
        assert_eq!(at_once.status, MemberStatus::Left);
        assert_eq!(
            leave(&at_once, MemberStatus::Left, today, None, today),
            Ok(at_once.clone())
        );
        assert_eq!(
            leave(&at_once, MemberStatus::Deceased, today, None, today),
            Err(LeaveError::AlreadyEnded(MemberStatus::Left))
        );
        // Death overtakes a resignation still pending.
        let Ok(deceased) = leave(&pending, MemberStatus::Deceased, today, None, today) else {
            panic!("death")
        };
        assert_eq!(deceased.status, MemberStatus::Deceased);
        assert_eq!(deceased.resigns_on, None);
    }

    #[test]
    fn statuses_round_trip() {
        for status in MemberStatus::ALL {
            assert_eq!(status.as_str().parse::<MemberStatus>(), Ok(status));
        }
    }
}
