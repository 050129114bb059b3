//! The Adaxes REST API surface (`/restApi/api`, matched case-insensitively; JSON read
//! leniently): sessions and tokens, password change (off by default), reset and
//! generation, objects named by DN, GUID or SID. Translation only.

mod lenient;

use super::AppState;
use super::extract::request_context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use latchkey_core::CoreError;
use latchkey_core::auth::{Permission, Principal};
use latchkey_core::ops::{ChangeRequired, ResetOptions};
use latchkey_core::secret::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

/// The prefix, lowercased: requests are routed after their `/restapi/` prefix is
/// lowercased (see `lowercase_prefix`).
pub const PREFIX: &str = "/restapi/api";

pub fn router(state: &AppState) -> Router<AppState> {
    let throttled = axum::middleware::from_fn_with_state(
        state.clone(),
        crate::http::throttled::throttled::<AdaxesError>,
    );
    Router::new()
        .route(
            "/restapi/api/authsessions/create",
            post(create_session).route_layer(throttled.clone()),
        )
        .route("/restapi/api/auth", post(issue_token).delete(end_session))
        .route(
            "/restapi/api/directoryobjects/changepassword",
            post(change_password).route_layer(throttled),
        )
        .route(
            "/restapi/api/directoryobjects/resetpassword",
            post(reset_password),
        )
        .route(
            "/restapi/api/directoryobjects/passwordutils/generate",
            post(generate),
        )
}

/// Adaxes matches its paths case-insensitively: `/restApi/api/directoryObjects/...` and
/// `/restapi/api/...` are one resource. Applied before routing.
pub fn lowercase_prefix(mut req: axum::extract::Request) -> axum::extract::Request {
    let path = req.uri().path();
    if path.len() >= 9 && path[..9].eq_ignore_ascii_case("/restapi/") && path.is_ascii() {
        let lowered = path.to_ascii_lowercase();
        let pq = match req.uri().query() {
            Some(q) => format!("{lowered}?{q}"),
            None => lowered,
        };
        if let Ok(uri) = pq.parse() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// An Adaxes failure: `{"resultType":2,"innerMessages":[...],"exception":{...}}`.
#[derive(Debug)]
pub struct AdaxesError {
    status: StatusCode,
    message: String,
    details: Vec<String>,
}

impl AdaxesError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: vec![],
        }
    }
}

impl From<CoreError> for AdaxesError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "The user name or password is incorrect.",
            ),
            CoreError::Forbidden(m) | CoreError::Refused(m) => Self::new(StatusCode::FORBIDDEN, m),
            CoreError::PasswordChangeRequired => {
                Self::new(StatusCode::FORBIDDEN, "The password must be changed first.")
            }
            CoreError::NotFound => {
                Self::new(StatusCode::NOT_FOUND, "The directory object was not found.")
            }
            CoreError::Policy(report) => Self {
                status: StatusCode::BAD_REQUEST,
                message: "The password does not meet the password policy requirements.".into(),
                details: report
                    .refusals()
                    .map(|r| format!("{}: {}", r.rule, r.description))
                    .collect(),
            },
            CoreError::Invalid(m) => Self::new(StatusCode::BAD_REQUEST, m),
            CoreError::Duplicate(w) => {
                Self::new(StatusCode::CONFLICT, format!("{w} already exists"))
            }
            CoreError::RevisionConflict => Self::new(
                StatusCode::CONFLICT,
                "The object was changed concurrently; retry.",
            ),
            CoreError::RecoveryFailed | CoreError::RecoveryRefused(_) => {
                Self::new(StatusCode::BAD_REQUEST, "Not a directory operation.")
            }
            CoreError::Overloaded | CoreError::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is busy; retry later.",
            ),
            CoreError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An internal error occurred.",
                )
            }
        }
    }
}

impl IntoResponse for AdaxesError {
    fn into_response(self) -> Response {
        let inner: Vec<Value> = self
            .details
            .iter()
            .map(|d| json!({ "source": "Password policy", "text": d, "messageType": 2 }))
            .collect();
        let body = json!({
            "resultType": 2,
            "innerMessages": inner,
            "exception": { "message": self.message, "code": self.status.as_u16() },
            "actualObjectDN": null,
            "extraInfo": {},
        });
        let retry = self.status == StatusCode::SERVICE_UNAVAILABLE
            || self.status == StatusCode::TOO_MANY_REQUESTS;
        let mut r = (self.status, axum::Json(body)).into_response();
        if retry {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        r
    }
}

fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AdaxesError> {
    serde_json::from_slice(&lenient::strip_trailing_commas(bytes)).map_err(|e| {
        AdaxesError::new(
            StatusCode::BAD_REQUEST,
            format!("The request body is not valid: {e}"),
        )
    })
}

fn ok(dn: &str, extra: Value) -> axum::Json<Value> {
    axum::Json(
        json!({ "resultType": 0, "innerMessages": [], "exception": null, "actualObjectDN": dn, "extraInfo": extra }),
    )
}

impl crate::http::throttled::Refusal for AdaxesError {
    fn refusal(
        _retry_after: u64,
        _: &crate::http::throttled::Asked<'_>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        AdaxesError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts; retry later.",
        )
        .into_response()
    }
}

async fn caller(state: &AppState, h: &HeaderMap) -> Result<Principal, AdaxesError> {
    let token = h
        .get("adm-authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let token = token.ok_or_else(|| {
        AdaxesError::new(
            StatusCode::UNAUTHORIZED,
            "The Adm-Authorization header is missing.",
        )
    })?;
    Ok(state.core.authenticate(token).await?)
}

