//! One module per page (or pair of page and form), each rendering a whole
//! page from the use cases' answer.

mod applications;
mod registration;
mod reports;
mod sign_in;
mod start;

use axum::Router;
use axum::routing::{get, post};

use crate::session::SIGN_IN_PATH;
use crate::session::WebState;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/", get(start::page))
        .route("/erklaerungen", get(applications::list))
        .route("/auswertungen", get(reports::entry_lag))
        .route(
            "/erklaerungen/neu",
            get(registration::form).post(registration::submit),
        )
        .route(
            "/erklaerungen/neu/zuordnung",
            get(registration::routing_preview),
        )
        .route("/erklaerungen/{id}", get(applications::detail))
        .route(
            "/erklaerungen/{id}/uebernahme",
            post(applications::confirm_handover),
        )
        .route(
            "/erklaerungen/{id}/erstkontakt",
            post(applications::record_contact),
        )
        .route(
            "/erklaerungen/{id}/entscheidung",
            post(applications::decide),
        )
        .route(SIGN_IN_PATH, get(sign_in::form).post(sign_in::submit))
        .route("/abmelden", post(sign_in::sign_out))
}
