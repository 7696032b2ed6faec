//! The application's own files, compiled into the binary: no CDN, no build
//! step (offices run on closed networks). Each name carries its version, so
//! a browser may keep it for a year.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::session::WebState;

pub const HTMX: &str = "/static/htmx-2.0.11.min.js";
pub const STYLESHEET: &str = "/static/kartei-3.css";

/// The stylesheet's content as of [`STYLESHEET`]'s version: a changed
/// file under the old name would stay stale in browsers for a year.
#[cfg(test)]
const STYLESHEET_FINGERPRINT: u64 = 0xd42c_c9eb_a231_724a;

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

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
    fn fingerprint(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    #[test]
    fn a_changed_stylesheet_gets_a_new_name() {
        assert_eq!(
            fingerprint(include_bytes!("../static/kartei.css")),
            STYLESHEET_FINGERPRINT,
            "kartei.css changed: raise the version in STYLESHEET and base.html, \
             then record the new fingerprint"
        );
    }
}
