//! `POST /api/v1/accounts/{id}/password/reset` (helpdesk/admin) and
//! `POST /api/v1/passwords/generate`.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, Auth, AuthForChange, Ctx, json_rejection};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use latchkey_core::auth::Permission;
use latchkey_core::ops::ResetOptions;
use latchkey_core::secret::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetRequest {
    /// A chosen password; omitted, the server generates one (forbidden by `reset.strict`).
    #[schema(value_type = Option<String>, format = Password)]
    pub new_password: Option<SecretString>,
    /// Default true.
    pub must_change_password: Option<bool>,
    pub password_never_expires: Option<bool>,
    pub cannot_change_password: Option<bool>,
    #[serde(default)]
    pub unlock: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetResponse {
    /// The generated password, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
    pub warnings: Vec<super::me::WarningView>,
}

/// An optional JSON body: empty means all defaults.
async fn optional_json<T: serde::de::DeserializeOwned + Default>(
    req: axum::extract::Request,
) -> Result<T, ApiError> {
    let has_body = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v != "0")
        || req
            .headers()
            .contains_key(axum::http::header::TRANSFER_ENCODING);
    if !has_body {
        return Ok(T::default());
    }
    // `null` is an empty body too.
    let axum::Json(v) = axum::Json::<Option<T>>::from_request(req, &())
        .await
        .map_err(json_rejection)?;
    Ok(v.unwrap_or_default())
}

use axum::extract::FromRequest as _;

/// Reset another account's password (helpdesk may not reset an admin).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/password/reset", tag = "passwords",
    params(("id" = Uuid, Path, description = "Account id")), request_body = Option<ResetRequest>,
    responses(
        (status = 200, description = "Reset; the generated password if one was generated", body = ResetResponse),
        (status = 400, description = "Malformed request", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed, federated account, or reset.strict", content_type = "application/problem+json"),
        (status = 404, description = "No such account", content_type = "application/problem+json"),
        (status = 409, description = "A concurrent change won", content_type = "application/problem+json"),
        (status = 422, description = "Policy refusal with the report", content_type = "application/problem+json"),
        (status = 503, description = "Overloaded", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<impl IntoResponse, ApiError> {
    state
        .core
        .authorize(&principal, Permission::ResetPasswords)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let body: ResetRequest = optional_json(req).await?;
    let options = ResetOptions {
        new_password: body.new_password,
        must_change_password: body.must_change_password,
        password_never_expires: body.password_never_expires,
        cannot_change_password: body.cannot_change_password,
        unlock: body.unlock,
        ..Default::default()
    };
    let outcome = state
        .core
        .reset_password(&ctx.0, &principal, id, options)
        .await?;
    Ok(axum::Json(ResetResponse {
        generated_password: outcome.generated.map(|g| g.expose_secret().to_owned()),
        warnings: super::me::WarningsResponse::new(outcome.report.warnings()).warnings,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenerateRequest {
    /// Generate for this account's policy (needs the right to reset it).
    pub account_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct GenerateResponse {
    pub password: String,
}

/// Generate a password that satisfies the policy.
#[utoipa::path(post, path = "/api/v1/passwords/generate", tag = "passwords", request_body = Option<GenerateRequest>,
    responses(
        (status = 200, description = "A generated password", body = GenerateResponse),
        (status = 400, description = "Malformed request", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for that account", content_type = "application/problem+json"),
        (status = 404, description = "No such account", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn generate_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    req: axum::extract::Request,
) -> Result<impl IntoResponse, ApiError> {
    let body: GenerateRequest = optional_json(req).await?;
    let password = state
        .core
        .generate_password(&ctx.0, &principal, body.account_id)
        .await?;
    Ok(axum::Json(GenerateResponse {
        password: password.expose_secret().to_owned(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckRequest {
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// Check for this account (helpdesk, admins, `passwords:check`); default: the caller.
    pub user_name: Option<String>,
}

/// The validation report of a password, changing nothing (SPEC §10 report shape).
#[utoipa::path(post, path = "/api/v1/passwords/check", tag = "passwords", request_body = CheckRequest,
    responses(
        (status = 200, description = "The report; `valid` says whether the policy accepts it", body = Object),
        (status = 400, description = "Malformed request", content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to check for that user", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 503, description = "Overloaded", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn check_password(
    State(state): State<AppState>,
    AuthForChange(principal): AuthForChange,
    ApiJson(req): ApiJson<CheckRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let report = state
        .core
        .check_password(
            &principal,
            req.password.expose_secret(),
            req.user_name.as_deref(),
        )
        .await?;
    Ok(axum::Json(report))
}
