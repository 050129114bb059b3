//! Changing one's own password (current, new, confirm), the must-change and expired flow
//! included: a change-only session lands here and nowhere else.

use super::{Problem, Submitted, checklist, message, render, trouble};
use crate::http::AppState;
use crate::http::ui::visitor::Visitor;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::CoreError;
use latchkey_core::ops::Notify;
use latchkey_core::policy::ValidationReport;
use minijinja::context;

pub async fn show(State(state): State<AppState>, v: Visitor) -> Response {
    if v.session.is_none() {
        return v.redirect("/ui/sign-in");
    }
    page(&state, &v, StatusCode::OK, &[], None).await
}

/// The change form; after a refusal, the unmet rules marked from `report`.
async fn page(
    state: &AppState,
    v: &Visitor,
    status: StatusCode,
    problems: &[Problem],
    report: Option<&ValidationReport>,
) -> Response {
    let Some(session) = &v.session else {
        return v.redirect("/ui/sign-in");
    };
    let rules = match state.core.password_rules(Some(&session.principal)).await {
        Ok(r) => r,
        Err(e) => return trouble(state, v, &e),
    };
    let reason = session.change_only().then(|| {
        let key = if session.account.must_change_password {
            "change.must_change"
        } else {
            "change.expired"
        };
        state.ui.catalogues.text(&v.language, key)
    });
    render(
        state,
        v,
        status,
        "change.html",
        "change.title",
        problems,
        context! {
            action => "/ui/change",
            ask_current => true,
            user_name => session.account.user_name.as_str(),
            reason,
            cancel => !session.change_only(),
            rules => checklist::template_value(state, &v.language, &rules, report),
        },
    )
}

pub async fn submit(
    State(state): State<AppState>,
    Submitted { visitor: v, fields }: Submitted,
) -> Response {
    let Some(session) = &v.session else {
        return v.redirect("/ui/sign-in");
    };
    let t = |k: &str| state.ui.catalogues.text(&v.language, k);
    let get = |k: &str| fields.get(k).map_or("", String::as_str);
    let (current, new, confirm) = (
        get("current-password"),
        get("new-password"),
        get("confirm-password"),
    );
    let mut problems = new_password_problems(&state, &v, new, confirm);
    if current.is_empty() {
        problems.insert(
            0,
            Problem {
                field: "current-password",
                message: t("errors.required"),
            },
        );
    }
    if !problems.is_empty() {
        return page(&state, &v, StatusCode::BAD_REQUEST, &problems, None).await;
    }
    let outcome = state
        .core
        .change_own_password(
            &v.ctx,
            &session.principal,
            current,
            Some(new),
            Notify::default(),
        )
        .await;
    match outcome {
        Ok(_) => message(
            &state,
            &v,
            StatusCode::OK,
            "change.done_title",
            "change.done",
            Some(("/ui/account", "change.cancel")),
        ),
        Err(CoreError::Policy(report)) => {
            let problems = refused(&state, &v, &report);
            page(
                &state,
                &v,
                StatusCode::UNPROCESSABLE_ENTITY,
                &problems,
                Some(&report),
            )
            .await
        }
        Err(CoreError::InvalidCredentials) => {
            let problems = [Problem {
                field: "current-password",
                message: t("change.wrong_current"),
            }];
            page(
                &state,
                &v,
                StatusCode::UNPROCESSABLE_ENTITY,
                &problems,
                None,
            )
            .await
        }
        Err(CoreError::Forbidden(_) | CoreError::Refused(_)) => message(
            &state,
            &v,
            StatusCode::FORBIDDEN,
            "change.title",
            "change.not_allowed",
            Some(("/ui/account", "change.cancel")),
        ),
        Err(e) => trouble(&state, &v, &e),
    }
}

/// What is wrong with a new password before the policy sees it: missing, or not the same
/// twice.
pub fn new_password_problems(
    state: &AppState,
    v: &Visitor,
    new: &str,
    confirm: &str,
) -> Vec<Problem> {
    let t = |k: &str| state.ui.catalogues.text(&v.language, k);
    let mut problems = vec![];
    if new.is_empty() {
        problems.push(Problem {
            field: "new-password",
            message: t("errors.required"),
        });
    } else if new != confirm {
        problems.push(Problem {
            field: "confirm-password",
            message: t("change.mismatch"),
        });
    }
    problems
}

/// The summary of a refusal: one line per unmet rule, each linking to the new password.
pub fn refused(state: &AppState, v: &Visitor, report: &ValidationReport) -> Vec<Problem> {
    let head = state.ui.catalogues.text(&v.language, "change.refused");
    let unmet: Vec<String> = checklist::items(state, &v.language, &[], Some(report))
        .into_iter()
        .filter(|i| i.state == "unmet")
        .map(|i| i.text)
        .collect();
    vec![Problem {
        field: "new-password",
        message: format!("{head} {}", unmet.join("; ")),
    }]
}
