use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The member's key for the personal values in the audit trail, hex.
    pub key: String,
}

impl ActiveModelBehavior for ActiveModel {}
