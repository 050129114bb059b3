//! `/scim/v2/Users` and `/scim/v2/Me`: SCIM users as views of the core's accounts.
//! One e-mail address and one telephone number per account (the primary one, else the
//! first); `active: false` is a disabled account; `password` is write-only and set
//! through the core's reset (a provisioning write, without a forced change).

use super::{LIST, PATCH_OP, ScimError, USER, base, principal, scim};
use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::CoreError;
use latchkey_core::auth::{Permission, Principal};
use latchkey_core::domain::{Account, Profile, UserName};
use latchkey_core::ops::{AccountUpdate, CreateAccount, ResetOptions, SetBy};
use latchkey_core::ports::{AccountChanges, AccountFilter, AccountSort};
use latchkey_core::recovery::filter::{Attr, Filter};
use latchkey_core::secret::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
    ScimError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn user_json(state: &AppState, a: &Account) -> Value {
    let p = &a.profile;
    let mut u = json!({
        "schemas": [USER],
        "id": a.id,
        "userName": a.user_name.as_str(),
        "active": !a.disabled,
        "meta": {
            "resourceType": "User",
            "created": rfc3339(a.created_at),
            "lastModified": rfc3339(a.password_changed_at.unwrap_or(a.created_at).max(a.created_at)),
            "location": format!("{}/Users/{}", base(state), a.id),
            "version": format!("W/\"{}\"", a.rev),
        }
    });
    let mut name = Map::new();
    if let Some(g) = &p.given_name {
        name.insert("givenName".into(), json!(g));
    }
    if let Some(f) = &p.sn {
        name.insert("familyName".into(), json!(f));
    }
    if !name.is_empty() {
        u["name"] = Value::Object(name);
    }
    if let Some(d) = &p.display_name {
        u["displayName"] = json!(d);
    }
    if let Some(l) = &p.locale {
        u["locale"] = json!(l);
    }
    if let Some(x) = &p.external_id {
        u["externalId"] = json!(x);
    }
    if let Some(e) = &p.email {
        u["emails"] = json!([{ "value": e }]);
    }
    if let Some(t) = &p.telephone_number {
        u["phoneNumbers"] = json!([{ "value": t }]);
    }
    u
}

/// The writable state of a user, read from a SCIM body or an account.
#[derive(Debug, Clone, Default)]
struct Model {
    user_name: String,
    profile: Profile,
    active: bool,
    password: Option<String>,
}

impl Model {
    fn of(a: &Account) -> Self {
        Self {
            user_name: a.user_name.to_string(),
            profile: a.profile.clone(),
            active: !a.disabled,
            password: None,
        }
    }

    /// Applies one attribute (`path` lowercased) with its value, as a PUT or PATCH would.
    fn set(&mut self, path: &str, value: Option<&Value>) -> Result<(), ScimError> {
        let text = |v: Option<&Value>| -> Result<Option<String>, ScimError> {
            match v {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(bad(
                    "invalidValue",
                    format!("{path} must be a string, not {other}"),
                )),
            }
        };
        match path {
            "username" => {
                self.user_name =
                    text(value)?.ok_or_else(|| bad("invalidValue", "userName is required"))?
            }
            "displayname" => self.profile.display_name = text(value)?,
            "locale" => self.profile.locale = text(value)?,
            "externalid" => self.profile.external_id = text(value)?,
            "password" => self.password = text(value)?,
            "active" => {
                self.active = match value {
                    // Removing `active` restores the default: active.
                    None | Some(Value::Null) => true,
                    Some(Value::Bool(b)) => *b,
                    Some(Value::String(s))
                        if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
                    {
                        s.eq_ignore_ascii_case("true")
                    }
                    _ => return Err(bad("invalidValue", "active must be true or false")),
                }
            }
            "name.givenname" => self.profile.given_name = text(value)?,
            "name.familyname" => self.profile.sn = text(value)?,
            "name" => match value {
                None | Some(Value::Null) => {
                    self.profile.given_name = None;
                    self.profile.sn = None;
                }
                Some(Value::Object(o)) => {
                    for (k, v) in o {
                        match k.to_ascii_lowercase().as_str() {
                            "givenname" => self.profile.given_name = text(Some(v))?,
                            "familyname" => self.profile.sn = text(Some(v))?,
                            _ => {}
                        }
                    }
                }
                Some(_) => return Err(bad("invalidValue", "name must be an object")),
            },
            "emails" | "emails.value" => self.profile.email = multi_value(value, path)?,
            "phonenumbers" | "phonenumbers.value" => {
                self.profile.telephone_number = multi_value(value, path)?
            }
            "id" | "meta" | "schemas" => {
                return Err(bad("mutability", format!("{path} is read-only")));
            }
            p if p.starts_with("meta.") => {
                return Err(bad("mutability", format!("{path} is read-only")));
            }
            // Attributes outside the published schema are ignored, as RFC 7644 allows.
            _ => {}
        }
        Ok(())
    }

