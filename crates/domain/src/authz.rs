//! Who may do what, where. Every route asks [`authorize`] before it touches a
//! resource, and lists ask [`visible_scope`] for the filter to apply, so the
//! rules of the product specification ("Actors and roles") live here and
//! nowhere else.
//!
//! Two different answers for two different situations: an action that a role
//! may never take is [`Denied::Forbidden`] (HTTP 403); an action on a resource
//! outside the account's part of the tree is [`Denied::OutOfScope`] (HTTP 404,
//! so that nobody can probe which ids exist).

use uuid::Uuid;

use crate::member::TransferStatus;
use crate::{Role, UnitPath};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ReadOwnAccount,
    ManageUsers,
    ReadOrgUnits,
    ManageOrgUnits,
    ManageRoutingRules,
    ResolveRouting,
    RegisterApplication,
    ReadApplications,
    RouteApplication,
    ConfirmHandover,
    RerouteApplication,
    RecordContact,
    DecideApplication,
    WithdrawApplication,
    ReadMembers,
    CreateMember,
    EditMember,
    StartTransfer,
    AnswerTransfer,
    RecordResignation,
    ReadMemberHistory,
    ExportMember,
    /// The Art. 15 export for an applicant who never became a member.
    ExportApplicant,
    ImportMembers,
    ReadLagReports,
    ReadUnentered,
    ReadOutbox,
    /// The audit log across records: who read, exported or changed what.
    /// Only the system owner: the log names every record and every account.
    ReadAuditLog,
}

impl Action {
    pub const ALL: [Action; 28] = [
        Action::ReadOwnAccount,
        Action::ManageUsers,
        Action::ReadOrgUnits,
        Action::ManageOrgUnits,
        Action::ManageRoutingRules,
        Action::ResolveRouting,
        Action::RegisterApplication,
        Action::ReadApplications,
        Action::RouteApplication,
        Action::ConfirmHandover,
        Action::RerouteApplication,
        Action::RecordContact,
        Action::DecideApplication,
        Action::WithdrawApplication,
        Action::ReadMembers,
        Action::CreateMember,
        Action::EditMember,
        Action::StartTransfer,
        Action::AnswerTransfer,
        Action::RecordResignation,
        Action::ReadMemberHistory,
        Action::ExportMember,
        Action::ExportApplicant,
        Action::ImportMembers,
        Action::ReadLagReports,
        Action::ReadUnentered,
        Action::ReadOutbox,
        Action::ReadAuditLog,
    ];
}

/// The account acting, as far as authorisation cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
    /// The unit the account is bound to; `None` for accounts of the state
    /// level that are not bound to a unit below it.
    pub org_unit_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this role may not take this action")]
    Forbidden,
    #[error("the resource is outside the account's org unit")]
    OutOfScope,
}

/// The part of the tree an account sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everything,
    /// This unit and every unit below it.
    Subtree(Uuid),
    /// Nothing at all: a bound role whose account lost its unit.
    Nothing,
}

/// Whether `role` may ever take `action`, wherever the target is.
pub fn role_may(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Admin => true,
        Role::StateOffice => matches!(
            action,
            ReadOwnAccount
                | ReadOrgUnits
                | ResolveRouting
                | RegisterApplication
                | ReadApplications
                | RouteApplication
                | WithdrawApplication
                | ReadMembers
                | CreateMember
                | EditMember
                | StartTransfer
                | RecordResignation
                | ReadMemberHistory
                | ExportMember
                | ExportApplicant
                | ImportMembers
                | ReadLagReports
                | ReadUnentered
        ),
        Role::DistrictOffice => matches!(
            action,
            ReadOwnAccount
                | ReadOrgUnits
                | ResolveRouting
                | RegisterApplication
                | ReadApplications
                | ConfirmHandover
                | RerouteApplication
                | RecordContact
                | DecideApplication
                | WithdrawApplication
                | ReadMembers
                | CreateMember
                | EditMember
                | StartTransfer
                | AnswerTransfer
                | RecordResignation
                | ReadMemberHistory
                | ReadLagReports
                | ReadUnentered
        ),
        Role::LocalBranch => matches!(
            action,
            ReadOwnAccount
                | ReadOrgUnits
                | ResolveRouting
                | ReadApplications
                | RecordContact
                | ReadMembers
                | ReadMemberHistory
                | ReadUnentered
        ),
        // The board reads aggregates only: never a person's data.
        Role::Board => matches!(
            action,
            ReadOwnAccount | ReadOrgUnits | ResolveRouting | ReadLagReports
        ),
    }
}

