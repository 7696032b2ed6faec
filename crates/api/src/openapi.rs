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

/// Completes the generated document with what every operation shares, so
/// that a route documents only the answers particular to it: the problem
/// responses any request can get (400 unreadable, 401 without a valid
/// token, 415 a body of another media type, 422 invalid input, 503 the
/// database away), and the schemas of enums used only in query parameters.
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
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let has_body = operation.request_body.is_some();
            let has_query =
                operation.parameters.iter().flatten().any(
                    |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)),
                );
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
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

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_documents_the_shared_problem_responses() {
        let doc = crate::startup::openapi();
        let mut operations = 0;
        for (path, item) in &doc.paths.paths {
            for operation in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                operations += 1;
                let responses = &operation.responses.responses;
                for status in ["400", "503"] {
                    assert!(responses.contains_key(status), "{path}: no {status}");
                }
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                assert_eq!(
                    responses.contains_key("401"),
                    secured || path.ends_with("/auth/login") || path.ends_with("/auth/refresh"),
                    "{path}: 401"
                );
                if operation.request_body.is_some() {
                    assert!(responses.contains_key("415"), "{path}: no 415");
                    assert!(responses.contains_key("422"), "{path}: no 422");
                }
            }
        }
        assert!(operations > 40, "{operations} operations");
        let schemas = doc.components.map(|c| c.schemas).unwrap_or_default();
        for name in ["ListFormat", "TrendFormat", "OutboxStatusDto", "Problem"] {
            assert!(schemas.contains_key(name), "no schema {name}");
        }
    }
}
