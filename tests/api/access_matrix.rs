//! The access matrix, over HTTP: every operation of the OpenAPI document (and
//! the public routes outside it) × every role × a target held by the
//! caller's own unit and one held by another unit, plus no token and a bad
//! token, against the status the contract gives: 401 without a valid token,
//! 403 for a role that may never do this, 404 for a target outside the
//! caller's part of the tree, success otherwise.
//!
//! `TABLE` is written out by hand from the product specification ("Actors
//! and roles", "API contract (v1)") and the role table of
//! `kartei_domain::authz`; it is the check, so it must not be derived from
//! the server. An operation in the document without an entry fails the test
//! ("unclassified operation"), and so does an entry whose route is gone.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use kartei_tests::{
    ADMIN, BOARD, BRANCH_NEUSTADT, DEMO_PASSWORD, DISTRICT_DRESDEN, Db, Reply, STATE_OFFICE,
    TestApp, on_both_databases,
};
use reqwest::Method;
use serde_json::{Value, json};

use kartei_tests::members::{enter, entry, id};

on_both_databases!(
    every_operation_every_role_own_and_other_unit,
    a_refusal_comes_before_the_faults_of_the_request
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Admin,
    StateOffice,
    DistrictOffice,
    LocalBranch,
    Board,
}

use Role::{Admin, Board, DistrictOffice, LocalBranch, StateOffice};

impl Role {
    const ALL: [Role; 5] = [Admin, StateOffice, DistrictOffice, LocalBranch, Board];

    /// The demo account of this role.
    fn email(self) -> &'static str {
        match self {
            Admin => ADMIN,
            StateOffice => STATE_OFFICE,
            DistrictOffice => DISTRICT_DRESDEN,
            LocalBranch => BRANCH_NEUSTADT,
            Board => BOARD,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Admin => "admin",
            StateOffice => "state_office",
            DistrictOffice => "district_office",
            LocalBranch => "local_branch",
            Board => "board",
        }
    }

    /// Bound to a district or branch: sees that unit and what lies below it
    /// only. The state-level roles see the whole tree.
    fn bound(self) -> bool {
        matches!(self, DistrictOffice | LocalBranch)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Own,
    Other,
}

/// The units targets are held by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// The district of the district office, a target at district level.
    Dresden,
    /// The branch of the local branch account, below Dresden.
    Neustadt,
    /// Another district, outside both bound accounts' part of the tree.
    Leipzig,
}

impl Unit {
    const ALL: [Unit; 3] = [Unit::Dresden, Unit::Neustadt, Unit::Leipzig];

    fn short_code(self) -> &'static str {
        match self {
            Unit::Dresden => "DD",
            Unit::Neustadt => "DD-NEU",
            Unit::Leipzig => "L",
        }
    }

    fn district_code(self) -> &'static str {
        match self {
            Unit::Dresden | Unit::Neustadt => "DD",
            Unit::Leipzig => "L",
        }
    }

    /// A postal code the demo routing table sends to this unit.
    fn postal_code(self) -> &'static str {
        match self {
            Unit::Dresden => "01067",
            Unit::Neustadt => "01097",
            Unit::Leipzig => "04109",
        }
    }

    /// A last name of the shared records of this unit, for searching them.
    fn last_name(self) -> &'static str {
        match self {
            Unit::Dresden => "Matrixdresden",
            Unit::Neustadt => "Matrixneustadt",
            Unit::Leipzig => "Matrixleipzig",
        }
    }

    fn index(self) -> usize {
        match self {
            Unit::Dresden => 0,
            Unit::Neustadt => 1,
            Unit::Leipzig => 2,
        }
    }
}

/// The unit whose target `role` gets on `side`.
fn target(role: Option<Role>, side: Side) -> Unit {
    match (side, role) {
        (Side::Other, _) => Unit::Leipzig,
        (Side::Own, Some(LocalBranch)) => Unit::Neustadt,
        // The own unit of the state-level roles is the state, which holds
        // every district: Dresden stands for it.
        (Side::Own, _) => Unit::Dresden,
    }
}

#[derive(Debug, Clone, Copy)]
enum Caller {
    NoToken,
    BadToken,
    As(Role, Side),
}

impl Caller {
    fn all() -> Vec<Caller> {
        let mut callers = vec![Caller::NoToken, Caller::BadToken];
        for role in Role::ALL {
            callers.push(Caller::As(role, Side::Own));
            callers.push(Caller::As(role, Side::Other));
        }
        callers
    }

