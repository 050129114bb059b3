//! Wire shapes shared by several native resources (SPEC §10 account JSON).

use axum::http::{HeaderMap, HeaderValue, header};
use latchkey_core::Latchkey;
use latchkey_core::auth::Principal;
use latchkey_core::domain::Account;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// An account as every native read returns it: never a secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: Uuid,
    pub user_name: String,
    pub dn: String,
    pub sid: Option<String>,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub sn: Option<String>,
    pub display_name: Option<String>,
    pub telephone_number: Option<String>,
    pub locale: Option<String>,
    pub roles: Vec<String>,
    /// `active`, `disabled` or `locked`.
    pub status: String,
    pub federated: bool,
    pub must_change_password: bool,
    pub password_never_expires: bool,
    pub cannot_change_password: bool,
    /// RFC 3339 UTC; null when no password was ever set.
    pub password_changed_at: Option<String>,
    /// RFC 3339 UTC, when the policy's `max_age` applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_expires_at: Option<String>,
    /// RFC 3339 UTC, while an administrative or lockout lock lasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
    /// Revision, a string of digits; sent as `ETag`.
    #[serde(rename = "_rev")]
    pub rev: String,
}

impl AccountView {
    /// The account as `principal` may see it (the core decides whether a lock shows).
    pub fn new(a: &Account, core: &Latchkey, principal: &Principal) -> Self {
        let state = core.account_state(principal, a);
        Self {
            id: a.id,
            user_name: a.user_name.to_string(),
            dn: a.dn.to_string(),
            sid: a.sid.as_ref().map(ToString::to_string),
            email: a.profile.email.clone(),
            given_name: a.profile.given_name.clone(),
            sn: a.profile.sn.clone(),
            display_name: a.profile.display_name.clone(),
            telephone_number: a.profile.telephone_number.clone(),
            locale: a.profile.locale.clone(),
            roles: a.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            status: state.status.as_str().to_owned(),
            federated: a.federated,
            must_change_password: a.must_change_password,
            password_never_expires: a.password_never_expires,
            cannot_change_password: a.cannot_change_password,
            password_changed_at: a.password_changed_at.map(rfc3339),
            password_expires_at: state.password_expires_at.map(rfc3339),
            locked_until: state.locked_until.map(rfc3339),
            rev: a.rev.to_string(),
        }
    }
}

pub fn etag(rev: i64) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{rev}\"")) {
        h.insert(header::ETAG, v);
    }
    h
}
