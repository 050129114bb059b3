//! `/api/v1/accounts[/{id}]`: create (password, imported hash, or none), list, read,
//! JSON merge patch (RFC 7396) and delete, with `If-Match` on `_rev`.

use super::views::{AccountView, etag};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, Auth, Ctx, IfMatch, non_negative};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use latchkey_core::auth::{Permission, Principal};
use latchkey_core::domain::{Account, AccountStatus, Dn, Profile, Role, Roles, UserName};
use latchkey_core::ops::{AccountUpdate, CreateAccount};
use latchkey_core::ports::{AccountChanges, AccountFilter};
use latchkey_core::secret::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateAccountRequest {
    #[schema(schema_with = super::schema::user_name)]
    pub user_name: String,
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
    /// An existing hash to import: PHC Argon2/PBKDF2, bcrypt, or `{SSHA}`/`{SSHA256}`/`{SSHA512}`.
    #[schema(value_type = Option<String>)]
    pub password_hash: Option<SecretString>,
    pub dn: Option<String>,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub sn: Option<String>,
    pub display_name: Option<String>,
    pub telephone_number: Option<String>,
    pub locale: Option<String>,
    /// `user` (default), `helpdesk`, `admin`.
    #[schema(schema_with = super::schema::roles)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub federated: bool,
    #[serde(default)]
    pub must_change_password: bool,
    #[serde(default)]
    pub password_never_expires: bool,
    #[serde(default)]
    pub cannot_change_password: bool,
}

fn parse_roles(raw: &[String]) -> Result<Vec<Role>, ApiError> {
    raw.iter()
        .map(|r| {
            r.parse::<Role>()
                .map_err(|e| ApiError::BadRequest(e.to_string()))
        })
        .collect()
}

fn view(state: &AppState, principal: &Principal, a: &Account) -> AccountView {
    AccountView::new(a, &state.core, principal)
}