/// The part of the tree `actor` sees. State-level roles see everything; the
/// district and branch roles see their own unit and what lies below it.
pub fn visible_scope(actor: &Actor) -> Scope {
    match actor.role.required_unit_kind() {
        None => Scope::Everything,
        Some(_) => actor.org_unit_id.map_or(Scope::Nothing, Scope::Subtree),
    }
}

/// Decides whether `actor` may take `action` on something held by the unit
/// whose path is `target` (`None` for actions that are not about one unit,
/// such as managing accounts or listing).
pub fn authorize(actor: &Actor, action: Action, target: Option<&UnitPath>) -> Result<(), Denied> {
    if !role_may(actor.role, action) {
        return Err(Denied::Forbidden);
    }
    let Some(target) = target else {
        return Ok(());
    };
    match visible_scope(actor) {
        Scope::Everything => Ok(()),
        Scope::Subtree(unit) if target.is_at_or_below(unit) => Ok(()),
        Scope::Subtree(_) | Scope::Nothing => Err(Denied::OutOfScope),
    }
}

/// How much of a member record an account reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberView {
    Full,
    /// A former district with home ties: name and contact data, to read only.
    HomeTies,
}

/// How `actor` sees a member held at `holding` for `action`. `home` is the
/// path of the district the member keeps home ties with while the
/// membership lasts (`Member::home_ties`); it opens reading, nothing else.
pub fn member_view(
    actor: &Actor,
    action: Action,
    holding: &UnitPath,
    home: Option<&UnitPath>,
) -> Result<MemberView, Denied> {
    match authorize(actor, action, Some(holding)) {
        Ok(()) => Ok(MemberView::Full),
        Err(Denied::OutOfScope)
            if action == Action::ReadMembers
                && home.is_some_and(|home| authorize(actor, action, Some(home)).is_ok()) =>
        {
            Ok(MemberView::HomeTies)
        }
        Err(denied) => Err(denied),
    }
}

