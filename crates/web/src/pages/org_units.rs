//! The organisation's tree as the administration keeps it: every unit in
//! its place (districts by name, each with its branches), a form that
//! creates one, and a unit's edit (name, short code, e-mail) under the
//! version read.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::AppError;
use kartei_app::org_units::{self, NewUnit, UnitPatch};
use kartei_domain::{Action, OrgUnit, OrgUnitKind, authorize};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::WebResult;
use crate::forms::{
    Choice, Difference, FieldErrors, at_fields, differences, optional, page_id, refused_status,
};
use crate::layout::Layout;
use crate::pages::unit_choice::{Offer, UnitChoice, in_tree_order, unit_choices};
use crate::session::{SignedIn, WebState};
use crate::texts;

const LIST: &str = "/verwaltung/gliederungen";

/// `?hinweis=`: what the form before the redirect did.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    hinweis: Option<String>,
}

struct Row {
    id: Uuid,
    name: String,
    /// A branch, shown below its district.
    nested: bool,
    kind: &'static str,
    short_code: String,
    email: String,
}

/// The fields of both forms as typed: kind and parent only when creating,
/// the version only when editing.
#[derive(Debug, Default, Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    short_code: String,
    #[serde(default)]
    email: String,
}

impl UnitForm {
    fn of(unit: &OrgUnit) -> UnitForm {
        UnitForm {
            version: unit.version.to_string(),
            name: unit.name.clone(),
            short_code: unit.short_code.clone(),
            email: unit
                .email
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_default(),
            ..UnitForm::default()
        }
    }

    fn kind(&self) -> Option<OrgUnitKind> {
        OrgUnitKind::ALL
            .into_iter()
            .find(|k| k.as_str() == self.kind)
    }

    fn parent(&self) -> Option<Uuid> {
        Uuid::try_parse(self.parent_id.trim()).ok()
    }
}

/// The one conflict of a new or changed unit: its short code is taken.
fn short_code_taken(_: &str) -> Option<&'static str> {
    Some("short_code")
}

#[derive(Template)]
#[template(path = "org_units.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    rows: Vec<Row>,
    form: UnitForm,
    kinds: Vec<Choice>,
    parents: Vec<UnitChoice>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

pub async fn list(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> WebResult<Response> {
    let notice = match params.hinweis.as_deref() {
        Some("angelegt") => Some(texts::UNIT_CREATED),
        Some("gespeichert") => Some(texts::UNIT_SAVED),
        _ => None,
    };
    let form = UnitForm {
        kind: OrgUnitKind::Local.as_str().to_owned(),
        ..UnitForm::default()
    };
    let errors = FieldErrors::default();
    render_list(&state, &signed_in, form, errors, notice, StatusCode::OK).await
}

async fn render_list(
    state: &WebState,
    signed_in: &SignedIn,
    form: UnitForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
    status: StatusCode,
) -> WebResult<Response> {
    // Every account reads the tree; this page is for those who change it.
    authorize(&signed_in.actor(), Action::ManageOrgUnits, None)?;
    let units = org_units::all(&state.app, &signed_in.actor()).await?;
    let rows = in_tree_order(&units)
        .into_iter()
        .map(|placed| Row {
            id: placed.unit.id,
            name: placed.unit.name.clone(),
            nested: placed.district.is_some(),
            kind: texts::unit_kind(placed.unit.kind),
            short_code: placed.unit.short_code.clone(),
            email: placed
                .unit
                .email
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        })
        .collect();
    let chosen_kind = form.kind();
    let page = ListPage {
        layout: Layout::of(signed_in),
        rows,
        kinds: OrgUnitKind::ALL
            .into_iter()
            .map(|kind| Choice {
                value: kind.as_str(),
                label: texts::unit_kind(kind),
                selected: chosen_kind == Some(kind),
            })
            .collect(),
        parents: unit_choices(state, signed_in, Offer::Parents, None, form.parent()).await?,
        form,
        errors,
        notice,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn create(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Form(form): Form<UnitForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let mut errors = FieldErrors::default();
    match form.kind() {
        None => errors.add("kind", texts::CHOOSE_ONE.to_owned()),
        Some(kind) => {
            let input = NewUnit {
                name: form.name.clone(),
                kind,
                parent_id: form.parent(),
                short_code: form.short_code.clone(),
                email: optional(&form.email),
            };
            match org_units::create(&state.app, &signed_in.actor(), input).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("{LIST}?hinweis=angelegt")).into_response());
                }
                Err(err) => at_fields(err, &mut errors, short_code_taken)?,
            }
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render_list(&state, &signed_in, form, errors, None, status).await
}

#[derive(Template)]
#[template(path = "org_unit_edit.html")]
struct EditPage<'a> {
    layout: Layout<'a>,
    id: Uuid,
    title: String,
    form: UnitForm,
    errors: FieldErrors,
    conflict: Option<Vec<Difference>>,
}

fn title(unit: &OrgUnit) -> String {
    format!("{} {}", texts::unit_kind(unit.kind), unit.name)
}

pub async fn edit_form(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = page_id(&id)?;
    let unit = org_units::get_for_change(&state.app, &signed_in.actor(), id).await?;
    let page = EditPage {
        layout: Layout::of(&signed_in),
        id,
        title: title(&unit),
        form: UnitForm::of(&unit),
        errors: FieldErrors::default(),
        conflict: None,
    };
    Ok(Html(page.render()?).into_response())
}

/// Saves the edit if nobody saved the unit since the form was read;
/// otherwise shows what they changed, and nothing is overwritten.
pub async fn edit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(mut form): Form<UnitForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let actor = signed_in.actor();
    // A version that cannot be read is as stale as an old one.
    let version = form.version.trim().parse::<i64>().unwrap_or(-1);
    let patch = UnitPatch {
        name: Some(form.name.clone()),
        short_code: Some(form.short_code.clone()),
        email: Some(optional(&form.email)),
    };
    let mut errors = FieldErrors::default();
    let mut conflict = None;
    match org_units::update(&state.app, &actor, id, version, patch).await {
        Ok(_) => return Ok(Redirect::to(&format!("{LIST}?hinweis=gespeichert")).into_response()),
        Err(AppError::Stale) => {
            let stored = UnitForm::of(&org_units::get_for_change(&state.app, &actor, id).await?);
            conflict = Some(differences([
                ("Name", form.name.as_str(), stored.name.as_str()),
                (
                    "Kürzel",
                    form.short_code.as_str(),
                    stored.short_code.as_str(),
                ),
                ("E-Mail", form.email.as_str(), stored.email.as_str()),
            ]));
            // As with a member: saving again is a decision taken with the
            // other change in view.
            form.version = stored.version;
        }
        Err(err) => at_fields(err, &mut errors, short_code_taken)?,
    }
    let unit = org_units::get_for_change(&state.app, &actor, id).await?;
    let status = refused_status(conflict.is_some());
    let page = EditPage {
        layout: Layout::of(&signed_in),
        id,
        title: title(&unit),
        form,
        errors,
        conflict,
    };
    Ok((status, Html(page.render()?)).into_response())
}
