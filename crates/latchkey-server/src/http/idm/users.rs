//! `info/login`, `managed/user` (the collection query), `managed/user/{id}` (read, IDM
//! patch dialect) and `validateProperty`.

use super::error::IdmError;
use super::{Caller, caller, context, user};
use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;
use latchkey_core::domain::{Account, AccountStatus, Profile};
use latchkey_core::ops::{AccountUpdate, MAX_LIMIT, OwnUpdate, QuestionRef, ResetOptions, SetBy};
use latchkey_core::ports::{AccountChanges, AccountFilter, AccountSort};
use latchkey_core::recovery::filter::{Attr, Filter};
use latchkey_core::secret::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

fn roles_of(p: &Principal) -> Vec<&'static str> {
    let mut r = vec!["internal/role/openidm-authorized"];
    if p.has_admin_power() {
        r.push("internal/role/openidm-admin");
    }
    r
}

pub async fn info_login(
    State(state): State<AppState>,
    parts: Parts,
) -> Result<impl IntoResponse, IdmError> {
    let ctx = context(&parts, &state);
    let ip = ctx.client_ip.map(|i| i.to_string()).unwrap_or_default();
    let body = match caller(&state, &parts, &ctx).await? {
        Caller::Anonymous => json!({
            "_id": "login", "authenticationId": "anonymous",
            "authorization": { "id": "anonymous", "component": "internal/user", "roles": ["internal/role/openidm-reg"],
                "moduleId": "INTERNAL_USER", "authenticationId": "anonymous", "ipAddress": ip, "authLogin": false }
        }),
        Caller::User(p) => {
            let a = state.core.me(&p).await?;
            json!({
                "_id": "login", "authenticationId": a.user_name.as_str(),
                "authorization": {
                    "userRolesProperty": "authzRoles", "component": "managed/user", "authLogin": false,
                    "authenticationIdProperty": "username", "roles": roles_of(&p), "ipAddress": ip,
                    "authenticationId": a.user_name.as_str(), "protectedAttributeList": ["password", "mail", "telephoneNumber"],
                    "id": a.id, "moduleId": "MANAGED_USER", "queryId": "credential-query"
                }
            })
        }
    };
    Ok(axum::Json(body))
}

/// The managed-user object: never a secret; `kbaInfo` without answers.
async fn user_object(
    state: &AppState,
    principal: &Principal,
    a: &Account,
) -> Result<Value, IdmError> {
    let status = if state.core.account_state(principal, a).status == AccountStatus::Disabled {
        "inactive"
    } else {
        "active"
    };
    let mut o = json!({
        "_id": a.id, "_rev": a.rev.to_string(), "userName": a.user_name.as_str(),
        "givenName": a.profile.given_name, "sn": a.profile.sn, "mail": a.profile.email,
        "displayName": a.profile.display_name, "telephoneNumber": a.profile.telephone_number,
        "accountStatus": status, "effectiveRoles": [], "effectiveAssignments": [],
    });
    if principal.account_id() == Some(a.id) {
        let (enrolled, _) = state.core.security_questions(principal).await?;
        let kba: Vec<Value> = enrolled
            .into_iter()
            .map(|q| match q {
                QuestionRef::System(id) => json!({ "questionId": id }),
                QuestionRef::Custom(text) => json!({ "customQuestion": text }),
            })
            .collect();
        o["kbaInfo"] = json!(kba);
    }
    Ok(o)
}

/// The target account; unknown or malformed ids are 404 for account readers, 403 to others.
async fn target(state: &AppState, principal: &Principal, id: &str) -> Result<Account, IdmError> {
    let Ok(uuid) = Uuid::parse_str(id) else {
        return Err(state.core.malformed_account_id(principal).into());
    };
    Ok(state.core.get_account(principal, uuid).await?)
}

pub async fn get_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<impl IntoResponse, IdmError> {
    let ctx = context(&parts, &state);
    let principal = user(&state, &parts, &ctx).await?;
    let a = target(&state, &principal, &id).await?;
    Ok(axum::Json(user_object(&state, &principal, &a).await?))
}

