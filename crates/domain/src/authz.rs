//! Who may do what, where. Every route asks [`authorize`] before it touches a
//! resource, and lists ask [`list_scope`] for the filter to apply, so the
//! rules of the product specification ("Actors and roles") live here and
//! nowhere else: the role table ([`role_may`]), the scope of the tree
//! ([`visible_scope`], [`list_scope`]), home ties ([`member_view`],
//! [`home_ties_read`]), both sides of a transfer ([`transfer_visible`],
//! [`transfer_names_person`]) and what nobody may do to their own account
//! ([`check_own_account_change`]).
//!
//! Two different answers for two different situations: an action that a role
//! may never take is [`Denied::Forbidden`] (HTTP 403); an action on a resource
//! outside the account's part of the tree is [`Denied::OutOfScope`] (HTTP 404,
//! so that nobody can probe which ids exist).

use uuid::Uuid;

use crate::member::TransferStatus;
use crate::{OrgUnitKind, Role, StaffAccount, UnitPath};

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
    /// Figures per unit that name no person: the entry lag, the member
    /// counts at a cut-off date.
    ReadUnitFigures,
    /// The delegate key: how many seats each district gets. The state's
    /// question, so the state office and the board ask it.
    ReadDelegateKey,
    ReadUnentered,
    ReadOutbox,
    /// The audit log across records: who read, exported or changed what.
    /// Only the system owner: the log names every record and every account.
    ReadAuditLog,
    /// Record an integration step after admission (welcome, first
    /// invitation) as done: the district and the branch that owe it.
    RecordIntegrationStep,
    /// The register of members still owed an integration step: names
    /// people, so not the board.
    ReadUnwelcomed,
}

impl Action {
    pub const ALL: [Action; 31] = [
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
        Action::ReadUnitFigures,
        Action::ReadDelegateKey,
        Action::ReadUnentered,
        Action::ReadOutbox,
        Action::ReadAuditLog,
        Action::RecordIntegrationStep,
        Action::ReadUnwelcomed,
    ];
}

/// How an account acts: the part of it authorisation looks at.
impl StaffAccount {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            role: self.role,
            org_unit_id: self.org_unit_id,
        }
    }
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

impl Scope {
    /// Whether the unit whose path is `target` lies inside.
    pub fn sees(self, target: &UnitPath) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Subtree(unit) => target.is_at_or_below(unit),
            Scope::Nothing => false,
        }
    }
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
                | ReadUnitFigures
                | ReadDelegateKey
                | ReadUnentered
                | ReadUnwelcomed
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
                | ReadUnitFigures
                | ReadUnentered
                | RecordIntegrationStep
                | ReadUnwelcomed
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
                | RecordIntegrationStep
                | ReadUnwelcomed
        ),
        // The board reads aggregates only: never a person's data.
        Role::Board => matches!(
            action,
            ReadOwnAccount | ReadOrgUnits | ResolveRouting | ReadUnitFigures | ReadDelegateKey
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
    if visible_scope(actor).sees(target) {
        Ok(())
    } else {
        Err(Denied::OutOfScope)
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
        Err(Denied::OutOfScope) if home_ties_read(actor, action, home) => Ok(MemberView::HomeTies),
        Err(denied) => Err(denied),
    }
}

/// The home-ties rule on its own: `actor` takes `action` on a member only
/// by the home ties of the district at `home` (the member's
/// `home_district_id` path while the membership lasts, see
/// `Member::home_ties`). Home ties open reading and nothing else: the
/// former district keeps in touch, it does not keep the record.
pub fn home_ties_read(actor: &Actor, action: Action, home: Option<&UnitPath>) -> bool {
    action == Action::ReadMembers
        && home.is_some_and(|home| authorize(actor, action, Some(home)).is_ok())
}

