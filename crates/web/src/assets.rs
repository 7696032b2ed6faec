//! The application's own files, compiled into the binary: no CDN, no build
//! step (offices run on closed networks). Each name carries its version, so
//! a browser may keep it for a year.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::session::WebState;

pub const HTMX: &str = "/static/htmx-2.0.11.min.js";
pub const STYLESHEET: &str = "/static/kartei-1.css";

pub fn router() -> Router<WebState> {
    Router::new()
        .route(
            HTMX,
            get(|| {
                file(
                    "text/javascript",
                    include_bytes!("../static/htmx-2.0.11.min.js"),
                )
            }),
        )
        .route(
            "/static/htmx-LICENSE.txt",
            get(|| {
                file(
                    "text/plain; charset=utf-8",
                    include_bytes!("../static/htmx-LICENSE.txt"),
                )
            }),
        )
        .route(
            STYLESHEET,
            get(|| file("text/css", include_bytes!("../static/kartei.css"))),
        )
}

async fn file(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
}