/// The collection query's parameters (`_fields` and the rest are accepted, not used).
#[derive(Deserialize)]
pub struct CollectionQuery {
    #[serde(rename = "_queryFilter")]
    query_filter: Option<String>,
    #[serde(rename = "_pageSize")]
    page_size: Option<u32>,
    #[serde(rename = "_pagedResultsOffset")]
    offset: Option<u32>,
    #[serde(rename = "_sortKeys")]
    sort_keys: Option<String>,
}

/// `GET /openidm/managed/user?_queryFilter=…`: the matching users, each as a GET of one
/// user returns it (an account reader sees every account, others only their own).
/// `_pageSize` (at most 500; 500 when absent) and `_pagedResultsOffset` page it; the first
/// of `_sortKeys` (`-` for descending) orders it, by user name otherwise.
pub async fn query_users(
    State(state): State<AppState>,
    query: Result<Query<CollectionQuery>, axum::extract::rejection::QueryRejection>,
    parts: Parts,
) -> Result<impl IntoResponse, IdmError> {
    let Query(q) = query.map_err(|e| IdmError::bad_request(e.body_text()))?;
    let ctx = context(&parts, &state);
    let principal = user(&state, &parts, &ctx).await?;
    let filter_text = q
        .query_filter
        .ok_or_else(|| IdmError::bad_request("The request must give _queryFilter"))?;
    let filter = Filter::parse(&filter_text)
        .map_err(|e| IdmError::bad_request(format!("Invalid _queryFilter: {e}")))?;
    let sort = match q.sort_keys.as_deref().and_then(|k| k.split(',').next()) {
        Some(key) => {
            let (descending, name) = match key.trim().strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, key.trim().trim_start_matches('+')),
            };
            let by = Attr::parse(name)
                .ok_or_else(|| IdmError::bad_request(format!("Cannot sort by {name:?}")))?;
            Some(AccountSort { by, descending })
        }
        None => None,
    };
    let page_size = q.page_size.filter(|n| *n > 0).unwrap_or(MAX_LIMIT);
    let page = state
        .core
        .query_visible_accounts(
            &principal,
            AccountFilter {
                query: Some(filter),
                sort,
                offset: q.offset.unwrap_or(0),
                limit: page_size.min(MAX_LIMIT),
                ..Default::default()
            },
        )
        .await?;
    let mut result = Vec::with_capacity(page.items.len());
    for a in &page.items {
        result.push(user_object(&state, &principal, a).await?);
    }
    Ok(axum::Json(json!({
        "result": result,
        "resultCount": page.items.len(),
        "pagedResultsCookie": null,
        "totalPagedResultsPolicy": "EXACT",
        "totalPagedResults": page.total,
        "remainingPagedResults": -1,
    })))
}

/// IDM's `?_action=...`.
#[derive(Deserialize)]
pub struct ActionQuery {
    #[serde(rename = "_action")]
    pub action: Option<String>,
}

/// `POST` is a patch with `X-HTTP-Method-Override: PATCH` or `?_action=patch`.
pub async fn post_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ActionQuery>,
    parts: Parts,
    body: Bytes,
) -> Result<impl IntoResponse, IdmError> {
    let override_patch = parts
        .headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("patch"));
    if !override_patch && q.action.as_deref() != Some("patch") {
        return Err(IdmError::bad_request(
            "Unsupported action: use PATCH, X-HTTP-Method-Override: PATCH or _action=patch",
        ));
    }
    patch(&state, &id, &parts, &body).await
}

