//! Forgot password, one flow with the e-mailed link's page: `/ui/forgot` asks for a user
//! name or e-mail address, each submit to `/ui/recover` advances the core's recovery flow
//! (code from the mail, security questions if configured, new password) and shows the
//! next stage's form. Opening the mailed link (GET) only fills in the code — mail
//! scanners follow links, so a GET consumes nothing. An unknown name gets the same pages
//! as a known one.

use super::change::{new_password_problems, refused};
use super::visitor::Visitor;
use super::{Problem, Submitted, checklist, message, render, trouble};
use crate::http::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::CoreError;
use latchkey_core::ops::RecoveryStep;
use latchkey_core::policy::ValidationReport;
use latchkey_core::recovery::{Requirements, StrictObject};
use minijinja::{Value, context};
use serde::Deserialize;

/// `/ui/forgot`: the first form (a user name or an e-mail address).
pub async fn forgot(State(state): State<AppState>, v: Visitor) -> Response {
    let form = Form::of(&Requirements::UserQuery, None);
    stage_page(&state, &v, StatusCode::OK, form, &[]).await
}

#[derive(Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
    code: Option<String>,
}

/// The mailed link: the code form, filled in; consumes nothing.
pub async fn show_link(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<LinkQuery>,
) -> Response {
    match q.token {
        Some(token) => {
            stage_page(
                &state,
                &v,
                StatusCode::OK,
                Form {
                    code: q.code.as_deref().unwrap_or_default(),
                    ..Form::of(&Requirements::EmailCode, Some(&token))
                },
                &[],
            )
            .await
        }
        None => message(
            &state,
            &v,
            StatusCode::BAD_REQUEST,
            "forgot.title",
            "forgot.incomplete",
            Some(("/ui/forgot", "forgot.title")),
        ),
    }
}

/// Advances the flow with the submitted stage and shows what comes next.
pub async fn submit(
    State(state): State<AppState>,
    Submitted { visitor: v, fields }: Submitted,
) -> Response {
    let t = |k: &str| state.ui.catalogues.text(&v.language, k);
    let token = fields
        .get("token")
        .map(String::as_str)
        .filter(|t| !t.is_empty());
    let get = |k: &str| fields.get(k).map_or("", |s| s.trim());
    // The form's fields, as the core's stage input.
    let input: Vec<(String, String)> = if token.is_none() {
        let login = get("login");
        if login.is_empty() {
            return login_required(&state, &v).await;
        }
        // An address has an `@` and a domain; a user name may have an `@` only without a dot after it.
        let key = if login.rsplit_once('@').is_some_and(|(_, d)| d.contains('.')) {
            "email"
        } else {
            "userName"
        };
        vec![(key.to_owned(), login.to_owned())]
    } else if fields.contains_key("new-password") {
        let (new, confirm) = (
            fields.get("new-password").map_or("", String::as_str),
            fields.get("confirm-password").map_or("", String::as_str),
        );
        let problems = new_password_problems(&state, &v, new, confirm);
        if !problems.is_empty() {
            let r = Requirements::NewPassword;
            return stage_page(
                &state,
                &v,
                StatusCode::BAD_REQUEST,
                Form::of(&r, token),
                &problems,
            )
            .await;
        }
        vec![("password".to_owned(), new.to_owned())]
    } else {
        fields
            .iter()
            .filter(|(k, _)| k.as_str() == "code" || k.starts_with("answer"))
            .map(|(k, val)| (k.clone(), val.trim().to_owned()))
            .collect()
    };
    match state.core.recover(&v.ctx, token, StrictObject(input)).await {
        Ok(RecoveryStep::End) => message(
            &state,
            &v,
            StatusCode::OK,
            "forgot.done_title",
            "forgot.done",
            Some(("/ui/sign-in", "signed_out.again")),
        ),
        Ok(RecoveryStep::Next {
            requirements,
            token,
        }) => {
            stage_page(
                &state,
                &v,
                StatusCode::OK,
                Form::of(&requirements, Some(&token)),
                &[],
            )
            .await
        }
        Err(CoreError::RecoveryRefused(_)) => {
            // Wrong code or answers: the same stage again (asking changes nothing).
            let Some(token) = token else {
                return trouble(&state, &v, &CoreError::RecoveryFailed);
            };
            match state
                .core
                .recover(&v.ctx, Some(token), StrictObject(vec![]))
                .await
            {
                Ok(RecoveryStep::Next {
                    requirements,
                    token,
                }) => {
                    let (field, key) = match requirements {
                        Requirements::SecurityAnswers { .. } => ("answer1", "forgot.wrong_answers"),
                        _ => ("code", "forgot.wrong_code"),
                    };
                    let p = [Problem {
                        field,
                        message: t(key),
                    }];
                    stage_page(
                        &state,
                        &v,
                        StatusCode::BAD_REQUEST,
                        Form::of(&requirements, Some(&token)),
                        &p,
                    )
                    .await
                }
                Ok(RecoveryStep::End) | Err(_) => trouble(&state, &v, &CoreError::RecoveryFailed),
            }
        }
        Err(CoreError::Policy(report)) => {
            let problems = refused(&state, &v, &report);
            let r = Requirements::NewPassword;
            stage_page(
                &state,
                &v,
                StatusCode::UNPROCESSABLE_ENTITY,
                Form {
                    report: Some(&report),
                    ..Form::of(&r, token)
                },
                &problems,
            )
            .await
        }
        Err(CoreError::Invalid(_)) if token.is_none() => login_required(&state, &v).await,
        Err(e) => trouble(&state, &v, &e),
    }
}

