//! The ForgeRock IDM surface (`/openidm`): per-request `X-OpenIDM-*` authentication,
//! `info/login`, `managed/user/{id}` with IDM's patch dialect, policy validation, and
//! self-service reset over the core recovery engine. Translation only: every rule is
//! the core's.

mod error;
mod policy;
mod selfservice;
mod users;

use super::AppState;
use super::extract::{bearer, request_context};
use axum::Router;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::routing::{get, post};
use error::IdmError;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;

pub fn router(state: &AppState) -> Router<AppState> {
    use crate::http::throttled::throttled;
    let users = Router::new()
        .route("/openidm/info/login", get(users::info_login))
        .route("/openidm/managed/user", get(users::query_users))
        .route(
            "/openidm/managed/user/{id}",
            get(users::get_user)
                .patch(users::patch_user)
                .post(users::post_user),
        )
        .route(
            "/openidm/policy/managed/user/{id}",
            post(users::validate_property),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            throttled::<CredentialHeaders>,
        ));
    users.route(
        "/openidm/selfservice/reset",
        get(selfservice::first_stage).merge(post(selfservice::submit).route_layer(
            axum::middleware::from_fn_with_state(state.clone(), throttled::<IdmError>),
        )),
    )
}

/// Requests that sign in with `X-OpenIDM-Username` / `X-OpenIDM-Password` (other than
/// IDM's anonymous pair) count against the throttle.
struct CredentialHeaders;

impl crate::http::throttled::Refusal for CredentialHeaders {
    fn checks_credentials(h: &HeaderMap) -> bool {
        match (
            header(h, "x-openidm-username"),
            header(h, "x-openidm-password"),
        ) {
            (Some("anonymous"), Some("anonymous")) | (None, _) | (_, None) => false,
            (Some(_), Some(_)) => true,
        }
    }

    fn refusal(
        retry_after: u64,
        asked: &crate::http::throttled::Asked<'_>,
    ) -> axum::response::Response {
        IdmError::refusal(retry_after, asked)
    }
}

impl crate::http::throttled::Refusal for IdmError {
    fn refusal(
        _retry_after: u64,
        _: &crate::http::throttled::Asked<'_>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        IdmError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
        )
        .into_response()
    }
}

/// Who calls: anonymous (self-service only) or an authenticated principal.
pub enum Caller {
    Anonymous,
    User(Principal),
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `Accept-API-Version: resource=1.x` (optionally with `protocol=...`), or none (pre-IDM 7).
fn check_api_version(h: &HeaderMap) -> Result<(), IdmError> {
    let Some(v) = header(h, "accept-api-version") else {
        return Ok(());
    };
    let resource = v
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("resource="));
    match resource {
        Some(r) if r == "1" || r.starts_with("1.") => Ok(()),
        _ => Err(IdmError::bad_request(format!(
            "Unsupported API version: {v} (resource=1.x is supported)"
        ))),
    }
}

pub fn context(parts: &Parts, state: &AppState) -> RequestContext {
    request_context(parts, state, "idm")
}

/// Authenticates a request the way IDM does: `X-OpenIDM-Username`/`-Password` on each
/// request (`anonymous`/`anonymous` for self-service), or a bearer session token.
pub async fn caller(
    state: &AppState,
    parts: &Parts,
    ctx: &RequestContext,
) -> Result<Caller, IdmError> {
    check_api_version(&parts.headers)?;
    let h = &parts.headers;
    match (
        header(h, "x-openidm-username"),
        header(h, "x-openidm-password"),
    ) {
        (Some("anonymous"), Some("anonymous")) => Ok(Caller::Anonymous),
        (Some(user), Some(password)) => Ok(Caller::User(
            state
                .core
                .authenticate_password(ctx, user, password)
                .await?,
        )),
        _ => match bearer(h) {
            Some(token) => Ok(Caller::User(state.core.authenticate(token).await?)),
            None => Err(IdmError::unauthorized()),
        },
    }
}

/// An authenticated, non-anonymous caller.
pub async fn user(
    state: &AppState,
    parts: &Parts,
    ctx: &RequestContext,
) -> Result<Principal, IdmError> {
    match caller(state, parts, ctx).await? {
        Caller::User(p) => Ok(p),
        Caller::Anonymous => Err(IdmError::forbidden(
            "Anonymous access is limited to self-service",
        )),
    }
}
