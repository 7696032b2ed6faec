//! The trend as an SVG line chart, in the API's words: one line per unit,
//! months along the x axis, the median entry lag in days up the y axis.

use kartei_formats::chart::{LineChart, Series, line_chart_svg};

use super::UnitTrendDto;
use crate::error::{ApiError, ApiResult};

pub fn trend_svg(months: &[String], units: &[UnitTrendDto]) -> ApiResult<String> {
    let series: Vec<Series> = units
        .iter()
        .map(|unit| Series {
            name: unit.short_code.clone(),
            values: unit.months.iter().map(|m| m.median_lag_days).collect(),
        })
        .collect();
    line_chart_svg(&LineChart {
        title: "Median entry lag by month received (days)",
        x_description: "month received",
        y_description: "median days until entered",
        steps: months,
        series: &series,
    })
    .map_err(ApiError::internal)
}
