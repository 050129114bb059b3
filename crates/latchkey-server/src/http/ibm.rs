//! IBM Security Verify's `POST /v2.0/Me/password` (SCIM message shapes): a self change
//! with the ChangePassword and Notification schemas, dictionary headers, SCIM errors.

use super::AppState;
use super::extract::{bearer, request_context};
use super::scim::DICTIONARY_HEADER;
use super::scim::ScimError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use latchkey_core::auth::Principal;
use latchkey_core::ops::Notify;
use latchkey_core::policy::RuleMode;
use serde::Deserialize;
use serde_json::Value;

pub const CHANGE_PASSWORD: &str = "urn:ietf:params:scim:schemas:ibm:core:2.0:ChangePassword";
pub const NOTIFICATION: &str = "urn:ietf:params:scim:schemas:extension:ibm:2.0:Notification";

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/v2.0/Me/password", post(change_my_password))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::throttled::throttled::<ScimError>,
        ))
}

#[derive(Deserialize)]
pub struct ThemeQuery {
    #[serde(rename = "themeId")]
    theme_id: Option<String>,
}

/// `POST /v2.0/Me/password`: a user's own session token only.
async fn change_my_password(
    State(state): State<AppState>,
    Query(q): Query<ThemeQuery>,
    parts: Parts,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let ctx = request_context(&parts, &state, "scim");
    let media = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let essence = media.split(';').next().unwrap_or_default().trim();
    if essence != "application/scim+json" && essence != "application/json" {
        return Err(ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "Use Content-Type: application/scim+json or application/json.",
        ));
    }
    if media.contains("charset=") && !media.contains("charset=utf-8") {
        return Err(ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "Only charset=utf-8 is supported.",
        ));
    }
    let token = bearer(&parts.headers).ok_or_else(|| {
        ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "A bearer token is required.",
        )
    })?;
    let principal = state.core.authenticate(token).await?;
    if !matches!(principal, Principal::User { .. }) {
        return Err(ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            "An API client has no password of its own: use a user's token.",
        ));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("The body is not valid JSON: {e}"),
        )
    })?;
    let obj = v.as_object().ok_or_else(|| {
        ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            "The body must be a JSON object.",
        )
    })?;
    let schemas: Vec<&str> = obj
        .get("schemas")
        .and_then(|s| s.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    if !schemas.contains(&CHANGE_PASSWORD) {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            format!("schemas must contain {CHANGE_PASSWORD}"),
        ));
    }
    let notification = obj.get(NOTIFICATION);
    if notification.is_some() && !schemas.contains(&NOTIFICATION) {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            format!("schemas must contain {NOTIFICATION} when that object is present"),
        ));
    }
    if let Some(k) = obj
        .keys()
        .find(|k| !["schemas", "oldPassword", "password", NOTIFICATION].contains(&k.as_str()))
    {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("unknown attribute {k:?}"),
        ));
    }
    let text = |k: &str| {
        obj.get(k).and_then(|x| x.as_str()).ok_or_else(|| {
            ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("{k} is required and must be a string"),
            )
        })
    };
    let (old, new) = (text("oldPassword")?, text("password")?);
    let suppress = match notification.map(|n| n.get("notifyType").and_then(|t| t.as_str())) {
        None | Some(Some("EMAIL")) => false,
        Some(Some("NONE")) => true,
        Some(_) => {
            return Err(ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                "notifyType must be EMAIL or NONE",
            ));
        }
    };
    let notify = Notify {
        suppress,
        theme: q.theme_id,
    };
    let report = state
        .core
        .change_own_password(&ctx, &principal, old, Some(new), notify)
        .await?
        .report;
    let mut r = StatusCode::NO_CONTENT.into_response();
    let warned = |rule: &str| {
        report
            .rules
            .iter()
            .any(|x| x.rule == rule && x.mode == RuleMode::Warn && !x.satisfied)
    };
    let header_value = match (warned("dictionary"), warned("breached")) {
        (true, true) => Some("WARNLOCAL,WARNGLOBAL"),
        (true, false) => Some("WARNLOCAL"),
        (false, true) => Some("WARNGLOBAL"),
        (false, false) => None,
    };
    if let Some(h) = header_value {
        r.headers_mut()
            .insert(DICTIONARY_HEADER, HeaderValue::from_static(h));
    }
    Ok(r)
}
