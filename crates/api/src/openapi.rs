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
        (name = "audit", description = "The audit log across records: changes, logins, exports, imports (admin)"),
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

/// The operations behind a bearer token that every role may call; every
/// other one refuses some role with 403 (the access matrix checks this list
/// against the role table).
const OPEN_TO_EVERY_ROLE: [(&str, &str); 4] = [
    ("get", "/api/v1/me"),
    ("get", "/api/v1/org-units"),
    ("get", "/api/v1/org-units/{id}"),
    ("get", "/api/v1/routing/resolve"),
];

/// Completes the generated document with what operations share, so that a
/// route documents only the answers particular to it. The problem responses
/// follow from an operation's shape: 400 unreadable, 401 without a valid
/// token (secured), 403 a role that may never call it (secured, unless open
/// to every role), 404 the record of a path id that does not exist or lies
/// outside the caller's scope, 409 a change the record's state refuses (a
/// change addressed to a path id), 412 and 428 a missing or stale
/// `If-Match`, 415 a body of another media type, 422 invalid input and 503
/// the database away. Also the schemas of enums used only in query
/// parameters.
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, path::ParameterIn};
    use utoipa::{PartialSchema, ToSchema};

    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (
            crate::csv_out::ListFormat::name(),
            crate::csv_out::ListFormat::schema(),
        ),
        (
            crate::routes::reports::TrendFormat::name(),
            crate::routes::reports::TrendFormat::schema(),
        ),
        (
            crate::routes::outbox::OutboxStatusDto::name(),
            crate::routes::outbox::OutboxStatusDto::schema(),
        ),
    ] {
        components
            .schemas
            .entry(name.into_owned())
            .or_insert(schema);
    }

    let problem = |description: &str| -> RefOr<utoipa::openapi::Response> {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
            .into()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else {
                continue;
            };
            let has_parameter = |place: fn(&ParameterIn) -> bool, name: Option<&str>| {
                operation.parameters.iter().flatten().any(|p| {
                    matches!(p, RefOr::T(p) if place(&p.parameter_in)
                        && name.is_none_or(|n| p.name.eq_ignore_ascii_case(n)))
                })
            };
            let has_body = operation.request_body.is_some();
            let has_query = has_parameter(|p| matches!(p, ParameterIn::Query), None);
            let has_path_id = has_parameter(|p| matches!(p, ParameterIn::Path), None);
            let has_if_match =
                has_parameter(|p| matches!(p, ParameterIn::Header), Some("If-Match"));
            let changes = method != "get";
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let open_to_every_role = OPEN_TO_EVERY_ROLE.iter().any(|(m, p)| {
                *m == method && (path == p || p.strip_prefix("/api/v1") == Some(path))
            });
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description));
            };
            add(
                "400",
                "A path parameter, the query string or the body cannot be read",
            );
            if secured {
                add("401", "No token, or a bad or expired one");
            }
            if secured && !open_to_every_role {
                add("403", "The caller's role may never do this");
            }
            if has_path_id {
                add(
                    "404",
                    "No such record, or it lies outside the caller's part of the tree",
                );
            }
            if has_path_id && changes {
                add("409", "The record's current state refuses this change");
            }
            if has_if_match {
                add("412", "The record changed since the version in `If-Match`");
                add("428", "`If-Match` is missing");
            }
            if has_body {
                add("415", "The body is not of the documented media type");
            }
            if has_body || has_query {
                add("422", "Validation failed; `errors` names each field");
            }
            add("503", "The database is unavailable");
        }
    }
}
