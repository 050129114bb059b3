//! What every page shares: the templates (built in, each overridable from
//! `templates.dir/ui/`), the message catalogues, the operator's name and logo, and the
//! headers every page is sent with.

use super::messages::Catalogues;
use crate::config::Config;
use anyhow::Context as _;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::{AutoEscape, Environment, Value};
use std::path::PathBuf;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../ui/templates/base.html")),
    (
        "macros.html",
        include_str!("../../../ui/templates/macros.html"),
    ),
    (
        "sign-in.html",
        include_str!("../../../ui/templates/sign-in.html"),
    ),
    (
        "account.html",
        include_str!("../../../ui/templates/account.html"),
    ),
    (
        "change.html",
        include_str!("../../../ui/templates/change.html"),
    ),
    (
        "forgot.html",
        include_str!("../../../ui/templates/forgot.html"),
    ),
    (
        "questions.html",
        include_str!("../../../ui/templates/questions.html"),
    ),
    (
        "message.html",
        include_str!("../../../ui/templates/message.html"),
    ),
];

/// Scripts only from this server, no inline script or style, no framing, forms posted
/// only here.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The live checks one client address may ask for per minute (a burst of as many): a
/// person typing asks a few a second at most; the checks share the hashing engine's
/// threads with sign-ins, so a flood from one address must not fill its queue.
const CHECKS_PER_MINUTE: u32 = 120;

/// The largest logo served.
const MAX_LOGO_BYTES: u64 = 1024 * 1024;

pub struct Site {
    env: Environment<'static>,
    pub catalogues: Catalogues,
    pub name: String,
    logo: Option<(&'static str, Vec<u8>)>,
    /// `public_url` is https: cookies are `Secure` and `__Host-` prefixed.
    pub secure: bool,
    /// The per-address allowance of `/ui/check`, apart from the credential throttle.
    pub checks: crate::throttle::Throttle,
}

impl Site {
    /// Loads and checks everything a page needs; an error names the key to fix.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let dir = config.templates.dir.as_ref().map(|d| d.join("ui"));
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_loader(crate::notify::overridable(dir.clone(), TEMPLATES));
        for (name, _) in TEMPLATES {
            env.get_template(name)
                .with_context(|| format!("templates.dir: ui/{name}"))?;
        }
        let catalogues = Catalogues::load(dir.map(|d| d.join("messages")))?;
        let logo = config
            .ui
            .logo_file
            .as_ref()
            .map(|p| read_logo(p).with_context(|| format!("ui.logo_file: {}", p.display())))
            .transpose()?;
        Ok(Self {
            env,
            catalogues,
            name: config.ui.site_name.clone(),
            logo,
            secure: config.public_url.starts_with("https://"),
            checks: crate::throttle::Throttle::per_minute(CHECKS_PER_MINUTE),
        })
    }

    /// Renders a page; `ctx` holds the page's own values beside the shared ones.
    pub fn render(&self, status: StatusCode, template: &str, ctx: Value) -> Response {
        let html = self.env.get_template(template).and_then(|t| t.render(&ctx));
        match html {
            Ok(html) => page_headers((status, html).into_response()),
            Err(e) => {
                tracing::error!(template, error = %e, "a page template failed to render");
                page_headers(
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "<!doctype html><title>Error</title><p>This page cannot be shown.",
                    )
                        .into_response(),
                )
            }
        }
    }

    /// Renders a catalogue text that is itself a template over a rule's parameters (as
    /// text: the page escapes it where it shows it).
    pub fn render_text(&self, text: &str, params: &serde_json::Value) -> Option<String> {
        self.env
            .render_named_str(
                "rule.txt",
                text,
                Value::from(minijinja::value::Serde(params)),
            )
            .ok()
    }

    pub fn logo(&self) -> Option<(&'static str, &[u8])> {
        self.logo.as_ref().map(|(t, b)| (*t, b.as_slice()))
    }

    pub fn has_logo(&self) -> bool {
        self.logo.is_some()
    }
}

fn read_logo(path: &PathBuf) -> anyhow::Result<(&'static str, Vec<u8>)> {
    let kind = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        _ => anyhow::bail!("expected a .png, .jpg, .webp or .svg file"),
    };
    let size = std::fs::metadata(path)?.len();
    if size > MAX_LOGO_BYTES {
        anyhow::bail!("{size} bytes; at most {MAX_LOGO_BYTES}");
    }
    Ok((kind, std::fs::read(path)?))
}

/// The headers of every page: HTML, never cached (pages carry forms and CSRF tokens),
/// no referrer (a recovery link's token stays out of other sites' logs), the CSP.
pub fn page_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Site> {
        let mut c = Config::default();
        adjust(&mut c);
        Site::from_config(&c)
    }

    #[test]
    fn a_logo_or_template_that_cannot_be_used_stops_the_start_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let gif = dir.path().join("logo.gif");
        std::fs::write(&gif, b"GIF89a").unwrap();
        let e = site(|c| c.ui.logo_file = Some(gif)).err().unwrap();
        assert!(format!("{e:#}").starts_with("ui.logo_file:"), "{e:#}");
        let missing = dir.path().join("missing.png");
        let e = site(|c| c.ui.logo_file = Some(missing)).err().unwrap();
        assert!(format!("{e:#}").starts_with("ui.logo_file:"), "{e:#}");
        std::fs::create_dir_all(dir.path().join("ui")).unwrap();
        std::fs::write(dir.path().join("ui/base.html"), "{% block content %}").unwrap();
        let e = site(|c| c.templates.dir = Some(dir.path().to_owned()))
            .err()
            .unwrap();
        assert!(format!("{e:#}").contains("templates.dir: ui/"), "{e:#}");
    }

    #[test]
    fn a_rule_text_is_rendered_as_text_and_escaped_once_by_the_page() {
        let s = site(|_| {}).unwrap();
        let t = s
            .render_text(
                "Not {{ pattern }}",
                &serde_json::json!({ "pattern": "^>.*<$" }),
            )
            .unwrap();
        assert_eq!(t, "Not ^>.*<$");
    }
}
