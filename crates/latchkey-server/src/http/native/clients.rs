//! API clients: `POST /api/v1/clients` (admin) and `POST /api/v1/token`
//! (`client_credentials`, credentials in a JSON or form body, or HTTP Basic).

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, Auth, Ctx};
use axum::extract::{FromRequest as _, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use latchkey_core::auth::{Permission, Scope};
use latchkey_core::ops::ClientInfo;
use latchkey_core::secret::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    #[schema(schema_with = super::schema::client_name)]
    pub name: String,
    /// `accounts:read`, `accounts:write`, `passwords:reset`, `passwords:check`, `audit:read`, `*`.
    #[schema(schema_with = super::schema::scopes)]
    pub scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientCredentials {
    pub client_id: Uuid,
    /// Shown once.
    pub client_secret: String,
}

/// Create an API client (admin).
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Created; the secret is shown once", body = ClientCredentials),
        (status = 400, description = "Malformed request or unknown scope", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn create_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    ApiJson(req): ApiJson<CreateClientRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let scopes = req
        .scopes
        .iter()
        .map(|s| s.parse::<Scope>().map_err(ApiError::BadRequest))
        .collect::<Result<Vec<_>, _>>()?;
    let c = state
        .core
        .create_client(&ctx.0, &principal, &req.name, scopes)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ClientCredentials {
            client_id: c.client_id,
            client_secret: c.client_secret.expose_secret().to_owned(),
        }),
    ))
}

/// An API client as it is listed: never its secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    pub client_id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl From<ClientInfo> for ClientView {
    fn from(c: ClientInfo) -> Self {
        ClientView {
            client_id: c.id,
            name: c.name,
            scopes: c.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: super::views::rfc3339(c.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClientList {
    pub items: Vec<ClientView>,
}

/// List API clients (admin).
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients",
    responses(
        (status = 200, description = "Every API client, oldest first", body = ClientList),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn list_clients(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<axum::Json<ClientList>, ApiError> {
    let items = state.core.list_clients(&principal).await?;
    Ok(axum::Json(ClientList {
        items: items.into_iter().map(ClientView::from).collect(),
    }))
}

/// Show one API client (admin).
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The client", body = ClientView),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
        (status = 404, description = "No such client", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn get_client(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<ClientView>, ApiError> {
    state
        .core
        .authorize(&principal, Permission::ManageClients)?;
    let id = super::accounts::parse_id(&id)?;
    Ok(axum::Json(
        state.core.get_client(&principal, id).await?.into(),
    ))
}

/// Revoke an API client (admin): it and every token it holds stop at once.
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
        (status = 404, description = "No such client", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn delete_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .core
        .authorize(&principal, Permission::ManageClients)?;
    let id = super::accounts::parse_id(&id)?;
    state.core.revoke_client(&ctx.0, &principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate an API client's secret (admin): the new one is shown once; the old one and
/// every token issued with it stop at once.
#[utoipa::path(post, path = "/api/v1/clients/{id}/secret", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The new secret, shown once", body = ClientCredentials),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
        (status = 404, description = "No such client", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<ClientCredentials>, ApiError> {
    state
        .core
        .authorize(&principal, Permission::ManageClients)?;
    let id = super::accounts::parse_id(&id)?;
    let c = state
        .core
        .rotate_client_secret(&ctx.0, &principal, id)
        .await?;
    Ok(axum::Json(ClientCredentials {
        client_id: c.client_id,
        client_secret: c.client_secret.expose_secret().to_owned(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub grant_type: GrantType,
    pub client_id: Option<String>,
    #[schema(value_type = Option<String>, format = Password)]
    pub client_secret: Option<SecretString>,
    /// Accepted and ignored: a token carries all of the client's scopes.
    #[allow(dead_code)] // read so that OAuth clients sending it are not refused
    pub scope: Option<String>,
}

/// The only grant: an API client's own credentials.
#[derive(Deserialize, ToSchema, PartialEq, Eq)]
pub enum GrantType {
    #[serde(rename = "client_credentials")]
    ClientCredentials,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_in: u64,
}

fn basic_credentials(req: &Request) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Exchange client credentials for a bearer token.
#[utoipa::path(post, path = "/api/v1/token", tag = "clients",
    request_body(description = "A form or a JSON body; the credentials may come by HTTP Basic instead",
        content(
            (TokenRequest = "application/x-www-form-urlencoded"),
            (TokenRequest = "application/json")
        )
    ),
    responses(
        (status = 200, description = "A client token", body = TokenResponse),
        (status = 400, description = "Malformed request or unsupported grant", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 401, description = "Invalid client", content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor a form", content_type = "application/problem+json"),
        (status = 429, description = "Throttled", content_type = "application/problem+json"),
    ))]
pub async fn issue_token(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<impl IntoResponse, ApiError> {
    let basic = basic_credentials(&req);
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body: TokenRequest = if content_type.starts_with("application/x-www-form-urlencoded") {
        let axum::Form(f) = axum::Form::<TokenRequest>::from_request(req, &())
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                _ => ApiError::BadRequest(e.body_text()),
            })?;
        f
    } else if content_type.starts_with("application/json") {
        let ApiJson(j) = ApiJson::<TokenRequest>::from_request(req, &()).await?;
        j
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "expected application/x-www-form-urlencoded or application/json".into(),
        ));
    };
    // The only grant there is; any other was refused while reading the body.
    let GrantType::ClientCredentials = body.grant_type;
    let (id, secret) = match (basic, body.client_id, body.client_secret) {
        (Some(b), None, None) => b,
        (None, Some(id), Some(secret)) => (id, secret.expose_secret().to_owned()),
        _ => return Err(ApiError::InvalidClient),
    };
    let secret = SecretString::from(secret);
    let t = state
        .core
        .issue_client_token(&ctx.0, &id, secret.expose_secret())
        .await
        .map_err(|e| match e {
            latchkey_core::CoreError::InvalidCredentials => ApiError::InvalidClient,
            other => other.into(),
        })?;
    Ok(axum::Json(TokenResponse {
        access_token: t.access_token.expose_secret().to_owned(),
        token_type: "Bearer",
        expires_in: t.expires_in,
    }))
}
