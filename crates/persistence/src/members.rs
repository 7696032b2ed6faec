//! Member records and the membership number counter.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::Applicant;
use kartei_domain::member::{Member, MemberStatus};
use kartei_domain::{EmailAddress, PostalCode};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::RepoError;
use crate::applications::{PersonKeys, interests_from_json};
use crate::entities::member::{self, Entity as Members};

impl TryFrom<member::Model> for Member {
    type Error = RepoError;

    fn try_from(row: member::Model) -> Result<Self, Self::Error> {
        let id = row.id;
        let corrupt = |what: &str| RepoError::Corrupt(format!("member {id}: {what}"));
        Ok(Member {
            id,
            membership_number: row.membership_number,
            person: Applicant {
                first_name: row.first_name,
                last_name: row.last_name,
                date_of_birth: row.date_of_birth,
                email: row
                    .email
                    .as_deref()
                    .map(EmailAddress::parse)
                    .transpose()
                    .map_err(|_| corrupt("email"))?,
                phone: row.phone,
                street: row.street,
                postal_code: PostalCode::parse(&row.postal_code)
                    .map_err(|_| corrupt("postal code"))?,
                city: row.city,
                interests: interests_from_json(id, row.interests)?,
            },
            district_id: row.district_id,
            local_id: row.local_id,
            status: row.status.parse().map_err(|_| corrupt("status"))?,
            received_on: row.received_on,
            joined_on: row.joined_on,
            entered_at: row.entered_at,
            application_id: row.application_id,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sea_orm::DeriveIden)]
enum Counters {
    Table,
    Name,
    Value,
}

/// The next membership number. Numbers come from a counter row updated in
/// the caller's transaction, so a number is never handed out twice and never
/// reused, even when the member record is later anonymised.
pub async fn next_membership_number<C: ConnectionTrait>(db: &C) -> Result<String, RepoError> {
    let statement = Query::update()
        .table(Counters::Table)
        .value(Counters::Value, Expr::col(Counters::Value).add(1))
        .and_where(Expr::col(Counters::Name).eq("membership_number"))
        .returning(Query::returning().column(Counters::Value))
        .to_owned();
    let row = db
        .query_one(&statement)
        .await?
        .ok_or_else(|| RepoError::Corrupt("membership number counter missing".into()))?;
    let value: i64 = row.try_get("", "value")?;
    Ok(value.to_string())
}

pub struct NewMember {
    pub id: Uuid,
    pub membership_number: String,
    pub person: Applicant,
    pub district_id: Uuid,
    pub local_id: Option<Uuid>,
    pub received_on: NaiveDate,
    pub joined_on: NaiveDate,
    pub application_id: Option<Uuid>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewMember,
    now: DateTime<Utc>,
) -> Result<Member, RepoError> {
    let keys = PersonKeys::of(&new.person);
    let person = new.person;
    let row = member::ActiveModel {
        id: Set(new.id),
        membership_number: Set(new.membership_number),
        first_name: Set(person.first_name),
        last_name: Set(person.last_name),
        first_name_key: Set(keys.first_name_key),
        last_name_key: Set(keys.last_name_key),
        date_of_birth: Set(person.date_of_birth),
        email: Set(person.email.map(|e| e.as_str().to_owned())),
        email_key: Set(keys.email_key),
        phone: Set(person.phone),
        street: Set(person.street),
        postal_code: Set(person.postal_code.as_str().to_owned()),
        city: Set(person.city),
        district_id: Set(new.district_id),
        local_id: Set(new.local_id),
        status: Set(MemberStatus::Active.as_str().to_owned()),
        received_on: Set(new.received_on),
        joined_on: Set(new.joined_on),
        entered_at: Set(now),
        interests: Set(serde_json::json!(person.interests)),
        application_id: Set(new.application_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Members::insert(row)
        .exec_with_returning(db)
        .await?
        .try_into()
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Member, RepoError> {
    Members::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)?
        .try_into()
}