    /// Every attribute of a full resource (POST, PUT).
    fn from_resource(body: &Value) -> Result<Self, ScimError> {
        let obj = body
            .as_object()
            .ok_or_else(|| bad("invalidSyntax", "the body must be a JSON object"))?;
        let mut m = Model {
            active: true,
            ..Default::default()
        };
        for (k, v) in obj {
            let key = k.to_ascii_lowercase();
            // Read-only attributes in a full resource are ignored (RFC 7644 §3.5.1).
            if matches!(key.as_str(), "id" | "meta" | "schemas") || key.starts_with("urn:") {
                continue;
            }
            m.set(&key, Some(v))?;
        }
        if m.user_name.is_empty() {
            return Err(bad("invalidValue", "userName is required"));
        }
        Ok(m)
    }
}

/// The primary (else first) `value` of a multi-valued attribute, or a bare value.
fn multi_value(v: Option<&Value>, path: &str) -> Result<Option<String>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(items)) => {
            let pick = items
                .iter()
                .find(|i| i.get("primary") == Some(&Value::Bool(true)))
                .or_else(|| items.first());
            Ok(pick
                .and_then(|i| i.get("value"))
                .and_then(|x| x.as_str())
                .map(str::to_owned))
        }
        Some(Value::Object(o)) => Ok(o.get("value").and_then(|x| x.as_str()).map(str::to_owned)),
        Some(_) => Err(bad("invalidValue", format!("{path} has an invalid value"))),
    }
}

fn if_match(h: &HeaderMap) -> Result<Option<i64>, ScimError> {
    crate::http::extract::if_match_revision(h).map_err(|why| bad("invalidValue", why))
}

/// The caller, if it may write accounts (checked before the id, so that nothing about
/// the target is revealed to others).
async fn writer(state: &AppState, h: &HeaderMap) -> Result<Principal, ScimError> {
    let p = principal(state, h).await?;
    state.core.authorize(&p, Permission::WriteAccounts)?;
    Ok(p)
}

fn json_body(bytes: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(bytes)
        .map_err(|e| bad("invalidSyntax", format!("the body is not valid JSON: {e}")))
}

fn parse_id(id: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(id)
        .map_err(|_| ScimError::new(StatusCode::NOT_FOUND, None, "Resource not found."))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

/// Keeps the requested attributes (and those always returned) or drops the excluded ones.
fn project(mut u: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let names = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|a| {
                a.trim()
                    .rsplit(':')
                    .next()
                    .unwrap_or("")
                    .split('.')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            })
            .collect()
    };
    if let Some(obj) = u.as_object_mut() {
        if let Some(a) = attributes {
            let keep = names(a);
            obj.retain(|k, _| {
                matches!(k.as_str(), "id" | "schemas") || keep.contains(&k.to_ascii_lowercase())
            });
        } else if let Some(x) = excluded {
            let drop = names(x);
            obj.retain(|k, _| {
                matches!(k.as_str(), "id" | "schemas") || !drop.contains(&k.to_ascii_lowercase())
            });
        }
    }
    u
}

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
    parts: Parts,
) -> Result<Response, ScimError> {
    let p = principal(&state, &parts.headers).await?;
    list_users(&state, &p, q).await
}

