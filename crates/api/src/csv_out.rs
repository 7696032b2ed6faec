//! CSV downloads that German Excel opens as they are: UTF-8 with a byte
//! order mark (without it Excel guesses Windows-1252), `;` between fields
//! (Excel's list separator under a German locale) and a decimal comma.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ApiResult};

/// A `text/csv` attachment named `filename` with a header row.
pub fn excel_csv(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> ApiResult<Response> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    writer.write_record(header).map_err(ApiError::internal)?;
    for row in rows {
        writer.write_record(&row).map_err(ApiError::internal)?;
    }
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(writer.into_inner().map_err(ApiError::internal)?);
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

/// A number as German Excel reads it: `25,5`, or empty when there is none.
pub fn decimal(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| {
        let text = format!("{v:.1}");
        text.strip_suffix(".0")
            .map_or_else(|| text.replace('.', ","), str::to_owned)
    })
}

/// An optional value as text, empty when there is none.
pub fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_use_a_comma_and_drop_a_zero_fraction() {
        assert_eq!(decimal(Some(25.5)), "25,5");
        assert_eq!(decimal(Some(37.0)), "37");
        assert_eq!(decimal(Some(36.96)), "37");
        assert_eq!(decimal(None), "");
    }
}