    fn describe(self) -> String {
        match self {
            Caller::NoToken => "without a token".into(),
            Caller::BadToken => "with a bad token".into(),
            Caller::As(role, Side::Own) => format!("as {} on own unit", role.name()),
            Caller::As(role, Side::Other) => format!("as {} on other unit", role.name()),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Who {
    /// No token needed.
    Public,
    /// A staff token of one of these roles; any other role gets 403.
    Staff(&'static [Role]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Not about one unit: the same request on both sides.
    Unscoped,
    /// Names a unit, but every allowed role may read the tree and the
    /// routing, or register for any postal code: success on both sides.
    Open,
    /// About one unit: a record it holds, the unit a create puts a record
    /// into, or the district a report is about. Outside the caller's part of
    /// the tree it does not exist (404, no probing by id).
    Held,
    /// A list, filtered to the target's unit where it takes a filter: 200
    /// on both sides, and the target's record is in it exactly when the
    /// caller may see it.
    Listing,
}

/// How to build a valid request; see `prepare`.
#[derive(Debug, Clone, Copy)]
enum Op {
    Login,
    Refresh,
    Logout,
    Me,
    ListUsers,
    CreateUser,
    GetUser,
    UpdateUser,
    ListOrgUnits,
    CreateOrgUnit,
    GetOrgUnit,
    UpdateOrgUnit,
    GetRoutingRules,
    ReplaceRoutingRules,
    ResolveRouting,
    RegisterApplication,
    ListApplications,
    GetApplication,
    ExportApplication,
    RouteApplication,
    ConfirmHandover,
    Reroute,
    RecordContact,
    Decide,
    Withdraw,
    ListMembers,
    CreateMember,
    GetMember,
    UpdateMember,
    Resign,
    MemberHistory,
    ExportMember,
    ImportMembers,
    StartTransfer,
    ListTransfers,
    GetTransfer,
    ConfirmTransfer,
    DeclineTransfer,
    EntryLag,
    EntryLagTrend,
    MemberCounts,
    DelegateKey,
    Unentered,
    RecordIntegrationStep,
    Unwelcomed,
    IntegrationReport,
    Outbox,
    AuditLog,
    Live,
    Ready,
    Metrics,
    OpenApiDocument,
    SwaggerUi,
}

struct Entry {
    method: &'static str,
    path: &'static str,
    op: Op,
    who: Who,
    reach: Reach,
    /// The status of success.
    success: u16,
    /// False for the routes served outside the OpenAPI document.
    documented: bool,
    /// Cases where the server answers otherwise than the contract, each
    /// explained where it is listed: (role, side, what the server answers).
    disagrees: &'static [(Role, Side, u16)],
}

const fn public(method: &'static str, path: &'static str, op: Op, success: u16) -> Entry {
    Entry {
        method,
        path,
        op,
        who: Who::Public,
        reach: Reach::Unscoped,
        success,
        documented: true,
        disagrees: &[],
    }
}

const fn staff(
    method: &'static str,
    path: &'static str,
    op: Op,
    roles: &'static [Role],
    reach: Reach,
    success: u16,
) -> Entry {
    Entry {
        method,
        path,
        op,
        who: Who::Staff(roles),
        reach,
        success,
        documented: true,
        disagrees: &[],
    }
}

impl Entry {
    const fn undocumented(mut self) -> Entry {
        self.documented = false;
        self
    }

    const fn disagreeing(mut self, cases: &'static [(Role, Side, u16)]) -> Entry {
        self.disagrees = cases;
        self
    }

    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

use Reach::{Held, Listing, Open, Unscoped};
use Role::{Admin as A, Board as V, DistrictOffice as D, LocalBranch as B, StateOffice as S};

/// Who may do what, where: the contract's table and "Actors and roles",
/// which `kartei_domain::authz::role_may` implements. Admin may everything;
/// the board reads aggregates only, never a person's data.
///
/// Roles: A admin, S state_office, D district_office, B local_branch,
/// V board (Vorstand).
// One line per operation reads as a matrix; rustfmt would spread each over eight.
#[rustfmt::skip]
const TABLE: &[Entry] = &[
    // Authentication needs no access token; refresh and logout need a
    // refresh token in the body, which `prepare` gets by logging in.
    public("POST", "/api/v1/auth/login", Op::Login, 200),
    public("POST", "/api/v1/auth/refresh", Op::Refresh, 200),
    public("POST", "/api/v1/auth/logout", Op::Logout, 204),
    staff("GET", "/api/v1/me", Op::Me, &[A, S, D, B, V], Unscoped, 200),
    staff("GET", "/api/v1/users", Op::ListUsers, &[A], Unscoped, 200),
    staff("POST", "/api/v1/users", Op::CreateUser, &[A], Unscoped, 201),
    staff("GET", "/api/v1/users/{id}", Op::GetUser, &[A], Unscoped, 200),
    staff("PATCH", "/api/v1/users/{id}", Op::UpdateUser, &[A], Unscoped, 200),
    staff("GET", "/api/v1/org-units", Op::ListOrgUnits, &[A, S, D, B, V], Unscoped, 200),
    staff("POST", "/api/v1/org-units", Op::CreateOrgUnit, &[A], Unscoped, 201),
    staff("GET", "/api/v1/org-units/{id}", Op::GetOrgUnit, &[A, S, D, B, V], Open, 200),
    staff("PATCH", "/api/v1/org-units/{id}", Op::UpdateOrgUnit, &[A], Unscoped, 200),
    staff("GET", "/api/v1/routing-rules", Op::GetRoutingRules, &[A], Unscoped, 200),
    staff("PUT", "/api/v1/routing-rules", Op::ReplaceRoutingRules, &[A], Unscoped, 200),
    staff("GET", "/api/v1/routing/resolve", Op::ResolveRouting, &[A, S, D, B, V], Open, 200),
    // A district office registers declarations that reached it first; the
    // postal code decides where they go, so any postal code is fine.
    staff("POST", "/api/v1/applications", Op::RegisterApplication, &[A, S, D], Open, 201),
    staff("GET", "/api/v1/applications", Op::ListApplications, &[A, S, D, B], Listing, 200),
    staff("GET", "/api/v1/applications/{id}", Op::GetApplication, &[A, S, D, B], Held, 200),
    staff("GET", "/api/v1/applications/{id}/export", Op::ExportApplication, &[A, S], Held, 200),
    // The state office reroutes by routing again; /reroute is the
    // district's way of sending an application back.
    staff("POST", "/api/v1/applications/{id}/route", Op::RouteApplication, &[A, S], Held, 200),
    staff("POST", "/api/v1/applications/{id}/handover", Op::ConfirmHandover, &[A, D], Held, 200),
    staff("POST", "/api/v1/applications/{id}/reroute", Op::Reroute, &[A, D], Held, 200),
    staff("POST", "/api/v1/applications/{id}/contact", Op::RecordContact, &[A, D, B], Held, 200),
    staff("POST", "/api/v1/applications/{id}/decision", Op::Decide, &[A, D], Held, 200),
    staff("POST", "/api/v1/applications/{id}/withdrawal", Op::Withdraw, &[A, S, D], Held, 200),
    // The branch reads its members but changes nothing.
    staff("GET", "/api/v1/members", Op::ListMembers, &[A, S, D, B], Listing, 200),
    // A district office entering a member into another district gets 422
    // (field `org_unit_id`: "is outside your part of the organisation"):
    // the 404 of the contract is for the resource a path names; a unit named
    // in the body is a field like any other, and org units are no secret to
    // staff.
    staff("POST", "/api/v1/members", Op::CreateMember, &[A, S, D], Held, 201)
        .disagreeing(&[(D, Side::Other, 422)]),
    staff("GET", "/api/v1/members/{id}", Op::GetMember, &[A, S, D, B], Held, 200),
    staff("PATCH", "/api/v1/members/{id}", Op::UpdateMember, &[A, S, D], Held, 200),
    staff("POST", "/api/v1/members/{id}/resignation", Op::Resign, &[A, S, D], Held, 200),
    staff("GET", "/api/v1/members/{id}/history", Op::MemberHistory, &[A, S, D, B], Held, 200),
    staff("GET", "/api/v1/members/{id}/export", Op::ExportMember, &[A, S], Held, 200),
    staff("POST", "/api/v1/members/import", Op::ImportMembers, &[A, S], Unscoped, 201),
    // The sending side starts a transfer, the receiving district answers.
    staff("POST", "/api/v1/members/{id}/transfers", Op::StartTransfer, &[A, S, D], Held, 201),
    // Not in the contract's table: reading a transfer is reading members,
    // on either side of it.
    staff("GET", "/api/v1/transfers", Op::ListTransfers, &[A, S, D, B], Listing, 200),
    staff("GET", "/api/v1/transfers/{id}", Op::GetTransfer, &[A, S, D, B], Held, 200),
    staff("POST", "/api/v1/transfers/{id}/confirm", Op::ConfirmTransfer, &[A, D], Held, 200),
    staff("POST", "/api/v1/transfers/{id}/decline", Op::DeclineTransfer, &[A, D], Held, 200),
    // The lag figures are aggregates, for the board too, and for a district
    // office its own district; the unentered list names people.
    staff("GET", "/api/v1/reports/entry-lag", Op::EntryLag, &[A, S, D, V], Held, 200),
    staff("GET", "/api/v1/reports/entry-lag/trend", Op::EntryLagTrend, &[A, S, D, V], Held, 200),
    staff("GET", "/api/v1/reports/members", Op::MemberCounts, &[A, S, D, V], Held, 200),
    staff("GET", "/api/v1/reports/delegates", Op::DelegateKey, &[A, S, V], Unscoped, 200),
    staff("GET", "/api/v1/reports/unentered", Op::Unentered, &[A, S, D, B], Listing, 200),
    // The welcome and the first invitation are the branch's (or, for a
    // member without one, the district's) to give and to record; the state
    // office reads who is still owed them, the board only the figures.
    staff("POST", "/api/v1/members/{id}/integration", Op::RecordIntegrationStep, &[A, D, B], Held, 200),
    staff("GET", "/api/v1/reports/unwelcomed", Op::Unwelcomed, &[A, S, D, B], Listing, 200),
    staff("GET", "/api/v1/reports/integration", Op::IntegrationReport, &[A, S, D, V], Held, 200),
    staff("GET", "/api/v1/outbox", Op::Outbox, &[A], Unscoped, 200),
    // The log names every record and account: the system owner's alone.
    staff("GET", "/api/v1/audit", Op::AuditLog, &[A], Unscoped, 200),
    // Outside the document. The contract gives /metrics to the "operator":
    // not a staff role but whoever runs the server, so the scrape carries no
    // token and is kept from the public at the network's edge.
    public("GET", "/health/live", Op::Live, 200).undocumented(),
    public("GET", "/health/ready", Op::Ready, 200).undocumented(),
    public("GET", "/metrics", Op::Metrics, 200).undocumented(),
    public("GET", "/api/v1/openapi.json", Op::OpenApiDocument, 200).undocumented(),
    public("GET", "/docs/", Op::SwaggerUi, 200).undocumented(),
];

/// The status the contract gives `caller` for `entry`.
fn expected(entry: &Entry, caller: Caller) -> u16 {
    if let Caller::As(role, side) = caller
        && let Some((_, _, status)) = entry
            .disagrees
            .iter()
            .find(|(r, s, _)| *r == role && *s == side)
    {
        return *status;
    }
    let roles = match entry.who {
        Who::Public => return entry.success,
        Who::Staff(roles) => roles,
    };
    let Caller::As(role, side) = caller else {
        return 401;
    };
    if !roles.contains(&role) {
        return 403;
    }
    if side == Side::Other && role.bound() {
        return match entry.reach {
            Held => 404,
            Unscoped | Open | Listing => entry.success,
        };
    }
    entry.success
}

/// One record of each kind per unit, shared by the operations that do not
/// change them.
struct Place {
    id: String,
    district_id: String,
    /// An open application, routed here.
    application: String,
    /// An active member held here.
    member: String,
    /// A pending transfer of a member held here to Chemnitz.
    transfer: String,
}

struct World {
    app: TestApp,
    tokens: Vec<String>,
    today: chrono::NaiveDate,
    /// A district neither bound account sees: where transfers go and come
    /// from, and where routed applications are moved to.
    chemnitz: String,
    places: Vec<Place>,
    /// An account to read and edit.
    user: String,
    /// A unit to edit.
    org_unit: String,
    /// The demo routing table, put back unchanged.
    rules: Value,
    serial: AtomicU32,
}

enum Payload {
    Empty,
    Json(Value),
    Csv(String),
}

struct Prepared {
    method: Method,
    path: String,
    payload: Payload,
    if_match: Option<i64>,
    /// For lists: the id of the target's record, listed exactly when the
    /// caller may see it.
    probe: Option<String>,
}

fn get(path: impl Into<String>) -> Prepared {
    Prepared {
        method: Method::GET,
        path: path.into(),
        payload: Payload::Empty,
        if_match: None,
        probe: None,
    }
}

fn post(path: impl Into<String>, body: Value) -> Prepared {
    Prepared {
        method: Method::POST,
        payload: Payload::Json(body),
        ..get(path)
    }
}

fn post_empty(path: impl Into<String>) -> Prepared {
    Prepared {
        method: Method::POST,
        ..get(path)
    }
}

impl Prepared {
    fn probe(mut self, id: &str) -> Prepared {
        self.probe = Some(id.to_owned());
        self
    }
}

impl World {
    async fn new(db: Db) -> World {
        let app = TestApp::spawn_demo(db).await;
        let mut tokens = Vec::new();
        for role in Role::ALL {
            tokens.push(app.token_of(role.email()).await);
        }
        let today = kartei_api::local_time::local_date(app.state.clock.now());
        let chemnitz = app.unit_id("C").await;
        let mut world = World {
            app,
            tokens,
            today,
            chemnitz,
            places: Vec::new(),
            user: String::new(),
            org_unit: String::new(),
            rules: Value::Null,
            serial: AtomicU32::new(0),
        };
        for unit in Unit::ALL {
            let place = world.place_for(unit).await;
            world.places.push(place);
        }
        let admin = world.token(Admin).to_owned();
        let user = world
            .app
            .post(
                "/api/v1/users",
                Some(&admin),
                &json!({
                    "email": "matrix@kartei.example",
                    "display_name": "Matrix",
                    "role": "board",
                    "password": "ein langes Passwort"
                }),
            )
            .await;
        assert_eq!(user.status, 201, "{}", user.text);
        world.user = id(&user.body);
        let unit = world.create_org_unit_body();
        let unit = world
            .app
            .post("/api/v1/org-units", Some(&admin), &unit)
            .await;
        assert_eq!(unit.status, 201, "{}", unit.text);
        world.org_unit = id(&unit.body);
        let rules = world.app.get("/api/v1/routing-rules", &admin).await;
        assert_eq!(rules.status, 200, "{}", rules.text);
        world.rules = rules.body;
        world
    }

    async fn place_for(&self, unit: Unit) -> Place {
        let id_of_unit = self.app.unit_id(unit.short_code()).await;
        let district_id = self.app.unit_id(unit.district_code()).await;
        let application = self
            .app
            .register(
                self.token(StateOffice),
                json!({
                    "postal_code": unit.postal_code(),
                    "email": null,
                    "last_name": unit.last_name()
                }),
            )
            .await;
        // Every expectation rests on where the demo routes these codes.
        assert_eq!(application["district_id"], district_id.as_str(), "{unit:?}");
        let local = (unit == Unit::Neustadt).then_some(id_of_unit.as_str());
        assert_eq!(application["local_id"], json!(local), "{unit:?}");
        let member = enter(
            &self.app,
            self.token(StateOffice),
            &id_of_unit,
            json!({ "last_name": unit.last_name() }),
        )
        .await;
        let moving = self.member_in(&id_of_unit).await;
        let transfer = self.transfer(&moving, &self.chemnitz).await;
        Place {
            id: id_of_unit,
            district_id,
            application: id(&application),
            member: id(&member),
            transfer,
        }
    }

    fn token(&self, role: Role) -> &str {
        let index = Role::ALL
            .iter()
            .position(|r| *r == role)
            .expect("a role of ALL");
        &self.tokens[index]
    }

    fn place(&self, unit: Unit) -> &Place {
        &self.places[unit.index()]
    }

    fn next(&self) -> u32 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    fn create_org_unit_body(&self) -> Value {
        let n = self.next();
        json!({
            "name": format!("Ortsverband Matrix {n}"),
            "kind": "local",
            "parent_id": self.chemnitz,
            "short_code": format!("MX-{n}")
        })
    }

    /// A new application routed to `unit`, waiting for its hand-over.
    async fn routed(&self, unit: Unit) -> String {
        let body = self
            .app
            .register(
                self.token(StateOffice),
                json!({ "postal_code": unit.postal_code(), "email": null, "last_name": "Matrix" }),
            )
            .await;
        assert_eq!(body["status"], "routed", "{body}");
        id(&body)
    }

    /// A new application of `unit`, handed over, waiting for first contact.
    async fn handed_over(&self, unit: Unit) -> String {
        let application = self.routed(unit).await;
        let reply = self
            .app
            .transition(self.token(Admin), &application, "handover", json!({}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        application
    }

    /// A new active member held by the unit with id `unit`.
    async fn member_in(&self, unit: &str) -> String {
        let member = enter(
            &self.app,
            self.token(StateOffice),
            unit,
            json!({ "last_name": "Matrix" }),
        )
        .await;
        id(&member)
    }

    /// A pending transfer of `member` to the unit with id `to`.
    async fn transfer(&self, member: &str, to: &str) -> String {
        let reply = self
            .app
            .post(
                &format!("/api/v1/members/{member}/transfers"),
                Some(self.token(StateOffice)),
                &json!({
                    "to_org_unit_id": to,
                    "effective_on": (self.today + chrono::Duration::days(7)).to_string(),
                    "keep_home_ties": false
                }),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        id(&reply.body)
    }

    /// The current version of the resource at `path`, read by the admin.
    async fn version_of(&self, path: &str) -> i64 {
        let reply = self.app.get(path, self.token(Admin)).await;
        reply.body["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("version of {path}: {}", reply.text))
    }

    /// A fresh refresh token.
    async fn refresh_token(&self) -> String {
        let reply = self.app.login_reply(BOARD, DEMO_PASSWORD).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned()
    }

    /// A valid request of `op` for `caller`. Operations that change their
    /// target get a new target each time, every case included: each meets
    /// the state the operation needs, so success is asserted exactly (200,
    /// 201 or 204) and never blurred by a 409 that an earlier case left.
    async fn prepare(&self, op: Op, caller: Caller) -> Prepared {
        let (role, side) = match caller {
            Caller::As(role, side) => (Some(role), side),
            Caller::NoToken | Caller::BadToken => (None, Side::Own),
        };
        let unit = target(role, side);
        let place = self.place(unit);
        let today = self.today.to_string();
        let n = self.next();
        match op {
            Op::Login => post(
                "/api/v1/auth/login",
                json!({ "email": role.map_or(ADMIN, Role::email), "password": DEMO_PASSWORD }),
            ),
            Op::Refresh => post(
                "/api/v1/auth/refresh",
                json!({ "refresh_token": self.refresh_token().await }),
            ),
            Op::Logout => post(
                "/api/v1/auth/logout",
                json!({ "refresh_token": self.refresh_token().await }),
            ),
            Op::Me => get("/api/v1/me"),
            Op::ListUsers => get("/api/v1/users"),
            Op::CreateUser => post(
                "/api/v1/users",
                json!({
                    "email": format!("matrix-{n}@kartei.example"),
                    "display_name": "Matrix",
                    "role": "board",
                    "password": "ein langes Passwort"
                }),
            ),
            Op::GetUser => get(format!("/api/v1/users/{}", self.user)),
            Op::UpdateUser => {
                let path = format!("/api/v1/users/{}", self.user);
                Prepared {
                    method: Method::PATCH,
                    if_match: Some(self.version_of(&path).await),
                    payload: Payload::Json(json!({ "display_name": format!("Matrix {n}") })),
                    ..get(path)
                }
            }
            Op::ListOrgUnits => get("/api/v1/org-units"),
            Op::CreateOrgUnit => post("/api/v1/org-units", self.create_org_unit_body()),
            Op::GetOrgUnit => get(format!("/api/v1/org-units/{}", place.id)),
            Op::UpdateOrgUnit => {
                let path = format!("/api/v1/org-units/{}", self.org_unit);
                Prepared {
                    method: Method::PATCH,
                    if_match: Some(self.version_of(&path).await),
                    payload: Payload::Json(json!({ "name": format!("Ortsverband Matrix {n}") })),
                    ..get(path)
                }
            }
            Op::GetRoutingRules => get("/api/v1/routing-rules"),
            Op::ReplaceRoutingRules => Prepared {
                method: Method::PUT,
                payload: Payload::Json(self.rules.clone()),
                ..get("/api/v1/routing-rules")
            },
            Op::ResolveRouting => get(format!(
                "/api/v1/routing/resolve?postal_code={}",
                unit.postal_code()
            )),
            Op::RegisterApplication => post(
                "/api/v1/applications",
                self.app.declaration(json!({
                    "postal_code": unit.postal_code(),
                    "email": null,
                    "last_name": "Matrix"
                })),
            ),
            Op::ListApplications => get(format!(
                "/api/v1/applications?org_unit_id={}&q={}",
                place.id,
                unit.last_name()
            ))
            .probe(&place.application),
            Op::GetApplication => get(format!("/api/v1/applications/{}", place.application)),
            Op::ExportApplication => {
                get(format!("/api/v1/applications/{}/export", place.application))
            }
            Op::RouteApplication => {
                let application = self.routed(unit).await;
                post(
                    format!("/api/v1/applications/{application}/route"),
                    json!({ "org_unit_id": self.chemnitz }),
                )
            }
            Op::ConfirmHandover => {
                let application = self.routed(unit).await;
                post_empty(format!("/api/v1/applications/{application}/handover"))
            }
            Op::Reroute => {
                let application = self.routed(unit).await;
                post(
                    format!("/api/v1/applications/{application}/reroute"),
                    json!({ "reason": "Wohnt in einem anderen Kreis" }),
                )
            }
            Op::RecordContact => {
                let application = self.handed_over(unit).await;
                post(
                    format!("/api/v1/applications/{application}/contact"),
                    json!({ "contacted_on": today, "channel": "phone" }),
                )
            }
            Op::Decide => {
                let application = self.handed_over(unit).await;
                post(
                    format!("/api/v1/applications/{application}/decision"),
                    json!({
                        "decision": "rejected",
                        "decided_on": today,
                        "reason": "Matrix",
                        "contact": { "contacted_on": today, "channel": "phone" }
                    }),
                )
            }
            Op::Withdraw => {
                let application = self.routed(unit).await;
                post(
                    format!("/api/v1/applications/{application}/withdrawal"),
                    json!({ "withdrawn_on": today }),
                )
            }
            Op::ListMembers => get(format!(
                "/api/v1/members?org_unit_id={}&q={}",
                place.id,
                unit.last_name()
            ))
            .probe(&place.member),
            Op::CreateMember => post(
                "/api/v1/members",
                entry(&self.app, &place.id, json!({ "last_name": "Matrix" })),
            ),
            Op::GetMember => get(format!("/api/v1/members/{}", place.member)),
            Op::UpdateMember => {
                let path = format!("/api/v1/members/{}", place.member);
                Prepared {
                    method: Method::PATCH,
                    if_match: Some(self.version_of(&path).await),
                    payload: Payload::Json(json!({ "street": format!("Matrixweg {n}") })),
                    ..get(path)
                }
            }
            Op::Resign => {
                let member = self.member_in(&place.id).await;
                post(
                    format!("/api/v1/members/{member}/resignation"),
                    json!({ "effective_on": today }),
                )
            }
            Op::MemberHistory => get(format!("/api/v1/members/{}/history", place.member)),
            Op::ExportMember => get(format!("/api/v1/members/{}/export", place.member)),
            Op::ImportMembers => Prepared {
                method: Method::POST,
                payload: Payload::Csv(format!(
                    "first_name;last_name;date_of_birth;street;postal_code;city;org_unit;received_on;joined_on\r\n\
                     Ida;Matrix;1985-01-01;Weg {n};{};Ort;{};2020-01-01;2020-02-01\r\n",
                    unit.postal_code(),
                    unit.short_code()
                )),
                ..get("/api/v1/members/import")
            },
            Op::StartTransfer => {
                let member = self.member_in(&place.id).await;
                post(
                    format!("/api/v1/members/{member}/transfers"),
                    json!({
                        "to_org_unit_id": self.chemnitz,
                        "effective_on": (self.today + chrono::Duration::days(7)).to_string(),
                        "keep_home_ties": false
                    }),
                )
            }
            Op::ListTransfers => get("/api/v1/transfers?limit=200").probe(&place.transfer),
            Op::GetTransfer => get(format!("/api/v1/transfers/{}", place.transfer)),
            // The target of an answer is the receiving side: a transfer from
            // Chemnitz to the unit.
            Op::ConfirmTransfer => {
                let member = self.member_in(&self.chemnitz).await;
                let transfer = self.transfer(&member, &place.id).await;
                post_empty(format!("/api/v1/transfers/{transfer}/confirm"))
            }
            Op::DeclineTransfer => {
                let member = self.member_in(&self.chemnitz).await;
                let transfer = self.transfer(&member, &place.id).await;
                post(
                    format!("/api/v1/transfers/{transfer}/decline"),
                    json!({ "reason": "Kein Wohnsitz im Kreis" }),
                )
            }
            // The lag reports take a district and break it down by branch.
            Op::EntryLag => get(format!(
                "/api/v1/reports/entry-lag?org_unit_id={}",
                place.district_id
            )),
            Op::EntryLagTrend => get(format!(
                "/api/v1/reports/entry-lag/trend?org_unit_id={}",
                place.district_id
            )),
            Op::MemberCounts => get(format!(
                "/api/v1/reports/members?org_unit_id={}",
                place.district_id
            )),
            Op::DelegateKey => get("/api/v1/reports/delegates?seats=0&method=dhondt"),
            Op::Unentered => get(format!(
                "/api/v1/reports/unentered?org_unit_id={}&limit=200",
                place.id
            ))
            .probe(&place.application),
            // A new member each time, owing its welcome.
            Op::RecordIntegrationStep => {
                let member = self.member_in(&place.id).await;
                post(
                    format!("/api/v1/members/{member}/integration"),
                    json!({ "step": "welcome", "done_on": today, "channel": "phone" }),
                )
            }
            Op::Unwelcomed => get(format!(
                "/api/v1/reports/unwelcomed?org_unit_id={}&limit=200",
                place.id
            ))
            .probe(&place.member),
            Op::IntegrationReport => get(format!(
                "/api/v1/reports/integration?org_unit_id={}",
                place.district_id
            )),
            Op::Outbox => get("/api/v1/outbox?status=failed"),
            Op::AuditLog => get("/api/v1/audit?action=export"),
            Op::Live => get("/health/live"),
            Op::Ready => get("/health/ready"),
            Op::Metrics => get("/metrics"),
            Op::OpenApiDocument => get("/api/v1/openapi.json"),
            Op::SwaggerUi => get("/docs/"),
        }
    }

    async fn send(&self, prepared: Prepared, caller: Caller) -> Reply {
        let token = match caller {
            Caller::NoToken => None,
            Caller::BadToken => Some("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"),
            Caller::As(role, _) => Some(self.token(role)),
        };
        let mut request = self.app.request(prepared.method, &prepared.path, token);
        if let Some(version) = prepared.if_match {
            request = request.header("if-match", format!("\"{version}\""));
        }
        request = match prepared.payload {
            Payload::Empty => request,
            Payload::Json(body) => request.json(&body),
            Payload::Csv(text) => request.header("content-type", "text/csv").body(text),
        };
        self.app.send(request).await
    }
}

/// What the OpenAPI document says of one operation.
struct Documented {
    /// It asks for a bearer token.
    secured: bool,
    /// The statuses of its documented responses.
    statuses: BTreeSet<String>,
    /// A query that breaks its page parameters (`?limit=`, `?cursor=`),
    /// for a list.
    bad_page: Option<&'static str>,
}

/// Operations of the OpenAPI document by (METHOD, path).
async fn documented_operations(app: &TestApp) -> BTreeMap<(String, String), Documented> {
    let doc = app
        .send(app.request(Method::GET, "/api/v1/openapi.json", None))
        .await;
    assert_eq!(doc.status, 200, "{}", doc.text);
    let paths = doc.body["paths"]
        .as_object()
        .expect("paths in the document");
    let mut operations = BTreeMap::new();
    for (path, item) in paths {
        let item = item.as_object().expect("a path item");
        for (method, operation) in item {
            if !matches!(
                method.as_str(),
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
            ) {
                continue;
            }
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            let statuses = operation["responses"]
                .as_object()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            let takes = |name: &str| {
                operation["parameters"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p["name"] == name))
            };
            let bad_page = match (takes("limit"), takes("cursor")) {
                (true, true) => Some("limit=0&cursor=nonsense"),
                (true, false) => Some("limit=0"),
                _ => None,
            };
            operations.insert(
                (method.to_uppercase(), path.clone()),
                Documented {
                    secured,
                    statuses,
                    bad_page,
                },
            );
        }
    }
    operations
}

/// Every operation has exactly one entry, and the table agrees with the
/// document on which operations need a token, which answer 403 to a role
/// that may never call them, and which answer 404 for a target outside the
/// caller's part of the tree.
fn check_classification(documented: &BTreeMap<(String, String), Documented>) {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in TABLE {
        if !seen.insert((entry.method, entry.path)) {
            problems.push(format!("classified twice: {}", entry.name()));
        }
    }
    for (
        (method, path),
        Documented {
            secured, statuses, ..
        },
    ) in documented
    {
        let Some(entry) = TABLE.iter().find(|e| e.method == method && e.path == path) else {
            problems.push(format!("unclassified operation: {method} {path}"));
            continue;
        };
        if !entry.documented {
            problems.push(format!(
                "{} is in the document now: drop `.undocumented()`",
                entry.name()
            ));
        }
        let staff_only = matches!(entry.who, Who::Staff(_));
        if *secured != staff_only {
            problems.push(format!(
                "{}: the document says a token is {}needed, the table says {}",
                entry.name(),
                if *secured { "" } else { "not " },
                if staff_only { "staff only" } else { "public" }
            ));
        }
        let refuses_a_role =
            matches!(entry.who, Who::Staff(roles) if roles.len() < Role::ALL.len());
        if statuses.contains("403") != refuses_a_role {
            problems.push(format!(
                "{}: the document {} 403, the table says {}",
                entry.name(),
                if statuses.contains("403") {
                    "lists"
                } else {
                    "lacks"
                },
                if refuses_a_role {
                    "some role is refused"
                } else {
                    "every role may"
                }
            ));
        }
        if entry.reach == Held && !statuses.contains("404") {
            problems.push(format!(
                "{}: the document lacks 404 for a target outside the caller's scope",
                entry.name()
            ));
        }
    }
    for entry in TABLE.iter().filter(|e| e.documented) {
        if !documented.contains_key(&(entry.method.to_owned(), entry.path.to_owned())) {
            problems.push(format!(
                "classified, but not in the document: {}",
                entry.name()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the access table does not match the OpenAPI document:\n{}",
        problems.join("\n")
    );
}

/// What is wrong with `reply`, if anything.
fn check(entry: &Entry, caller: Caller, probe: Option<&str>, reply: &Reply) -> Option<String> {
    let want = expected(entry, caller);
    let got = reply.status.as_u16();
    let case = format!("{} {}", entry.name(), caller.describe());
    if got != want {
        let body: String = reply.text.chars().take(300).collect();
        return Some(format!("{case}: expected {want}, got {got}: {body}"));
    }
    if want >= 400 && reply.content_type() != "application/problem+json" {
        return Some(format!(
            "{case}: {got} without a problem document ({})",
            reply.content_type()
        ));
    }
    if let (Some(probe), Caller::As(role, side)) = (probe, caller)
        && (200..300).contains(&want)
    {
        let sees = !(role.bound() && side == Side::Other);
        if reply.text.contains(probe) != sees {
            return Some(format!(
                "{case}: the target's record is {}listed",
                if sees { "not " } else { "" }
            ));
        }
    }
    None
}

async fn every_operation_every_role_own_and_other_unit(db: Db) {
    let started = Instant::now();
    let world = World::new(db).await;
    check_classification(&documented_operations(&world.app).await);

    let mut failures = Vec::new();
    let mut cases = 0;
    for entry in TABLE {
        for caller in Caller::all() {
            let prepared = world.prepare(entry.op, caller).await;
            let probe = prepared.probe.clone();
            let reply = world.send(prepared, caller).await;
            failures.extend(check(entry, caller, probe.as_deref(), &reply));
            cases += 1;
        }
    }
    eprintln!(
        "access matrix on {db:?}: {} operations, {cases} cases in {:.1?}",
        TABLE.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ from the contract:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A caller who may not call an operation, or not on this target, learns
/// that (403, 404) before anything about the request itself: not that its
/// page size or cursor is bad (422), nor that its edit lacks the version
/// (428). Sent to every list with `?limit=0` (and `&cursor=nonsense` where
/// it takes one) and to every edit without `If-Match`.
async fn a_refusal_comes_before_the_faults_of_the_request(db: Db) {
    let world = World::new(db).await;
    let documented = documented_operations(&world.app).await;
    let mut failures = Vec::new();
    let (mut lists, mut edits) = (0, 0);
    for entry in TABLE {
        let bad_page = documented
            .get(&(entry.method.to_owned(), entry.path.to_owned()))
            .and_then(|d| d.bad_page);
        for caller in Caller::all() {
            let refused = matches!(expected(entry, caller), 401 | 403 | 404);
            let mut prepared = world.prepare(entry.op, caller).await;
            let fault = if let Some(bad_page) = bad_page {
                prepared.path = with_query(&prepared.path, bad_page);
                lists += 1;
                422
            } else if prepared.if_match.take().is_some() {
                edits += 1;
                428
            } else {
                continue;
            };
            let want = if refused {
                expected(entry, caller)
            } else {
                fault
            };
            let reply = world.send(prepared, caller).await;
            // The page's own check, not the query's parser, refuses it.
            let checked = want != 422 || reply.error_fields().contains(&"limit".to_owned());
            if reply.status.as_u16() != want || !checked {
                let body: String = reply.text.chars().take(300).collect();
                failures.push(format!(
                    "{} {}: expected {want}, got {}: {body}",
                    entry.name(),
                    caller.describe(),
                    reply.status
                ));
            }
        }
    }
    assert!(lists > 0 && edits > 0, "lists {lists}, edits {edits}");
    assert!(
        failures.is_empty(),
        "{} cases answer a fault of the request before the refusal:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `path` with its page parameters replaced by `page`.
fn with_query(path: &str, page: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let kept = query.split('&').filter(|pair| {
        !pair.is_empty() && !pair.starts_with("limit=") && !pair.starts_with("cursor=")
    });
    let query: Vec<&str> = kept.chain(std::iter::once(page)).collect();
    format!("{base}?{}", query.join("&"))
}
