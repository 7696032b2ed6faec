//! Synthetic data for benchmarks and load tests (`kartei generate`): the
//! demo organisation with N members and M applications spread over years,
//! districts and stages. Deterministic for a seed, so that two runs measure
//! the same database.
//!
//! The shape follows what a state office sees: declarations arrive evenly
//! over the years, each district works at its own pace (some twice as slow
//! as others), most declarations end admitted, some rejected or withdrawn,
//! and the recent ones are still open in every stage. Members that did not
//! come through an application are older imports, plus a few direct
//! entries. One member in 25 moves to another district once; the admitted
//! and directly entered ones owe the integration steps, done late where
//! their district is slow.

use std::time::Instant;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use kartei_domain::application::{Applicant, ContactChannel, Status};
use kartei_domain::member::{EntrySource, MemberStatus, TransferStatus};
use kartei_domain::{EmailAddress, OrgUnitKind, PostalCode, Role};
use kartei_persistence::members::{self, NewMember};
use kartei_persistence::synthetic::{self, HistoricApplication, HistoricMember, HistoricStep};
use kartei_persistence::transfers::Transfer;
use kartei_persistence::{Tx, org_units, routing, unit_of_work, users};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::{App, AppError, AppResult, local_time, seed};

pub const FIRST_NAMES: [&str; 16] = [
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Karla",
    "Lukas", "Mia", "Noah", "Olga", "Paul",
];

pub const LAST_NAMES: [&str; 40] = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
];

/// Appended to last names so that prefixes spread like real ones.
pub const NAME_SUFFIXES: [&str; 12] = [
    "",
    "",
    "",
    "",
    "-Lüdenscheidt",
    "-Berg",
    "-Özdemir",
    "ow",
    "er",
    "-Nowak",
    "-Kowalski",
    "t",
];

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub members: u64,
    pub applications: u64,
    /// Applications are received over this many years up to today.
    pub years: u32,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Generated {
    pub members: u64,
    pub applications: u64,
    pub open_applications: u64,
    pub transfers: u64,
    pub seconds: f64,
}

/// Rows built and written per transaction.
const BATCH: u64 = 10_000;

/// A postal code and the units it routes to.
#[derive(Debug, Clone)]
struct Place {
    postal_code: PostalCode,
    district: usize,
    local_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
struct District {
    id: Uuid,
    name: String,
    /// Multiplies every waiting time of this district.
    pace: f64,
}

struct World {
    today: NaiveDate,
    /// The integration steps a new member owes, with their levels.
    steps: Vec<(String, u32)>,
    districts: Vec<District>,
    places: Vec<Place>,
    registered_by: Uuid,
}

/// Days to wait, exponentially distributed with `mean` days.
fn wait(rng: &mut StdRng, mean: f64) -> u64 {
    let u: f64 = rng.random();
    // Truncation to whole days is the point.
    (-mean * (1.0 - u).ln()).floor().clamp(0.0, 3650.0) as u64
}

fn later(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_add_days(Days::new(days)).unwrap_or(day)
}

fn earlier(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(days)).unwrap_or(day)
}

/// An office hour on `day`, as the instant a step was recorded.
fn during_office_hours(rng: &mut StdRng, day: NaiveDate) -> DateTime<Utc> {
    local_time::start_of_day(day) + TimeDelta::minutes(rng.random_range(8 * 60..17 * 60))
}

