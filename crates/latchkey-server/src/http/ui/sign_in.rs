//! Signing in and out, and the account's start page. A failed sign-in says the same for
//! an unknown name, a wrong password, a locked or disabled account.

use super::visitor::Visitor;
use super::{Problem, Submitted, message, render, trouble};
use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::CoreError;
use minijinja::context;

/// `/ui`: the account page when signed in, else the sign-in page.
pub async fn home(v: Visitor) -> Response {
    match &v.session {
        Some(s) if s.change_only() => v.redirect("/ui/change"),
        Some(_) => v.redirect("/ui/account"),
        None => v.redirect("/ui/sign-in"),
    }
}

pub async fn show(State(state): State<AppState>, v: Visitor) -> Response {
    if v.session.is_some() {
        return v.redirect("/ui/account");
    }
    render(
        &state,
        &v,
        StatusCode::OK,
        "sign-in.html",
        "sign_in.title",
        &[],
        context! { user_name => "" },
    )
}

pub async fn submit(
    State(state): State<AppState>,
    Submitted {
        visitor: mut v,
        fields,
    }: Submitted,
) -> Response {
    let t = |k: &str| state.ui.catalogues.text(&v.language, k);
    let user_name = fields.get("username").map_or("", |s| s.trim());
    let password = fields.get("password").map_or("", String::as_str);
    let mut problems = vec![];
    if user_name.is_empty() {
        problems.push(Problem {
            field: "username",
            message: t("errors.required"),
        });
    }
    if password.is_empty() {
        problems.push(Problem {
            field: "password",
            message: t("errors.required"),
        });
    }
    let status = if problems.is_empty() {
        match state.core.sign_in(&v.ctx, user_name, password).await {
            Ok(signed) => {
                use latchkey_core::secret::ExposeSecret as _;
                v.start_session(signed.token.expose_secret());
                return v.redirect(if signed.must_change_password {
                    "/ui/change"
                } else {
                    "/ui/account"
                });
            }
            // The same words whatever failed: unknown, wrong, locked, disabled.
            Err(CoreError::InvalidCredentials) => {
                problems.push(Problem {
                    field: "username",
                    message: t("sign_in.failed"),
                });
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Err(e) => return trouble(&state, &v, &e),
        }
    } else {
        StatusCode::BAD_REQUEST
    };
    render(
        &state,
        &v,
        status,
        "sign-in.html",
        "sign_in.title",
        &problems,
        context! { user_name },
    )
}

/// Ends the session (its token stops working everywhere) and the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    Submitted { visitor: mut v, .. }: Submitted,
) -> Response {
    if let Some(s) = &v.session
        && let Err(e) = state.core.sign_out(&s.token).await
    {
        return trouble(&state, &v, &e);
    }
    v.end_session();
    v.redirect("/ui/signed-out")
}

pub async fn signed_out(State(state): State<AppState>, v: Visitor) -> Response {
    message(
        &state,
        &v,
        StatusCode::OK,
        "signed_out.title",
        "signed_out.message",
        Some(("/ui/sign-in", "signed_out.again")),
    )
}

/// The start page of a signed-in person; a change-only session goes to the change page.
pub async fn account(State(state): State<AppState>, v: Visitor) -> Response {
    let Some(session) = &v.session else {
        return v.redirect("/ui/sign-in");
    };
    if session.change_only() {
        return v.redirect("/ui/change");
    }
    let expires_at = state
        .core
        .password_expires_at(&session.account)
        .map(|at| at.date().to_string());
    render(
        &state,
        &v,
        StatusCode::OK,
        "account.html",
        "account.title",
        &[],
        context! { user_name => session.account.user_name.as_str(), expires_at },
    )
}
