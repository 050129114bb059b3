//! `/openidm/selfservice/reset`: IDM's self-service reset over the core recovery engine,
//! with IDM's stage names, tags and requirement shapes.

use super::error::IdmError;
use super::users::ActionQuery;
use super::{check_api_version, context};
use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use latchkey_core::ops::RecoveryStep;
use latchkey_core::recovery::{Requirements, Stage, StrictObject};
use serde::Deserialize;
use serde_json::{Value, json};

fn tag(stage: Stage) -> &'static str {
    match stage {
        Stage::EmailValidation => "validateCode",
        _ => "initial",
    }
}

fn schema(description: &str, properties: Value, required: Vec<String>) -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": description,
        "type": "object",
        "required": required,
        "properties": properties,
    })
}

/// IDM's requirement shapes of the core's requirements.
fn idm_requirements(r: &Requirements) -> Value {
    match r {
        Requirements::UserQuery => schema(
            "Find your account",
            json!({ "queryFilter": { "description": "filter string to find account", "type": "string" } }),
            vec!["queryFilter".into()],
        ),
        Requirements::EmailCode => schema(
            "Verify emailed code",
            json!({ "code": { "description": "Enter code emailed", "type": "string" } }),
            vec!["code".into()],
        ),
        Requirements::SecurityAnswers { .. } => {
            let fields = r.answer_fields();
            let required: Vec<String> = fields.iter().map(|(n, _)| n.clone()).collect();
            let idm: serde_json::Map<String, Value> = fields
                .into_iter()
                .map(|(name, question)| {
                    (
                        name,
                        json!({ "systemQuestion": { "en": question }, "type": "string" }),
                    )
                })
                .collect();
            schema("Answer security questions", Value::Object(idm), required)
        }
        Requirements::NewPassword => schema(
            "Reset password",
            json!({ "password": { "description": "Password", "type": "string" } }),
            vec!["password".into()],
        ),
    }
}

fn answer(step: RecoveryStep) -> Value {
    match step {
        RecoveryStep::Next {
            requirements,
            token,
        } => {
            let stage = requirements.stage();
            json!({ "type": stage.name(), "tag": tag(stage), "requirements": idm_requirements(&requirements), "token": token })
        }
        RecoveryStep::End => {
            json!({ "type": "resetStage", "tag": "end", "status": { "success": true }, "additions": {} })
        }
    }
}

/// `GET /openidm/selfservice/reset`: the first stage's requirements.
pub async fn first_stage(
    State(state): State<AppState>,
    parts: Parts,
) -> Result<impl IntoResponse, IdmError> {
    check_api_version(&parts.headers)?;
    let stage = state.core.settings().recovery.stages[0];
    Ok(axum::Json(
        json!({ "_id": "1", "type": stage.name(), "tag": tag(stage), "requirements": idm_requirements(&Requirements::of(stage)) }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submit {
    token: Option<String>,
    #[serde(default)]
    input: StrictObject,
}

/// `POST /openidm/selfservice/reset?_action=submitRequirements` `{"input":{...},"token"?}`.
pub async fn submit(
    State(state): State<AppState>,
    Query(q): Query<ActionQuery>,
    parts: Parts,
    body: Bytes,
) -> Result<impl IntoResponse, IdmError> {
    check_api_version(&parts.headers)?;
    if q.action.as_deref() != Some("submitRequirements") {
        return Err(IdmError::bad_request(
            "Unsupported action: use _action=submitRequirements",
        ));
    }
    let ctx = context(&parts, &state);
    let s: Submit = serde_json::from_slice(&body)
        .map_err(|e| IdmError::bad_request(format!("The request is not valid: {e}")))?;
    let step = state
        .core
        .recover(&ctx, s.token.as_deref(), s.input)
        .await?;
    Ok(axum::Json(answer(step)))
}