/// Whether a side of a transfer learns who moves. While it is pending both
/// sides do: the receiving district must know whom it is asked to take.
/// Once answered, only whoever may read the member record itself: the other
/// side keeps ids, units, dates and the outcome.
pub fn transfer_names_person(status: TransferStatus, reads_member: bool) -> bool {
    status == TransferStatus::Pending || reads_member
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    /// The contract's role table, written out once more by hand, so that a
    /// change of `role_may` that the specification does not back fails here.
    fn expected_allowed(role: Role) -> &'static [Action] {
        match role {
            Role::Admin => &Action::ALL,
            Role::StateOffice => &[
                ReadOwnAccount,
                ReadOrgUnits,
                ResolveRouting,
                RegisterApplication,
                ReadApplications,
                RouteApplication,
                WithdrawApplication,
                ReadMembers,
                CreateMember,
                EditMember,
                StartTransfer,
                RecordResignation,
                ReadMemberHistory,
                ExportMember,
                ExportApplicant,
                ImportMembers,
                ReadLagReports,
                ReadUnentered,
            ],
            Role::DistrictOffice => &[
                ReadOwnAccount,
                ReadOrgUnits,
                ResolveRouting,
                RegisterApplication,
                ReadApplications,
                ConfirmHandover,
                RerouteApplication,
                RecordContact,
                DecideApplication,
                WithdrawApplication,
                ReadMembers,
                CreateMember,
                EditMember,
                StartTransfer,
                AnswerTransfer,
                RecordResignation,
                ReadMemberHistory,
                ReadLagReports,
                ReadUnentered,
            ],
            Role::LocalBranch => &[
                ReadOwnAccount,
                ReadOrgUnits,
                ResolveRouting,
                ReadApplications,
                RecordContact,
                ReadMembers,
                ReadMemberHistory,
                ReadUnentered,
            ],
            Role::Board => &[ReadOwnAccount, ReadOrgUnits, ResolveRouting, ReadLagReports],
        }
    }

    struct Tree {
        state: Uuid,
        district: Uuid,
        local: Uuid,
        other_district: Uuid,
        other_local: Uuid,
    }

    impl Tree {
        fn new() -> Self {
            Tree {
                state: Uuid::new_v4(),
                district: Uuid::new_v4(),
                local: Uuid::new_v4(),
                other_district: Uuid::new_v4(),
                other_local: Uuid::new_v4(),
            }
        }
        fn path_of_local(&self) -> UnitPath {
            UnitPath::new(vec![self.local, self.district, self.state])
        }
        fn path_of_district(&self) -> UnitPath {
            UnitPath::new(vec![self.district, self.state])
        }
        fn path_of_other_local(&self) -> UnitPath {
            UnitPath::new(vec![self.other_local, self.other_district, self.state])
        }
        fn actor(&self, role: Role) -> Actor {
            let org_unit_id = match role {
                Role::DistrictOffice => Some(self.district),
                Role::LocalBranch => Some(self.local),
                Role::Admin | Role::StateOffice | Role::Board => Some(self.state),
            };
            Actor {
                user_id: Uuid::new_v4(),
                role,
                org_unit_id,
            }
        }
    }

    #[test]
    fn every_role_every_action_inside_and_outside_scope() {
        let tree = Tree::new();
        for role in Role::ALL {
            let actor = tree.actor(role);
            for action in Action::ALL {
                let allowed = expected_allowed(role).contains(&action);
                let inside = tree.path_of_local();
                let outside = tree.path_of_other_local();
                let (want_inside, want_outside) = match (allowed, role) {
                    (false, _) => (Err(Denied::Forbidden), Err(Denied::Forbidden)),
                    (true, Role::DistrictOffice | Role::LocalBranch) => {
                        (Ok(()), Err(Denied::OutOfScope))
                    }
                    (true, _) => (Ok(()), Ok(())),
                };
                assert_eq!(
                    authorize(&actor, action, Some(&inside)),
                    want_inside,
                    "{role} {action:?} inside"
                );
                assert_eq!(
                    authorize(&actor, action, Some(&outside)),
                    want_outside,
                    "{role} {action:?} outside"
                );
                let unscoped = if allowed {
                    Ok(())
                } else {
                    Err(Denied::Forbidden)
                };
                assert_eq!(
                    authorize(&actor, action, None),
                    unscoped,
                    "{role} {action:?} without a target"
                );
            }
        }
    }

    #[test]
    fn only_the_admin_reads_the_audit_log() {
        let tree = Tree::new();
        for role in Role::ALL {
            let want = if role == Role::Admin {
                Ok(())
            } else {
                Err(Denied::Forbidden)
            };
            assert_eq!(
                authorize(&tree.actor(role), ReadAuditLog, None),
                want,
                "{role}"
            );
        }
    }

    #[test]
    fn a_branch_does_not_see_its_district_level_records() {
        let tree = Tree::new();
        let branch = tree.actor(Role::LocalBranch);
        assert_eq!(
            authorize(&branch, ReadMembers, Some(&tree.path_of_district())),
            Err(Denied::OutOfScope)
        );
        let district = tree.actor(Role::DistrictOffice);
        assert_eq!(
            authorize(&district, ReadMembers, Some(&tree.path_of_district())),
            Ok(())
        );
    }

    #[test]
    fn home_ties_open_reading_only() {
        let tree = Tree::new();
        let former = tree.actor(Role::DistrictOffice);
        let holding = tree.path_of_other_local();
        let home = tree.path_of_district();
        assert_eq!(
            member_view(&former, ReadMembers, &holding, Some(&home)),
            Ok(MemberView::HomeTies)
        );
        assert_eq!(
            member_view(&former, ReadMembers, &holding, None),
            Err(Denied::OutOfScope)
        );
        for action in [
            EditMember,
            StartTransfer,
            RecordResignation,
            ReadMemberHistory,
        ] {
            assert_eq!(
                member_view(&former, action, &holding, Some(&home)),
                Err(Denied::OutOfScope),
                "{action:?}"
            );
        }
        let holder = tree.actor(Role::DistrictOffice);
        assert_eq!(
            member_view(&holder, EditMember, &tree.path_of_local(), None),
            Ok(MemberView::Full)
        );
    }

    #[test]
    fn an_answered_transfer_names_the_person_only_to_its_readers() {
        use crate::member::TransferStatus::*;
        assert!(transfer_names_person(Pending, false));
        assert!(!transfer_names_person(Confirmed, false));
        assert!(!transfer_names_person(Declined, false));
        assert!(transfer_names_person(Confirmed, true));
    }

    #[test]
    fn a_bound_role_without_a_unit_sees_nothing() {
        let tree = Tree::new();
        let actor = Actor {
            user_id: Uuid::new_v4(),
            role: Role::DistrictOffice,
            org_unit_id: None,
        };
        assert_eq!(visible_scope(&actor), Scope::Nothing);
        assert_eq!(
            authorize(&actor, ReadMembers, Some(&tree.path_of_local())),
            Err(Denied::OutOfScope)
        );
    }
}
