//! The web page for people (`/ui`). For now: the page behind the e-mailed recovery link.

mod recover;

use super::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router(state: &AppState) -> Router<AppState> {
    let throttled = axum::middleware::from_fn_with_state(
        state.clone(),
        crate::http::throttled::throttled::<recover::Throttled>,
    );
    Router::new().route(
        "/ui/recover",
        get(recover::show_link).merge(post(recover::submit).route_layer(throttled)),
    )
}
