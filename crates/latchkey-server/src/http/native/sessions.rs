//! `POST /api/v1/sessions` (sign in), `DELETE /api/v1/sessions/current` (sign out).

use super::views::rfc3339;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, Ctx, bearer};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use latchkey_core::secret::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignInRequest {
    #[schema(max_length = 256)]
    pub user_name: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    /// Bearer token; shown once.
    pub token: String,
    pub expires_at: String,
    pub account_id: Uuid,
    /// True after a reset or when the password has expired (then the session may only
    /// change the password).
    pub must_change_password: bool,
    /// RFC 3339 UTC, when the policy's `max_age` applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_expires_at: Option<String>,
}

/// Sign in: every failure (unknown user, wrong password, locked, disabled) is the same 401.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in", body = SessionResponse),
        (status = 400, description = "Malformed request", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 401, description = "Invalid credentials", content_type = "application/problem+json"),
        (status = 429, description = "Throttled", content_type = "application/problem+json"),
        (status = 503, description = "Overloaded", content_type = "application/problem+json"),
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let s = state
        .core
        .sign_in(&ctx.0, &req.user_name, req.password.expose_secret())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SessionResponse {
            token: s.token.expose_secret().to_owned(),
            expires_at: rfc3339(s.expires_at),
            account_id: s.account_id,
            must_change_password: s.must_change_password,
            password_expires_at: s.password_expires_at.map(rfc3339),
        }),
    ))
}

/// Sign out: the caller's token stops working.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn delete_current_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers).ok_or(ApiError::Unauthorized)?;
    // Any valid token may end itself, including a change-only session.
    state.core.authenticate(token).await?;
    state.core.sign_out(token).await?;
    Ok(StatusCode::NO_CONTENT)
}
