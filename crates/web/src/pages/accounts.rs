//! Staff accounts: the list, a page at a time, the form that creates one,
//! and one account's edit under the version read (a stale save shows what
//! someone else changed and overwrites nothing). Nobody may deactivate
//! their own account or change its role: the use case refuses, the page
//! says so in German.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::AppError;
use kartei_app::accounts::{self, AccountInput, AccountPatch, EMAIL_TAKEN};
use kartei_app::paging::{Cursor, PageRequest};
use kartei_domain::staff::MIN_PASSWORD_CHARS;
use kartei_domain::{Role, StaffAccount};
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::WebResult;
use crate::forms::{
    Choice, Difference, FieldErrors, at_fields, differences, optional, page_id, refused_status,
};
use crate::layout::Layout;
use crate::pages::unit_choice::{Offer, UnitChoice, unit_choices, unit_names};
use crate::session::{SignedIn, WebState};
use crate::texts;

const LIST: &str = "/verwaltung/konten";

/// `?weiter=&hinweis=`: the page, and what the form before the redirect did.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    weiter: Option<String>,
    hinweis: Option<String>,
}

struct Row {
    id: Uuid,
    name: String,
    email: String,
    role: &'static str,
    unit: String,
    active: bool,
}

/// The fields of both forms as typed; the edit also carries the version
/// read and whether the account stays active.
#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    org_unit_id: String,
    active: Option<String>,
    /// Never shown again: a form that comes back has it empty.
    #[serde(default)]
    password: String,
}

impl AccountForm {
    fn of(account: &StaffAccount) -> AccountForm {
        AccountForm {
            version: account.version.to_string(),
            email: account.email.to_string(),
            display_name: account.display_name.clone(),
            role: account.role.as_str().to_owned(),
            org_unit_id: account
                .org_unit_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            active: account.active.then(|| "1".to_owned()),
            ..AccountForm::default()
        }
    }

    fn role(&self) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == self.role)
    }

    /// The unit chosen; `Err` for a value no option of the form has.
    fn unit(&self) -> Result<Option<Uuid>, ()> {
        optional(&self.org_unit_id)
            .map(|raw| Uuid::try_parse(&raw).map_err(|_| ()))
            .transpose()
    }

    /// Each field as a person reads it, for the comparison after a stale
    /// save.
    fn shown(&self, names: &HashMap<Uuid, String>) -> [(&'static str, String); 5] {
        let unit = self.unit().ok().flatten();
        [
            ("Name", self.display_name.clone()),
            ("E-Mail", self.email.clone()),
            (
                "Rolle",
                self.role().map(texts::role).unwrap_or_default().to_owned(),
            ),
            (
                "Gliederung",
                unit.and_then(|u| names.get(&u).cloned())
                    .unwrap_or_else(|| "keine".to_owned()),
            ),
            ("Aktiv", kartei_formats::csv::yes_no(self.active.is_some())),
        ]
    }
}

fn role_choices(chosen: Option<Role>) -> Vec<Choice> {
    Role::ALL
        .into_iter()
        .map(|role| Choice {
            value: role.as_str(),
            label: texts::role(role),
            selected: chosen == Some(role),
        })
        .collect()
}

/// The form's checks that need no use case: a role and a unit the form
/// offered.
fn read_choices(form: &AccountForm, errors: &mut FieldErrors) -> Option<(Role, Option<Uuid>)> {
    let role = form.role();
    if role.is_none() {
        errors.add("role", texts::CHOOSE_ONE.to_owned());
    }
    let unit = form.unit();
    if unit.is_err() {
        errors.add("org_unit_id", texts::CHOOSE_ONE.to_owned());
    }
    Some((role?, unit.ok()?))
}

/// A conflict of a new or changed account that is about its address.
fn email_taken(message: &str) -> Option<&'static str> {
    (message == EMAIL_TAKEN).then_some("email")
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    rows: Vec<Row>,
    next: Option<String>,
    form: AccountForm,
    roles: Vec<Choice>,
    units: Vec<UnitChoice>,
    errors: FieldErrors,
    notice: Option<&'static str>,
    password_label: String,
}

