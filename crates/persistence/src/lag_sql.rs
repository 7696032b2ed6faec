//! The SQL of the lags and the clocks: the metric names, the two common
//! tables that define every lag, the stage an open application waits in and
//! the conditions of being overdue. The raw reports, the rollup and the
//! application lists all count with these, so each definition is written
//! once; and since this module imports none of them, their imports point one
//! way (`applications`, `members` → `rollup` → here; `reports` → here).

use chrono::{DateTime, NaiveDate, Utc};
use kartei_domain::application::Status;
use kartei_domain::lag::LagStage;
use kartei_domain::member::EntrySource;
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use crate::entities::application::Column as C;
use crate::sql::Sql;

/// The metric every declaration has, with 0 days: how many were received.
pub(crate) const RECEIVED: &str = "received";
/// From `received_on` to the member record (`entered_on`).
pub(crate) const ENTRY: &str = "entry";

/// The common table `items`: one row per declaration (received in
/// `period`, held by `district` if given) with every date the lags need.
/// Only directly entered members are declarations of their own: the others
/// count through their application, or, imported, not at all.
pub(crate) fn items_cte(
    sql: &mut Sql,
    period: Option<(NaiveDate, NaiveDate)>,
    district: Option<Uuid>,
) -> String {
    let mut filter = String::new();
    if let Some((from, to)) = period {
        let (from, to) = (sql.bind(from), sql.bind(to));
        filter.push_str(&format!(
            " AND received_on >= {from} AND received_on <= {to}"
        ));
    }
    if let Some(district) = district {
        filter.push_str(&format!(" AND district_id = {}", sql.bind(district)));
    }
    format!(
        "items AS ( \
           SELECT district_id, local_id, received_on, entered_on, registered_on, routed_on, \
                  handed_over_on, contacted_on, decided_on \
           FROM applications WHERE 1 = 1{filter} \
           UNION ALL \
           SELECT district_id, local_id, received_on, entered_on, NULL, NULL, NULL, NULL, NULL \
           FROM members WHERE source = '{direct}'{filter} \
         )",
        direct = EntrySource::DirectEntry.as_str(),
    )
}

/// The common table `lags`: per item one row `received` (0 days) and one
/// per lag it has, in whole days. The one definition of the lags, for the
/// raw report and for the rollup's rebuild.
pub(crate) fn lags_cte(sql: &Sql) -> String {
    let lag = |metric: &str, later: &str, earlier: &str| {
        format!(
            "SELECT district_id, local_id, received_on, '{metric}' AS metric, {days} AS days \
             FROM items WHERE {later} IS NOT NULL AND {earlier} IS NOT NULL",
            days = sql.days(later, earlier)
        )
    };
    let received = format!(
        "SELECT district_id, local_id, received_on, '{RECEIVED}' AS metric, \
                CAST(0 AS BIGINT) AS days FROM items"
    );
    format!(
        "lags AS ({received} UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL {})",
        lag(ENTRY, "entered_on", "received_on"),
        lag(
            LagStage::Registration.as_str(),
            "registered_on",
            "received_on"
        ),
        lag(LagStage::Handover.as_str(), "handed_over_on", "routed_on"),
        lag(LagStage::Contact.as_str(), "contacted_on", "handed_over_on"),
        lag(LagStage::Decision.as_str(), "decided_on", "contacted_on"),
    )
}

/// The instants and dates before which an open application is overdue, per
/// clock (see `kartei_domain::lag`).
#[derive(Debug, Clone, Copy)]
pub struct OverdueCutoffs {
    pub handover_stage_before: DateTime<Utc>,
    pub first_contact_stage_before: DateTime<Utc>,
    pub received_before: NaiveDate,
}

/// The open statuses in which an application waits to be handed over; its
/// hand-over clock runs.
const HANDOVER_STATUSES: [Status; 3] = [Status::Received, Status::Unroutable, Status::Routed];

fn quoted(statuses: &[Status]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn names(statuses: &[Status]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.as_str()).collect()
}

/// "Overdue by either clock" against `cutoffs`, as SQL giving 1 or 0, for
/// counting in a report.
pub(crate) fn past_levels(sql: &mut Sql, cutoffs: &OverdueCutoffs) -> String {
    let handover = sql.bind(cutoffs.handover_stage_before);
    let contact = sql.bind(cutoffs.first_contact_stage_before);
    let received = sql.bind(cutoffs.received_before);
    format!(
        "CASE WHEN status IN ({h}) AND stage_started_at < {handover} THEN 1 \
              WHEN status = '{ho}' AND stage_started_at < {contact} THEN 1 \
              WHEN status IN ({open}) AND received_on < {received} THEN 1 ELSE 0 END",
        h = quoted(&HANDOVER_STATUSES),
        ho = Status::HandedOver.as_str(),
        open = quoted(&Status::OPEN),
    )
}

/// The same rule as [`past_levels`], as a condition on the applications,
/// for filtering a list.
pub fn overdue_condition(cutoffs: &OverdueCutoffs) -> Condition {
    Condition::all()
        .add(C::Status.is_in(names(&Status::OPEN)))
        .add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(C::Status.is_in(names(&HANDOVER_STATUSES)))
                        .add(C::StageStartedAt.lt(cutoffs.handover_stage_before)),
                )
                .add(
                    Condition::all()
                        .add(C::Status.eq(Status::HandedOver.as_str()))
                        .add(C::StageStartedAt.lt(cutoffs.first_contact_stage_before)),
                )
                .add(C::ReceivedOn.lt(cutoffs.received_before)),
        )
}

/// The SQL naming the stage an open item waits in, NULL once closed.
pub(crate) fn waiting_stage() -> String {
    format!(
        "CASE WHEN status IN ({h}) THEN '{handover}' \
              WHEN status = '{ho}' THEN '{contact}' \
              WHEN status = '{c}' THEN '{decision}' END",
        h = quoted(&HANDOVER_STATUSES),
        ho = Status::HandedOver.as_str(),
        c = Status::Contacted.as_str(),
        handover = LagStage::Handover.as_str(),
        contact = LagStage::Contact.as_str(),
        decision = LagStage::Decision.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_condition_of_the_partial_index_names_the_open_statuses() {
        assert_eq!(
            migration::OPEN_APPLICATIONS,
            format!("status IN ({})", quoted(&Status::OPEN))
        );
    }
}
