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

struct Gauge {
    name: &'static str,
    help: &'static str,
    value: fn(&Waiting) -> i64,
}

const GAUGES: [Gauge; 3] = [
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

/// The gauges an operator alerts on, in Prometheus text format: open,
/// overdue and escalated applications per district and stage. Rendered per
/// scrape from the database (one grouped query over the open applications),
/// so that every instance reports the same figures.
pub async fn waiting_gauges(state: &AppState) -> ApiResult<String> {
    let WaitingFigures { districts, counts } = reports::waiting_figures(&state.app).await?;
    let stages = [LagStage::Handover, LagStage::Contact, LagStage::Decision];
    let mut text = String::new();
    for Gauge { name, help, value } in GAUGES {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for (district, code) in &districts {
            for stage in stages {
                let figure = counts.get(&(*district, stage)).map_or(0, value);
                text.push_str(&format!(
                    "{name}{{district=\"{}\",stage=\"{}\"}} {figure}\n",
                    label_value(code),
                    stage.as_str()
                ));
            }
        }
    }
    Ok(text)
}

struct StepGauge {
    name: &'static str,
    help: &'static str,
    value: fn(&OpenSteps) -> i64,
}

const STEP_GAUGES: [StepGauge; 3] = [
    StepGauge {
        name: "kartei_integration_steps_open",
        help: "Integration steps still owed to new members, per district and step.",
        value: |s| s.open,
    },
    StepGauge {
        name: "kartei_integration_steps_overdue",
        help: "Integration steps past their service level (escalated included).",
        value: |s| s.overdue,
    },
    StepGauge {
        name: "kartei_integration_steps_escalated",
        help: "Integration steps past twice their service level.",
        value: |s| s.escalated,
    },
];

/// The integration gauges: open, overdue and escalated steps per district
/// and configured step (the members' branches count for their district),
/// from one grouped query over the open steps at each scrape.
pub async fn integration_gauges(state: &AppState) -> ApiResult<String> {
    let StepGauges {
        districts,
        steps,
        counts,
    } = integration::step_gauges(&state.app).await?;
    let mut text = String::new();
    for StepGauge { name, help, value } in STEP_GAUGES {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for (district, code) in &districts {
            for step in &steps {
                let figure = counts.get(&(*district, step.clone())).map_or(0, value);
                text.push_str(&format!(
                    "{name}{{district=\"{}\",step=\"{}\"}} {figure}\n",
                    label_value(code),
                    label_value(step)
                ));
            }
        }
    }
    Ok(text)
}

/// A Prometheus label value with `\`, `"` and line breaks escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
