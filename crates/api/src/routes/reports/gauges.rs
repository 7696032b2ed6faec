//! The gauges an operator alerts on, in Prometheus text format. Rendered
//! by this app rather than through the process-wide recorder, so that each
//! scrape shows this database's figures and nothing else.

use kartei_domain::OrgUnitKind;
use kartei_domain::lag::LagStage;
use kartei_persistence::org_units;
use kartei_persistence::reports::{self, Waiting};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::local_time;
use crate::state::AppState;
use kartei_app::onboarding;

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
    let today = local_time::local_date(state.clock.now());
    let counts = reports::open_by_district_and_stage(
        &state.db,
        &onboarding::overdue_cutoffs(&state.app, today),
        &onboarding::escalation_cutoffs(&state.app, today),
    )
    .await?;
    let mut districts: Vec<(Option<Uuid>, String)> = org_units::all(&state.db)
        .await?
        .into_iter()
        .filter(|u| u.kind == OrgUnitKind::District)
        .map(|u| (Some(u.id), u.short_code))
        .collect();
    districts.push((None, "unassigned".to_owned()));
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

/// A Prometheus label value with `\`, `"` and line breaks escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
