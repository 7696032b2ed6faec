use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub received_on: Date,
    pub channel: String,
    pub first_name: String,
    pub last_name: String,
    pub first_name_key: String,
    pub last_name_key: String,
    pub date_of_birth: Date,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub interests: Json,
    pub preferred_org_unit_id: Option<Uuid>,
    pub notes: Option<String>,
    pub status: String,
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    pub registered_at: DateTimeUtc,
    pub registered_by: Uuid,
    pub routed_at: Option<DateTimeUtc>,
    pub handed_over_at: Option<DateTimeUtc>,
    pub contacted_at: Option<DateTimeUtc>,
    pub contacted_on: Option<Date>,
    pub contact_channel: Option<String>,
    pub contact_note: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_on: Option<Date>,
    pub decision_reason: Option<String>,
    pub withdrawn_on: Option<Date>,
    pub withdrawal_reason: Option<String>,
    pub stage_started_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub member_id: Option<Uuid>,
    pub anonymised_at: Option<DateTimeUtc>,
    pub registered_on: Option<Date>,
    pub routed_on: Option<Date>,
    pub handed_over_on: Option<Date>,
    pub entered_on: Option<Date>,
    pub version: i64,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
