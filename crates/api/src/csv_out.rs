//! The API's CSV downloads: `?format=csv` on a list, answered as an
//! attachment that German Excel opens as it is (`kartei_formats::csv`
//! writes it).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

/// How a list is answered: JSON, or (`?format=csv`) an Excel-ready CSV.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ListFormat {
    Json,
    Csv,
}

pub use kartei_formats::csv::{decimal, decimal_places, optional, yes_no};

/// A `text/csv` attachment named `filename` with a header row.
pub fn excel_csv(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> ApiResult<Response> {
    let body = kartei_formats::csv::excel_csv(header, rows).map_err(ApiError::internal)?;
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
