//! The HTTP surface: one module per resource, each handler documented for
//! the OpenAPI document at `/api/v1/openapi.json`.

pub mod applications;
pub mod audit;
pub mod auth;
pub mod health;
pub mod integration;
pub mod me;
pub mod members;
pub mod org_units;
pub mod outbox;
pub mod reports;
pub mod routing;
pub mod transfers;
pub mod users;

use kartei_app::paging::Cursor;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every route under `/api/v1`.
pub fn api_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(me::router())
        .merge(users::router())
        .merge(org_units::router())
        .merge(routing::router())
        .merge(applications::router())
        .merge(outbox::router())
        .merge(members::router())
        .merge(transfers::router())
        .merge(reports::router())
        .merge(integration::router())
        .merge(audit::router())
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> ListResponse<T> {
    pub fn from_page<U>(page: kartei_persistence::Page<U>, f: impl FnMut(U) -> T) -> Self {
        ListResponse {
            next_cursor: page.next_after.as_ref().map(Cursor::encode),
            items: page.items.into_iter().map(f).collect(),
        }
    }
}
