//! The per-IP throttle (`throttle.per_ip_per_minute`) as one layer: each surface puts it
//! on its credential-checking routes, with its own refusal, instead of calling the
//! throttle by hand. A request the surface does not count (IDM without credential
//! headers, Ping without HTTP Basic) passes untouched.

use super::AppState;
use super::extract::request_context;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

/// How a surface answers a throttled request, and which of its requests count.
pub trait Refusal: 'static {
    /// Whether this request checks a credential (counts against the throttle).
    fn checks_credentials(_headers: &HeaderMap) -> bool {
        true
    }

    /// The surface's own answer to a request over the allowance (`retry_after` seconds).
    fn refusal(retry_after: u64, asked: &Asked<'_>) -> Response;
}

/// The refused request, for a surface that answers in the asker's terms (a web page in
/// the visitor's language).
pub struct Asked<'a> {
    pub state: &'a AppState,
    pub parts: &'a axum::http::request::Parts,
}

/// The middleware: `axum::middleware::from_fn_with_state(state, throttled::<R>)`.
pub async fn throttled<R: Refusal>(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if R::checks_credentials(request.headers()) {
        let (parts, body) = request.into_parts();
        let ctx = request_context(&parts, &state, "throttle");
        if let Err(wait) = state.throttle.check_client(ctx.client_ip).await {
            return R::refusal(
                wait,
                &Asked {
                    state: &state,
                    parts: &parts,
                },
            );
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    next.run(request).await
}
