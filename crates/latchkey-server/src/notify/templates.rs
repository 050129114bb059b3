//! Notification templates (minijinja): `<type>.<locale>.txt`, the first line
//! `Subject: ...`. A `templates.dir` overrides any of the built-in ones; the locale falls
//! back from `de-AT` to `de` to `en`; a theme (`themeId`) is tried first as
//! `<type>.<theme>.<locale>.txt`.

use minijinja::Environment;
use std::path::PathBuf;

const BUILT_IN: &[(&str, &str)] = &[
    (
        "password-changed.en.txt",
        include_str!("../../templates/password-changed.en.txt"),
    ),
    (
        "password-changed.de.txt",
        include_str!("../../templates/password-changed.de.txt"),
    ),
    (
        "password-reset.en.txt",
        include_str!("../../templates/password-reset.en.txt"),
    ),
    (
        "password-reset.de.txt",
        include_str!("../../templates/password-reset.de.txt"),
    ),
    (
        "recovery-code.en.txt",
        include_str!("../../templates/recovery-code.en.txt"),
    ),
    (
        "recovery-code.de.txt",
        include_str!("../../templates/recovery-code.de.txt"),
    ),
    (
        "password-expiring.en.txt",
        include_str!("../../templates/password-expiring.en.txt"),
    ),
    (
        "password-expiring.de.txt",
        include_str!("../../templates/password-expiring.de.txt"),
    ),
    (
        "email-changed.en.txt",
        include_str!("../../templates/email-changed.en.txt"),
    ),
    (
        "email-changed.de.txt",
        include_str!("../../templates/email-changed.de.txt"),
    ),
];

/// Every value a template prints is written on one line: a control character (a line
/// break above all) becomes a space, so no stored value can start a new line or header.
fn one_line(
    out: &mut minijinja::Output<'_>,
    _: &mut minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    let text: String = value
        .to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    out.write_str(&text)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}

/// A template loader: a file of the name in `dir` when there is one, else the built-in
/// template of that name (mail here, the web pages in `http::ui`).
pub fn overridable(
    dir: Option<PathBuf>,
    built_in: &'static [(&'static str, &'static str)],
) -> impl Fn(&str) -> Result<Option<String>, minijinja::Error> + Send + Sync + 'static {
    move |name: &str| {
        if let Some(d) = &dir {
            match std::fs::read_to_string(d.join(name)) {
                Ok(t) => return Ok(Some(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("cannot read template {name}: {e}"),
                    ));
                }
            }
        }
        Ok(built_in
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| (*t).to_owned()))
    }
}

pub struct Templates {
    env: Environment<'static>,
}

/// A rendered message.
#[derive(Debug)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

impl Templates {
    pub fn new(dir: Option<PathBuf>) -> Self {
        let mut env = Environment::new();
        env.set_formatter(one_line);
        env.set_loader(overridable(dir, BUILT_IN));
        Self { env }
    }

    /// The names tried, most specific first.
    fn candidates(kind: &str, locale: Option<&str>, theme: Option<&str>) -> Vec<String> {
        let mut locales = locale.map(crate::locale::chain).unwrap_or_default();
        locales.push("en".into());
        let mut names = vec![];
        for l in &locales {
            if let Some(t) = theme.filter(|t| crate::locale::safe_segment(t)) {
                names.push(format!("{kind}.{t}.{l}.txt"));
            }
            names.push(format!("{kind}.{l}.txt"));
        }
        names
    }

    pub fn render(
        &self,
        kind: &str,
        locale: Option<&str>,
        theme: Option<&str>,
        ctx: minijinja::Value,
    ) -> Result<Rendered, String> {
        for name in Self::candidates(kind, locale, theme) {
            match self.env.get_template(&name) {
                Ok(t) => {
                    let text = t
                        .render(&ctx)
                        .map_err(|e| format!("rendering {name}: {e}"))?;
                    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
                    let subject = first
                        .strip_prefix("Subject:")
                        .map(str::trim)
                        .unwrap_or("Latchkey")
                        .to_owned();
                    return Ok(Rendered {
                        subject,
                        body: rest.trim_start_matches('\n').to_owned(),
                    });
                }
                Err(e) if e.kind() == minijinja::ErrorKind::TemplateNotFound => continue,
                Err(e) => return Err(format!("template {name}: {e}")),
            }
        }
        Err(format!("no template for {kind}"))
    }

    /// Checks that every built-in type renders (at start-up, so a broken override stops it).
    pub fn check(&self) -> Result<(), String> {
        for kind in [
            "password-changed",
            "password-reset",
            "recovery-code",
            "password-expiring",
            "email-changed",
        ] {
            self.render(kind, None, None, minijinja::context! { display_name => "x", user_name => "x", code => "1", link => "x", valid_minutes => 1, expires_at => "x", surface => "x" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_fall_back_to_the_language_then_english() {
        let t = Templates::new(None);
        let ctx =
            || minijinja::context! { display_name => "Jo", user_name => "jo", surface => "native" };
        assert!(
            t.render("password-changed", Some("de-AT"), None, ctx())
                .unwrap()
                .subject
                .contains("geändert")
        );
        assert!(
            t.render("password-changed", Some("fr"), None, ctx())
                .unwrap()
                .subject
                .contains("changed")
        );
        assert!(
            t.render("password-changed", Some("../../etc/passwd"), None, ctx())
                .unwrap()
                .subject
                .contains("changed")
        );
        assert!(t.check().is_ok());
    }

    #[test]
    fn no_stored_value_starts_a_new_line_or_header() {
        let t = Templates::new(None);
        let r = t
            .render(
                "password-changed",
                None,
                None,
                minijinja::context! { display_name => "Jo\r\nBcc: evil@example.com", user_name => "jo\nx" },
            )
            .unwrap();
        assert!(
            !r.body.contains("\nBcc:") && !r.body.contains("\rBcc"),
            "{}",
            r.body
        );
        assert!(r.body.contains("Jo  Bcc: evil@example.com"), "{}", r.body);
    }

    #[test]
    fn a_directory_overrides_and_themes_apply() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("password-reset.en.txt"),
            "Subject: Custom {{ user_name }}\n\nBody",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("password-reset.acme.en.txt"),
            "Subject: ACME\n\nThemed",
        )
        .unwrap();
        let t = Templates::new(Some(dir.path().to_owned()));
        let ctx = || minijinja::context! { user_name => "jo" };
        assert_eq!(
            t.render("password-reset", None, None, ctx())
                .unwrap()
                .subject,
            "Custom jo"
        );
        let themed = t
            .render("password-reset", None, Some("acme"), ctx())
            .unwrap();
        assert_eq!(
            (themed.subject.as_str(), themed.body.as_str()),
            ("ACME", "Themed")
        );
    }
}
