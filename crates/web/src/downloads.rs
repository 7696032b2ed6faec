//! Files a page hands out: CSV tables as German Excel opens them and the
//! charts as SVG, written by `kartei_formats` like the API's.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::{WebError, WebResult};

/// A `text/csv` attachment named `filename` with a header row.
pub fn csv_download(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> WebResult<Response> {
    let body = kartei_formats::csv::excel_csv(header, rows)
        .map_err(|err| WebError::Internal(format!("csv: {err}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// An SVG image, shown in a page by `<img>`.
pub fn svg(image: String) -> WebResult<Response> {
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        image,
    )
        .into_response())
}
