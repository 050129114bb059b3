//! SCIM errors (RFC 7644 §3.12), with IBM Verify's dictionary header and message ids.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::CoreError;
use latchkey_core::policy::ValidationReport;
use serde_json::json;

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const DICTIONARY_HEADER: &str = "isv-dictionary-policy";

/// A SCIM error, optionally with the dictionary header.
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    message_id: Option<&'static str>,
    detail: String,
    dictionary: Option<&'static str>,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            message_id: None,
            detail: detail.into(),
            dictionary: None,
        }
    }

    pub fn policy(report: &ValidationReport) -> Self {
        let refused: Vec<&str> = report.refusals().map(|r| r.rule).collect();
        let failed: Vec<String> = report
            .refusals()
            .map(|r| format!("{} ({})", r.rule, r.description))
            .collect();
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            format!(
                "The password does not satisfy the policy: {}",
                failed.join("; ")
            ),
        );
        if refused.contains(&"dictionary") {
            e.message_id = Some("PWD_IN_DICTIONARY");
            e.dictionary = Some("ENFORCELOCAL");
        } else if refused.contains(&"breached") {
            e.message_id = Some("PWD_IN_GLOBAL_DICTIONARY");
            e.dictionary = Some("ENFORCEGLOBAL");
        }
        e
    }
}

impl From<CoreError> for ScimError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                None,
                "The current password is not correct, or the token is not valid.",
            ),
            CoreError::Forbidden(m) | CoreError::Refused(m) => {
                Self::new(StatusCode::FORBIDDEN, None, m)
            }
            CoreError::PasswordChangeRequired => Self::new(
                StatusCode::FORBIDDEN,
                None,
                "The password must be changed first.",
            ),
            CoreError::Policy(report) => Self::policy(&report),
            CoreError::Invalid(m) => Self::new(StatusCode::BAD_REQUEST, Some("invalidValue"), m),
            CoreError::RevisionConflict => Self::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                "The resource was changed (version mismatch); read it again.",
            ),
            CoreError::Overloaded | CoreError::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "The service is busy; retry later.",
            ),
            CoreError::NotFound => Self::new(StatusCode::NOT_FOUND, None, "Resource not found."),
            CoreError::Duplicate(what) => Self::new(
                StatusCode::CONFLICT,
                Some("uniqueness"),
                format!("{what} already exists"),
            ),
            CoreError::RecoveryFailed | CoreError::RecoveryRefused(_) => Self::new(
                StatusCode::BAD_REQUEST,
                None,
                "The request cannot be processed.",
            ),
            CoreError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "An internal error occurred.",
                )
            }
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({ "schemas": [ERROR], "status": self.status.as_u16().to_string(), "detail": self.detail });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        if let Some(m) = self.message_id {
            body["messageId"] = json!(m);
        }
        let mut r = (self.status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json"),
        );
        if let Some(d) = self.dictionary {
            h.insert(DICTIONARY_HEADER, HeaderValue::from_static(d));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE
            || self.status == StatusCode::TOO_MANY_REQUESTS
        {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}
