use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_duplicates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub candidate_id: Uuid,
    /// `member` or `application`
    pub kind: String,
    /// Where the candidate was held when the application was registered.
    pub district_id: Option<Uuid>,
    pub local_id: Option<Uuid>,
    pub matched_on: String,
}

impl ActiveModelBehavior for ActiveModel {}