pub async fn patch_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Result<impl IntoResponse, IdmError> {
    patch(&state, &id, &parts, &body).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchOp {
    operation: String,
    field: String,
    #[serde(default)]
    value: Option<Value>,
}

/// What a patch asks for, sorted by kind.
#[derive(Default)]
struct Patch {
    password: Option<String>,
    kba: Option<Vec<(QuestionRef, String)>>,
    profile: HashMap<&'static str, Option<String>>,
    status: Option<bool>,
}

const PROFILE_FIELDS: [&str; 5] = ["givenName", "sn", "mail", "displayName", "telephoneNumber"];

fn parse_patch(body: &[u8]) -> Result<Patch, IdmError> {
    let ops: Vec<PatchOp> = serde_json::from_slice(body)
        .map_err(|e| IdmError::bad_request(format!("The patch is not valid: {e}")))?;
    if ops.is_empty() {
        return Err(IdmError::bad_request("The patch is empty"));
    }
    let mut p = Patch::default();
    for op in ops {
        let field = op.field.trim_start_matches('/');
        let operation = op.operation.to_ascii_lowercase();
        if !matches!(operation.as_str(), "replace" | "add" | "remove") {
            return Err(IdmError::bad_request(format!(
                "Unsupported patch operation {:?}",
                op.operation
            )));
        }
        let text = || match &op.value {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(IdmError::bad_request(format!(
                "{field} needs a string value"
            ))),
        };
        match (field, operation.as_str()) {
            ("password", "replace" | "add") => p.password = Some(text()?),
            ("kbaInfo", "replace" | "add") => {
                let items = op
                    .value
                    .as_ref()
                    .and_then(|v| v.as_array())
                    .ok_or_else(|| IdmError::bad_request("kbaInfo needs an array"))?;
                let mut answers = vec![];
                for item in items {
                    let answer = item.get("answer").and_then(|a| a.as_str()).ok_or_else(|| {
                        IdmError::bad_request("each kbaInfo item needs an answer")
                    })?;
                    let q = match (
                        item.get("questionId").and_then(|v| v.as_str()),
                        item.get("customQuestion").and_then(|v| v.as_str()),
                    ) {
                        (Some(id), None) => QuestionRef::System(id.to_owned()),
                        (None, Some(text)) => QuestionRef::Custom(text.to_owned()),
                        _ => {
                            return Err(IdmError::bad_request(
                                "each kbaInfo item needs questionId or customQuestion",
                            ));
                        }
                    };
                    answers.push((q, answer.to_owned()));
                }
                p.kba = Some(answers);
            }
            ("accountStatus", "replace" | "add") => {
                p.status = Some(match text()?.as_str() {
                    "active" => false,
                    "inactive" => true,
                    other => {
                        return Err(IdmError::bad_request(format!(
                            "accountStatus cannot be {other:?}"
                        )));
                    }
                })
            }
            (f, op) => match PROFILE_FIELDS.iter().find(|x| **x == f) {
                Some(name) if op == "remove" => {
                    p.profile.insert(name, None);
                }
                Some(name) => {
                    p.profile.insert(name, Some(text()?));
                }
                None => {
                    return Err(IdmError::bad_request(format!(
                        "The field {f:?} cannot be patched"
                    )));
                }
            },
        }
    }
    Ok(p)
}

fn if_match(h: &HeaderMap) -> Result<Option<i64>, IdmError> {
    crate::http::extract::if_match_revision(h).map_err(IdmError::bad_request)
}

async fn patch(
    state: &AppState,
    id: &str,
    parts: &Parts,
    body: &[u8],
) -> Result<axum::Json<Value>, IdmError> {
    let ctx = context(parts, state);
    let principal = user(state, parts, &ctx).await?;
    let patch = parse_patch(body)?;
    let expected = if_match(&parts.headers)?;
    let own = Uuid::parse_str(id)
        .ok()
        .is_some_and(|u| principal.account_id() == Some(u));
    if !own {
        state.core.authorize_administration(&principal)?;
    }
    let account = target(state, &principal, id).await?;
    if expected.is_some_and(|r| r != account.rev) {
        return Err(IdmError::new(
            StatusCode::PRECONDITION_FAILED,
            "Revision does not match",
        ));
    }
    let reauth = parts
        .headers
        .get("x-openidm-reauth-password")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let protected = patch.password.is_some() || patch.kba.is_some();
    if own && protected && reauth.is_none() {
        return Err(IdmError::forbidden(
            "Reauthentication required: send X-OpenIDM-Reauth-Password",
        ));
    }
    let profile = (!patch.profile.is_empty()).then(|| {
        let mut profile: Profile = account.profile.clone();
        for (field, value) in &patch.profile {
            let slot = match *field {
                "givenName" => &mut profile.given_name,
                "sn" => &mut profile.sn,
                "mail" => &mut profile.email,
                "displayName" => &mut profile.display_name,
                _ => &mut profile.telephone_number,
            };
            *slot = value.clone();
        }
        profile
    });
    if !own {
        if patch.kba.is_some() {
            return Err(IdmError::forbidden(
                "Security answers are set by their owner",
            ));
        }
        // An administrator's patch is one write: profile, status and password together,
        // under the `If-Match` revision.
        let changes = AccountChanges {
            profile,
            disabled: patch.status,
            ..Default::default()
        };
        let password = patch.password.map(|new| ResetOptions {
            new_password: Some(SecretString::from(new)),
            set_by: SetBy::Provisioning,
            ..Default::default()
        });
        let updated = state
            .core
            .update_account(
                &ctx,
                &principal,
                account.id,
                AccountUpdate {
                    expected_rev: Some(expected.unwrap_or(account.rev)),
                    changes,
                    password,
                },
                None,
            )
            .await?;
        return Ok(axum::Json(user_object(state, &principal, &updated).await?));
    }
    if patch.status.is_some() {
        return Err(IdmError::forbidden(
            "accountStatus is changed by administrators",
        ));
    }
    // One's own patch is one write too, proved once by the reauthentication password
    // (which the core asks for when contact data, answers or the password change).
    let update = OwnUpdate {
        expected_rev: Some(expected.unwrap_or(account.rev)),
        profile,
        security_answers: patch.kba,
        new_password: patch.password.map(SecretString::from),
    };
    let updated = state
        .core
        .update_own_account(&ctx, &principal, update, reauth.as_deref())
        .await
        .map_err(reauth_failed)?;
    Ok(axum::Json(user_object(state, &principal, &updated).await?))
}

/// A wrong reauthentication password is IDM's 403, not a 401; a missing one is the
/// 403 IDM answers for a protected attribute.
fn reauth_failed(e: latchkey_core::CoreError) -> IdmError {
    match e {
        latchkey_core::CoreError::InvalidCredentials => {
            IdmError::forbidden("Reauthentication failed")
        }
        latchkey_core::CoreError::Forbidden(latchkey_core::ops::CONTACT_PROOF_REQUIRED) => {
            IdmError::forbidden("Reauthentication required: send X-OpenIDM-Reauth-Password")
        }
        other => other.into(),
    }
}

/// `POST /openidm/policy/managed/user/{id}?_action=validateProperty`: a dry run.
pub async fn validate_property(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ActionQuery>,
    parts: Parts,
    body: Bytes,
) -> Result<impl IntoResponse, IdmError> {
    if !matches!(
        q.action.as_deref(),
        Some("validateProperty" | "validateObject")
    ) {
        return Err(IdmError::bad_request("Unsupported action"));
    }
    let ctx: RequestContext = context(&parts, &state);
    let principal = user(&state, &parts, &ctx).await?;
    let account = target(&state, &principal, &id).await?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| IdmError::bad_request(format!("The body is not valid JSON: {e}")))?;
    let password = ["", "/properties", "/object"]
        .iter()
        .find_map(|p| v.pointer(&format!("{p}/password")).and_then(|x| x.as_str()));
    let Some(password) = password else {
        return Ok(axum::Json(
            json!({ "result": true, "failedPolicyRequirements": [] }),
        ));
    };
    let report = state
        .core
        .check_password(&principal, password, Some(account.user_name.as_str()))
        .await?;
    Ok(axum::Json(super::policy::failed_requirements(&report)))
}
