//! A line chart as SVG: one line per series over labelled steps along the
//! x axis, values up the y axis, and a legend. The words (title, axis
//! descriptions, series names) are the caller's, so the API draws it in
//! English and the pages in German.

use plotters::prelude::*;

const SIZE: (u32, u32) = (960, 540);

/// What to draw.
pub struct LineChart<'a> {
    pub title: &'a str,
    pub x_description: &'a str,
    pub y_description: &'a str,
    /// The label of each step along the x axis.
    pub steps: &'a [String],
    pub series: &'a [Series],
}

/// One line: its name in the legend and its value at each step, where it
/// has one.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, thiserror::Error)]
#[error("drawing the chart failed: {0}")]
pub struct ChartError(String);

fn failed(err: impl std::fmt::Display) -> ChartError {
    ChartError(err.to_string())
}

/// The chart as an SVG document.
pub fn line_chart_svg(chart: &LineChart<'_>) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let highest = chart
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .fold(0.0_f64, f64::max);
        let y_top = (highest * 1.1).max(10.0);
        let x_last = chart.steps.len().saturating_sub(1).max(1);
        let mut drawing = ChartBuilder::on(&root)
            .caption(chart.title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(0usize..x_last, 0f64..y_top)
            .map_err(failed)?;
        let step_label = |i: &usize| chart.steps.get(*i).cloned().unwrap_or_default();
        drawing
            .configure_mesh()
            .x_labels(chart.steps.len().clamp(2, 12))
            .x_label_formatter(&step_label)
            .x_desc(chart.x_description)
            .y_desc(chart.y_description)
            .draw()
            .map_err(failed)?;
        for (index, series) in chart.series.iter().enumerate() {
            let color = Palette99::pick(index).to_rgba();
            let points: Vec<(usize, f64)> = series
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, value)| value.map(|v| (i, v)))
                .collect();
            drawing
                .draw_series(LineSeries::new(points, color.stroke_width(2)).point_size(3))
                .map_err(failed)?
                .label(series.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        drawing
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_drawn_and_named() {
        let steps = vec![
            "2026-01".to_owned(),
            "2026-02".to_owned(),
            "2026-03".to_owned(),
        ];
        let series = vec![
            Series {
                name: "DD".to_owned(),
                values: vec![Some(12.5), None, Some(30.0)],
            },
            Series {
                name: "L".to_owned(),
                values: vec![Some(4.0), Some(8.0), Some(6.0)],
            },
        ];
        let svg = line_chart_svg(&LineChart {
            title: "Dauer bis zur Eintragung",
            x_description: "Monat",
            y_description: "Tage",
            steps: &steps,
            series: &series,
        })
        .map_err(|e| e.to_string());
        let svg = svg.unwrap_or_default();
        let document = roxmltree::Document::parse(&svg).map_err(|e| e.to_string());
        let document = document.as_ref().map_err(String::as_str);
        assert_eq!(
            document.map(|d| d.root_element().tag_name().name()),
            Ok("svg")
        );
        let texts: Vec<&str> = document
            .iter()
            .flat_map(|d| d.descendants())
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        for label in [
            "Dauer bis zur Eintragung",
            "Monat",
            "Tage",
            "DD",
            "L",
            "2026-02",
        ] {
            assert!(texts.contains(&label), "no {label} in {texts:?}");
        }
        assert!(svg.matches("<polyline").count() >= 2, "a line each");
    }
}
