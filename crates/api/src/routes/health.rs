use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;

/// `/health/*` and `/metrics`, outside the versioned API.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    pub status: &'static str,
}

async fn live() -> Json<HealthStatus> {
    Json(HealthStatus { status: "ok" })
}

/// How long readiness waits for the database. A load balancer asks often
/// and must learn of an outage at once, not after the pool has spent its
/// whole acquire timeout (5 s) trying to reconnect.
const READY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

async fn ready(State(state): State<AppState>) -> ApiResult<Json<HealthStatus>> {
    match tokio::time::timeout(READY_DEADLINE, state.app.ping()).await {
        Ok(Ok(())) => Ok(Json(HealthStatus { status: "ready" })),
        Ok(Err(_)) | Err(_) => Err(ApiError::Unavailable),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render();
    // The request metrics stay available while the database is away.
    match super::reports::waiting_gauges(&state).await {
        Ok(gauges) => text.push_str(&gauges),
        Err(err) => {
            tracing::warn!(error = %err.log_class(), "the waiting gauges could not be read")
        }
    }
    match super::reports::integration_gauges(&state).await {
        Ok(gauges) => text.push_str(&gauges),
        Err(err) => {
            tracing::warn!(error = %err.log_class(), "the integration gauges could not be read")
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
