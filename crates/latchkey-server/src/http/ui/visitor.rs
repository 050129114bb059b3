//! Who is looking at a page: the session cookie (a Latchkey session, as a bearer token
//! is), the CSRF token every form carries, and the language the page speaks.
//!
//! The CSRF token is a signed double submit: a random cookie, and in each form a keyed
//! digest of it under the key every node shares. A site that can set a cookie for this
//! host still cannot make the matching form value.

use crate::http::AppState;
use crate::http::extract::request_context;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_core::CoreError;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;
use latchkey_core::domain::Account;

const CSRF_PURPOSE: &str = "ui-csrf";

/// A signed-in person.
pub struct Session {
    pub token: String,
    pub principal: Principal,
    pub account: Account,
}

impl Session {
    /// A session that may only change the password (after a reset, or an expired one).
    pub fn change_only(&self) -> bool {
        self.principal.change_only()
    }
}

pub struct Visitor {
    pub ctx: RequestContext,
    pub session: Option<Session>,
    pub language: String,
    seed: String,
    fresh_seed: bool,
    secure: bool,
    /// Cookies this response sets (a new session, a signed-out one).
    set_cookies: Vec<HeaderValue>,
}

/// The cookie names: `__Host-` prefixed (host-only, `Secure`, path `/`) behind https.
fn cookie_name(secure: bool, name: &str) -> String {
    if secure {
        format!("__Host-latchkey-{name}")
    } else {
        format!("latchkey-{name}")
    }
}

/// The browser's languages, most preferred first.
fn accepted(parts: &Parts) -> Vec<String> {
    parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(crate::locale::accept_language)
        .unwrap_or_default()
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

impl Visitor {
    /// Reads the cookies and the session behind them. A session that no longer works is
    /// treated as none; a store that cannot answer is the 503 page.
    pub async fn from_parts(state: &AppState, parts: &Parts) -> Result<Self, CoreError> {
        let mut v = Self::anonymous(state, parts);
        let Some(token) = cookie(&parts.headers, &cookie_name(v.secure, "session")) else {
            return Ok(v);
        };
        let principal = match state.core.authenticate(token).await {
            Ok(principal @ Principal::User { .. }) => principal,
            Ok(_) | Err(CoreError::InvalidCredentials) => return Ok(v),
            Err(e) => return Err(e),
        };
        let account = state.core.me(&principal).await?;
        // The account's own language first, then the browser's.
        if let Some(own) = account.profile.locale.as_deref() {
            let wanted = crate::locale::chain(own).into_iter().chain(accepted(parts));
            v.language = state.ui.catalogues.pick(wanted).to_owned();
        }
        v.session = Some(Session {
            token: token.to_owned(),
            principal,
            account,
        });
        Ok(v)
    }

    /// The visitor as its request shows it, without asking the store: its CSRF cookie
    /// and the browser's language (the busy and throttled pages, before any session).
    pub fn anonymous(state: &AppState, parts: &Parts) -> Self {
        let secure = state.ui.secure;
        let (seed, fresh_seed) = match cookie(&parts.headers, &cookie_name(secure, "csrf")) {
            Some(s) => (s.to_owned(), false),
            None => (latchkey_core::secret::random_token(24), true),
        };
        Self {
            ctx: request_context(parts, state, "ui"),
            session: None,
            language: state.ui.catalogues.pick(accepted(parts)).to_owned(),
            seed,
            fresh_seed,
            secure,
            set_cookies: vec![],
        }
    }

    /// The value every form of this page carries.
    pub fn csrf(&self, state: &AppState) -> String {
        URL_SAFE_NO_PAD.encode(state.core.keyed_digest(CSRF_PURPOSE, self.seed.as_bytes()))
    }

    /// Whether a submitted form's token belongs to this visitor's cookie.
    pub fn csrf_ok(&self, state: &AppState, submitted: Option<&str>) -> bool {
        let Some(tag) = submitted.and_then(|s| URL_SAFE_NO_PAD.decode(s.trim()).ok()) else {
            return false;
        };
        !self.fresh_seed
            && state
                .core
                .keyed_digest_matches(CSRF_PURPOSE, self.seed.as_bytes(), &tag)
    }

    fn cookie_value(&self, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
        let mut c = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Strict",
            cookie_name(self.secure, name)
        );
        if self.secure {
            c.push_str("; Secure");
        }
        if let Some(age) = max_age {
            c.push_str(&format!("; Max-Age={age}"));
        }
        HeaderValue::from_str(&c).expect("cookie of token characters")
    }

    /// Starts a session on the response (after a sign-in).
    pub fn start_session(&mut self, token: &str) {
        let c = self.cookie_value("session", token, None);
        self.set_cookies.push(c);
    }

    /// Ends the session cookie on the response.
    pub fn end_session(&mut self) {
        let c = self.cookie_value("session", "", Some(0));
        self.set_cookies.push(c);
        self.session = None;
    }

    /// Adds this visitor's cookies to the page.
    pub fn finish(&self, mut response: Response) -> Response {
        let h = response.headers_mut();
        if self.fresh_seed {
            h.append(
                header::SET_COOKIE,
                self.cookie_value("csrf", &self.seed, None),
            );
        }
        for c in &self.set_cookies {
            h.append(header::SET_COOKIE, c.clone());
        }
        response
    }

    /// A 303 to `to`, with this visitor's cookies.
    pub fn redirect(&self, to: &'static str) -> Response {
        let mut r = Response::new(axum::body::Body::empty());
        *r.status_mut() = StatusCode::SEE_OTHER;
        r.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static(to));
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        self.finish(r)
    }
}