/// Whether `actor` sees a transfer at all: the sending side (whoever reads
/// the members of the unit the member leaves, `sending` being the path of
/// its branch or district) or the receiving side (whoever answers for the
/// district at `receiving`). Anyone else is told it does not exist.
pub fn transfer_visible(actor: &Actor, sending: &UnitPath, receiving: &UnitPath) -> bool {
    authorize(actor, Action::ReadMembers, Some(sending)).is_ok()
        || authorize(actor, Action::AnswerTransfer, Some(receiving)).is_ok()
}

/// Whether `actor` sees the declarations waiting in the state office's
/// queue (routed nowhere yet): only the state level does.
pub fn sees_state_queue(actor: &Actor) -> bool {
    visible_scope(actor) == Scope::Everything
}

/// Whether a side of a transfer learns who moves. While it is pending both
/// sides do: the receiving district must know whom it is asked to take.
/// Once answered, only whoever may read the member record itself: the other
/// side keeps ids, units, dates and the outcome.
pub fn transfer_names_person(status: TransferStatus, reads_member: bool) -> bool {
    status == TransferStatus::Pending || reads_member
}

/// What a change of a staff account sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountChange {
    pub role: Option<Role>,
    pub org_unit_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OwnAccountError {
    /// HTTP 409: the request is understood and allowed in general, but not
    /// on the account that makes it.
    #[error("You cannot deactivate your own account or change its role.")]
    LockOut,
}

/// What an account may not do to itself: deactivate itself or change its
/// own role, so that the last administrator cannot lock everyone out by a
/// slip. Everything else it may change about itself: e-mail, display name,
/// password, and its unit, since only administrators change accounts
/// ([`Action::ManageUsers`]) and an administrator sees everything whatever
/// its unit. `account` is the account as it is now; setting the role it
/// already has is no change.
pub fn check_own_account_change(
    actor: &Actor,
    account: &StaffAccount,
    change: &AccountChange,
) -> Result<(), OwnAccountError> {
    let own = actor.user_id == account.id;
    let deactivates = change.active == Some(false);
    let changes_role = change.role.is_some_and(|role| role != account.role);
    if own && (deactivates || changes_role) {
        Err(OwnAccountError::LockOut)
    } else {
        Ok(())
    }
}

/// A part of the tree a list is cut to. Built from a unit and its kind, so
/// a list never needs the tree: a district's records are those with its
/// `district_id`, a branch's those with its `local_id`. Persistence's
/// `UnitFilter` has the same three cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitScope {
    All,
    /// Held by this district or any of its branches.
    District(Uuid),
    /// Held by this local branch.
    Local(Uuid),
}

impl UnitScope {
    /// The records of `unit`, a unit of `kind`; the state unit holds all.
    pub fn of(unit: Uuid, kind: OrgUnitKind) -> UnitScope {
        match kind {
            OrgUnitKind::State => UnitScope::All,
            OrgUnitKind::District => UnitScope::District(unit),
            OrgUnitKind::Local => UnitScope::Local(unit),
        }
    }

    /// Whether a record held by `district_id` (and `local_id`) lies inside.
    pub fn holds(self, district_id: Uuid, local_id: Option<Uuid>) -> bool {
        match self {
            UnitScope::All => true,
            UnitScope::District(district) => district_id == district,
            UnitScope::Local(local) => local_id == Some(local),
        }
    }

    /// How a member record that a list with this visible scope found is
    /// shown: in full when held inside, else it was found by its home ties
    /// (`home_ties_of` of [`ListScope::Within`]) and shows name and contact.
    pub fn member_view(self, district_id: Uuid, local_id: Option<Uuid>) -> MemberView {
        if self.holds(district_id, local_id) {
            MemberView::Full
        } else {
            MemberView::HomeTies
        }
    }
}

/// What a list may show `actor`. Every list (applications, members,
/// transfers, the unentered report) asks [`list_scope`] for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    /// An empty list, without asking the database: a bound role whose
    /// account lost its unit.
    Nothing,
    Within {
        /// What the actor may see.
        visible: UnitScope,
        /// The unit the list was asked to narrow to (`?org_unit_id=`), to
        /// be applied together with `visible`: asking for a unit outside
        /// one's scope gives an empty list, never more.
        narrowed_to: Option<UnitScope>,
        /// Member lists only: the district whose home-tie members also
        /// appear (in the home-ties view). Other lists ignore it.
        home_ties_of: Option<Uuid>,
    },
}

