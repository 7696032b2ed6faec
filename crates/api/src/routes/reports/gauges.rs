//! The gauges an operator alerts on, in Prometheus text format. Rendered
//! by this app rather than through the process-wide recorder, so that each
//! scrape shows this database's figures and nothing else.

use kartei_app::integration::{self, StepGauges};
use kartei_app::reports::{self, WaitingFigures};
use kartei_domain::lag::LagStage;
use kartei_persistence::integration::OpenSteps;
use kartei_persistence::reports::Waiting;

use crate::error::ApiResult;
use crate::state::AppState;

/// One gauge over the figures `T` of a district and a second label.
struct Gauge<T> {
    name: &'static str,
    help: &'static str,
    value: fn(&T) -> i64,
}

const GAUGES: [Gauge<Waiting>; 3] = [
    Gauge {
        name: "kartei_applications_open",
        help: "Open applications per district and the stage they wait in.",
        value: |w| w.open,
    },
    Gauge {
        name: "kartei_applications_overdue",
        help: "Open applications past a service level (escalated included).",
        value: |w| w.overdue,
    },
    Gauge {
        name: "kartei_applications_escalated",
        help: "Open applications past twice a service level.",
        value: |w| w.escalated,
    },
];

const STEP_GAUGES: [Gauge<OpenSteps>; 3] = [
    Gauge {
        name: "kartei_integration_steps_open",
        help: "Integration steps still owed to new members, per district and step.",
        value: |s| s.open,
    },
    Gauge {
        name: "kartei_integration_steps_overdue",
        help: "Integration steps past their service level (escalated included).",
        value: |s| s.overdue,
    },
    Gauge {
        name: "kartei_integration_steps_escalated",
        help: "Integration steps past twice their service level.",
        value: |s| s.escalated,
    },
];

/// `gauges` in text format: a line for every district (named by its short
/// code) and every value of the second label, with the figure `figure`
/// finds for the two, 0 where there is none, so that a series never
/// disappears when its figure drops to nothing.
fn render<'f, T: 'f, D, K>(
    gauges: &[Gauge<T>],
    districts: &[(D, String)],
    label: &str,
    values: &[(K, String)],
    figure: impl Fn(&D, &K) -> Option<&'f T>,
) -> String {
    let mut text = String::new();
    for Gauge { name, help, value } in gauges {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for (district, code) in districts {
            for (key, shown) in values {
                let figure = figure(district, key).map_or(0, value);
                text.push_str(&format!(
                    "{name}{{district=\"{}\",{label}=\"{}\"}} {figure}\n",
                    label_value(code),
                    label_value(shown)
                ));
            }
        }
    }
    text
}

/// The gauges an operator alerts on, in Prometheus text format: open,
/// overdue and escalated applications per district and stage. Rendered per
/// scrape from the database (one grouped query over the open applications),
/// so that every instance reports the same figures.
pub async fn waiting_gauges(state: &AppState) -> ApiResult<String> {
    let WaitingFigures { districts, counts } = reports::waiting_figures(&state.app).await?;
    let stages = [LagStage::Handover, LagStage::Contact, LagStage::Decision]
        .map(|stage| (stage, stage.as_str().to_owned()));
    Ok(render(&GAUGES, &districts, "stage", &stages, |d, s| {
        counts.get(&(*d, *s))
    }))
}

/// The integration gauges: open, overdue and escalated steps per district
/// and configured step (the members' branches count for their district),
/// from one grouped query over the open steps at each scrape.
pub async fn integration_gauges(state: &AppState) -> ApiResult<String> {
    let StepGauges {
        districts,
        steps,
        counts,
    } = integration::step_gauges(&state.app).await?;
    let steps: Vec<(String, String)> = steps.into_iter().map(|s| (s.clone(), s)).collect();
    Ok(render(&STEP_GAUGES, &districts, "step", &steps, |d, s| {
        counts.get(&(*d, s.clone()))
    }))
}

/// A Prometheus label value with `\`, `"` and line breaks escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
