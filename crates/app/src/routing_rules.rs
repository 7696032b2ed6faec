//! The routing table: which district or local branch a postal code sends a
//! declaration to. The state office replaces it as a whole, from the API's
//! list or from a file it keeps in a spreadsheet; [`check`] and
//! [`check_file`] say what a replacement would change without writing
//! anything, and the replacement checks again. Every account that
//! registers declarations may ask where a code goes.

mod file;

use std::collections::{HashMap, HashSet};

use kartei_domain::{Action, Actor, OrgUnit, OrgUnitKind, PostalCode, authorize};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::routing;
use kartei_persistence::{RepoError, Tx, org_units, unit_of_work};
use uuid::Uuid;

use crate::{App, AppError, AppResult, FieldError};

/// A rule of the table, as the use cases answer it.
pub use kartei_persistence::routing::RoutingRule;

/// One rule as typed in; checked by [`check`].
#[derive(Debug, Clone)]
pub struct RuleInput {
    pub postal_code: String,
    /// A district or a local branch.
    pub org_unit_id: Uuid,
}

/// Where a postal code routes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub postal_code: PostalCode,
    pub district_id: Uuid,
    /// The local branch, where the table routes this code to one.
    pub local_id: Option<Uuid>,
}

/// A postal code that a replacement sends to another unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub postal_code: PostalCode,
    pub from: Uuid,
    pub to: Uuid,
}

/// What a replacement would change, and the table it would leave; each
/// list by postal code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingChange {
    /// The table the change was worked out against ([`fingerprint`]): a
    /// confirmation that carries it back replaces only that table.
    pub based_on: String,
    pub rules: Vec<RoutingRule>,
    pub added: Vec<RoutingRule>,
    pub removed: Vec<RoutingRule>,
    pub moved: Vec<Moved>,
    pub unchanged: usize,
}

impl RoutingChange {
    fn between(current: &[RoutingRule], mut rules: Vec<RoutingRule>) -> RoutingChange {
        rules.sort_by(|a, b| a.postal_code.cmp(&b.postal_code));
        let before: HashMap<&PostalCode, Uuid> = current
            .iter()
            .map(|rule| (&rule.postal_code, rule.org_unit_id))
            .collect();
        let after: HashSet<&PostalCode> = rules.iter().map(|rule| &rule.postal_code).collect();
        let mut added = Vec::new();
        let mut moved = Vec::new();
        let mut unchanged = 0;
        for rule in &rules {
            match before.get(&rule.postal_code) {
                None => added.push(rule.clone()),
                Some(&from) if from != rule.org_unit_id => moved.push(Moved {
                    postal_code: rule.postal_code.clone(),
                    from,
                    to: rule.org_unit_id,
                }),
                Some(_) => unchanged += 1,
            }
        }
        let mut removed: Vec<RoutingRule> = current
            .iter()
            .filter(|rule| !after.contains(&rule.postal_code))
            .cloned()
            .collect();
        removed.sort_by(|a, b| a.postal_code.cmp(&b.postal_code));
        RoutingChange {
            based_on: fingerprint(current),
            added,
            removed,
            moved,
            unchanged,
            rules,
        }
    }

    pub fn changes_anything(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.moved.is_empty())
    }
}

/// A routing file checked: what it would change, and the table once more
/// as a file that [`check_file`] reads, for a confirmation to send back.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub change: RoutingChange,
    pub file: String,
}

/// The whole table, by postal code.
pub async fn all(app: &App, actor: &Actor) -> AppResult<Vec<RoutingRule>> {
    authorize(actor, Action::ManageRoutingRules, None)?;
    Ok(routing::all(&app.db).await?)
}

/// What replacing the table by `input` would change; writes nothing. Every
/// error is named by the rule's index (`[3].postal_code`).
pub async fn check(app: &App, actor: &Actor, input: Vec<RuleInput>) -> AppResult<RoutingChange> {
    authorize(actor, Action::ManageRoutingRules, None)?;
    let units = org_units::all(&app.db).await?;
    let candidates = input.iter().map(|rule| Candidate {
        postal_code: &rule.postal_code,
        unit: Ok(rule.org_unit_id),
    });
    let rules = checked(&units, candidates, |index, field, message| {
        let field = match field {
            Field::PostalCode => "postal_code",
            Field::Unit => "org_unit_id",
        };
        FieldError::new(format!("[{index}].{field}"), message)
    })
    .map_err(AppError::Invalid)?;
    against_current(app, rules).await
}

