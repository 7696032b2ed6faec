//! The routing table (postal code → district or local branch): the table
//! as it is, and its replacement from a CSV file in two steps. The upload
//! shows what would change (codes added, removed, moved) or every error
//! by row and field; the confirmation carries the checked table back in
//! the form, and the use case checks it again before it replaces the
//! table. Nothing is replaced on any error.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::routing_rules::{self, FileChange, RoutingChange, RoutingRule};
use kartei_app::{AppError, FieldError};
use kartei_domain::{Action, authorize};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::WebResult;
use crate::forms::{RefusedRow, read_upload};
use crate::layout::Layout;
use crate::pages::unit_choice::in_tree_order;
use crate::session::{SignedIn, WebState};
use crate::texts;

const PAGE: &str = "/verwaltung/zuordnung";

/// `?hinweis=`: what the confirmation before the redirect did.
#[derive(Debug, Default, Deserialize)]
pub struct TableParams {
    hinweis: Option<String>,
}

/// One postal code and where it goes.
struct Rule {
    postal_code: String,
    unit: String,
}

/// A postal code that goes elsewhere after the replacement.
struct Move {
    postal_code: String,
    from: String,
    to: String,
}

/// "Ortsverband (Kreisverband)" or the district alone, by id.
async fn unit_labels(state: &WebState, signed_in: &SignedIn) -> WebResult<HashMap<Uuid, String>> {
    let units = kartei_app::org_units::all(&state.app, &signed_in.actor()).await?;
    Ok(in_tree_order(&units)
        .into_iter()
        .map(|placed| (placed.unit.id, placed.label()))
        .collect())
}

fn label(labels: &HashMap<Uuid, String>, id: Uuid) -> String {
    labels.get(&id).cloned().unwrap_or_default()
}

fn shown(rules: &[RoutingRule], labels: &HashMap<Uuid, String>) -> Vec<Rule> {
    rules
        .iter()
        .map(|rule| Rule {
            postal_code: rule.postal_code.to_string(),
            unit: label(labels, rule.org_unit_id),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "routing_table.html")]
struct TablePage<'a> {
    layout: Layout<'a>,
    rules: Vec<Rule>,
    notice: Option<&'static str>,
    alert: Option<&'static str>,
}

pub async fn table(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<TableParams>,
) -> WebResult<Response> {
    let notice = (params.hinweis.as_deref() == Some("ersetzt")).then_some(texts::ROUTING_REPLACED);
    render_table(&state, &signed_in, notice, None, StatusCode::OK).await
}

async fn render_table(
    state: &WebState,
    signed_in: &SignedIn,
    notice: Option<&'static str>,
    alert: Option<&'static str>,
    status: StatusCode,
) -> WebResult<Response> {
    let rules = routing_rules::all(&state.app, &signed_in.actor()).await?;
    let labels = unit_labels(state, signed_in).await?;
    let page = TablePage {
        layout: Layout::of(signed_in),
        rules: shown(&rules, &labels),
        notice,
        alert,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "routing_change.html")]
struct PreviewPage<'a> {
    layout: Layout<'a>,
    added: Vec<Rule>,
    removed: Vec<Rule>,
    moved: Vec<Move>,
    unchanged: usize,
    total: usize,
    /// The checked table, for the confirmation to carry back; none while
    /// the file has errors or changes nothing.
    confirm: Option<String>,
    /// The table this change was shown against, carried back with it.
    based_on: String,
    /// The table was replaced by someone else since the last preview.
    replaced_meanwhile: bool,
    refused: Vec<RefusedRow>,
}

/// Checks the uploaded file and shows what it would change, or its errors.
pub async fn preview(
    State(state): State<WebState>,
    signed_in: SignedIn,
    multipart: Multipart,
) -> WebResult<Response> {
    // A role that may not replace the table learns that before its file
    // is read.
    authorize(&signed_in.actor(), Action::ManageRoutingRules, None)?;
    let upload = read_upload(multipart).await?;
    signed_in.check_csrf(&upload.csrf)?;
    let Some(file) = upload.file else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_table(&state, &signed_in, None, Some(texts::NO_FILE), status).await;
    };
    match routing_rules::check_file(&state.app, &signed_in.actor(), &file).await {
        Ok(FileChange { change, file }) => {
            let confirm = change.changes_anything().then_some(file);
            render_preview(&state, &signed_in, &change, confirm, false, StatusCode::OK).await
        }
        Err(AppError::Invalid(errors)) => refused(&signed_in, &errors),
        Err(other) => Err(other.into()),
    }
}

/// The confirmation: the checked table as the preview carried it.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    regeln: String,
    /// The fingerprint of the table the preview showed the change against.
    #[serde(default)]
    stand: String,
}

/// Replaces the table by the confirmed one, checked again.
pub async fn replace(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Form(form): Form<ConfirmForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let body = form.regeln.as_bytes();
    let actor = signed_in.actor();
    match routing_rules::replace_from_file(&state.app, &actor, body, &form.stand).await {
        Ok(_) => Ok(Redirect::to(&format!("{PAGE}?hinweis=ersetzt")).into_response()),
        Err(AppError::Invalid(errors)) => refused(&signed_in, &errors),
        // Someone replaced the table since the preview: show what the file
        // changes now, against their table, and write nothing.
        Err(AppError::Stale) => match routing_rules::check_file(&state.app, &actor, body).await {
            Ok(FileChange { change, file }) => {
                let confirm = change.changes_anything().then_some(file);
                let status = StatusCode::CONFLICT;
                render_preview(&state, &signed_in, &change, confirm, true, status).await
            }
            Err(AppError::Invalid(errors)) => refused(&signed_in, &errors),
            Err(other) => Err(other.into()),
        },
        Err(other) => Err(other.into()),
    }
}

async fn render_preview(
    state: &WebState,
    signed_in: &SignedIn,
    change: &RoutingChange,
    confirm: Option<String>,
    replaced_meanwhile: bool,
    status: StatusCode,
) -> WebResult<Response> {
    let labels = unit_labels(state, signed_in).await?;
    let page = PreviewPage {
        layout: Layout::of(signed_in),
        added: shown(&change.added, &labels),
        removed: shown(&change.removed, &labels),
        moved: change
            .moved
            .iter()
            .map(|moved| Move {
                postal_code: moved.postal_code.to_string(),
                from: label(&labels, moved.from),
                to: label(&labels, moved.to),
            })
            .collect(),
        unchanged: change.unchanged,
        total: change.rules.len(),
        confirm,
        based_on: change.based_on.clone(),
        replaced_meanwhile,
        refused: Vec::new(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn refused(signed_in: &SignedIn, errors: &[FieldError]) -> WebResult<Response> {
    let page = PreviewPage {
        layout: Layout::of(signed_in),
        added: Vec::new(),
        removed: Vec::new(),
        moved: Vec::new(),
        unchanged: 0,
        total: 0,
        confirm: None,
        based_on: String::new(),
        replaced_meanwhile: false,
        refused: errors.iter().map(RefusedRow::of).collect(),
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
