//! Audit events: append-only, with actor, target, surface, client IP and request id,
//! never a secret.

use crate::domain::AccountId;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditType {
    #[serde(rename = "login.success")]
    LoginSuccess,
    #[serde(rename = "login.failure")]
    LoginFailure,
    #[serde(rename = "password.change")]
    PasswordChange,
    #[serde(rename = "password.reset")]
    PasswordReset,
    #[serde(rename = "password.generate")]
    PasswordGenerate,
    #[serde(rename = "account.lock")]
    AccountLock,
    #[serde(rename = "account.unlock")]
    AccountUnlock,
    #[serde(rename = "account.create")]
    AccountCreate,
    #[serde(rename = "account.update")]
    AccountUpdate,
    #[serde(rename = "account.delete")]
    AccountDelete,
    #[serde(rename = "recovery.start")]
    RecoveryStart,
    #[serde(rename = "recovery.advance")]
    RecoveryAdvance,
    #[serde(rename = "recovery.complete")]
    RecoveryComplete,
    #[serde(rename = "recovery.failure")]
    RecoveryFailure,
    #[serde(rename = "kba.enrol")]
    KbaEnrol,
    #[serde(rename = "audit.sweep")]
    AuditSweep,
}

impl AuditType {
    pub const ALL: [AuditType; 16] = [
        AuditType::LoginSuccess,
        AuditType::LoginFailure,
        AuditType::PasswordChange,
        AuditType::PasswordReset,
        AuditType::PasswordGenerate,
        AuditType::AccountLock,
        AuditType::AccountUnlock,
        AuditType::AccountCreate,
        AuditType::AccountUpdate,
        AuditType::AccountDelete,
        AuditType::RecoveryStart,
        AuditType::RecoveryAdvance,
        AuditType::RecoveryComplete,
        AuditType::RecoveryFailure,
        AuditType::KbaEnrol,
        AuditType::AuditSweep,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditType::LoginSuccess => "login.success",
            AuditType::LoginFailure => "login.failure",
            AuditType::PasswordChange => "password.change",
            AuditType::PasswordReset => "password.reset",
            AuditType::PasswordGenerate => "password.generate",
            AuditType::AccountLock => "account.lock",
            AuditType::AccountUnlock => "account.unlock",
            AuditType::AccountCreate => "account.create",
            AuditType::AccountUpdate => "account.update",
            AuditType::AccountDelete => "account.delete",
            AuditType::RecoveryStart => "recovery.start",
            AuditType::RecoveryAdvance => "recovery.advance",
            AuditType::RecoveryComplete => "recovery.complete",
            AuditType::RecoveryFailure => "recovery.failure",
            AuditType::KbaEnrol => "kba.enrol",
            AuditType::AuditSweep => "audit.sweep",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Where a request came from: recorded with every audit event.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// `native`, `idm`, `ping`, `adaxes`, `scim`, `ui`, `cli`.
    pub surface: &'static str,
    pub client_ip: Option<IpAddr>,
    pub request_id: String,
}

impl RequestContext {
    /// The server's own background work (housekeeping).
    pub fn system() -> Self {
        Self {
            surface: "system",
            client_ip: None,
            request_id: Uuid::new_v4().to_string(),
        }
    }

    pub fn cli() -> Self {
        Self {
            surface: "cli",
            client_ip: None,
            request_id: Uuid::new_v4().to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(rename = "type")]
    pub kind: AuditType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<AccountId>,
    pub surface: String,
    pub client_ip: Option<String>,
    pub request_id: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl AuditEvent {
    pub fn new(
        ctx: &RequestContext,
        at: OffsetDateTime,
        kind: AuditType,
        actor_id: Option<String>,
        target_id: Option<AccountId>,
        outcome: Outcome,
        reason: Option<&str>,
    ) -> Self {
        Self {
            id: Uuid::new_v4(),
            at,
            kind,
            actor_id,
            target_id,
            surface: ctx.surface.to_owned(),
            client_ip: ctx.client_ip.map(|ip| ip.to_string()),
            request_id: ctx.request_id.clone(),
            outcome,
            reason: reason.map(str::to_owned),
        }
    }
}

/// Which events an admin asks for: newest first, at most `limit`, those older than the
/// event `before` (a cursor that survives new events) when given.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub account_id: Option<AccountId>,
    pub kind: Option<AuditType>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub surface: Option<String>,
    pub outcome: Option<Outcome>,
    pub before: Option<uuid::Uuid>,
    pub limit: u32,
}
