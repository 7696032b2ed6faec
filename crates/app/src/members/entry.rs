//! Direct entry: a declaration that reached a district first becomes a
//! member at once. The checks of its fields are shared with the CSV import.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::Applicant;
use kartei_domain::member::{self, ConsentKind, Consents, EntrySource, Member};
use kartei_domain::{Action, Actor, authorize};
use kartei_persistence::members::{self, NewMember};
use kartei_persistence::{RepoError, Tx, unit_of_work};
use serde_json::json;
use uuid::Uuid;

use super::{audit_member, checks_passed};
use crate::checks::Checks;
use crate::person_input::{self, PersonInput};
use crate::scope::{self, route_to};
use crate::{App, AppError, AppResult, local_time};

/// A member as the office types it in: the raw fields, checked by [`create`].
#[derive(Debug, Clone)]
pub struct DirectEntry {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// A district or local branch.
    pub org_unit_id: Uuid,
    /// The day the declaration reached the party.
    pub received_on: NaiveDate,
    pub joined_on: NaiveDate,
    pub interests: Vec<String>,
    /// Consents given with the declaration.
    pub consents: Vec<String>,
}

/// The fields of a direct entry, shared with the CSV import.
pub struct EntryInput<'a> {
    pub person: PersonInput<'a>,
    pub received_on: NaiveDate,
    pub joined_on: NaiveDate,
    pub consents: &'a [String],
}

/// Checks the dates, the person and the consents of an entry; the person
/// and the consents (given at `now`) when they passed.
pub fn check_entry(
    checks: &mut Checks,
    input: &EntryInput<'_>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Option<(Applicant, BTreeMap<String, DateTime<Utc>>)> {
    for error in member::entry_dates(input.received_on, input.joined_on, today) {
        checks.fail(error.field(), error);
    }
    let applicant = person_input::parse(checks, &input.person, input.received_on);
    let mut consents = Consents::new();
    for kind in input.consents {
        if let Some(kind) = checks.field("consents", ConsentKind::parse(kind)) {
            consents.give(kind, now);
        }
    }
    Some((applicant?, consents.to_map()))
}

/// Creates a member by direct entry, with the next membership number.
pub async fn create(app: &App, actor: &Actor, input: DirectEntry) -> AppResult<Member> {
    authorize(actor, Action::CreateMember, None)?;
    let now = app.now();
    let today = app.today();
    let mut checks = Checks::new();
    let entry = check_entry(
        &mut checks,
        &EntryInput {
            person: PersonInput {
                first_name: &input.first_name,
                last_name: &input.last_name,
                date_of_birth: input.date_of_birth,
                email: input.email.as_deref(),
                phone: input.phone.as_deref(),
                street: &input.street,
                postal_code: &input.postal_code,
                city: &input.city,
                interests: &input.interests,
            },
            received_on: input.received_on,
            joined_on: input.joined_on,
            consents: &input.consents,
        },
        today,
        now,
    );
    let route = match route_to(app, input.org_unit_id).await? {
        Some(route) => {
            let path = scope::path_of(app, route.local_id.unwrap_or(route.district_id)).await?;
            if authorize(actor, Action::CreateMember, Some(&path)).is_ok() {
                Some(route)
            } else {
                checks.fail("org_unit_id", "is outside your part of the organisation");
                None
            }
        }
        None => {
            checks.fail("org_unit_id", "must be a district or a local branch");
            None
        }
    };
    checks.finish()?;
    let (person, consents) = checks_passed(entry)?;
    let route = checks_passed(route)?;
    let new = NewMember {
        id: Uuid::now_v7(),
        membership_number: String::new(),
        person,
        district_id: route.district_id,
        local_id: route.local_id,
        received_on: input.received_on,
        joined_on: input.joined_on,
        application_id: None,
        consents,
        source: EntrySource::DirectEntry,
    };
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<Member> {
        let mut new = new;
        new.membership_number = members::next_membership_number(txn).await?;
        let member = members::insert(txn, new, now)
            .await
            .map_err(|err| match err {
                RepoError::Conflict => {
                    AppError::Conflict("This membership number is taken.".into())
                }
                other => other.into(),
            })?;
        // A new member is owed the integration steps from the day of entry
        // (imports are not new members and owe none).
        kartei_persistence::integration::open(
            txn,
            member.id,
            local_time::local_date(member.entered_at),
            &app.settings.integration.plan().names(),
        )
        .await?;
        audit_member(
            txn,
            Some(actor.user_id),
            member.id,
            "member_created",
            Vec::new(),
            json!({ "source": "direct_entry" }),
            now,
        )
        .await?;
        Ok(member)
    })
    .await
}
