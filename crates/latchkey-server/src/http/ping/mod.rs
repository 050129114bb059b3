//! The PingDirectory Directory REST API surface (`/directory/v1`): the LDAP password
//! modify extended operation over HTTP, with LDAP result codes, the Password Validation
//! Details and draft-behera password-policy controls, and entries in Ping's HAL form.
//! Translation only: the operations and rules are the core's.

mod controls;
mod result;

use super::AppState;
use super::extract::{bearer, request_context};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::routing::{get, post};
use base64::Engine as _;
use controls::Controls;
use latchkey_core::CoreError;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;
use latchkey_core::domain::{Account, Dn};
use latchkey_core::ops::{Notify, ResetOptions};
use latchkey_core::secret::{ExposeSecret as _, SecretString};
use result::{LdapError, hal};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/directory/v1/{dn}", get(get_entry))
        .route("/directory/v1/{dn}/changePassword", post(change_password))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::throttled::throttled::<LdapError>,
        ))
}

/// Requests that sign in with HTTP Basic count against the throttle.
impl crate::http::throttled::Refusal for LdapError {
    fn checks_credentials(h: &HeaderMap) -> bool {
        h.get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
    }

    fn refusal(
        _retry_after: u64,
        _: &crate::http::throttled::Asked<'_>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        LdapError::busy().into_response()
    }
}

/// The caller, and whether it proved a password in this very request (HTTP Basic).
struct Caller {
    principal: Principal,
    proved_password: Option<String>,
}

async fn caller(
    state: &AppState,
    h: &HeaderMap,
    ctx: &RequestContext,
) -> Result<Caller, LdapError> {
    if let Some(token) = bearer(h) {
        return Ok(Caller {
            principal: state.core.authenticate(token).await?,
            proved_password: None,
        });
    }
    let basic = h
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok());
    let Some(pair) = basic else {
        return Err(LdapError::invalid_credentials());
    };
    let Some((login, password)) = pair.split_once(':') else {
        return Err(LdapError::invalid_credentials());
    };
    let principal = state
        .core
        .authenticate_password(ctx, login, password)
        .await?;
    Ok(Caller {
        principal,
        proved_password: Some(password.to_owned()),
    })
}

/// `me`, or a DN; a DN the caller may not see is `insufficientAccessRights` whether it
/// exists or not.
async fn target(state: &AppState, principal: &Principal, dn: &str) -> Result<Account, LdapError> {
    if dn == "me" {
        return Ok(state.core.me(principal).await?);
    }
    let parsed = Dn::parse(dn).map_err(|e| LdapError::invalid_dn(&e.to_string()))?;
    state
        .core
        .find_account(principal, &parsed.to_string())
        .await
        .map_err(|e| match e {
            CoreError::NotFound => LdapError::no_such_object(&parsed),
            other => other.into(),
        })
}

fn entry_href(state: &AppState, a: &Account) -> String {
    format!(
        "{}/directory/v1/{}",
        state.config.public_url.trim_end_matches('/'),
        a.dn
    )
}

