//! Security-question enrolment, proved by the current password: choose a question for
//! each answer from the operator's list (`recovery.kba_questions`).

use super::visitor::Visitor;
use super::{Fields, Problem, Submitted, message, render, trouble};
use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::CoreError;
use latchkey_core::ops::QuestionRef;
use minijinja::context;

/// How many answers the form asks for (fewer when the operator offers fewer questions).
const ROWS: usize = 2;

pub async fn show(State(state): State<AppState>, v: Visitor) -> Response {
    page(&state, &v, StatusCode::OK, &[], &Fields::new()).await
}

async fn page(
    state: &AppState,
    v: &Visitor,
    status: StatusCode,
    problems: &[Problem],
    fields: &Fields,
) -> Response {
    let Some(session) = &v.session else {
        return v.redirect("/ui/sign-in");
    };
    if session.change_only() {
        return v.redirect("/ui/change");
    }
    let (enrolled, system) = match state.core.security_questions(&session.principal).await {
        Ok(q) => q,
        Err(e) => return trouble(state, v, &e),
    };
    let text_of = |id: &str| {
        system
            .iter()
            .find(|(k, _)| k == id)
            .map_or_else(|| id.to_owned(), |(_, t)| t.clone())
    };
    let enrolled: Vec<String> = enrolled
        .into_iter()
        .map(|q| match q {
            QuestionRef::System(id) => text_of(&id),
            QuestionRef::Custom(text) => text,
        })
        .collect();
    let questions: Vec<_> = system
        .iter()
        .map(|(id, text)| context! { id, text })
        .collect();
    // Each row preselects a different question (or the one submitted).
    let rows: Vec<_> = (1..=ROWS.min(system.len()))
        .map(|i| {
            let question = fields
                .get(&format!("question{i}"))
                .cloned()
                .unwrap_or_else(|| system[i - 1].0.clone());
            context! { question }
        })
        .collect();
    render(
        state,
        v,
        status,
        "questions.html",
        "questions.title",
        problems,
        context! { enrolled, questions, rows },
    )
}

pub async fn submit(
    State(state): State<AppState>,
    Submitted { visitor: v, fields }: Submitted,
) -> Response {
    let Some(session) = &v.session else {
        return v.redirect("/ui/sign-in");
    };
    if session.change_only() {
        return v.redirect("/ui/change");
    }
    let t = |k: &str| state.ui.catalogues.text(&v.language, k);
    let mut problems = vec![];
    let mut answers = vec![];
    for i in 1..=ROWS {
        let (Some(question), Some(answer)) = (
            fields.get(&format!("question{i}")),
            fields.get(&format!("answer{i}")),
        ) else {
            continue;
        };
        if answers
            .iter()
            .any(|(q, _)| *q == QuestionRef::System(question.clone()))
        {
            problems.push(Problem {
                field: ["question1", "question2"][i.min(2) - 1],
                message: t("questions.duplicate"),
            });
        }
        if answer.trim().is_empty() {
            problems.push(Problem {
                field: ["answer1", "answer2"][i.min(2) - 1],
                message: t("errors.required"),
            });
        }
        answers.push((QuestionRef::System(question.clone()), answer.clone()));
    }
    let current = fields.get("current-password").map_or("", String::as_str);
    if current.is_empty() {
        problems.push(Problem {
            field: "current-password",
            message: t("errors.required"),
        });
    }
    if !problems.is_empty() {
        return page(&state, &v, StatusCode::BAD_REQUEST, &problems, &fields).await;
    }
    match state
        .core
        .enrol_security_answers(&v.ctx, &session.principal, current, answers)
        .await
    {
        Ok(()) => message(
            &state,
            &v,
            StatusCode::OK,
            "questions.done_title",
            "questions.done",
            Some(("/ui/account", "change.cancel")),
        ),
        Err(CoreError::InvalidCredentials) => {
            let p = [Problem {
                field: "current-password",
                message: t("change.wrong_current"),
            }];
            page(&state, &v, StatusCode::UNPROCESSABLE_ENTITY, &p, &fields).await
        }
        Err(CoreError::Invalid(why)) => {
            let p = [Problem {
                field: "answer1",
                message: format!("{}{why}", t("questions.invalid")),
            }];
            page(&state, &v, StatusCode::BAD_REQUEST, &p, &fields).await
        }
        Err(CoreError::Forbidden(_)) => v.redirect("/ui/change"),
        Err(e) => trouble(&state, &v, &e),
    }
}
