//! `GET /api/v1/me`, `POST /api/v1/me/password` (self change with the current password).

use super::views::{AccountView, etag};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, Auth, AuthForChange, Ctx};
use axum::extract::State;
use axum::response::IntoResponse;
use latchkey_core::ops::Notify;
use latchkey_core::policy::Warning;
use latchkey_core::secret::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses(
        (status = 200, description = "The caller's account", body = AccountView),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "An API client, or a session that must change its password first", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn get_me(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<impl IntoResponse, ApiError> {
    let account = state.core.me(&principal).await?;
    Ok((
        etag(account.rev),
        axum::Json(AccountView::new(&account, &state.core, &principal)),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    #[schema(value_type = String, format = Password)]
    pub current_password: SecretString,
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretString,
}

#[derive(Serialize, ToSchema)]
pub struct WarningView {
    pub rule: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct WarningsResponse {
    pub warnings: Vec<WarningView>,
}

impl WarningsResponse {
    pub fn new(w: Vec<Warning>) -> Self {
        Self {
            warnings: w
                .into_iter()
                .map(|w| WarningView {
                    rule: w.rule.to_owned(),
                    message: w.message,
                })
                .collect(),
        }
    }
}

/// Change the caller's own password, proving the current one. Other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed", body = WarningsResponse),
        (status = 400, description = "Malformed request", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 401, description = "Wrong current password or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Federated account, cannot change, or an API client", content_type = "application/problem+json"),
        (status = 409, description = "A concurrent change won", content_type = "application/problem+json"),
        (status = 422, description = "Policy refusal with the report", content_type = "application/problem+json"),
        (status = 429, description = "Throttled", content_type = "application/problem+json"),
        (status = 503, description = "Overloaded", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn change_my_password(
    State(state): State<AppState>,
    ctx: Ctx,
    AuthForChange(principal): AuthForChange,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let done = state
        .core
        .change_own_password(
            &ctx.0,
            &principal,
            req.current_password.expose_secret(),
            Some(req.new_password.expose_secret()),
            Notify::default(),
        )
        .await?;
    Ok(axum::Json(WarningsResponse::new(done.report.warnings())))
}