/// `GET /directory/v1/{dn}` and `/directory/v1/me`: the entry, never a secret.
async fn get_entry(
    State(state): State<AppState>,
    Path(dn): Path<String>,
    parts: Parts,
) -> Result<axum::response::Response, LdapError> {
    let ctx = request_context(&parts, &state, "ping");
    let c = caller(&state, &parts.headers, &ctx).await?;
    let a = target(&state, &c.principal, &dn).await?;
    let mut entry = json!({
        "_dn": a.dn.to_string(),
        "objectClass": ["top", "person", "organizationalPerson", "inetOrgPerson"],
        "uid": [a.user_name.as_str()],
        "cn": [a.profile.display_name.clone().unwrap_or_else(|| a.user_name.to_string())],
        "_links": { "self": { "href": entry_href(&state, &a) } },
    });
    for (attr, value) in [
        ("mail", &a.profile.email),
        ("givenName", &a.profile.given_name),
        ("sn", &a.profile.sn),
        ("displayName", &a.profile.display_name),
        ("telephoneNumber", &a.profile.telephone_number),
    ] {
        if let Some(v) = value {
            entry[attr] = json!([v]);
        }
    }
    Ok(hal(entry))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeRequest {
    #[serde(rename = "oldPassword")]
    old_password: Option<SecretString>,
    #[serde(rename = "newPassword")]
    new_password: Option<SecretString>,
    #[serde(rename = "_controls", default)]
    controls: Vec<Value>,
}

/// `POST /directory/v1/{dn}/changePassword` (Ping semantics, SPEC §4): with `oldPassword`,
/// a self change of `{dn}` proved by it; without, a self change if `{dn}` is the caller,
/// else an administrative reset; without `newPassword`, a generated one.
async fn change_password(
    State(state): State<AppState>,
    Path(dn): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Result<axum::response::Response, LdapError> {
    let ctx = request_context(&parts, &state, "ping");
    let req: ChangeRequest = serde_json::from_slice(&body)
        .map_err(|e| LdapError::protocol(&format!("the request is not valid: {e}")))?;
    let controls = Controls::parse(&req.controls)?;
    let c = caller(&state, &parts.headers, &ctx).await?;
    let core = &state.core;
    let generated = req.new_password.is_none();
    let (account, outcome) = if let Some(old) = &req.old_password {
        let name = if dn == "me" {
            core.me(&c.principal).await?.id.to_string()
        } else {
            Dn::parse(&dn)
                .map_err(|e| LdapError::invalid_dn(&e.to_string()))?
                .to_string()
        };
        let new = req.new_password.as_ref().map(|n| n.expose_secret());
        match core
            .change_password_with_current_by_name(&ctx, &name, old.expose_secret(), new)
            .await
        {
            Ok(done) => (done.account, Ok((done.report, done.generated))),
            Err(e) => {
                // The controls describe the entry — never after a failed proof, which
                // must not even look the entry up again (an unknown one would cost less).
                let account = match e {
                    CoreError::InvalidCredentials => None,
                    _ => core.find_account(&Principal::System, &name).await.ok(),
                };
                return Err(LdapError::from_core(
                    e,
                    &controls,
                    account.as_ref().map(|a| (a, core.as_ref())),
                ));
            }
        }
    } else {
        let account = target(&state, &c.principal, &dn).await?;
        if c.principal.account_id() == Some(account.id) {
            let Some(current) = c.proved_password.clone() else {
                return Err(LdapError::must_supply_old_password(
                    &controls, &account, core,
                ));
            };
            let new = req.new_password.as_ref().map(|n| n.expose_secret());
            let outcome = core
                .change_own_password(&ctx, &c.principal, &current, new, Notify::default())
                .await;
            (account, outcome.map(|done| (done.report, done.generated)))
        } else {
            let options = ResetOptions {
                new_password: req.new_password.clone(),
                ..Default::default()
            };
            let outcome = core
                .reset_password(&ctx, &c.principal, account.id, options)
                .await;
            (account, outcome.map(|o| (o.report, o.generated)))
        }
    };
    match outcome {
        Ok((report, generated_password)) => {
            let fresh = core
                .find_account(&Principal::System, &account.id.to_string())
                .await
                .unwrap_or(account);
            let mut body = json!({
                "_links": { "entry": { "href": entry_href(&state, &fresh) } },
                "resultCode": { "value": 0, "name": "success" },
            });
            if let Some(g) = generated_password {
                body["generatedPassword"] = json!(g.expose_secret());
            }
            let response_controls = controls.on_success(&report, &fresh, core, generated);
            if !response_controls.is_empty() {
                body["_controls"] = json!(response_controls);
            }
            Ok(hal(body))
        }
        Err(e) => Err(LdapError::from_core(e, &controls, Some((&account, core)))),
    }
}
