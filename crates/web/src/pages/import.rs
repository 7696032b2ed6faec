//! Importing a member list: the file as the office has it (Excel's
//! "CSV (Trennzeichen-getrennt)", Windows-1252, `TT.MM.JJJJ`, postal codes
//! that lost their zero), checked and written in the background while its
//! page shows how far it is, then what was read how, or every refused row
//! and field. Nothing is written unless every row is right.
//!
//! A running import lives in this instance's memory
//! ([`crate::import_jobs`]); its page must be asked of the same instance
//! (see ADR 0019). The import itself is one transaction either way:
//! nothing is half-imported.

use std::sync::OnceLock;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::AppError;
use kartei_app::import::{
    self, DateFormat, Delimiter, ImportCounts, ImportProgress, Imported, TextEncoding,
};
use uuid::Uuid;

use crate::error::{WebError, WebResult};
use crate::forms::{RefusedRow, page_id, read_upload};
use crate::import_jobs::{ImportJob, Outcome};
use crate::layout::Layout;
use crate::session::{SignedIn, WebState};
use crate::texts;

#[derive(Template)]
#[template(path = "import.html")]
struct FormPage<'a> {
    layout: Layout<'a>,
    /// Why the last upload was not taken.
    alert: Option<&'static str>,
}

pub async fn form(signed_in: SignedIn) -> WebResult<Response> {
    import::may_import(&signed_in.actor())?;
    let page = FormPage {
        layout: Layout::of(&signed_in),
        alert: None,
    };
    Ok(Html(page.render()?).into_response())
}

/// Takes the file and starts the import; its page follows it.
pub async fn upload(
    State(state): State<WebState>,
    signed_in: SignedIn,
    multipart: Multipart,
) -> WebResult<Response> {
    let actor = signed_in.actor();
    import::may_import(&actor)?;
    let upload = read_upload(multipart).await?;
    signed_in.check_csrf(&upload.csrf)?;
    let Some(file) = upload.file else {
        let page = FormPage {
            layout: Layout::of(&signed_in),
            alert: Some(texts::NO_FILE),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    let (id, job) = state.imports.start(ImportJob {
        owner: signed_in.account.id,
        started_at: state.app.now(),
        progress: ImportProgress::new(),
        outcome: OnceLock::new(),
    });
    let app = state.app.clone();
    // The import checks every row before it writes: work for a while on a
    // large file, which the page must not wait for.
    tokio::spawn(async move {
        let limits = app.settings().import;
        let done = import::import(&app, &actor, &file, &limits, Some(&job.progress)).await;
        let outcome = match done {
            Ok(imported) => Outcome::Imported(imported),
            Err(AppError::Invalid(errors)) => Outcome::Refused(errors),
            Err(AppError::TooManyRows { max_rows }) => Outcome::TooManyRows(max_rows),
            Err(AppError::Conflict(_)) => Outcome::Failed(texts::IMPORT_NUMBER_TAKEN),
            Err(err) => {
                tracing::error!(cause = %err.log_class(), "import failed");
                Outcome::Failed(texts::IMPORT_FAILED)
            }
        };
        // Set once, by this task only.
        let _ = job.outcome.set(outcome);
    });
    Ok(Redirect::to(&format!("/import/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage<'a> {
    layout: Layout<'a>,
    id: Uuid,
    running: bool,
    counts: ImportCounts,
    imported: Option<usize>,
    read_as: Vec<String>,
    refused: Vec<RefusedRow>,
    alert: Option<String>,
}

/// How far the import is, or how it ended. htmx asks again every second
/// while it runs; without script, the page has a link to ask again.
pub async fn job(
    State(state): State<WebState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> WebResult<Response> {
    import::may_import(&signed_in.actor())?;
    let id = page_id(&id)?;
    let job = state
        .imports
        .get(id, signed_in.account.id)
        .ok_or(WebError::NotFound)?;
    let mut page = JobPage {
        layout: Layout::of(&signed_in),
        id,
        running: true,
        counts: job.progress.counts(),
        imported: None,
        read_as: Vec::new(),
        refused: Vec::new(),
        alert: None,
    };
    let mut status = StatusCode::OK;
    if let Some(outcome) = job.outcome.get() {
        page.running = false;
        match outcome {
            Outcome::Imported(imported) => {
                page.imported = Some(imported.count);
                page.read_as = read_as(imported);
            }
            Outcome::Refused(errors) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                page.refused = errors.iter().map(RefusedRow::of).collect();
            }
            Outcome::TooManyRows(max_rows) => {
                status = StatusCode::PAYLOAD_TOO_LARGE;
                page.alert = Some(format!(
                    "Die Datei hat mehr als {max_rows} Zeilen. Bitte teilen Sie sie auf."
                ));
            }
            Outcome::Failed(message) => {
                status = StatusCode::CONFLICT;
                page.alert = Some((*message).to_owned());
            }
        }
    }
    // htmx polls for the progress alone; a finished job is the whole page
    // (it tells htmx to load it as such).
    if headers.contains_key("hx-request") && page.running {
        return Ok(Html(page.render()?).into_response());
    }
    if headers.contains_key("hx-request") {
        let location = format!("/import/{id}");
        return Ok(([("HX-Redirect", location)], StatusCode::OK).into_response());
    }
    Ok((status, Html(page.render()?)).into_response())
}

/// What was read how, in the office's words; nothing of the contents.
fn read_as(imported: &Imported) -> Vec<String> {
    let read = &imported.read_as;
    let mut lines = vec![match read.encoding {
        TextEncoding::Utf8 => "Zeichensatz: UTF-8".to_owned(),
        TextEncoding::Windows1252 => {
            "Zeichensatz: Windows-1252 (Excels „CSV (Trennzeichen-getrennt)“)".to_owned()
        }
    }];
    lines.push(
        match read.delimiter {
            Delimiter::Comma => "Trennzeichen: Komma",
            Delimiter::Semicolon => "Trennzeichen: Semikolon",
        }
        .to_owned(),
    );
    if !read.date_formats.is_empty() {
        let formats: Vec<&str> = read
            .date_formats
            .iter()
            .map(|format| match format {
                DateFormat::Iso => "JJJJ-MM-TT",
                DateFormat::German => "TT.MM.JJJJ",
            })
            .collect();
        lines.push(format!("Datumsangaben: {}", formats.join(" und ")));
    }
    if read.postal_codes_padded > 0 {
        lines.push(format!(
            "Postleitzahlen: bei {} die führende Null ergänzt (vierstellig in der Datei)",
            texts::rows(read.postal_codes_padded)
        ));
    }
    lines
}
