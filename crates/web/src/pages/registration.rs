//! Registering a declaration as the office types it in from paper: every
//! field checked by the use case, each error in German beside its field,
//! the form kept as typed; as the postal code is typed, where it will be
//! routed (htmx; without script the declaration's page says it after
//! saving).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::onboarding::{self, Declaration};
use kartei_app::{AppError, org_units, routing_rules};
use kartei_domain::{Action, authorize};
use serde::Deserialize;

use crate::error::WebResult;
use crate::forms::{FieldErrors, optional};
use crate::layout::Layout;
use crate::session::{SignedIn, WebState};
use crate::texts;

/// The form's fields as typed.
#[derive(Debug, Default, Deserialize)]
pub struct DeclarationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    notes: String,
}

struct Choice {
    value: &'static str,
    label: &'static str,
}

const INTAKE_CHANNELS: [Choice; 6] = [
    Choice {
        value: "paper",
        label: "Papier",
    },
    Choice {
        value: "email",
        label: "E-Mail",
    },
    Choice {
        value: "online",
        label: "Online-Formular",
    },
    Choice {
        value: "event",
        label: "Veranstaltung",
    },
    Choice {
        value: "phone",
        label: "Telefon",
    },
    Choice {
        value: "other",
        label: "anderer Weg",
    },
];

#[derive(Template)]
#[template(path = "registration.html")]
struct RegistrationPage<'a> {
    layout: Layout<'a>,
    form: DeclarationForm,
    channels: &'static [Choice],
    errors: FieldErrors,
}

/// The empty form; received today, on paper.
pub async fn form(signed_in: SignedIn, State(state): State<WebState>) -> WebResult<Html<String>> {
    authorize(&signed_in.actor(), Action::RegisterApplication, None)?;
    let form = DeclarationForm {
        received_on: texts::date(state.app.today()),
        channel: "paper".to_owned(),
        ..DeclarationForm::default()
    };
    render(&signed_in, form, FieldErrors::default())
}

fn render(
    signed_in: &SignedIn,
    form: DeclarationForm,
    errors: FieldErrors,
) -> WebResult<Html<String>> {
    let page = RegistrationPage {
        layout: Layout::of(signed_in),
        form,
        channels: &INTAKE_CHANNELS,
        errors,
    };
    Ok(Html(page.render()?))
}

/// Registers the declaration and shows it, routed; or the form again with
/// what is wrong, nothing saved.
pub async fn submit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Form(form): Form<DeclarationForm>,
) -> WebResult<Response> {
    signed_in.check_csrf(&form.csrf)?;
    let mut errors = FieldErrors::default();
    let received_on = errors.date("received_on", &form.received_on);
    let date_of_birth = errors.date("date_of_birth", &form.date_of_birth);
    let outcome = match (received_on, date_of_birth) {
        (Some(received_on), Some(date_of_birth)) => {
            let declaration = Declaration {
                received_on,
                channel: form.channel.clone(),
                first_name: form.first_name.clone(),
                last_name: form.last_name.clone(),
                date_of_birth,
                email: optional(&form.email),
                phone: optional(&form.phone),
                street: form.street.clone(),
                postal_code: form.postal_code.clone(),
                city: form.city.clone(),
                interests: Vec::new(),
                preferred_org_unit_id: None,
                notes: optional(&form.notes),
            };
            Some(onboarding::register(&state.app, &signed_in.actor(), declaration).await)
        }
        _ => None,
    };
    match outcome {
        Some(Ok(view)) => {
            Ok(Redirect::to(&format!("/erklaerungen/{}", view.application.id)).into_response())
        }
        Some(Err(AppError::Invalid(fields))) => {
            errors.add_all(&fields);
            let page = render(&signed_in, form, errors)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Some(Err(other)) => Err(other.into()),
        None => {
            // The dates could not be read: the other fields are checked
            // too, so that every mistake shows at once.
            let page = render(&signed_in, form, errors)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct RoutingQuery {
    #[serde(default)]
    postal_code: String,
}

#[derive(Template)]
#[template(path = "routing_preview.html")]
struct RoutingPreview {
    message: String,
}

/// Where a postal code routes to, as a fragment beside the field.
pub async fn routing_preview(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<RoutingQuery>,
) -> WebResult<Html<String>> {
    let actor = signed_in.actor();
    let message = match routing_rules::resolve(&state.app, &actor, &query.postal_code).await {
        Ok(found) => {
            let district = org_units::get(&state.app, &actor, found.district_id).await?;
            match found.local_id {
                Some(local) => {
                    let local = org_units::get(&state.app, &actor, local).await?;
                    format!("Geht an: {} ({})", local.name, district.name)
                }
                None => format!("Geht an: {}", district.name),
            }
        }
        Err(AppError::NotFound) => texts::NO_ROUTE.to_owned(),
        Err(AppError::Invalid(_)) => String::new(),
        Err(other) => return Err(other.into()),
    };
    Ok(Html(RoutingPreview { message }.render()?))
}