/// Create an account (admin, or a client with `accounts:write`).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = CreateAccountRequest,
    responses(
        (status = 201, description = "Created", body = AccountView),
        (status = 400, description = "Malformed request, bad DN or hash", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
        (status = 409, description = "userName or dn already exists", content_type = "application/problem+json"),
        (status = 422, description = "Policy refusal with the report", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn create_account(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    ApiJson(req): ApiJson<CreateAccountRequest>,
) -> Result<impl IntoResponse, ApiError> {
    use latchkey_core::secret::ExposeSecret as _;
    let create = CreateAccount {
        user_name: req.user_name,
        password: req.password,
        password_hash: req.password_hash.map(|h| h.expose_secret().to_owned()),
        dn: req.dn,
        profile: Profile {
            email: req.email,
            given_name: req.given_name,
            sn: req.sn,
            display_name: req.display_name,
            telephone_number: req.telephone_number,
            locale: req.locale,
            external_id: None,
        },
        roles: parse_roles(&req.roles.unwrap_or_default())?,
        federated: req.federated,
        disabled: false,
        must_change_password: req.must_change_password,
        password_never_expires: req.password_never_expires,
        cannot_change_password: req.cannot_change_password,
        provisioned: false,
    };
    let account = state
        .core
        .create_account(&ctx.0, &principal, create)
        .await?;
    Ok((
        StatusCode::CREATED,
        etag(account.rev),
        axum::Json(view(&state, &principal, &account)),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Exact, case-insensitive.
    pub user_name: Option<String>,
    /// Exact, case-insensitive.
    pub email: Option<String>,
    #[param(minimum = 0)]
    pub offset: Option<i32>,
    /// Default 50, at most 500.
    #[param(minimum = 0)]
    pub limit: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct AccountList {
    pub items: Vec<AccountView>,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
}

/// List accounts (admin, or `accounts:read`).
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(ListQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AccountList),
        (status = 400, description = "Bad query parameters", content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Auth(principal): Auth,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let filter = AccountFilter {
        user_name: q.user_name,
        email: q.email,
        offset: non_negative(q.offset, "offset")?,
        limit: non_negative(q.limit, "limit")?,
        ..Default::default()
    };
    let page = state.core.list_accounts(&principal, filter).await?;
    let items = page
        .items
        .iter()
        .map(|a| view(&state, &principal, a))
        .collect();
    Ok(axum::Json(AccountList {
        items,
        total: page.total,
        offset: page.offset,
        limit: page.limit,
    }))
}

pub(super) fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    // An id that cannot exist is simply not found.
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

/// Read an account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account", body = AccountView),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
        (status = 404, description = "No such account", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn get_account(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id).map_err(|_| state.core.malformed_account_id(&principal))?;
    let account = state.core.get_account(&principal, id).await?;
    Ok((
        etag(account.rev),
        axum::Json(view(&state, &principal, &account)),
    ))
}

/// Reads `Option<Option<String>>` merge-patch semantics: absent, null (clear), value.
fn patch_text(
    obj: &Map<String, Value>,
    key: &str,
    current: &Option<String>,
) -> Result<Option<String>, ApiError> {
    match obj.get(key) {
        None => Ok(current.clone()),
        Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::BadRequest(format!(
            "{key} must be a string or null"
        ))),
    }
}

fn patch_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::BadRequest(format!("{key} must be true or false"))),
    }
}

/// The fields a merge patch may set (documentation of the wire shape; `null` clears a
/// profile field, an absent field stays as it is).
#[derive(ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // a schema, read as a JSON map (absent and null differ)
pub struct AccountPatch {
    #[schema(schema_with = super::schema::user_name)]
    user_name: Option<String>,
    #[schema(min_length = 1, nullable = false)]
    dn: Option<String>,
    #[schema(nullable)]
    email: Option<String>,
    #[schema(nullable)]
    given_name: Option<String>,
    #[schema(nullable)]
    sn: Option<String>,
    #[schema(nullable)]
    display_name: Option<String>,
    #[schema(nullable)]
    telephone_number: Option<String>,
    #[schema(nullable)]
    locale: Option<String>,
    #[schema(schema_with = super::schema::roles)]
    roles: Option<Vec<String>>,
    #[schema(nullable = false)]
    status: Option<PatchStatus>,
    #[schema(nullable = false)]
    federated: Option<bool>,
    #[schema(nullable = false)]
    must_change_password: Option<bool>,
    #[schema(nullable = false)]
    password_never_expires: Option<bool>,
    #[schema(nullable = false)]
    cannot_change_password: Option<bool>,
    /// The caller's current password: needed when an account changes its own `email` or
    /// `telephoneNumber` (never stored, never echoed).
    #[schema(nullable = false, format = Password)]
    current_password: Option<String>,
}

#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // schema only
pub enum PatchStatus {
    Active,
    Disabled,
}

const PATCHABLE: [&str; 15] = [
    "currentPassword",
    "userName",
    "dn",
    "email",
    "givenName",
    "sn",
    "displayName",
    "telephoneNumber",
    "locale",
    "roles",
    "status",
    "federated",
    "mustChangePassword",
    "passwordNeverExpires",
    "cannotChangePassword",
];

/// Turns a merge patch of the account JSON into the core's changes.
/// `locked`: whether the caller sees the account locked (then `status: active` is refused
/// rather than answered with a 200 that changes nothing).
fn changes_from_patch(
    current: &Account,
    locked: bool,
    obj: &Map<String, Value>,
) -> Result<AccountChanges, ApiError> {
    if let Some(key) = obj.keys().find(|k| !PATCHABLE.contains(&k.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "{key} is unknown or read-only"
        )));
    }
    let string = |key: &str| match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::BadRequest(format!("{key} must be a string"))),
    };
    let user_name = string("userName")?
        .map(|s| UserName::parse(&s))
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let dn = string("dn")?
        .map(|s| Dn::parse(&s))
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("dn: {e}")))?;
    let p = &current.profile;
    let profile = Profile {
        email: patch_text(obj, "email", &p.email)?,
        given_name: patch_text(obj, "givenName", &p.given_name)?,
        sn: patch_text(obj, "sn", &p.sn)?,
        display_name: patch_text(obj, "displayName", &p.display_name)?,
        telephone_number: patch_text(obj, "telephoneNumber", &p.telephone_number)?,
        locale: patch_text(obj, "locale", &p.locale)?,
        external_id: p.external_id.clone(),
    };
    let roles = match obj.get("roles") {
        None => None,
        Some(v) => {
            let raw: Vec<String> = serde_json::from_value(v.clone())
                .map_err(|_| ApiError::BadRequest("roles must be an array of strings".into()))?;
            Some(Roles::new(parse_roles(&raw)?))
        }
    };
    let disabled = match string("status")?.as_deref() {
        None => None,
        Some("active") if locked => {
            return Err(ApiError::BadRequest(
                "the account is locked: status active does not unlock it; POST /api/v1/accounts/{id}/unlock does".into(),
            ));
        }
        Some("active") => Some(false),
        Some("disabled") => Some(true),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "status must be active or disabled (locks are set by lockout or the CLI)".into(),
            ));
        }
    };
    Ok(AccountChanges {
        user_name,
        dn,
        profile: (profile != current.profile).then_some(profile),
        roles,
        disabled,
        federated: patch_bool(obj, "federated")?,
        must_change_password: patch_bool(obj, "mustChangePassword")?,
        password_never_expires: patch_bool(obj, "passwordNeverExpires")?,
        cannot_change_password: patch_bool(obj, "cannotChangePassword")?,
    })
}