/// What one stage's form shows.
struct Form<'a> {
    requirements: &'a Requirements,
    /// The flow's token (none before the flow starts).
    token: Option<&'a str>,
    /// After a refused new password, the report that marks the checklist.
    report: Option<&'a ValidationReport>,
    /// The code, filled in from the mailed link.
    code: &'a str,
}

impl<'a> Form<'a> {
    /// A stage's form as it first shows.
    fn of(requirements: &'a Requirements, token: Option<&'a str>) -> Self {
        Self {
            requirements,
            token,
            report: None,
            code: "",
        }
    }
}

/// The first form again: the user name or address was missing.
async fn login_required(state: &AppState, v: &Visitor) -> Response {
    let p = [Problem {
        field: "login",
        message: state.ui.catalogues.text(&v.language, "errors.required"),
    }];
    let form = Form::of(&Requirements::UserQuery, None);
    stage_page(state, v, StatusCode::BAD_REQUEST, form, &p).await
}

/// The form of one stage.
async fn stage_page(
    state: &AppState,
    v: &Visitor,
    status: StatusCode,
    form: Form<'_>,
    problems: &[Problem],
) -> Response {
    let Form {
        requirements,
        token,
        report,
        code,
    } = form;
    let t = |k: &str| state.ui.catalogues.text(&v.language, k);
    let field = |id: String, label: String, autocomplete: &str, value: &str| {
        context! { id, label, autocomplete, value }
    };
    let (intro, fields): (&str, Vec<Value>) = match requirements {
        Requirements::UserQuery => (
            "forgot.intro_query",
            vec![field("login".into(), t("forgot.login"), "username", "")],
        ),
        Requirements::EmailCode => (
            "forgot.intro_code",
            vec![field(
                "code".into(),
                t("forgot.code"),
                "one-time-code",
                code,
            )],
        ),
        Requirements::SecurityAnswers { .. } => (
            "forgot.intro_questions",
            requirements
                .answer_fields()
                .into_iter()
                .map(|(id, question)| field(id, question.to_owned(), "off", ""))
                .collect(),
        ),
        Requirements::NewPassword => {
            let rules = match state.core.password_rules(None).await {
                Ok(r) => r,
                Err(e) => return trouble(state, v, &e),
            };
            return render(
                state,
                v,
                status,
                "change.html",
                "forgot.title",
                problems,
                context! {
                            action => "/ui/recover",
                    token,
                    ask_current => false,
                    reason => t("forgot.intro_reset"),
                    rules => checklist::template_value(state, &v.language, &rules, report),
                },
            );
        }
    };
    render(
        state,
        v,
        status,
        "forgot.html",
        "forgot.title",
        problems,
        context! { intro => t(intro), token, fields },
    )
}
