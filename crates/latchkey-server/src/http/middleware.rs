//! Middleware every request passes: request id (generated or propagated), a tracing
//! span carrying it, HTTP metrics, and panic → 500 problem.

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::Response;
use axum::middleware::Next;
use std::time::Instant;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Wraps the router; the last layer added is the outermost.
pub fn wrap(router: Router) -> Router {
    router
        .layer(axum::middleware::from_fn(record_metrics))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(super::error::ApiError::Internal("handler panicked".into()))
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
            // The path only: query strings are never logged.
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// `http_requests_total` by route template (never by id or user), and the
/// `http_request_duration_seconds` histogram by surface and status class.
async fn record_metrics(req: Request, next: Next) -> Response<Body> {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let surface = surface_of(req.uri().path());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    let class = format!("{}xx", status / 100);
    metrics::histogram!("http_request_duration_seconds", "surface" => surface, "status_class" => class)
        .record(start.elapsed().as_secs_f64());
    response
}

/// The surface a path belongs to, for the duration histogram.
fn surface_of(path: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 9] = [
        ("/api/v1/", "native"),
        ("/openidm/", "idm"),
        ("/directory/v1/", "ping"),
        ("/restapi/", "adaxes"),
        ("/scim/v2/", "scim"),
        ("/v2.0/me/password", "ibm"),
        ("/v2.0/", "scim"),
        ("/ui/", "ui"),
        ("/", "operations"),
    ];
    let lower = path.to_ascii_lowercase();
    PREFIXES
        .iter()
        .find(|(p, _)| lower.starts_with(p))
        .map_or("operations", |(_, s)| s)
}
