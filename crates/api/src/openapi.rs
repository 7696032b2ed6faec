use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kartei",
        description = "Membership administration of a party's state association: onboarding of new members, member master data, entry-lag reports.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Log in, tokens, the current account"),
        (name = "users", description = "Staff accounts (admin)"),
        (name = "org-units", description = "The party's tree: state, districts, local branches"),
        (name = "routing", description = "Which unit a postal code goes to"),
        (name = "applications", description = "Membership declarations from receipt to admission"),
        (name = "outbox", description = "E-mail delivery (admin)"),
        (name = "members", description = "Member master data, history, export"),
        (name = "reports", description = "Entry lag: what is not entered yet, where, and for how long"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