/// The one scope rule of every list: state-level roles see everything,
/// district and branch roles their unit and what lies below it, a former
/// district also the members it keeps home ties with. `requested` is the
/// unit the list was narrowed to, with its kind, as the caller found it.
///
/// The kind of the actor's own unit comes from its role: an account is
/// bound to a unit of its role's kind (`staff::check_account_unit`, on
/// every creation and change of an account) and a unit's kind never
/// changes, so no read of the unit is needed.
pub fn list_scope(actor: &Actor, requested: Option<(Uuid, OrgUnitKind)>) -> ListScope {
    let visible = match (actor.role.required_unit_kind(), actor.org_unit_id) {
        (None, _) => UnitScope::All,
        (Some(kind), Some(unit)) => UnitScope::of(unit, kind),
        (Some(_), None) => return ListScope::Nothing,
    };
    let home_ties_of = match visible {
        UnitScope::District(district) => Some(district),
        UnitScope::All | UnitScope::Local(_) => None,
    };
    ListScope::Within {
        visible,
        narrowed_to: requested.map(|(unit, kind)| UnitScope::of(unit, kind)),
        home_ties_of,
    }
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
                ReadUnitFigures,
                ReadDelegateKey,
                ReadUnentered,
                ReadUnwelcomed,
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
                ReadUnitFigures,
                ReadUnentered,
                RecordIntegrationStep,
                ReadUnwelcomed,
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
                RecordIntegrationStep,
                ReadUnwelcomed,
            ],
            Role::Board => &[
                ReadOwnAccount,
                ReadOrgUnits,
                ResolveRouting,
                ReadUnitFigures,
                ReadDelegateKey,
            ],
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
    fn integration_steps_are_recorded_by_whoever_holds_the_member() {
        let tree = Tree::new();
        let branch = tree.actor(Role::LocalBranch);
        let district = tree.actor(Role::DistrictOffice);
        let in_branch = tree.path_of_local();
        let at_district = tree.path_of_district();
        // The branch records for its own members; the district for its
        // own and those of its branches.
        assert_eq!(
            member_view(&branch, RecordIntegrationStep, &in_branch, None),
            Ok(MemberView::Full)
        );
        assert_eq!(
            member_view(&district, RecordIntegrationStep, &in_branch, None),
            Ok(MemberView::Full)
        );
        // A member the district holds without a branch is the district's
        // to welcome: the branch does not see it.
        assert_eq!(
            member_view(&branch, RecordIntegrationStep, &at_district, None),
            Err(Denied::OutOfScope)
        );
        // Home ties keep a former district reading, not welcoming.
        let holding = tree.path_of_other_local();
        assert_eq!(
            member_view(
                &district,
                RecordIntegrationStep,
                &holding,
                Some(&at_district)
            ),
            Err(Denied::OutOfScope)
        );
        // The state level reads who is owed, but the welcome is local.
        for role in [Role::StateOffice, Role::Board] {
            assert_eq!(
                authorize(&tree.actor(role), RecordIntegrationStep, Some(&in_branch)),
                Err(Denied::Forbidden),
                "{role}"
            );
        }
        assert_eq!(
            authorize(&tree.actor(Role::Board), ReadUnwelcomed, None),
            Err(Denied::Forbidden)
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

    #[test]
    fn the_home_ties_rule_opens_reading_of_the_former_district_only() {
        let tree = Tree::new();
        let former = tree.actor(Role::DistrictOffice);
        let home = tree.path_of_district();
        assert!(home_ties_read(&former, ReadMembers, Some(&home)));
        assert!(!home_ties_read(&former, ReadMembers, None));
        assert!(!home_ties_read(&former, EditMember, Some(&home)));
        // A home district outside the actor's scope opens nothing.
        let other = tree.path_of_other_local();
        assert!(!home_ties_read(&former, ReadMembers, Some(&other)));
        // The board never reads a person, home ties or not.
        assert!(!home_ties_read(
            &tree.actor(Role::Board),
            ReadMembers,
            Some(&home)
        ));
    }

    #[test]
    fn either_side_of_a_transfer_sees_it_and_nobody_else() {
        let tree = Tree::new();
        // From the branch of `district` to `other_district`.
        let sending = tree.path_of_local();
        let receiving = UnitPath::new(vec![tree.other_district, tree.state]);
        let sees = |role: Role, unit: Uuid| {
            let actor = Actor {
                user_id: Uuid::new_v4(),
                role,
                org_unit_id: Some(unit),
            };
            transfer_visible(&actor, &sending, &receiving)
        };
        assert!(
            sees(Role::DistrictOffice, tree.district),
            "sending district"
        );
        assert!(sees(Role::LocalBranch, tree.local), "sending branch");
        assert!(
            sees(Role::DistrictOffice, tree.other_district),
            "receiving district"
        );
        assert!(
            !sees(Role::LocalBranch, tree.other_local),
            "a branch of the receiver"
        );
        assert!(sees(Role::StateOffice, tree.state));
        assert!(sees(Role::Admin, tree.state));
        assert!(!sees(Role::Board, tree.state));
        let third = Uuid::new_v4();
        assert!(!sees(Role::DistrictOffice, third), "a third district");
    }

    #[test]
    fn only_the_state_level_sees_the_state_queue() {
        let tree = Tree::new();
        for role in Role::ALL {
            let want = matches!(role, Role::Admin | Role::StateOffice | Role::Board);
            assert_eq!(sees_state_queue(&tree.actor(role)), want, "{role}");
        }
    }

    fn account(id: Uuid, role: Role) -> StaffAccount {
        let Ok(email) = crate::EmailAddress::parse("admin@example.org") else {
            panic!("e-mail")
        };
        StaffAccount {
            id,
            email,
            display_name: "Admin".into(),
            role,
            org_unit_id: None,
            active: true,
            version: 1,
            created_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            updated_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        }
    }

    #[test]
    fn nobody_deactivates_their_own_account_or_changes_its_role() {
        let me = Actor {
            user_id: Uuid::from_u128(1),
            role: Role::Admin,
            org_unit_id: None,
        };
        let mine = account(me.user_id, Role::Admin);
        let theirs = account(Uuid::from_u128(2), Role::Admin);
        let refused = Err(OwnAccountError::LockOut);
        let deactivate = AccountChange {
            active: Some(false),
            ..AccountChange::default()
        };
        let demote = AccountChange {
            role: Some(Role::Board),
            ..AccountChange::default()
        };
        assert_eq!(check_own_account_change(&me, &mine, &deactivate), refused);
        assert_eq!(check_own_account_change(&me, &mine, &demote), refused);
        assert_eq!(check_own_account_change(&me, &theirs, &deactivate), Ok(()));
        assert_eq!(check_own_account_change(&me, &theirs, &demote), Ok(()));
        // What changes nothing that matters is fine on one's own account.
        for harmless in [
            AccountChange::default(),
            AccountChange {
                role: Some(Role::Admin),
                active: Some(true),
                ..AccountChange::default()
            },
            AccountChange {
                org_unit_id: Some(None),
                ..AccountChange::default()
            },
        ] {
            assert_eq!(check_own_account_change(&me, &mine, &harmless), Ok(()));
        }
        assert_eq!(
            OwnAccountError::LockOut.to_string(),
            "You cannot deactivate your own account or change its role."
        );
    }

    #[test]
    fn every_list_is_cut_to_the_actor_scope() {
        let tree = Tree::new();
        let within = |visible, home_ties_of| ListScope::Within {
            visible,
            narrowed_to: None,
            home_ties_of,
        };
        for role in [Role::Admin, Role::StateOffice, Role::Board] {
            assert_eq!(
                list_scope(&tree.actor(role), None),
                within(UnitScope::All, None),
                "{role}"
            );
        }
        assert_eq!(
            list_scope(&tree.actor(Role::DistrictOffice), None),
            within(UnitScope::District(tree.district), Some(tree.district))
        );
        assert_eq!(
            list_scope(&tree.actor(Role::LocalBranch), None),
            within(UnitScope::Local(tree.local), None)
        );
        let unbound = Actor {
            user_id: Uuid::new_v4(),
            role: Role::LocalBranch,
            org_unit_id: None,
        };
        assert_eq!(
            list_scope(&unbound, Some((tree.local, OrgUnitKind::Local))),
            ListScope::Nothing
        );
        // A state-level account bound to the state unit sees everything.
        assert_eq!(
            list_scope(&tree.actor(Role::StateOffice), None),
            within(UnitScope::All, None)
        );
    }

    #[test]
    fn a_list_narrowed_to_a_unit_keeps_the_actor_scope() {
        let tree = Tree::new();
        let district = tree.actor(Role::DistrictOffice);
        assert_eq!(
            list_scope(
                &district,
                Some((tree.other_district, OrgUnitKind::District))
            ),
            ListScope::Within {
                visible: UnitScope::District(tree.district),
                narrowed_to: Some(UnitScope::District(tree.other_district)),
                home_ties_of: Some(tree.district),
            }
        );
        assert_eq!(
            list_scope(
                &tree.actor(Role::Admin),
                Some((tree.state, OrgUnitKind::State))
            ),
            ListScope::Within {
                visible: UnitScope::All,
                narrowed_to: Some(UnitScope::All),
                home_ties_of: None,
            }
        );
        assert_eq!(
            list_scope(
                &tree.actor(Role::Admin),
                Some((tree.local, OrgUnitKind::Local))
            ),
            ListScope::Within {
                visible: UnitScope::All,
                narrowed_to: Some(UnitScope::Local(tree.local)),
                home_ties_of: None,
            }
        );
    }

    #[test]
    fn the_scope_agrees_with_authorize_on_every_record() {
        // For each actor, a record held by a district or one of its
        // branches is inside the list scope exactly when `authorize`
        // lets the actor read it.
        let tree = Tree::new();
        let holdings = [
            (tree.district, None, tree.path_of_district()),
            (tree.district, Some(tree.local), tree.path_of_local()),
            (
                tree.other_district,
                Some(tree.other_local),
                tree.path_of_other_local(),
            ),
            (
                tree.other_district,
                None,
                UnitPath::new(vec![tree.other_district, tree.state]),
            ),
        ];
        for role in [
            Role::Admin,
            Role::StateOffice,
            Role::DistrictOffice,
            Role::LocalBranch,
        ] {
            let actor = tree.actor(role);
            let ListScope::Within { visible, .. } = list_scope(&actor, None) else {
                panic!("{role} sees something")
            };
            for (district, local, path) in &holdings {
                assert_eq!(
                    visible.holds(*district, *local),
                    authorize(&actor, ReadMembers, Some(path)).is_ok(),
                    "{role} {path:?}"
                );
            }
        }
    }

    #[test]
    fn a_listed_member_outside_the_scope_came_by_home_ties() {
        let (district, local, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(UnitScope::All.member_view(other, None), MemberView::Full);
        let scope = UnitScope::District(district);
        assert_eq!(scope.member_view(district, Some(local)), MemberView::Full);
        assert_eq!(scope.member_view(other, None), MemberView::HomeTies);
        let scope = UnitScope::Local(local);
        assert_eq!(scope.member_view(district, Some(local)), MemberView::Full);
        assert_eq!(scope.member_view(district, None), MemberView::HomeTies);
        assert_eq!(UnitScope::of(other, OrgUnitKind::State), UnitScope::All);
    }
}
