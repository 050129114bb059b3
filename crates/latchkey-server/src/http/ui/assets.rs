//! The stylesheet, the page script (error summary focus, the live checklist) and the operator's logo, served from the binary
//! (the CSP allows scripts and styles from this server only).

use crate::http::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const STYLESHEET: &str = include_str!("../../../ui/assets/latchkey.css");
const SCRIPT: &str = include_str!("../../../ui/assets/latchkey.js");

fn asset(kind: &'static str, body: impl IntoResponse) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // An SVG opened on its own runs nothing.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    r
}

pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn logo(State(state): State<AppState>) -> Response {
    match state.ui.logo() {
        Some((kind, bytes)) => asset(kind, bytes.to_vec()),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
