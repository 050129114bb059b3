//! Extractors that answer in the native error format: JSON bodies, bearer
//! authentication, the request context (surface, client IP, request id), `If-Match`.

use super::AppState;
use super::error::ApiError;
use crate::client_ip::client_ip;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// A JSON body; any rejection is a problem+json 400/413/415.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        _ => ApiError::BadRequest(rejection.body_text()),
    }
}

/// Where the request comes from, for audit events and the throttle.
pub struct Ctx(pub RequestContext);

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Ctx(request_context(parts, state, "native")))
    }
}

pub fn request_context(parts: &Parts, state: &AppState, surface: &'static str) -> RequestContext {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = peer.map(|p| client_ip(p, &parts.headers, &state.config.trusted_proxies));
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    RequestContext {
        surface,
        client_ip: ip,
        request_id,
    }
}

/// The bearer token itself (for sign-out).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A caller with a valid bearer token whose session may do anything its roles allow.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AuthForChange(principal) = AuthForChange::from_request_parts(parts, state).await?;
        if let Principal::User {
            change_only: true, ..
        } = principal
        {
            return Err(ApiError::PasswordChangeRequired);
        }
        Ok(Auth(principal))
    }
}

/// A caller with a valid bearer token, including a session that may only change its
/// expired password.
pub struct AuthForChange(pub Principal);

impl FromRequestParts<AppState> for AuthForChange {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthorized)?;
        Ok(AuthForChange(state.core.authenticate(token).await?))
    }
}

/// `If-Match: "<rev>"` (or `*`, or absent: no precondition).
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if_match_revision(&parts.headers)
            .map(IfMatch)
            .map_err(|why| ApiError::BadRequest(why.into()))
    }
}

/// The revision an `If-Match` header names (`"3"`, `W/"3"`; `*` or none: no
/// precondition) — the one reading of the header every surface shares.
pub fn if_match_revision(h: &axum::http::HeaderMap) -> Result<Option<i64>, &'static str> {
    let Some(v) = h.get(axum::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().map_err(|_| "If-Match is not ASCII")?.trim();
    if s == "*" {
        return Ok(None);
    }
    let inner = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
    inner
        .parse::<i64>()
        .map(Some)
        .map_err(|_| "If-Match must be a revision as an entity tag, e.g. \"3\"")
}

/// A paging parameter: absent is 0 (the default), negative is a 400.
pub fn non_negative(v: Option<i32>, name: &str) -> Result<u32, ApiError> {
    u32::try_from(v.unwrap_or(0))
        .map_err(|_| ApiError::BadRequest(format!("{name} must not be negative")))
}