/// Change an account with a JSON merge patch (`application/merge-patch+json` or `application/json`).
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = Uuid, Path, description = "Account id")),
    request_body(content = AccountPatch, content_type = "application/merge-patch+json", description = "RFC 7396 merge patch of the account JSON"),
    responses(
        (status = 200, description = "The changed account", body = AccountView),
        (status = 400, description = "Unknown or read-only field, bad value", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
        (status = 404, description = "No such account", content_type = "application/problem+json"),
        (status = 409, description = "Revision conflict or duplicate", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn patch_account(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> Result<impl IntoResponse, ApiError> {
    state
        .core
        .authorize(&principal, Permission::WriteAccounts)?;
    let id = parse_id(&id)?;
    let current = state.core.get_account(&principal, id).await?;
    let locked = state.core.account_state(&principal, &current).status == AccountStatus::Locked;
    let changes = changes_from_patch(&current, locked, &patch)?;
    let proof = match patch.get("currentPassword") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "currentPassword must be a string".into(),
            ));
        }
    };
    // Without If-Match, the revision read above guards the merge against a lost update.
    let expected = if_match.or(Some(current.rev));
    let account = state
        .core
        .update_account(
            &ctx.0,
            &principal,
            id,
            AccountUpdate {
                expected_rev: expected,
                changes,
                password: None,
            },
            proof,
        )
        .await?;
    Ok((
        etag(account.rev),
        axum::Json(view(&state, &principal, &account)),
    ))
}

/// Delete an account.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
        (status = 404, description = "No such account", content_type = "application/problem+json"),
        (status = 409, description = "Revision conflict", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn delete_account(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
) -> Result<StatusCode, ApiError> {
    state
        .core
        .authorize(&principal, Permission::WriteAccounts)?;
    let id = parse_id(&id)?;
    state
        .core
        .delete_account(&ctx.0, &principal, id, if_match)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a lock, whether administrative or from failed proofs (helpdesk and admins).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "accounts", params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 200, description = "The unlocked account", body = AccountView),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
        (status = 404, description = "No such account", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn unlock_account(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state
        .core
        .authorize(&principal, Permission::ResetPasswords)?;
    let id = parse_id(&id)?;
    let account = state.core.set_lock(&ctx.0, &principal, id, None).await?;
    Ok((
        etag(account.rev),
        axum::Json(view(&state, &principal, &account)),
    ))
}
