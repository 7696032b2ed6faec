//! Wiring: settings and database in, a running HTTP server out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::{ServerSettings, Settings};
use crate::error::{ApiError, problem_response};
use crate::mail::Mailer;
use crate::openapi::ApiDoc;
use crate::routes;
use crate::state::AppState;
use crate::telemetry::{self, REQUEST_ID_HEADER};

/// Opens the use cases on the configured database (migrated) and what the
/// HTTP layer adds: token keys, the mailer, the metrics.
pub async fn build_state(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
    let settings = Arc::new(settings);
    let app = kartei_app::App::open(settings.clone(), clock.clone()).await?;
    Ok(AppState {
        mailer: Mailer::new(&settings.mail)?,
        tokens: Arc::new(TokenKeys::new(&settings.auth)),
        passwords: app.passwords().clone(),
        app,
        settings,
        clock,
        metrics: telemetry::metrics_handle(),
    })
}

/// The OpenAPI document, generated from the route annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_parts().1
}

/// The versioned API's routes and their OpenAPI document.
fn api_parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", routes::api_v1())
        .split_for_parts();
    crate::openapi::complete(&mut doc);
    (api, doc)
}

pub fn router(state: AppState) -> Router {
    let (api, doc) = api_parts();
    // Every answer of the versioned API may carry personal data or tokens
    // (lists, exports, logins, even a 404 says what exists): no cache, in
    // the browser or on the way, may keep it. The documents, the docs page
    // and the health checks hold nothing personal and stay cacheable.
    let api = api.layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    let docs = SwaggerUi::new("/docs")
        .url("/api/v1/openapi.json", doc)
        .config(Config::default().validator_url("none"));
    let max_body = state.settings.server.max_body_bytes;
    let limits = RequestLimits::new(&state.settings.server);
    let web = kartei_web::router(state.app.clone());
    Router::new()
        .merge(api)
        .merge(docs)
        .merge(routes::health::router())
        .with_state(state)
        .merge(web)
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request| telemetry::request_span(request))
                        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
                // On every answer: a CSV or JSON download is never sniffed
                // into HTML, and no link followed from the docs page tells
                // the next site which address it came from.
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ))
                .layer(CatchPanicLayer::custom(|_| panic_response()))
                .layer(axum::middleware::from_fn(telemetry::track_requests))
                .layer(axum::middleware::from_fn_with_state(limits, limit_requests)),
        )
}

/// The server-wide limits: how many requests run at once and for how long.
#[derive(Clone)]
struct RequestLimits {
    running: Arc<Semaphore>,
    timeout: Duration,
}

impl RequestLimits {
    fn new(server: &ServerSettings) -> Self {
        RequestLimits {
            running: Arc::new(Semaphore::new(server.max_concurrent_requests)),
            timeout: Duration::from_secs(server.request_timeout_seconds),
        }
    }
}

/// Answers 503 at once when `server.max_concurrent_requests` are running,
/// rather than queueing: a queue only grows while the server is behind, and
/// the client (or the load balancer) can try another instance. A request
/// still running after `server.request_timeout_seconds` is dropped (its
/// transaction rolls back) and answered 503 too.
async fn limit_requests(
    State(limits): State<RequestLimits>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(_running) = limits.running.clone().try_acquire_owned() else {
        tracing::warn!("request refused: too many requests running");
        return unavailable("busy", "The server is busy; try again shortly.");
    };
    match tokio::time::timeout(limits.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request cut off: took longer than the request timeout");
            unavailable(
                "timeout",
                "The request took too long and was stopped; try again.",
            )
        }
    }
}

fn unavailable(slug: &str, detail: &str) -> Response {
    let mut response = problem_response(
        StatusCode::SERVICE_UNAVAILABLE,
        slug,
        detail.to_owned(),
        None,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(5u64));
    response
}

fn panic_response() -> Response {
    tracing::error!("handler panicked");
    problem_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "An unexpected error occurred.".into(),
        None,
    )
    .into_response()
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_documents_the_shared_problem_responses() {
        let doc = super::openapi();
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
                if path.contains("{id}") {
                    assert!(responses.contains_key("404"), "{path}: no 404");
                }
            }
        }
        assert!(operations > 40, "{operations} operations");
        let patch_member = doc
            .paths
            .paths
            .get("/api/v1/members/{id}")
            .and_then(|item| item.patch.as_ref())
            .map(|operation| &operation.responses.responses);
        for status in ["409", "412", "428"] {
            assert!(
                patch_member.is_some_and(|r| r.contains_key(status)),
                "PATCH /members/{{id}}: no {status}"
            );
        }
        let schemas = doc.components.map(|c| c.schemas).unwrap_or_default();
        for name in ["ListFormat", "TrendFormat", "OutboxStatusDto", "Problem"] {
            assert!(schemas.contains_key(name), "no schema {name}");
        }
    }
}
