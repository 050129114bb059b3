//! Native API errors: RFC 9457 `application/problem+json`, one variant per status
//! (SPEC §10). Internal causes are logged here and never sent to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::CoreError;
use latchkey_core::policy::ValidationReport;
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    /// 400: malformed JSON, unknown fields, bad parameters.
    BadRequest(String),
    /// 401: one body for every cause (unknown user, wrong password, locked, disabled,
    /// missing or expired token).
    Unauthorized,
    /// 401 at the token endpoint, with the OAuth error code `invalid_client`.
    InvalidClient,
    /// 403: authenticated but not allowed.
    Forbidden(String),
    /// 403: the session may only change its expired password.
    PasswordChangeRequired,
    /// 404: unknown id or path (unknown ids only for callers allowed to know).
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 409: revision conflict or duplicate.
    Conflict(String),
    /// 400: any recovery token or flow problem — one body for every cause.
    RecoveryFailed,
    /// 400: a wrong code or answer; the token stays usable.
    RecoveryRefused(String),
    /// 413
    PayloadTooLarge,
    /// 415
    UnsupportedMediaType(String),
    /// 422: the policy refused the password; the report says which rules.
    Policy(Box<ValidationReport>),
    /// 429 with `Retry-After` seconds.
    Throttled(u64),
    /// 503 with `Retry-After` seconds: hashing pool full or store down.
    Unavailable(u64),
    /// 500: logged with its cause, answered without it.
    Internal(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<&'a ValidationReport>,
    /// OAuth 2.0 error code (token endpoint only).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::InvalidCredentials => ApiError::Unauthorized,
            CoreError::Forbidden(why) | CoreError::Refused(why) => {
                ApiError::Forbidden(why.to_owned())
            }
            CoreError::PasswordChangeRequired => ApiError::PasswordChangeRequired,
            CoreError::NotFound => ApiError::NotFound,
            CoreError::Policy(report) => ApiError::Policy(report),
            CoreError::Invalid(msg) => ApiError::BadRequest(msg),
            CoreError::Duplicate(what) => ApiError::Conflict(format!("{what} already exists")),
            CoreError::RevisionConflict => ApiError::Conflict(
                "the resource was changed by someone else: read it again and retry".into(),
            ),
            CoreError::RecoveryFailed => ApiError::RecoveryFailed,
            CoreError::RecoveryRefused(why) => ApiError::RecoveryRefused(why.to_owned()),
            CoreError::Overloaded => ApiError::Unavailable(1),
            CoreError::Unavailable => ApiError::Unavailable(5),
            CoreError::Internal(msg) => ApiError::Internal(msg),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title, detail): (StatusCode, &str, &str, String) = match &self {
            ApiError::BadRequest(d) => (
                StatusCode::BAD_REQUEST,
                "/problems/bad-request",
                "Bad Request",
                d.clone(),
            ),
            ApiError::Unauthorized | ApiError::InvalidClient => (
                StatusCode::UNAUTHORIZED,
                "/problems/unauthorized",
                "Unauthorized",
                "The credentials are missing or not valid.".into(),
            ),
            ApiError::RecoveryFailed => (
                StatusCode::BAD_REQUEST,
                "/problems/recovery-failed",
                "Recovery cannot continue",
                "This recovery link or step is no longer valid. Start again.".into(),
            ),
            ApiError::RecoveryRefused(d) => (
                StatusCode::BAD_REQUEST,
                "/problems/recovery-input-refused",
                "Not accepted",
                d.clone(),
            ),
            ApiError::Forbidden(d) => (
                StatusCode::FORBIDDEN,
                "/problems/forbidden",
                "Forbidden",
                d.clone(),
            ),
            ApiError::PasswordChangeRequired => (
                StatusCode::FORBIDDEN,
                "/problems/password-change-required",
                "Password change required",
                "The password has expired: this session may only change it.".into(),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "/problems/not-found",
                "Not Found",
                "No such resource.".into(),
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "/problems/method-not-allowed",
                "Method Not Allowed",
                "This resource does not support the method.".into(),
            ),
            ApiError::Conflict(d) => (
                StatusCode::CONFLICT,
                "/problems/conflict",
                "Conflict",
                d.clone(),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/payload-too-large",
                "Payload Too Large",
                "The request body is larger than allowed.".into(),
            ),
            ApiError::UnsupportedMediaType(d) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "/problems/unsupported-media-type",
                "Unsupported Media Type",
                d.clone(),
            ),
            ApiError::Policy(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/password-policy",
                "Password policy not satisfied",
                "The new password does not satisfy the password policy; see report.".into(),
            ),
            ApiError::Throttled(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/throttled",
                "Too Many Requests",
                "Too many attempts from this address; retry later.".into(),
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "/problems/unavailable",
                "Service Unavailable",
                "The service is busy or its store is unreachable; retry later.".into(),
            ),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "/problems/internal",
                    "Internal Server Error",
                    "An internal error occurred.".into(),
                )
            }
        };
        let report = match &self {
            ApiError::Policy(r) => Some(r.as_ref()),
            _ => None,
        };
        let error = matches!(self, ApiError::InvalidClient).then_some("invalid_client");
        let body = Problem {
            kind,
            title,
            status: status.as_u16(),
            detail: &detail,
            report,
            error,
        };
        let mut response = (status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            ApiError::Unauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"latchkey\""),
                );
            }
            ApiError::InvalidClient => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"latchkey\""),
                );
            }
            ApiError::Throttled(s) | ApiError::Unavailable(s) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(s.max(1)));
            }
            _ => {}
        }
        response
    }
}

impl super::throttled::Refusal for ApiError {
    fn refusal(retry_after: u64, _: &crate::http::throttled::Asked<'_>) -> Response {
        ApiError::Throttled(retry_after).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_failure_has_one_status_and_a_challenge() {
        let r = ApiError::from(CoreError::InvalidCredentials).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }

    #[test]
    fn overload_and_outage_say_when_to_retry() {
        for e in [CoreError::Overloaded, CoreError::Unavailable] {
            let r = ApiError::from(e).into_response();
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(r.headers().contains_key(header::RETRY_AFTER));
        }
        let r = ApiError::Throttled(12).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "12");
    }

    #[test]
    fn statuses_follow_the_contract() {
        let cases = [
            (CoreError::Forbidden("x"), 403),
            (CoreError::NotFound, 404),
            (CoreError::Duplicate("userName"), 409),
            (CoreError::RevisionConflict, 409),
            (CoreError::Invalid("x".into()), 400),
            (CoreError::PasswordChangeRequired, 403),
        ];
        for (e, status) in cases {
            assert_eq!(ApiError::from(e).into_response().status().as_u16(), status);
        }
    }
}