/// `POST /Users/.search` (RFC 7644 §3.4.3): the query in a `SearchRequest` body.
pub async fn search(
    State(state): State<AppState>,
    parts: Parts,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let p = principal(&state, &parts.headers).await?;
    let body = json_body(&bytes)?;
    let list = |k: &str| {
        body.get(k).and_then(|v| v.as_array()).map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let q = ListQuery {
        filter: text("filter"),
        start_index: body.get("startIndex").and_then(|v| v.as_i64()),
        count: body.get("count").and_then(|v| v.as_i64()),
        sort_by: text("sortBy"),
        sort_order: text("sortOrder"),
        attributes: list("attributes"),
        excluded_attributes: list("excludedAttributes"),
    };
    list_users(&state, &p, q).await
}

async fn list_users(state: &AppState, p: &Principal, q: ListQuery) -> Result<Response, ScimError> {
    let query = q
        .filter
        .as_deref()
        .map(Filter::parse)
        .transpose()
        .map_err(|e| bad("invalidFilter", e.to_string()))?;
    // An attribute Latchkey does not keep sorts nothing: the default order stands.
    let sort = q
        .sort_by
        .as_deref()
        .and_then(|by| Attr::parse(by.rsplit(':').next().unwrap_or(by)))
        .map(|by| AccountSort {
            by,
            descending: q
                .sort_order
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case("descending")),
        });
    let start = q.start_index.unwrap_or(1).max(1);
    let count = q.count.unwrap_or(100).clamp(0, 500);
    let page = state
        .core
        .list_accounts(
            p,
            AccountFilter {
                query,
                sort,
                offset: u32::try_from(start - 1).unwrap_or(u32::MAX),
                // `count=0` asks for the total alone.
                limit: u32::try_from(count.max(1)).unwrap_or(1),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| match e {
            CoreError::Invalid(why) => bad("invalidFilter", why),
            e => e.into(),
        })?;
    let resources: Vec<Value> = page
        .items
        .iter()
        .take(usize::try_from(count).unwrap_or(0))
        .map(|a| {
            project(
                user_json(state, a),
                q.attributes.as_deref(),
                q.excluded_attributes.as_deref(),
            )
        })
        .collect();
    let body = json!({ "schemas": [LIST], "totalResults": page.total, "startIndex": start, "itemsPerPage": resources.len(), "Resources": resources });
    Ok(scim(StatusCode::OK, &body, None, None))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
    parts: Parts,
) -> Result<Response, ScimError> {
    let p = principal(&state, &parts.headers).await?;
    let a = state.core.get_account(&p, parse_id(&id)?).await?;
    Ok(one(&state, &a, &q))
}

pub async fn me(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
    parts: Parts,
) -> Result<Response, ScimError> {
    let p = principal(&state, &parts.headers).await?;
    let a = state.core.me(&p).await?;
    Ok(one(&state, &a, &q))
}

/// One user, projected as the query asks, with its ETag.
fn one(state: &AppState, a: &Account, q: &ListQuery) -> Response {
    let u = project(
        user_json(state, a),
        q.attributes.as_deref(),
        q.excluded_attributes.as_deref(),
    );
    scim(StatusCode::OK, &u, Some(a.rev), None)
}

pub async fn create(
    State(state): State<AppState>,
    parts: Parts,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let p = principal(&state, &parts.headers).await?;
    let ctx = crate::http::extract::request_context(&parts, &state, "scim");
    let m = Model::from_resource(&json_body(&bytes)?)?;
    let req = CreateAccount {
        user_name: m.user_name,
        password: m.password.map(SecretString::from),
        profile: m.profile,
        disabled: !m.active,
        provisioned: true,
        ..Default::default()
    };
    // In front of a directory, SCIM's users are the directory's (local accounts come from
    // the native API): the core refuses, answered as SCIM's `mutability`.
    let a = match state.core.create_account(&ctx, &p, req).await {
        Err(CoreError::Refused(why)) if why == latchkey_core::error::PROVISIONED_ELSEWHERE => {
            return Err(bad("mutability", why));
        }
        other => other?,
    };
    let location = format!("{}/Users/{}", base(&state), a.id);
    Ok(scim(
        StatusCode::CREATED,
        &user_json(&state, &a),
        Some(a.rev),
        Some(&location),
    ))
}

/// Writes a model over an account: profile, name, status and password, in one write.
async fn write(
    state: &AppState,
    parts: &Parts,
    p: &Principal,
    current: &Account,
    m: Model,
    expected: Option<i64>,
) -> Result<Account, ScimError> {
    let ctx = crate::http::extract::request_context(parts, state, "scim");
    let user_name = if UserName::key_of(&m.user_name) == current.user_name.lookup_key()
        && m.user_name == current.user_name.as_str()
    {
        None
    } else {
        Some(UserName::parse(&m.user_name).map_err(|e| bad("invalidValue", e.to_string()))?)
    };
    let changes = AccountChanges {
        user_name,
        profile: (m.profile != current.profile).then_some(m.profile),
        disabled: (m.active == current.disabled).then_some(!m.active),
        ..Default::default()
    };
    let password = m.password.map(|pw| ResetOptions {
        new_password: Some(SecretString::from(pw)),
        set_by: SetBy::Provisioning,
        ..Default::default()
    });
    Ok(state
        .core
        .update_account(
            &ctx,
            p,
            current.id,
            AccountUpdate {
                expected_rev: expected.or(Some(current.rev)),
                changes,
                password,
            },
            None,
        )
        .await?)
}

pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let p = writer(&state, &parts.headers).await?;
    let expected = if_match(&parts.headers)?;
    let current = state.core.get_account(&p, parse_id(&id)?).await?;
    let m = Model::from_resource(&json_body(&bytes)?)?;
    let a = write(&state, &parts, &p, &current, m, expected).await?;
    Ok(scim(
        StatusCode::OK,
        &user_json(&state, &a),
        Some(a.rev),
        None,
    ))
}

