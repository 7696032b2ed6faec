use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    /// The address in its comparison form; unique.
    #[sea_orm(unique)]
    pub email_key: String,
    pub display_name: String,
    pub role: String,
    pub org_unit_id: Option<Uuid>,
    pub password_hash: String,
    pub active: bool,
    /// Since when the account is inactive; retention anonymises it later.
    pub deactivated_at: Option<DateTimeUtc>,
    pub anonymised_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
