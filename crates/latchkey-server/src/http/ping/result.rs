//! LDAP result codes over HTTP: `{"resultCode":{"value","name"},"diagnosticMessage"[,"matchedDN"][,"_controls"]}`.

use super::controls::{Controls, ppolicy_error};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::domain::{Account, Dn};
use latchkey_core::{CoreError, Latchkey};
use serde_json::{Value, json};

/// A success body as `application/hal+json`.
pub fn hal(body: Value) -> Response {
    let mut r = (StatusCode::OK, axum::Json(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/hal+json"),
    );
    r
}

#[derive(Debug)]
pub struct LdapError {
    code: u16,
    name: &'static str,
    status: StatusCode,
    message: String,
    matched_dn: Option<String>,
    controls: Vec<Value>,
}

impl LdapError {
    fn new(code: u16, name: &'static str, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            name,
            status,
            message: message.into(),
            matched_dn: None,
            controls: vec![],
        }
    }

    pub fn invalid_credentials() -> Self {
        Self::new(
            49,
            "invalidCredentials",
            StatusCode::UNAUTHORIZED,
            "Invalid credentials",
        )
    }

    pub fn insufficient_access(message: &str) -> Self {
        Self::new(
            50,
            "insufficientAccessRights",
            StatusCode::FORBIDDEN,
            message,
        )
    }

    pub fn no_such_object(dn: &Dn) -> Self {
        let text = dn.to_string();
        let parent = text
            .split_once(',')
            .map(|(_, p)| p.to_owned())
            .unwrap_or_default();
        Self {
            matched_dn: Some(parent),
            ..Self::new(
                32,
                "noSuchObject",
                StatusCode::NOT_FOUND,
                "The entry does not exist",
            )
        }
    }

    pub fn invalid_dn(why: &str) -> Self {
        Self::new(
            34,
            "invalidDNSyntax",
            StatusCode::BAD_REQUEST,
            format!("Invalid DN: {why}"),
        )
    }

    pub fn protocol(why: &str) -> Self {
        Self::new(2, "protocolError", StatusCode::BAD_REQUEST, why)
    }

    pub fn unavailable_critical_extension(oid: &str) -> Self {
        Self::new(
            12,
            "unavailableCriticalExtension",
            StatusCode::BAD_REQUEST,
            format!("The critical control {oid} is not supported"),
        )
    }

    pub fn busy() -> Self {
        Self::new(
            51,
            "busy",
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is busy; retry later",
        )
    }

    /// A self change without the current password, over a session that proves none.
    pub fn must_supply_old_password(
        controls: &Controls,
        account: &Account,
        core: &Latchkey,
    ) -> Self {
        Self {
            controls: controls.on_failure(None, account, core, Some("mustSupplyOldPassword"), true),
            ..Self::new(
                19,
                "constraintViolation",
                StatusCode::BAD_REQUEST,
                "The current password must be supplied as oldPassword",
            )
        }
    }

    /// Maps a core refusal; with the account, the requested controls are attached —
    /// except to a failed proof, whose answer must not differ for unknown entries.
    pub fn from_core(
        e: CoreError,
        controls: &Controls,
        account: Option<(&Account, &Latchkey)>,
    ) -> Self {
        let account = account.filter(|_| !matches!(e, CoreError::InvalidCredentials));
        let (mut err, report, ppolicy) = match e {
            CoreError::Policy(report) => {
                let failed: Vec<String> =
                    report.refusals().map(|r| r.description.clone()).collect();
                let err = Self::new(
                    19,
                    "constraintViolation",
                    StatusCode::BAD_REQUEST,
                    format!(
                        "The password does not satisfy the policy: {}",
                        failed.join("; ")
                    ),
                );
                let pp = ppolicy_error(&report);
                (err, Some(report), Some(pp))
            }
            CoreError::Refused(m) => (
                Self::new(53, "unwillingToPerform", StatusCode::FORBIDDEN, m),
                None,
                Some("passwordModNotAllowed"),
            ),
            CoreError::PasswordChangeRequired => (e.into(), None, Some("changeAfterReset")),
            other => (other.into(), None, None),
        };
        if let Some((account, core)) = account {
            err.controls = controls.on_failure(report.as_deref(), account, core, ppolicy, false);
        }
        err
    }
}

impl From<CoreError> for LdapError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::InvalidCredentials => Self::invalid_credentials(),
            CoreError::Forbidden(m) => Self::insufficient_access(m),
            // draft-behera's changeAfterReset: only the password change is allowed.
            CoreError::PasswordChangeRequired => Self::new(
                50,
                "insufficientAccessRights",
                StatusCode::FORBIDDEN,
                "changeAfterReset: the password must be changed before anything else",
            ),
            CoreError::NotFound => Self::new(
                32,
                "noSuchObject",
                StatusCode::NOT_FOUND,
                "The entry does not exist",
            ),
            CoreError::Refused(m) => Self::new(53, "unwillingToPerform", StatusCode::FORBIDDEN, m),
            CoreError::Policy(_) => Self::new(
                19,
                "constraintViolation",
                StatusCode::BAD_REQUEST,
                "The password does not satisfy the policy",
            ),
            CoreError::Invalid(m) => Self::protocol(&m),
            CoreError::Duplicate(w) => Self::new(
                68,
                "entryAlreadyExists",
                StatusCode::CONFLICT,
                format!("{w} already exists"),
            ),
            CoreError::RevisionConflict => Self::new(
                51,
                "busy",
                StatusCode::CONFLICT,
                "A concurrent change won; retry",
            ),
            CoreError::RecoveryFailed | CoreError::RecoveryRefused(_) => {
                Self::protocol("not a directory operation")
            }
            CoreError::Overloaded | CoreError::Unavailable => Self::busy(),
            CoreError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                Self::new(
                    80,
                    "other",
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An internal error occurred",
                )
            }
        }
    }
}

impl IntoResponse for LdapError {
    fn into_response(self) -> Response {
        let mut body = json!({ "resultCode": { "value": self.code, "name": self.name }, "diagnosticMessage": self.message });
        if let Some(m) = self.matched_dn {
            body["matchedDN"] = json!(m);
        }
        if !self.controls.is_empty() {
            body["_controls"] = json!(self.controls);
        }
        let retry = self.status == StatusCode::SERVICE_UNAVAILABLE;
        let mut r = (self.status, axum::Json(body)).into_response();
        if retry {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}