/// `emails[type eq "work"].value` → `emails.value` (one address per account).
fn simple_path(path: &str) -> String {
    let path = path
        .rsplit_once(':')
        .filter(|(p, _)| p.starts_with("urn:"))
        .map_or(path, |(_, rest)| rest);
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.to_ascii_lowercase()
}

pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let p = writer(&state, &parts.headers).await?;
    let expected = if_match(&parts.headers)?;
    let body = json_body(&bytes)?;
    let schemas: Vec<&str> = body
        .get("schemas")
        .and_then(|s| s.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    if !schemas.contains(&PATCH_OP) {
        return Err(bad(
            "invalidSyntax",
            format!("schemas must contain {PATCH_OP}"),
        ));
    }
    let ops = body
        .get("Operations")
        .and_then(|o| o.as_array())
        .filter(|o| !o.is_empty())
        .ok_or_else(|| bad("invalidSyntax", "Operations must be a non-empty array"))?;
    let current = state.core.get_account(&p, parse_id(&id)?).await?;
    let mut m = Model::of(&current);
    for op in ops {
        let kind = op
            .get("op")
            .and_then(|o| o.as_str())
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| bad("invalidSyntax", "each operation needs op"))?;
        let value = op.get("value");
        match (kind.as_str(), op.get("path").and_then(|p| p.as_str())) {
            ("add" | "replace", Some(path)) => m.set(&simple_path(path), value)?,
            ("remove", Some(path)) => {
                let path = simple_path(path);
                if path == "username" {
                    return Err(bad("mutability", "userName cannot be removed"));
                }
                m.set(&path, None)?
            }
            ("add" | "replace", None) => {
                let obj = value.and_then(|v| v.as_object()).ok_or_else(|| {
                    bad(
                        "invalidValue",
                        "an operation without path needs an object value",
                    )
                })?;
                for (k, v) in obj {
                    m.set(&simple_path(k), Some(v))?;
                }
            }
            ("remove", None) => return Err(bad("noTarget", "remove needs a path")),
            (other, _) => return Err(bad("invalidSyntax", format!("unknown op {other:?}"))),
        }
    }
    let a = write(&state, &parts, &p, &current, m, expected).await?;
    Ok(scim(
        StatusCode::OK,
        &user_json(&state, &a),
        Some(a.rev),
        None,
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<StatusCode, ScimError> {
    let p = writer(&state, &parts.headers).await?;
    let ctx = crate::http::extract::request_context(&parts, &state, "scim");
    let expected = if_match(&parts.headers)?;
    state
        .core
        .delete_account(&ctx, &p, parse_id(&id)?, expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
