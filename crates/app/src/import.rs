//! CSV import of existing member lists: parsed and checked completely before
//! anything is written, then inserted in one unit of work with multi-row
//! statements, so that a file goes in whole or not at all and 100,000 rows
//! take seconds. Files as Excel saves them are read as they are meant:
//! Windows-1252, German dates, postal codes without their leading zero.

// The routing tables are read with the same cells, header and text.
pub(crate) mod cells;
mod csv_file;
pub(crate) mod header;
mod progress;
pub(crate) mod text;

use std::collections::{HashMap, HashSet};

use kartei_domain::{Action, Actor, MembershipNumber, authorize};
use kartei_persistence::audit::{self, AuditEntry};
use kartei_persistence::members::{self as member_repo, NewMember};
use kartei_persistence::{RepoError, Tx, org_units, unit_of_work};
use serde_json::json;
use uuid::Uuid;

use crate::FieldError;
use crate::config::ImportSettings;
use crate::{App, AppError, AppResult, audit_log, scope};

pub use cells::DateFormat;
pub use progress::{ImportCounts, ImportProgress};
pub use text::{Delimiter, TextEncoding};

use csv_file::parse;
use text::CsvText;

const REQUIRED: [&str; 8] = [
    "first_name",
    "last_name",
    "date_of_birth",
    "street",
    "postal_code",
    "city",
    "received_on",
    "joined_on",
];
const OPTIONAL: [&str; 7] = [
    "email",
    "phone",
    "interests",
    "consents",
    "membership_number",
    "org_unit_id",
    "org_unit",
];

/// Rows written in one go, between two advances of the progress: each is
/// still one statement per table.
const WRITE_STEP: usize = 1000;

/// A file taken whole: how many members it created and how it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub count: usize,
    pub read_as: ReadAs,
}

/// How a file was read; nothing of its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAs {
    pub encoding: TextEncoding,
    pub delimiter: Delimiter,
    /// The formats the file's dates were written in, in the order of
    /// [`DateFormat`].
    pub date_formats: Vec<DateFormat>,
    /// Rows whose four-digit postal code got back its leading zero.
    pub postal_codes_padded: usize,
}

/// Whether `actor`'s role may import at all, for a front end that must
/// refuse before it looks at what was sent (the API's media type).
pub fn may_import(actor: &Actor) -> AppResult<()> {
    Ok(authorize(actor, Action::ImportMembers, None)?)
}

