//! Operational endpoints: liveness, readiness (the store answers), Prometheus metrics.

use super::AppState;
use super::error::ApiError;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

/// The operational endpoints; `/metrics` only when it is not served on `metrics.listen`.
pub fn router(state: &AppState) -> Router<AppState> {
    let r = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if state.config.metrics.listen.is_some() {
        r
    } else {
        r.route("/metrics", get(metrics))
    }
}

/// `/metrics` alone, for `metrics.listen`.
pub fn metrics_router(state: AppState) -> axum::Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    /// `ok` (live) or `ready`.
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Live", body = Status)))]
pub async fn healthz() -> impl IntoResponse {
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "status": "ok" })),
    )
}

/// Readiness: the store answers (a load balancer sends traffic only then).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "The store does not answer", content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    state.core.ready().await?;
    Ok((
        StatusCode::OK,
        axum::Json(serde_json::json!({ "status": "ready" })),
    ))
}

/// Prometheus metrics (text exposition format 0.0.4); see docs/operations.md.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Every metric, in the Prometheus text format", body = String, content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    crate::telemetry::process_metrics().collect();
    // The store's view at scrape time; an unreachable store leaves the last values.
    if let Ok((count, age)) = state.core.outbox_backlog().await {
        metrics::gauge!("latchkey_outbox_backlog").set(count as f64);
        metrics::gauge!("latchkey_outbox_oldest_age_seconds").set(age.as_secs_f64());
    }
    state.metrics.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