fn person(rng: &mut StdRng, n: u64, place: &Place, city: &str) -> Applicant {
    let pick = |rng: &mut StdRng, from: &[&'static str]| from[rng.random_range(0..from.len())];
    let last_name = format!("{}{}", pick(rng, &LAST_NAMES), pick(rng, &NAME_SUFFIXES));
    let born = NaiveDate::from_ymd_opt(
        rng.random_range(1940..2008),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
    )
    .unwrap_or_default();
    Applicant {
        first_name: pick(rng, &FIRST_NAMES).to_owned(),
        last_name,
        date_of_birth: born,
        email: rng
            .random_bool(0.7)
            .then(|| EmailAddress::parse(&format!("person{n}@example.org")).ok())
            .flatten(),
        phone: None,
        street: format!("Hauptstraße {}", 1 + n % 180),
        postal_code: place.postal_code.clone(),
        city: city.to_owned(),
        interests: Vec::new(),
    }
}

async fn world(app: &App) -> AppResult<World> {
    seed::seed_demo(app).await?;
    let units = org_units::all(&app.db).await?;
    let mut rng = StdRng::seed_from_u64(7);
    let districts: Vec<District> = units
        .iter()
        .filter(|u| u.kind == OrgUnitKind::District)
        .map(|u| District {
            id: u.id,
            name: u.name.clone(),
            pace: rng.random_range(0.6..1.8),
        })
        .collect();
    let district_of = |unit: Uuid| -> Option<(usize, Option<Uuid>)> {
        let found = units.iter().find(|u| u.id == unit)?;
        let (district, local) = match found.kind {
            OrgUnitKind::Local => (found.parent_id?, Some(found.id)),
            _ => (found.id, None),
        };
        Some((districts.iter().position(|d| d.id == district)?, local))
    };
    let places: Vec<Place> = routing::all(&app.db)
        .await?
        .into_iter()
        .filter_map(|rule| {
            let (district, local_id) = district_of(rule.org_unit_id)?;
            Some(Place {
                postal_code: rule.postal_code,
                district,
                local_id,
            })
        })
        .collect();
    if places.is_empty() {
        return Err(AppError::internal(anyhow::anyhow!(
            "the routing table is empty"
        )));
    }
    let accounts = users::list(&app.db, None, 200).await?.items;
    let registered_by = accounts
        .iter()
        .find(|a| a.role == Role::StateOffice)
        .or(accounts.first())
        .map_or(Uuid::nil(), |a| a.id);
    let steps = app
        .settings
        .integration
        .plan()
        .steps()
        .iter()
        .map(|step| (step.name.as_str().to_owned(), step.level_days))
        .collect();
    Ok(World {
        today: app.today(),
        steps,
        districts,
        places,
        registered_by,
    })
}

/// One application and, if it was admitted by today, its member.
fn application(
    rng: &mut StdRng,
    world: &World,
    plan: &Plan,
    n: u64,
) -> (HistoricApplication, Option<HistoricMember>) {
    let today = world.today;
    let place = &world.places[rng.random_range(0..world.places.len())];
    let district = &world.districts[place.district];
    let pace = district.pace;
    // Oldest first, a few days of jitter: a real table fills in the order
    // declarations arrive, and where rows lie on disk follows from it.
    let span = u64::from(plan.years) * 365;
    let back = span - span * n.min(plan.applications) / plan.applications.max(1);
    let received_on = earlier(today, (back + rng.random_range(0..3)).min(span));
    let registered_on = later(received_on, wait(rng, 1.5 * pace)).min(today);
    // One in a hundred lands in the manual queue first.
    let manual = rng.random_bool(0.01);
    let routed_on = if manual {
        later(registered_on, 1 + wait(rng, 2.0))
    } else {
        registered_on
    };
    let handed_over_on = later(routed_on, wait(rng, 2.0 * pace));
    let contacted_on = later(handed_over_on, wait(rng, 6.0 * pace));
    let decided_on = later(contacted_on, wait(rng, 5.0 * pace));
    let roll: f64 = rng.random();
    let withdrawn_on = (roll >= 0.9).then(|| {
        let span = (decided_on - received_on).num_days().max(1);
        later(
            received_on,
            rng.random_range(0..u64::try_from(span).unwrap_or(1)),
        )
    });
    let rejected = (0.85..0.9).contains(&roll);

    // What has happened by today (and before a withdrawal).
    let until = withdrawn_on.map_or(today, |w| w.min(today));
    let step = |rng: &mut StdRng, day: NaiveDate| {
        (day <= until).then(|| (during_office_hours(rng, day), day))
    };
    let registered_at = during_office_hours(rng, registered_on);
    let routed = step(rng, routed_on);
    let handed_over = routed.and_then(|_| step(rng, handed_over_on));
    let contacted = handed_over.and_then(|_| step(rng, contacted_on));
    let decided = contacted
        .filter(|_| withdrawn_on.is_none())
        .and_then(|_| step(rng, decided_on));
    let withdrawn = withdrawn_on.filter(|w| *w <= today);
    let status = match (withdrawn, decided, contacted, handed_over, routed) {
        (Some(_), ..) => Status::Withdrawn,
        (_, Some(_), ..) if rejected => Status::Rejected,
        (_, Some(_), ..) => Status::Admitted,
        (_, _, Some(_), ..) => Status::Contacted,
        (_, _, _, Some(_), _) => Status::HandedOver,
        (.., Some(_)) => Status::Routed,
        _ if manual => Status::Unroutable,
        _ => Status::Received,
    };
    let last_step = [decided, contacted, handed_over, routed]
        .into_iter()
        .flatten()
        .next()
        .map_or(registered_at, |(at, _)| at);
    let closed_at = match status {
        Status::Withdrawn => withdrawn.map(|w| during_office_hours(rng, w)),
        Status::Admitted | Status::Rejected => decided.map(|(at, _)| at),
        _ => None,
    };
    let id = Uuid::now_v7();
    let applicant = person(rng, n, place, &district.name);
    let member = match (status, decided) {
        (Status::Admitted, Some((at, on))) => Some(historic_member(
            rng,
            today,
            NewMember {
                id: Uuid::now_v7(),
                membership_number: String::new(),
                person: applicant.clone(),
                district_id: district.id,
                local_id: place.local_id,
                received_on,
                joined_on: on,
                application_id: Some(id),
                consents: Default::default(),
                source: EntrySource::Application,
            },
            at,
        )),
        _ => None,
    };
    let application = HistoricApplication {
        id,
        received_on,
        channel: ["paper", "email", "online", "event"][rng.random_range(0..4)].to_owned(),
        applicant,
        status,
        district_id: routed.map(|_| district.id),
        local_id: routed.and(place.local_id),
        registered_by: world.registered_by,
        registered_at,
        registered_on,
        routed,
        handed_over,
        contacted,
        decided,
        withdrawn_on: withdrawn,
        stage_started_at: closed_at.unwrap_or(last_step),
        closed_at,
        member_id: member.as_ref().map(|m| m.new.id),
    };
    (application, member)
}

/// A member entered at `entered_at`; one in twelve has left since.
fn historic_member(
    rng: &mut StdRng,
    today: NaiveDate,
    new: NewMember,
    entered_at: DateTime<Utc>,
) -> HistoricMember {
    let entered_on = local_time::local_date(entered_at);
    let left_on = rng.random_bool(1.0 / 12.0).then(|| {
        let span = u64::try_from((today - new.joined_on).num_days().max(1)).unwrap_or(1);
        later(new.joined_on, rng.random_range(0..span)).min(today)
    });
    HistoricMember {
        new,
        entered_at,
        entered_on,
        status: if left_on.is_some() {
            MemberStatus::Left
        } else {
            MemberStatus::Active
        },
        left_on,
    }
}

/// A member who did not come through an application: mostly the import of
/// the lists kept before kartei, a few entered directly with a lag.
fn other_member(rng: &mut StdRng, world: &World, plan: &Plan, n: u64) -> HistoricMember {
    let today = world.today;
    let place = &world.places[rng.random_range(0..world.places.len())];
    let district = &world.districts[place.district];
    let kartei_start = earlier(today, u64::from(plan.years) * 365);
    let direct = rng.random_bool(0.03);
    let (received_on, entered_on, source) = if direct {
        let received = earlier(today, rng.random_range(0..u64::from(plan.years) * 365));
        let entered = later(received, wait(rng, 12.0 * district.pace)).min(today);
        (received, entered, EntrySource::DirectEntry)
    } else {
        let received = earlier(kartei_start, rng.random_range(0..30 * 365));
        (received, kartei_start, EntrySource::Import)
    };
    let new = NewMember {
        id: Uuid::now_v7(),
        membership_number: String::new(),
        person: person(rng, n, place, &district.name),
        district_id: district.id,
        local_id: place.local_id,
        received_on,
        joined_on: later(received_on, 14).min(entered_on),
        application_id: None,
        consents: Default::default(),
        source,
    };
    let entered_at = during_office_hours(rng, entered_on);
    historic_member(rng, today, new, entered_at)
}

/// One member in 25 moves to another district once: mostly confirmed
/// (the member is written where it went), some declined, a few still
/// waiting for an answer when they were asked for lately.
fn transfer_of(rng: &mut StdRng, world: &World, member: &mut HistoricMember) -> Option<Transfer> {
    if !rng.random_bool(1.0 / 25.0) {
        return None;
    }
    let new = &mut member.new;
    let until = member.left_on.unwrap_or(world.today);
    let span = u64::try_from((until - new.joined_on).num_days()).ok()?;
    let effective_on = later(new.joined_on, rng.random_range(0..span.max(1)));
    let to = &world.places[rng.random_range(0..world.places.len())];
    let to_district = world.districts[to.district].id;
    if to_district == new.district_id {
        return None;
    }
    let notice = wait(rng, 10.0);
    let requested_at = during_office_hours(rng, earlier(effective_on, notice));
    let answered_on = later(local_time::local_date(requested_at), wait(rng, 5.0));
    let roll: f64 = rng.random();
    let status =
        if member.left_on.is_none() && (world.today - effective_on).num_days() < 30 && roll < 0.3 {
            TransferStatus::Pending
        } else if roll > 0.92 {
            TransferStatus::Declined
        } else {
            TransferStatus::Confirmed
        };
    let answered = (status != TransferStatus::Pending)
        .then(|| during_office_hours(rng, answered_on.min(world.today)));
    let transfer = Transfer {
        id: Uuid::now_v7(),
        member_id: new.id,
        from_district_id: new.district_id,
        from_local_id: new.local_id,
        to_district_id: to_district,
        to_local_id: to.local_id,
        effective_on,
        keep_home_ties: false,
        status,
        reason: (status == TransferStatus::Declined).then(|| "Kein Wohnsitz im Kreis".to_owned()),
        requested_by: world.registered_by,
        requested_at,
        answered_by: answered.map(|_| world.registered_by),
        answered_at: answered,
    };
    if status == TransferStatus::Confirmed {
        new.district_id = to_district;
        new.local_id = to.local_id;
    }
    Some(transfer)
}

/// The integration steps of a member admitted or entered directly, from
/// the day it was entered: most done, late where its district is slow,
/// the recent ones still open.
fn integration_steps(
    rng: &mut StdRng,
    world: &World,
    member: &HistoricMember,
) -> Vec<HistoricStep> {
    if member.new.source == EntrySource::Import {
        return Vec::new();
    }
    let pace = world
        .districts
        .iter()
        .find(|d| d.id == member.new.district_id)
        .map_or(1.0, |d| d.pace);
    world
        .steps
        .iter()
        .map(|(name, level)| {
            let done_on = later(member.entered_on, wait(rng, f64::from(*level) * 0.6 * pace));
            let done = (done_on <= world.today && member.left_on.is_none_or(|left| done_on < left))
                .then(|| {
                    let channels = ContactChannel::NAMES;
                    let channel = channels[rng.random_range(0..channels.len())];
                    (
                        done_on,
                        channel.to_owned(),
                        world.registered_by,
                        during_office_hours(rng, done_on),
                    )
                });
            HistoricStep {
                member_id: member.new.id,
                step: name.clone(),
                started_on: member.entered_on,
                done,
            }
        })
        .collect()
}

/// Writes one batch in one transaction, numbering its members, moving
/// some of them and opening the steps the new ones owe.
async fn write(
    app: &App,
    world: &World,
    rng: &mut StdRng,
    applications: Vec<HistoricApplication>,
    mut members: Vec<HistoricMember>,
) -> AppResult<u64> {
    let transfers: Vec<Transfer> = members
        .iter_mut()
        .filter_map(|member| transfer_of(rng, world, member))
        .collect();
    let steps: Vec<HistoricStep> = members
        .iter()
        .flat_map(|member| integration_steps(rng, world, member))
        .collect();
    let count = u64::try_from(members.len()).map_err(AppError::internal)?;
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        if count > 0 {
            let first = members::reserve_membership_numbers(txn, count).await?;
            for (offset, member) in (0_i64..).zip(members.iter_mut()) {
                member.new.membership_number = (first + offset).to_string();
            }
        }
        synthetic::insert_applications(txn, applications).await?;
        synthetic::insert_members(txn, members).await?;
        synthetic::insert_transfers(txn, &transfers).await?;
        synthetic::insert_integration_steps(txn, steps).await?;
        Ok(())
    })
    .await?;
    u64::try_from(transfers.len()).map_err(AppError::internal)
}