/// Imports the CSV file `body` as `actor`, within `limits`, advancing
/// `progress` if given.
pub async fn import(
    app: &App,
    actor: &Actor,
    body: &[u8],
    limits: &ImportSettings,
    progress: Option<&ImportProgress>,
) -> AppResult<Imported> {
    may_import(actor)?;
    let untracked = ImportProgress::new();
    let progress = progress.unwrap_or(&untracked);
    let file = CsvText::read(body).map_err(|error| AppError::Invalid(vec![error]))?;
    let max_rows = limits.max_rows;
    let total = file.rows_up_to(max_rows.saturating_add(1));
    if total > max_rows {
        return Err(AppError::TooManyRows { max_rows });
    }
    progress.counted(total);
    let now = app.now();
    let units = org_units::all(&app.db).await?;
    let (mut rows, cells) =
        parse(&file, &units, app.today(), now, progress).map_err(AppError::Invalid)?;
    let read_as = ReadAs {
        encoding: file.encoding,
        delimiter: file.delimiter,
        date_formats: cells.date_formats.into_iter().collect(),
        postal_codes_padded: cells.postal_codes_padded,
    };
    check_units_in_scope(app, actor, &rows).await?;
    check_numbers_free(app, &rows).await?;

    let count = rows.len();
    unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
        // Numbers handed out later must never collide with imported ones.
        if let Some(highest) = rows
            .iter()
            .filter_map(|(_, m)| MembershipNumber::parse(&m.membership_number).ok())
            .filter_map(|n| n.counter_value())
            .max()
        {
            member_repo::raise_number_counter(txn, highest).await?;
        }
        let unnumbered = rows
            .iter()
            .filter(|(_, m)| m.membership_number.is_empty())
            .count();
        if unnumbered > 0 {
            let mut next = member_repo::reserve_membership_numbers(txn, unnumbered as u64).await?;
            for (_, member) in rows
                .iter_mut()
                .filter(|(_, m)| m.membership_number.is_empty())
            {
                member.membership_number = MembershipNumber::from_counter(next).into_string();
                next += 1;
            }
        }
        let mut members = std::mem::take(&mut rows)
            .into_iter()
            .map(|(_, m)| m)
            .peekable();
        while members.peek().is_some() {
            let step: Vec<NewMember> = members.by_ref().take(WRITE_STEP).collect();
            let written = step.len();
            let entries = step
                .iter()
                .map(|m| AuditEntry {
                    actor_id: Some(actor.user_id),
                    action: "member_created",
                    subject_type: "member",
                    subject_id: Some(m.id),
                    details: json!({ "changes": [], "source": "import" }),
                })
                .collect();
            member_repo::insert_many(txn, step, now)
                .await
                .map_err(|err| match err {
                    RepoError::Conflict => AppError::Conflict(
                        "A membership number was taken meanwhile; nothing was imported.".into(),
                    ),
                    other => other.into(),
                })?;
            audit::record_many(txn, entries, now).await?;
            progress.wrote(written);
        }
        // The import as a whole, for the audit log across records: a bulk
        // handling of personal data like an export, with its size, never its rows.
        let whole = AuditEntry {
            actor_id: Some(actor.user_id),
            // Beside one `member_created` per row.
            action: audit_log::IMPORT,
            subject_type: "member_import",
            subject_id: None,
            details: json!({ "format": "csv", "rows": count }),
        };
        audit::record(txn, whole, now).await?;
        Ok(())
    })
    .await?;
    // The import is done; stale statistics only cost speed.
    if let Err(err) = member_repo::refresh_statistics(&app.db).await {
        tracing::warn!(error = %err.log_class(), "statistics not refreshed after import");
    }
    Ok(Imported { count, read_as })
}

/// Each distinct unit of the file must lie in the importer's scope.
async fn check_units_in_scope(
    app: &App,
    actor: &Actor,
    rows: &[(usize, NewMember)],
) -> AppResult<()> {
    let mut allowed: HashMap<Uuid, bool> = HashMap::new();
    let mut errors = Vec::new();
    for (row, member) in rows {
        let unit = member.local_id.unwrap_or(member.district_id);
        let ok = match allowed.get(&unit) {
            Some(ok) => *ok,
            None => {
                let path = scope::path_of(app, unit).await?;
                let ok = authorize(actor, Action::ImportMembers, Some(&path)).is_ok();
                allowed.insert(unit, ok);
                ok
            }
        };
        if !ok {
            errors.push(row_error(
                *row,
                "org_unit",
                "is outside your part of the organisation",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

async fn check_numbers_free(app: &App, rows: &[(usize, NewMember)]) -> AppResult<()> {
    let numbers: Vec<String> = rows
        .iter()
        .map(|(_, m)| m.membership_number.clone())
        .filter(|n| !n.is_empty())
        .collect();
    let taken: HashSet<String> = member_repo::taken_membership_numbers(&app.db, &numbers)
        .await?
        .into_iter()
        .collect();
    let errors: Vec<FieldError> = rows
        .iter()
        .filter(|(_, m)| taken.contains(&m.membership_number))
        .map(|(row, _)| row_error(*row, "membership_number", "is already taken"))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

pub(crate) fn row_error(
    row: usize,
    field: impl Into<String>,
    message: impl ToString,
) -> FieldError {
    FieldError {
        row: Some(row),
        ..FieldError::new(field, message)
    }
}
