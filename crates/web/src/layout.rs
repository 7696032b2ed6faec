//! The frame of every signed-in page.

use kartei_domain::{Action, authz};

use crate::session::SignedIn;
use crate::texts;

/// What every signed-in page shows around its content: who is signed in,
/// the sign-out form's token, and the links the role may follow.
pub struct Layout<'a> {
    pub account_name: &'a str,
    pub role: &'static str,
    pub csrf: &'a str,
    pub reads_applications: bool,
    pub registers: bool,
    /// The figures: the entry lag and the member counts.
    pub reads_reports: bool,
    /// The register of declarations not yet entered (names, not figures).
    pub reads_unentered: bool,
    /// The delegate key (state office and board).
    pub reads_delegate_key: bool,
    pub reads_members: bool,
    /// The register of new members still owed a step.
    pub reads_unwelcomed: bool,
    pub imports: bool,
    /// Staff accounts, the tree, the routing table, the outbox.
    pub administers: bool,
}

impl<'a> Layout<'a> {
    pub fn of(signed_in: &'a SignedIn) -> Layout<'a> {
        let role = signed_in.account.role;
        Layout {
            account_name: &signed_in.account.display_name,
            role: texts::role(role),
            csrf: &signed_in.csrf,
            reads_applications: authz::role_may(role, Action::ReadApplications),
            registers: authz::role_may(role, Action::RegisterApplication),
            reads_reports: authz::role_may(role, Action::ReadUnitFigures),
            reads_unentered: authz::role_may(role, Action::ReadUnentered),
            reads_delegate_key: authz::role_may(role, Action::ReadDelegateKey),
            reads_members: authz::role_may(role, Action::ReadMembers),
            reads_unwelcomed: authz::role_may(role, Action::ReadUnwelcomed),
            imports: authz::role_may(role, Action::ImportMembers),
            administers: authz::role_may(role, Action::ManageUsers),
        }
    }
}