/// Replaces the whole table in one step: every rule is checked first, and
/// either all of them are in force afterwards or none. Answers the table.
pub async fn replace(
    app: &App,
    actor: &Actor,
    input: Vec<RuleInput>,
) -> AppResult<Vec<RoutingRule>> {
    let change = check(app, actor, input).await?;
    write(app, actor, change.rules, None).await?;
    all(app, actor).await
}

/// What replacing the table by the routing file `body` would change;
/// writes nothing. Every error is named by row and column, as in the
/// member import.
pub async fn check_file(app: &App, actor: &Actor, body: &[u8]) -> AppResult<FileChange> {
    authorize(actor, Action::ManageRoutingRules, None)?;
    let (rows, mut errors) = file::read(body).map_err(AppError::Invalid)?;
    let units = org_units::all(&app.db).await?;
    let by_code: HashMap<String, Uuid> = units
        .iter()
        .map(|unit| (unit.short_code.to_uppercase(), unit.id))
        .collect();
    let candidates = rows.iter().map(|cells| Candidate {
        postal_code: &cells.postal_code,
        unit: match by_code.get(&cells.org_unit.to_uppercase()) {
            _ if cells.org_unit.is_empty() => Err("is required"),
            Some(id) => Ok(*id),
            None => Err("is not a known unit"),
        },
    });
    let rules = checked(&units, candidates, |index, field, message| FieldError {
        row: Some(rows[index].row),
        ..FieldError::new(
            match field {
                Field::PostalCode => file::POSTAL_CODE,
                Field::Unit => file::ORG_UNIT,
            },
            message,
        )
    });
    let rules = match rules {
        Ok(rules) if errors.is_empty() => rules,
        Ok(_) => return Err(AppError::Invalid(errors)),
        Err(found) => {
            errors.extend(found);
            errors.sort_by_key(|error| error.row);
            return Err(AppError::Invalid(errors));
        }
    };
    let change = against_current(app, rules).await?;
    let short_codes: HashMap<Uuid, &str> = units
        .iter()
        .map(|unit| (unit.id, unit.short_code.as_str()))
        .collect();
    let file = file::write(change.rules.iter().map(|rule| {
        let code = short_codes.get(&rule.org_unit_id).copied();
        (rule.postal_code.as_str(), code.unwrap_or_default())
    }));
    Ok(FileChange { change, file })
}

/// Replaces the whole table by the routing file `body`, checked again as
/// [`check_file`] checks it; answers what changed. `based_on` is the
/// table the person saw the change against: if someone has replaced it
/// since, nothing is written ([`AppError::Stale`]), so that no change is
/// made that was not shown.
pub async fn replace_from_file(
    app: &App,
    actor: &Actor,
    body: &[u8],
    based_on: &str,
) -> AppResult<RoutingChange> {
    let FileChange { change, .. } = check_file(app, actor, body).await?;
    write(app, actor, change.rules.clone(), Some(based_on)).await?;
    Ok(change)
}

/// A short fingerprint of a table (SHA-256 of its rules in postal-code
/// order): equal for equal tables, different for any change.
pub fn fingerprint(rules: &[RoutingRule]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&RoutingRule> = rules.iter().collect();
    sorted.sort_by(|a, b| a.postal_code.cmp(&b.postal_code));
    let mut hash = Sha256::new();
    for rule in sorted {
        hash.update(rule.postal_code.as_str().as_bytes());
        hash.update(rule.org_unit_id.as_bytes());
    }
    hash.finalize()[..12]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A rule before its check: the postal code as written, and the unit it
/// names, or why no unit was found.
struct Candidate<'a> {
    postal_code: &'a str,
    unit: Result<Uuid, &'static str>,
}

/// The two fields of a rule, for each caller to name in its own way.
enum Field {
    PostalCode,
    Unit,
}

