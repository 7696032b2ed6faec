//! The trend as an SVG line chart: one line per unit, months along the
//! x axis, the median entry lag in days up the y axis, and a legend.

use plotters::prelude::*;

use super::UnitTrendDto;
use crate::error::{ApiError, ApiResult};

const SIZE: (u32, u32) = (960, 540);

fn failed(err: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("drawing the chart failed: {err}"))
}

pub fn trend_svg(months: &[String], units: &[UnitTrendDto]) -> ApiResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let highest = units
            .iter()
            .flat_map(|u| u.months.iter().filter_map(|m| m.median_lag_days))
            .fold(0.0_f64, f64::max);
        let y_top = (highest * 1.1).max(10.0);
        let x_last = months.len().saturating_sub(1).max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Median entry lag by month received (days)",
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(0usize..x_last, 0f64..y_top)
            .map_err(failed)?;
        let month_label = |i: &usize| months.get(*i).cloned().unwrap_or_default();
        chart
            .configure_mesh()
            .x_labels(months.len().clamp(2, 12))
            .x_label_formatter(&month_label)
            .x_desc("month received")
            .y_desc("median days until entered")
            .draw()
            .map_err(failed)?;
        for (index, unit) in units.iter().enumerate() {
            let color = Palette99::pick(index).to_rgba();
            let points: Vec<(usize, f64)> = unit
                .months
                .iter()
                .enumerate()
                .filter_map(|(i, m)| m.median_lag_days.map(|days| (i, days)))
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)).point_size(3))
                .map_err(failed)?
                .label(unit.short_code.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}
