//! The web pages for people (`/ui`): sign in, change the password (with the live rule
//! checklist), the must-change flow, forgot password (one flow with the e-mailed link's
//! page), security-question enrolment. Server-rendered forms that work without
//! JavaScript; each page only translates between a form and a core operation.

mod assets;
mod change;
mod checklist;
mod messages;
mod questions;
mod recover;
mod sign_in;
mod site;
mod visitor;

pub use site::Site;

use super::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use latchkey_core::CoreError;
use minijinja::{Value, context};
use std::collections::BTreeMap;
use visitor::Visitor;

pub fn router(state: &AppState) -> Router<AppState> {
    let throttled = || {
        axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::throttled::throttled::<Throttled>,
        )
    };
    Router::new()
        .route("/ui", get(sign_in::home))
        .route(
            "/ui/sign-in",
            get(sign_in::show).merge(post(sign_in::submit).route_layer(throttled())),
        )
        .route("/ui/sign-out", post(sign_in::sign_out))
        .route("/ui/signed-out", get(sign_in::signed_out))
        .route("/ui/account", get(sign_in::account))
        .route(
            "/ui/change",
            get(change::show).merge(post(change::submit).route_layer(throttled())),
        )
        .route("/ui/check", post(checklist::check))
        .route("/ui/forgot", get(recover::forgot))
        .route(
            "/ui/recover",
            get(recover::show_link).merge(post(recover::submit).route_layer(throttled())),
        )
        .route(
            "/ui/security-questions",
            get(questions::show).merge(post(questions::submit).route_layer(throttled())),
        )
        .route("/ui/assets/latchkey.css", get(assets::stylesheet))
        .route("/ui/assets/latchkey.js", get(assets::script))
        .route("/ui/assets/logo", get(assets::logo))
}

/// A form's fields, as submitted.
type Fields = BTreeMap<String, String>;

/// One problem with a submitted form: the field it is about (the summary links to it).
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

/// Renders `template` with the shared values (language, strings, site, CSRF token,
/// whether signed in, title, problems) and the page's own.
fn render(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    template: &str,
    title_key: &str,
    problems: &[Problem],
    own: Value,
) -> Response {
    let site = &state.ui;
    let lang = visitor.language.as_str();
    let field_errors: BTreeMap<&str, String> = problems
        .iter()
        .map(|p| (p.field, p.message.clone()))
        .collect();
    let errors: Vec<Value> = problems
        .iter()
        .map(|p| context! { field => p.field, message => p.message.clone() })
        .collect();
    let ctx = context! {
        lang,
        t => Value::from(minijinja::value::Serde(site.catalogues.strings(lang))),
        site => context! { name => site.name.clone(), logo => site.has_logo() },
        csrf => visitor.csrf(state),
        signed_in => visitor.session.is_some(),
        title => site.catalogues.text(lang, title_key),
        errors,
        field_errors,
        ..own
    };
    visitor.finish(site.render(status, template, ctx))
}

/// A page with one message (and a link onward).
fn message(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    title_key: &str,
    text_key: &str,
    link: Option<(&str, &str)>,
) -> Response {
    let t = |k: &str| state.ui.catalogues.text(&visitor.language, k);
    let link = link.map(|(href, key)| context! { href, text => t(key) });
    render(
        state,
        visitor,
        status,
        "message.html",
        title_key,
        &[],
        context! { message => t(text_key), link },
    )
}

/// The answer to a core error no form field explains: busy (503), else the form expired.
fn trouble(state: &AppState, visitor: &Visitor, e: &CoreError) -> Response {
    match e {
        CoreError::Overloaded | CoreError::Unavailable => {
            let mut r = message(
                state,
                visitor,
                StatusCode::SERVICE_UNAVAILABLE,
                "sign_in.title",
                "errors.busy",
                None,
            );
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
            r
        }
        _ => message(
            state,
            visitor,
            StatusCode::BAD_REQUEST,
            "forgot.title",
            "forgot.invalid",
            Some(("/ui", "signed_out.again")),
        ),
    }
}

/// A form submitted without its CSRF token (or with another visitor's): refused, and
/// the page offers to start again.
fn csrf_refused(state: &AppState, visitor: &Visitor) -> Response {
    message(
        state,
        visitor,
        StatusCode::FORBIDDEN,
        "sign_in.title",
        "errors.csrf",
        Some(("/ui", "signed_out.again")),
    )
}

/// A page's visitor is an extractor: a store that cannot answer is the busy page.
impl axum::extract::FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        match Visitor::from_parts(state, parts).await {
            Ok(v) => Ok(v),
            Err(e) => Err(trouble(state, &Visitor::anonymous(state, parts), &e)),
        }
    }
}

/// A submitted form with its visitor, its CSRF token checked: what every POST starts
/// with. A form without the token (or with another visitor's) is refused before the
/// handler runs; a body that is not a form has no token.
pub struct Submitted {
    pub visitor: Visitor,
    pub fields: Fields,
}

impl axum::extract::FromRequest<AppState> for Submitted {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Response> {
        use axum::extract::FromRequestParts as _;
        let (mut parts, body) = request.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state).await?;
        let request = axum::extract::Request::from_parts(parts, body);
        let fields = axum::extract::Form::<Fields>::from_request(request, state)
            .await
            .map(|f| f.0)
            .unwrap_or_default();
        if !visitor.csrf_ok(state, fields.get("csrf").map(String::as_str)) {
            return Err(csrf_refused(state, &visitor));
        }
        Ok(Self { visitor, fields })
    }
}

/// The page a throttled submission gets.
pub struct Throttled;

impl crate::http::throttled::Refusal for Throttled {
    fn refusal(retry_after: u64, asked: &crate::http::throttled::Asked<'_>) -> Response {
        let v = Visitor::anonymous(asked.state, asked.parts);
        let mut r = message(
            asked.state,
            &v,
            StatusCode::TOO_MANY_REQUESTS,
            "sign_in.title",
            "errors.throttled",
            None,
        );
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(retry_after),
        );
        r
    }
}
