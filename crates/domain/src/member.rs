//! Member records: what an admitted application becomes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::application::Applicant;

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
}
