use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub membership_number: String,
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
    pub city_key: String,
    pub district_id: Uuid,
    pub local_id: Option<Uuid>,
    pub status: String,
    pub received_on: Date,
    pub joined_on: Date,
    pub entered_at: DateTimeUtc,
    pub interests: Json,
    pub application_id: Option<Uuid>,
    pub left_on: Option<Date>,
    pub resigns_on: Option<Date>,
    pub status_reason: Option<String>,
    pub consents: Option<Json>,
    pub home_district_id: Option<Uuid>,
    pub anonymised_at: Option<DateTimeUtc>,
    pub entered_on: Option<Date>,
    pub source: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
