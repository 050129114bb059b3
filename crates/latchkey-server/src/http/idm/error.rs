//! ForgeRock IDM's error shape: `{"code","reason","message"[,"detail"]}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::CoreError;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct IdmError {
    pub status: StatusCode,
    pub message: String,
    pub detail: Option<Value>,
}

impl IdmError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            detail: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Access Denied")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }
}

impl From<CoreError> for IdmError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::InvalidCredentials => Self::unauthorized(),
            CoreError::Forbidden(m) | CoreError::Refused(m) => Self::forbidden(m),
            CoreError::PasswordChangeRequired => {
                Self::forbidden("The password has expired: change it first")
            }
            CoreError::NotFound => Self::not_found(),
            CoreError::Policy(report) => Self {
                status: StatusCode::FORBIDDEN,
                message: "Policy validation failed".into(),
                detail: Some(super::policy::failed_requirements(&report)),
            },
            CoreError::Invalid(m) => Self::bad_request(m),
            CoreError::Duplicate(what) => {
                Self::new(StatusCode::CONFLICT, format!("{what} already exists"))
            }
            CoreError::RevisionConflict => {
                Self::new(StatusCode::PRECONDITION_FAILED, "Revision does not match")
            }
            CoreError::RecoveryFailed => Self::bad_request("The token is not valid"),
            CoreError::RecoveryRefused(m) => Self::bad_request(m),
            CoreError::Overloaded | CoreError::Unavailable => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
            }
            CoreError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

impl From<crate::http::error::ApiError> for IdmError {
    fn from(e: crate::http::error::ApiError) -> Self {
        use crate::http::error::ApiError as A;
        match e {
            A::PayloadTooLarge => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
            }
            A::UnsupportedMediaType(m) => Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, m),
            A::Throttled(_) => Self::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests"),
            A::BadRequest(m) => Self::bad_request(m),
            other => Self::bad_request(format!("{other:?}")),
        }
    }
}

impl IntoResponse for IdmError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "code": self.status.as_u16(),
            "reason": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
        });
        if let Some(d) = self.detail {
            body["detail"] = d;
        }
        let retry = self.status == StatusCode::SERVICE_UNAVAILABLE
            || self.status == StatusCode::TOO_MANY_REQUESTS;
        let mut r = (self.status, axum::Json(body)).into_response();
        if retry {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}
