use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transfers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Uuid,
    pub from_district_id: Uuid,
    pub from_local_id: Option<Uuid>,
    pub to_district_id: Uuid,
    pub to_local_id: Option<Uuid>,
    pub effective_on: Date,
    pub keep_home_ties: bool,
    pub status: String,
    pub reason: Option<String>,
    pub requested_by: Uuid,
    pub requested_at: DateTimeUtc,
    pub answered_by: Option<Uuid>,
    pub answered_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