/// Fills the database after `plan`, printing progress to standard error.
pub async fn generate(app: &App, plan: &Plan) -> AppResult<Generated> {
    let started = Instant::now();
    let world = world(app).await?;
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut done = Generated::default();
    let mut n = 0;
    while done.applications < plan.applications {
        let size = BATCH.min(plan.applications - done.applications);
        let mut applications = Vec::new();
        let mut members = Vec::new();
        for _ in 0..size {
            n += 1;
            let (application, member) = self::application(&mut rng, &world, plan, n);
            if application.status.is_open() {
                done.open_applications += 1;
            }
            applications.push(application);
            members.extend(member);
        }
        done.applications += size;
        done.members += u64::try_from(members.len()).map_err(AppError::internal)?;
        done.transfers += write(app, &world, &mut rng, applications, members).await?;
        eprintln!("applications: {}", done.applications);
    }
    while done.members < plan.members {
        let size = BATCH.min(plan.members - done.members);
        let members = (0..size)
            .map(|_| {
                n += 1;
                other_member(&mut rng, &world, plan, n)
            })
            .collect();
        done.transfers += write(app, &world, &mut rng, Vec::new(), members).await?;
        done.members += size;
        if done.members % 100_000 < BATCH {
            eprintln!("members: {}", done.members);
        }
    }
    synthetic::settle(&app.db).await?;
    done.seconds = started.elapsed().as_secs_f64();
    Ok(done)
}
