//! HTTP: one module per surface, each exporting a router over the shared `AppState`,
//! plus the operational endpoints and the middleware every request passes.

pub mod adaxes;
pub mod error;
pub mod extract;
mod ibm;
mod idm;
mod middleware;
pub mod native;
pub mod ops;
mod ping;
pub mod scim;
pub mod serve;
mod throttled;
pub mod ui;

use crate::config::Config;
use crate::throttle::Throttle;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use latchkey_core::Latchkey;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

/// Largest accepted request body (a password is at most 4 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Latchkey>,
    pub config: Arc<Config>,
    pub throttle: Arc<Throttle>,
    pub metrics: PrometheusHandle,
    /// The web pages' templates, strings and logo.
    pub ui: Arc<ui::Site>,
}

pub fn router(state: AppState) -> Router {
    let mut surfaces = Router::new();
    if state.config.idm.enabled {
        surfaces = surfaces.merge(idm::router(&state));
    }
    if state.config.ping.enabled {
        surfaces = surfaces.merge(ping::router(&state));
    }
    if state.config.scim.enabled {
        surfaces = surfaces.merge(ibm::router(&state)).merge(scim::router());
    }
    if state.config.adaxes.enabled {
        surfaces = surfaces.merge(adaxes::router(&state));
    }
    let app = Router::new()
        .merge(surfaces)
        .merge(native::router(&state))
        .merge(ops::router(&state))
        .merge(ui::router(&state))
        .fallback(|| async { error::ApiError::NotFound })
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A body that takes longer than `http.body_timeout` to arrive ends the request.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.http.body_timeout,
        ))
        .with_state(state);
    middleware::wrap(app)
}
