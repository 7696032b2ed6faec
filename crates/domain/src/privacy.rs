//! What a person is told about the processing of their data (GDPR Art. 15
//! (1) a, c, d): why kartei holds it, who can read it, and how long it is
//! kept. The recipients are derived from the authorisation rules, so the
//! export says what the code does, not what a document once promised.

use chrono::{DateTime, Months, NaiveDate, Utc};
use uuid::Uuid;

use crate::application::{Application, Status};
use crate::authz::{Action, role_may};
use crate::member::{Member, MemberStatus};
use crate::{OrgUnitKind, Role};

/// Party membership reveals political opinion; a party may process its
/// members' and applicants' data for its own purposes.
pub const LEGAL_BASIS: &str = "GDPR Art. 9(2)(d) and Art. 6(1)(b): processing by a political party \
     of the data of its members and of persons in regular contact with it, for its purposes";

/// Why kartei holds a person's data (Art. 15 (1) a). An enum, so that
/// every front end says each purpose in its own words and none is missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    MemberRegister,
    MeetingsAndDelegates,
    WelcomingNewMembers,
    TransfersAndHomeTies,
    DecidingOnTheDeclaration,
    RoutingTheDeclaration,
}

impl Purpose {
    /// The purpose in the API's words.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::MemberRegister => {
                "keeping the member register of the state association and its districts and local branches"
            }
            Purpose::MeetingsAndDelegates => {
                "inviting to meetings and elections, and counting members for delegate keys"
            }
            Purpose::WelcomingNewMembers => {
                "welcoming and involving new members in their local branch"
            }
            Purpose::TransfersAndHomeTies => {
                "transfers between districts and, on request, home ties with a former district"
            }
            Purpose::DecidingOnTheDeclaration => {
                "deciding on the membership declaration, from receipt to admission or rejection"
            }
            Purpose::RoutingTheDeclaration => {
                "routing the declaration to the district and local branch responsible for the address"
            }
        }
    }
}

const MEMBER_PURPOSES: [Purpose; 4] = [
    Purpose::MemberRegister,
    Purpose::MeetingsAndDelegates,
    Purpose::WelcomingNewMembers,
    Purpose::TransfersAndHomeTies,
];

const APPLICANT_PURPOSES: [Purpose; 2] = [
    Purpose::DecidingOnTheDeclaration,
    Purpose::RoutingTheDeclaration,
];

/// What a recipient reads of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    Full,
    /// A former district with home ties: name and contact data.
    NameAndContact,
}

impl Extent {
    pub fn as_str(self) -> &'static str {
        match self {
            Extent::Full => "full",
            Extent::NameAndContact => "name_and_contact",
        }
    }
}

/// Staff of `role` at `org_unit_id` (the state unit for roles of the
/// state level) read the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub role: Role,
    pub org_unit_id: Uuid,
    pub extent: Extent,
}

/// How long the record is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub rule: String,
    /// The first day on which the record is anonymised, once it is known.
    pub anonymised_from: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processing {
    pub purposes: Vec<Purpose>,
    pub legal_basis: &'static str,
    pub recipients: Vec<Recipient>,
    pub retention: Retention,
}

/// Who reads a record held by `district` and `local` under `action`: every
/// role that may take the action, at the state level or at the unit of its
/// kind that holds the record. The board never does.
fn readers(
    action: Action,
    state: Uuid,
    district: Option<Uuid>,
    local: Option<Uuid>,
) -> Vec<Recipient> {
    Role::ALL
        .into_iter()
        .filter(|role| role_may(*role, action))
        .filter_map(|role| {
            let unit = match role.required_unit_kind() {
                None => Some(state),
                Some(OrgUnitKind::District) => district,
                Some(OrgUnitKind::Local) => local,
                Some(OrgUnitKind::State) => Some(state),
            }?;
            Some(Recipient {
                role,
                org_unit_id: unit,
                extent: Extent::Full,
            })
        })
        .collect()
}

/// The processing of a member's data; `state` is the state unit.
pub fn of_member(member: &Member, state: Uuid, years_after_leaving: u32) -> Processing {
    let mut recipients = readers(
        Action::ReadMembers,
        state,
        Some(member.district_id),
        member.local_id,
    );
    if let Some(home) = member.home_ties() {
        recipients.push(Recipient {
            role: Role::DistrictOffice,
            org_unit_id: home,
            extent: Extent::NameAndContact,
        });
    }
    let anonymised_from = match (member.status, member.left_on) {
        (MemberStatus::Active, _) | (_, None) => None,
        (_, Some(left_on)) => left_on
            .checked_add_months(Months::new(years_after_leaving.saturating_mul(12)))
            .and_then(|until| until.succ_opt()),
    };
    Processing {
        purposes: MEMBER_PURPOSES.to_vec(),
        legal_basis: LEGAL_BASIS,
        recipients,
        retention: Retention {
            rule: format!(
                "kept while the membership lasts; anonymised {years_after_leaving} years after it \
                 ended (retention.years_after_leaving)"
            ),
            anonymised_from,
        },
    }
}

/// The processing of an applicant's data; `state` is the state unit.
pub fn of_application(
    application: &Application,
    state: Uuid,
    days_after_closing: u32,
) -> Processing {
    let route = application.state.route;
    let recipients = readers(
        Action::ReadApplications,
        state,
        route.map(|r| r.district_id),
        route.and_then(|r| r.local_id),
    );
    // The retention job takes a closed application once `days_after_closing`
    // days have passed since the moment it closed.
    let closed = |at: Option<DateTime<Utc>>| {
        at.and_then(|at| {
            at.checked_add_signed(chrono::Duration::days(i64::from(days_after_closing)))
        })
        .map(crate::calendar::local_date)
    };
    let anonymised_from = match application.state.status {
        Status::Rejected | Status::Withdrawn => closed(application.closed_at),
        _ => None,
    };
    Processing {
        purposes: APPLICANT_PURPOSES.to_vec(),
        legal_basis: LEGAL_BASIS,
        recipients,
        retention: Retention {
            rule: format!(
                "kept while the declaration is open; anonymised {days_after_closing} days after \
                 it was rejected or withdrawn (retention.days_after_closing); on admission it \
                 becomes the member record and is kept under the members' rule"
            ),
            anonymised_from,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readers_follow_the_role_table() {
        let state = Uuid::from_u128(1);
        let district = Uuid::from_u128(2);
        let local = Uuid::from_u128(3);
        let readers = readers(Action::ReadMembers, state, Some(district), Some(local));
        let pairs: Vec<(Role, Uuid)> = readers.iter().map(|r| (r.role, r.org_unit_id)).collect();
        assert_eq!(
            pairs,
            [
                (Role::Admin, state),
                (Role::StateOffice, state),
                (Role::DistrictOffice, district),
                (Role::LocalBranch, local),
            ]
        );
        assert!(!pairs.iter().any(|(role, _)| *role == Role::Board));
        // A record held by the district alone has no branch reader.
        let district_only = super::readers(Action::ReadMembers, state, Some(district), None);
        assert!(!district_only.iter().any(|r| r.role == Role::LocalBranch));
    }
}