/// `user@domain` and `DOMAIN\user` name the user `user`.
fn user_name(login: &str) -> &str {
    let login = login.rsplit_once('\\').map_or(login, |(_, u)| u);
    login.split_once('@').map_or(login, |(u, _)| u)
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: SecretString,
}

/// `POST authSessions/create` → `{"sessionId","totpState":null,"changePasswordReason","expiresAtUtc"}`;
/// `changePasswordReason`: 0 none, 1 must change at next sign-in, 2 expired.
async fn create_session(
    State(state): State<AppState>,
    parts: Parts,
    bytes: Bytes,
) -> Result<impl IntoResponse, AdaxesError> {
    let ctx = request_context(&parts, &state, "adaxes");
    let c: Credentials = body(&bytes)?;
    let s = state
        .core
        .sign_in(&ctx, user_name(&c.username), c.password.expose_secret())
        .await?;
    let reason = match s.change_required {
        None => 0,
        Some(ChangeRequired::SetByAdministrator) => 1,
        Some(ChangeRequired::Expired) => 2,
    };
    Ok(axum::Json(
        json!({ "sessionId": s.token.expose_secret(), "totpState": null, "changePasswordReason": reason, "expiresAtUtc": rfc3339(s.expires_at) }),
    ))
}

#[derive(Deserialize)]
struct SessionRef {
    #[serde(rename = "sessionId")]
    session_id: String,
}

/// `POST auth` `{"sessionId"}` → `{"token","expiresAtUtc"}` (the token for `Adm-Authorization`).
async fn issue_token(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<impl IntoResponse, AdaxesError> {
    let s: SessionRef = body(&bytes)?;
    let expires = state.core.session_expiry(&s.session_id).await?;
    Ok(axum::Json(
        json!({ "token": s.session_id, "expiresAtUtc": rfc3339(expires) }),
    ))
}

/// `DELETE auth`: ends the session of the `Adm-Authorization` token.
async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, AdaxesError> {
    caller(&state, &headers).await?;
    if let Some(token) = headers
        .get("adm-authorization")
        .and_then(|v| v.to_str().ok())
    {
        state.core.sign_out(token.trim()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeRequest {
    directory_object: String,
    old_password: SecretString,
    new_password: SecretString,
}

/// `POST directoryObjects/changePassword`: only when `adaxes.allow_change_password`.
async fn change_password(
    State(state): State<AppState>,
    parts: Parts,
    bytes: Bytes,
) -> Result<impl IntoResponse, AdaxesError> {
    if !state.config.adaxes.allow_change_password {
        return Err(AdaxesError::new(
            StatusCode::FORBIDDEN,
            "Changing passwords through the REST API is disabled (adaxes.allow_change_password).",
        ));
    }
    let ctx = request_context(&parts, &state, "adaxes");
    caller(&state, &parts.headers).await?;
    let r: ChangeRequest = body(&bytes)?;
    // The old password is the proof: no permission is needed, and an unknown object
    // answers like a wrong password.
    let done = state
        .core
        .change_password_with_current_by_name(
            &ctx,
            &r.directory_object,
            r.old_password.expose_secret(),
            Some(r.new_password.expose_secret()),
        )
        .await?;
    let account = done.account;
    Ok(ok(&account.dn.to_string(), json!({})))
}

/// Adaxes' reset options: each `true`, `false` or `null` (leave as is).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Options {
    must_change_password: Option<bool>,
    password_never_expires: Option<bool>,
    cannot_change_password: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetRequest {
    directory_object: String,
    password: Option<SecretString>,
    #[serde(default)]
    options: Options,
    #[serde(default)]
    unlock_account: Option<bool>,
}

/// `POST directoryObjects/resetPassword` (helpdesk, admin, `passwords:reset`).
async fn reset_password(
    State(state): State<AppState>,
    parts: Parts,
    bytes: Bytes,
) -> Result<impl IntoResponse, AdaxesError> {
    let ctx = request_context(&parts, &state, "adaxes");
    let principal = caller(&state, &parts.headers).await?;
    let r: ResetRequest = body(&bytes)?;
    let account = state
        .core
        .resolve_account(&principal, &r.directory_object, Permission::ResetPasswords)
        .await?;
    let options = ResetOptions {
        new_password: r.password,
        must_change_password: r.options.must_change_password,
        password_never_expires: r.options.password_never_expires,
        cannot_change_password: r.options.cannot_change_password,
        unlock: r.unlock_account.unwrap_or(false),
        leave_must_change: true,
        ..Default::default()
    };
    let outcome = state
        .core
        .reset_password(&ctx, &principal, account.id, options)
        .await?;
    let extra = match outcome.generated {
        Some(g) => json!({ "generatedPassword": g.expose_secret() }),
        None => json!({}),
    };
    Ok(ok(&account.dn.to_string(), extra))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GenerateRequest {
    directory_object: Option<String>,
}

/// `POST directoryObjects/passwordUtils/generate` → the password as a JSON string.
async fn generate(
    State(state): State<AppState>,
    parts: Parts,
    bytes: Bytes,
) -> Result<impl IntoResponse, AdaxesError> {
    let ctx = request_context(&parts, &state, "adaxes");
    let principal = caller(&state, &parts.headers).await?;
    let r: GenerateRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        GenerateRequest::default()
    } else {
        body(&bytes)?
    };
    let target = match &r.directory_object {
        Some(name) => Some(
            state
                .core
                .resolve_account(&principal, name, Permission::ResetPasswords)
                .await?
                .id,
        ),
        None => None,
    };
    let password = state
        .core
        .generate_password(&ctx, &principal, target)
        .await?;
    Ok(axum::Json(Value::String(
        password.expose_secret().to_owned(),
    )))
}
