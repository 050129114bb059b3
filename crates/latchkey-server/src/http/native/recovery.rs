//! `POST /api/v1/recovery` (start / advance a recovery flow), admin
//! `POST /api/v1/accounts/{id}/recovery` (mail a reset link), and the caller's security
//! questions `GET|PUT /api/v1/me/security-questions`.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, Auth, Ctx};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use latchkey_core::ops::{QuestionRef, RecoveryStep};
use latchkey_core::recovery::StrictObject;
use latchkey_core::secret::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequest {
    /// The token of the previous answer; absent to start a flow.
    pub token: Option<String>,
    /// The current stage's input: strings only, each key once.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub input: StrictObject,
}

/// The answer of a recovery step (native shape).
pub fn step_json(step: RecoveryStep) -> Value {
    match step {
        RecoveryStep::Next {
            requirements,
            token,
        } => {
            json!({ "stage": requirements.stage().name(), "requirements": super::requirements::schema(&requirements), "token": token })
        }
        RecoveryStep::End => json!({ "stage": "end", "status": { "success": true } }),
    }
}

/// Start or advance a forgotten-password flow.
#[utoipa::path(post, path = "/api/v1/recovery", tag = "recovery", request_body = RecoveryRequest,
    responses(
        (status = 200, description = "The next stage's requirements and token, or the end", body = Object),
        (status = 400, description = "Malformed input, a refused code or answer, or any token problem (one body)", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 422, description = "The new password fails the policy", content_type = "application/problem+json"),
        (status = 429, description = "Throttled", content_type = "application/problem+json"),
        (status = 503, description = "Overloaded", content_type = "application/problem+json"),
    ))]
pub async fn recover(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<RecoveryRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let step = state
        .core
        .recover(&ctx.0, req.token.as_deref(), req.input)
        .await?;
    Ok(axum::Json(step_json(step)))
}

/// Mail the account a reset link (helpdesk, admin, `passwords:reset`).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/recovery", tag = "recovery", params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 202, description = "The link is queued for the account's e-mail address"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed, or the account cannot recover", content_type = "application/problem+json"),
        (status = 404, description = "No such account", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn send_recovery_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .core
        .authorize(&principal, latchkey_core::auth::Permission::ResetPasswords)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    state
        .core
        .send_recovery_link(&ctx.0, &principal, id)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AnswerInput {
    /// A system question's id (see `GET`), or
    pub question_id: Option<String>,
    /// a question of the user's own.
    pub question: Option<String>,
    #[schema(value_type = String, format = Password)]
    pub answer: SecretString,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnrolRequest {
    #[schema(value_type = String, format = Password)]
    pub current_password: SecretString,
    pub answers: Vec<AnswerInput>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuestionView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityQuestions {
    /// The caller's questions, never the answers.
    pub questions: Vec<QuestionView>,
    /// The system questions to choose from: id → text.
    #[schema(value_type = Object)]
    pub system_questions: serde_json::Map<String, Value>,
}

/// The caller's security questions (without answers) and the system questions.
#[utoipa::path(get, path = "/api/v1/me/security-questions", tag = "me",
    responses(
        (status = 200, description = "Questions, never answers", body = SecurityQuestions),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "An API client", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn get_security_questions(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<impl IntoResponse, ApiError> {
    let (enrolled, system) = state.core.security_questions(&principal).await?;
    let questions = enrolled
        .into_iter()
        .map(|q| match q {
            QuestionRef::System(id) => QuestionView {
                question_id: Some(id),
                question: None,
            },
            QuestionRef::Custom(text) => QuestionView {
                question_id: None,
                question: Some(text),
            },
        })
        .collect();
    let system_questions = system
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Ok(axum::Json(SecurityQuestions {
        questions,
        system_questions,
    }))
}

/// Set the caller's security answers (replaces any earlier ones); needs the current password.
#[utoipa::path(put, path = "/api/v1/me/security-questions", tag = "me", request_body = EnrolRequest,
    responses(
        (status = 204, description = "Enrolled"),
        (status = 400, description = "Malformed request, unknown question, empty answer", content_type = "application/problem+json"),
        (status = 401, description = "Wrong current password or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "An API client", content_type = "application/problem+json"),
        (status = 413, description = "Body too large", content_type = "application/problem+json"),
        (status = 415, description = "Wrong media type", content_type = "application/problem+json"),
        (status = 429, description = "Throttled", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn put_security_questions(
    State(state): State<AppState>,
    ctx: Ctx,
    Auth(principal): Auth,
    ApiJson(req): ApiJson<EnrolRequest>,
) -> Result<StatusCode, ApiError> {
    let answers = req
        .answers
        .into_iter()
        .map(|a| match (a.question_id, a.question) {
            (Some(id), None) => Ok((QuestionRef::System(id), a.answer.expose_secret().to_owned())),
            (None, Some(q)) => Ok((QuestionRef::Custom(q), a.answer.expose_secret().to_owned())),
            _ => Err(ApiError::BadRequest(
                "each answer needs exactly one of questionId or question".into(),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    state
        .core
        .enrol_security_answers(
            &ctx.0,
            &principal,
            req.current_password.expose_secret(),
            answers,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
