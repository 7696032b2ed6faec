//! Transfers between districts: those from and to the account's part of
//! the organisation, newest first, and the receiving district's answer.
//! While a transfer waits, both sides learn whom it is about; once it is
//! answered, only the side that holds the record (the use case leaves the
//! person out for the other).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::AppError;
use kartei_app::transfers::{self, TransferListQuery, TransferView};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::WebResult;
use crate::forms::{FieldErrors, page_id};
use crate::layout::Layout;
use crate::pages::unit_choice::unit_names;
use crate::session::{SignedIn, WebState};
use crate::texts;

struct Row {
    id: Uuid,
    /// Who moves, where the reader may know it.
    member: Option<String>,
    /// The member's page, where the reader may open it: not the receiving
    /// side before it has taken the member.
    link: Option<String>,
    from: String,
    to: String,
    effective_on: String,
    status: &'static str,
    keep_home_ties: bool,
    reason: String,
    /// This account answers it: the receiving side, while it waits.
    answerable: bool,
    /// Its decline came back without a reason: the form stays open.
    declining: bool,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersPage<'a> {
    layout: Layout<'a>,
    rows: Vec<Row>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

/// `?hinweis=`: what the answer before the redirect did.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    hinweis: Option<String>,
}

pub async fn list(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> WebResult<Response> {
    let notice = match params.hinweis.as_deref() {
        Some("bestaetigt") => Some(texts::TRANSFER_CONFIRMED),
        Some("abgelehnt") => Some(texts::TRANSFER_DECLINED),
        _ => None,
    };
    render(
        &state,
        &signed_in,
        None,
        FieldErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &WebState,
    signed_in: &SignedIn,
    refused: Option<Uuid>,
    errors: FieldErrors,
    notice: Option<&'static str>,
    status: StatusCode,
) -> WebResult<Response> {
    let actor = signed_in.actor();
    let found = transfers::list(&state.app, &actor, TransferListQuery::default()).await?;
    let names = unit_names(state, signed_in).await?;
    let name_of = |district: Uuid, local: Option<Uuid>| {
        let unit = local.unwrap_or(district);
        names.get(&unit).cloned().unwrap_or_default()
    };
    let rows = found
        .into_iter()
        .map(|view| {
            let TransferView {
                transfer: t,
                member,
                answerable,
            } = view;
            // The receiving side cannot open the record before it has
            // taken the member.
            let waits_here = answerable;
            Row {
                id: t.id,
                link: member
                    .as_ref()
                    .filter(|_| !waits_here)
                    .map(|m| format!("/mitglieder/{}", m.id)),
                member: member.map(|m| format!("{} {}", m.person.first_name, m.person.last_name)),
                from: name_of(t.from_district_id, t.from_local_id),
                to: name_of(t.to_district_id, t.to_local_id),
                effective_on: texts::date(t.effective_on),
                status: texts::transfer_status(t.status),
                keep_home_ties: t.keep_home_ties,
                reason: t.reason.clone().unwrap_or_default(),
                declining: refused == Some(t.id),
                answerable,
            }
        })
        .collect();
    let page = TransfersPage {
        layout: Layout::of(signed_in),
        rows,
        errors,
        notice,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn confirm(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    match transfers::confirm(&state.app, &signed_in.actor(), id).await {
        Ok(_) => Ok(Redirect::to("/wechsel?hinweis=bestaetigt").into_response()),
        Err(err) => answer_refused(&state, &signed_in, id, err).await,
    }
}

pub async fn decline(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    match transfers::decline(&state.app, &signed_in.actor(), id, &form.reason).await {
        Ok(_) => Ok(Redirect::to("/wechsel?hinweis=abgelehnt").into_response()),
        Err(err) => answer_refused(&state, &signed_in, id, err).await,
    }
}

async fn answer_refused(
    state: &WebState,
    signed_in: &SignedIn,
    id: Uuid,
    err: AppError,
) -> WebResult<Response> {
    match err {
        AppError::Invalid(fields) => {
            let errors = FieldErrors::of(&fields);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(state, signed_in, Some(id), errors, None, status).await
        }
        AppError::Conflict(_) | AppError::Stale => {
            let notice = Some(texts::TRANSFER_ANSWERED);
            let status = StatusCode::CONFLICT;
            render(
                state,
                signed_in,
                None,
                FieldErrors::default(),
                notice,
                status,
            )
            .await
        }
        other => Err(other.into()),
    }
}