pub async fn list(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> WebResult<Response> {
    let notice = match params.hinweis.as_deref() {
        Some("angelegt") => Some(texts::ACCOUNT_CREATED),
        Some("gespeichert") => Some(texts::ACCOUNT_SAVED),
        _ => None,
    };
    let shown = NewForm {
        form: AccountForm {
            active: Some("1".to_owned()),
            ..AccountForm::default()
        },
        errors: FieldErrors::default(),
        notice,
    };
    render_list(&state, &signed_in, params.weiter, shown, StatusCode::OK).await
}

/// The creation form as it is shown beside the list.
struct NewForm {
    form: AccountForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

async fn render_list(
    state: &WebState,
    signed_in: &SignedIn,
    cursor: Option<String>,
    shown: NewForm,
    status: StatusCode,
) -> WebResult<Response> {
    let page = PageRequest {
        limit: None,
        cursor,
    };
    let found = accounts::list(&state.app, &signed_in.actor(), &page).await?;
    let names = unit_names(state, signed_in).await?;
    let rows = found
        .items
        .iter()
        .map(|account| Row {
            id: account.id,
            name: account.display_name.clone(),
            email: account.email.to_string(),
            role: texts::role(account.role),
            unit: account
                .org_unit_id
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_else(|| "–".to_owned()),
            active: account.active,
        })
        .collect();
    let chosen = shown.form.unit().ok().flatten();
    let page = ListPage {
        layout: Layout::of(signed_in),
        rows,
        next: found
            .next_after
            .map(|after| format!("{LIST}?weiter={}", after.encode())),
        roles: role_choices(shown.form.role()),
        units: unit_choices(state, signed_in, Offer::Everything, None, chosen).await?,
        form: shown.form,
        errors: shown.errors,
        notice: shown.notice,
        password_label: format!("Erstes Passwort (mindestens {MIN_PASSWORD_CHARS} Zeichen)"),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn create(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Form(mut form): Form<AccountForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let mut errors = FieldErrors::default();
    if let Some((role, org_unit_id)) = read_choices(&form, &mut errors) {
        let input = AccountInput {
            email: form.email.clone(),
            display_name: form.display_name.clone(),
            role,
            org_unit_id,
            password: SecretString::from(std::mem::take(&mut form.password)),
        };
        match accounts::create(&state.app, &signed_in.actor(), input).await {
            Ok(_) => return Ok(Redirect::to(&format!("{LIST}?hinweis=angelegt")).into_response()),
            Err(err) => at_fields(err, &mut errors, email_taken)?,
        }
    }
    form.password.clear();
    let shown = NewForm {
        form,
        errors,
        notice: None,
    };
    render_list(
        &state,
        &signed_in,
        None,
        shown,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Template)]
#[template(path = "account_edit.html")]
struct EditPage<'a> {
    layout: Layout<'a>,
    id: Uuid,
    name: String,
    form: AccountForm,
    roles: Vec<Choice>,
    units: Vec<UnitChoice>,
    errors: FieldErrors,
    /// The use case's refusal that is about no field.
    alert: Option<&'static str>,
    conflict: Option<Vec<Difference>>,
}

pub async fn edit_form(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = page_id(&id)?;
    let account = accounts::get(&state.app, &signed_in.actor(), id).await?;
    let shown = Edit {
        form: AccountForm::of(&account),
        errors: FieldErrors::default(),
        alert: None,
        conflict: None,
    };
    render_edit(&state, &signed_in, &account, shown, StatusCode::OK).await
}

/// The edit form as it is shown.
struct Edit {
    form: AccountForm,
    errors: FieldErrors,
    alert: Option<&'static str>,
    conflict: Option<Vec<Difference>>,
}

async fn render_edit(
    state: &WebState,
    signed_in: &SignedIn,
    account: &StaffAccount,
    shown: Edit,
    status: StatusCode,
) -> WebResult<Response> {
    let chosen = shown.form.unit().ok().flatten();
    let page = EditPage {
        layout: Layout::of(signed_in),
        id: account.id,
        name: account.display_name.clone(),
        roles: role_choices(shown.form.role()),
        units: unit_choices(state, signed_in, Offer::Everything, None, chosen).await?,
        form: shown.form,
        errors: shown.errors,
        alert: shown.alert,
        conflict: shown.conflict,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Saves the edit if nobody saved the account since the form was read;
/// otherwise shows what they changed, and nothing is overwritten.
pub async fn edit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(mut form): Form<AccountForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let id = page_id(&id)?;
    let actor = signed_in.actor();
    let mut errors = FieldErrors::default();
    let mut alert = None;
    let mut conflict = None;
    // A version that cannot be read is as stale as an old one.
    let version = form.version.trim().parse::<i64>().unwrap_or(-1);
    if let Some((role, org_unit_id)) = read_choices(&form, &mut errors) {
        let patch = AccountPatch {
            email: Some(form.email.clone()),
            display_name: Some(form.display_name.clone()),
            role: Some(role),
            org_unit_id: Some(org_unit_id),
            password: optional(&std::mem::take(&mut form.password)).map(SecretString::from),
            active: Some(form.active.is_some()),
        };
        match accounts::update(&state.app, &actor, id, version, patch).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!("{LIST}?hinweis=gespeichert")).into_response());
            }
            Err(AppError::Stale) => {
                let stored = AccountForm::of(&accounts::get(&state.app, &actor, id).await?);
                let names = unit_names(&state, &signed_in).await?;
                let (typed, now) = (form.shown(&names), stored.shown(&names));
                conflict = Some(differences(typed.iter().zip(&now).map(
                    |((label, typed), (_, now))| (*label, typed.as_str(), now.as_str()),
                )));
                // Saving again now is a decision taken with the other change
                // in view: the form moves to the stored version.
                form.version = stored.version;
            }
            // The only other refusal of a whole change: the account's own.
            Err(AppError::Conflict(message)) if message != EMAIL_TAKEN => {
                alert = Some(texts::OWN_ACCOUNT);
            }
            Err(err) => at_fields(err, &mut errors, email_taken)?,
        }
    }
    let account = accounts::get(&state.app, &actor, id).await?;
    let status = refused_status(conflict.is_some() || alert.is_some());
    let shown = Edit {
        form,
        errors,
        alert,
        conflict,
    };
    render_edit(&state, &signed_in, &account, shown, status).await
}