/// The rules, once every postal code is one, appears once, and every unit
/// exists and holds members; otherwise every error, named by `at` from the
/// candidate's index.
fn checked<'a>(
    units: &[OrgUnit],
    candidates: impl Iterator<Item = Candidate<'a>>,
    at: impl Fn(usize, Field, String) -> FieldError,
) -> Result<Vec<RoutingRule>, Vec<FieldError>> {
    let kinds: HashMap<Uuid, OrgUnitKind> = units.iter().map(|u| (u.id, u.kind)).collect();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut rules = Vec::new();
    for (index, candidate) in candidates.enumerate() {
        let postal_code = match PostalCode::parse(candidate.postal_code) {
            Ok(code) if !seen.insert(code.clone()) => {
                errors.push(at(
                    index,
                    Field::PostalCode,
                    "appears more than once".into(),
                ));
                None
            }
            Ok(code) => Some(code),
            Err(err) => {
                errors.push(at(index, Field::PostalCode, err.to_string()));
                None
            }
        };
        let unit = candidate.unit.and_then(|id| match kinds.get(&id) {
            Some(kind) if kind.holds_members() => Ok(id),
            Some(_) => Err("must be a district or a local branch"),
            None => Err("no such org unit"),
        });
        match (postal_code, unit) {
            (Some(postal_code), Ok(org_unit_id)) => rules.push(RoutingRule {
                postal_code,
                org_unit_id,
            }),
            (_, Err(message)) => errors.push(at(index, Field::Unit, message.into())),
            (None, Ok(_)) => {}
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// The table as it is against `rules`.
async fn against_current(app: &App, rules: Vec<RoutingRule>) -> AppResult<RoutingChange> {
    let current = routing::all(&app.db).await?;
    Ok(RoutingChange::between(&current, rules))
}

/// Writes the table; with `based_on`, only over the table of that
/// fingerprint, read in the same transaction.
async fn write(
    app: &App,
    actor: &Actor,
    rules: Vec<RoutingRule>,
    based_on: Option<&str>,
) -> AppResult<()> {
    let count = rules.len();
    let now = app.now();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        if let Some(based_on) = based_on
            && fingerprint(&routing::all(txn).await?) != based_on
        {
            return Err(AppError::Stale);
        }
        routing::replace_all(txn, rules).await?;
        audit::record(
            txn,
            AuditEntry {
                actor_id: Some(actor.user_id),
                action: "routing_rules_replaced",
                subject_type: "routing_rules",
                subject_id: None,
                details: serde_json::json!({ "rules": count }),
            },
            now,
        )
        .await?;
        Ok(())
    })
    .await
}

/// The district (and local branch) a postal code routes to; no rule for
/// it is [`AppError::NotFound`].
pub async fn resolve(app: &App, actor: &Actor, postal_code: &str) -> AppResult<Resolution> {
    authorize(actor, Action::ResolveRouting, None)?;
    let postal_code =
        PostalCode::parse(postal_code).map_err(|e| AppError::invalid("postal_code", e))?;
    let unit_id = routing::resolve(&app.db, &postal_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let (district_id, local_id) = district_and_local(app, unit_id).await?;
    Ok(Resolution {
        postal_code,
        district_id,
        local_id,
    })
}

/// The district a unit belongs to, and the unit itself when it is a branch.
async fn district_and_local(app: &App, unit_id: Uuid) -> AppResult<(Uuid, Option<Uuid>)> {
    let unit = org_units::get(&app.db, unit_id).await?;
    match (unit.kind, unit.parent_id) {
        (OrgUnitKind::District, _) => Ok((unit.id, None)),
        (OrgUnitKind::Local, Some(district)) => Ok((district, Some(unit.id))),
        _ => Err(AppError::internal(RepoError::Corrupt(format!(
            "routing rule points at unit {unit_id}, which holds no members"
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(code: &str, unit: Uuid) -> RoutingRule {
        RoutingRule {
            postal_code: PostalCode::parse(code).unwrap_or_else(|e| panic!("{e}")),
            org_unit_id: unit,
        }
    }

    #[test]
    fn a_change_names_what_is_added_removed_and_moved() {
        let (dresden, leipzig) = (Uuid::now_v7(), Uuid::now_v7());
        let current = [
            rule("01067", dresden),
            rule("01069", dresden),
            rule("04109", leipzig),
        ];
        let change = RoutingChange::between(
            &current,
            vec![
                rule("04229", leipzig),
                rule("01069", leipzig),
                rule("01067", dresden),
            ],
        );
        assert_eq!(change.added, vec![rule("04229", leipzig)]);
        assert_eq!(change.removed, vec![rule("04109", leipzig)]);
        assert_eq!(
            change.moved,
            vec![Moved {
                postal_code: rule("01069", dresden).postal_code,
                from: dresden,
                to: leipzig,
            }]
        );
        assert_eq!(change.unchanged, 1);
        assert!(change.changes_anything());
        let codes: Vec<&str> = change
            .rules
            .iter()
            .map(|r| r.postal_code.as_str())
            .collect();
        assert_eq!(codes, ["01067", "01069", "04229"]);
        let same = RoutingChange::between(&current, current.to_vec());
        assert!(!same.changes_anything());
        assert_eq!(same.unchanged, 3);
    }
}
