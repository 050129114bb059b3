//! Configuration errors as an operator reads them: the key as written in the file or the
//! environment (`lockout.windw`, not figment's `default.lockout.windw`), single quotes,
//! a suggestion for a mistyped key, and the file's line where the key has one.

use figment::error::Kind;
use std::path::Path;

/// Every problem of a failed load, one per line.
pub fn describe(error: &figment::Error, file: Option<&Path>) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| one(&e, file))
        .collect::<Vec<_>>()
        .join("\n")
}

fn one(e: &figment::Error, file: Option<&Path>) -> String {
    let key = e.path.join(".");
    let from_env = e
        .metadata
        .as_ref()
        .is_some_and(|m| m.name.contains("environment"));
    let place = if from_env {
        format!(" (environment variable LATCHKEY_{})", env_name(&e.path))
    } else {
        match file.and_then(|f| line_of(f, &e.path).map(|n| (f, n))) {
            Some((f, n)) => format!(" ({} line {n})", f.display()),
            None => String::new(),
        }
    };
    let what = match &e.kind {
        Kind::UnknownField(field, expected) => {
            let hint = closest(field, expected)
                .map(|s| {
                    let prefix = &e.path[..e.path.len().saturating_sub(1)];
                    let full = prefix
                        .iter()
                        .map(String::as_str)
                        .chain([s])
                        .collect::<Vec<_>>()
                        .join(".");
                    format!("; did you mean '{full}'?")
                })
                .unwrap_or_default();
            format!("unknown key '{key}'{hint}")
        }
        Kind::MissingField(field) => format!("'{key}' needs '{field}'"),
        other => format!("'{key}': {}", quoted(&other.to_string())),
    };
    format!("{what}{place}")
}

/// figment's and serde's backticks as single quotes.
fn quoted(s: &str) -> String {
    s.replace('`', "'")
}

fn env_name(path: &[String]) -> String {
    path.iter()
        .map(|p| p.to_uppercase())
        .collect::<Vec<_>>()
        .join("__")
}

/// The expected name nearest to a mistyped one, if it is near enough to be a typo.
fn closest<'a>(field: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|x| (strsim::jaro_winkler(field, x), *x))
        .filter(|(similar, _)| *similar >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, x)| x)
}

/// The line of `path` (`section.key`, or a top-level `key`) in a TOML file: the first
/// `key =` line inside its `[section]`.
fn line_of(file: &Path, path: &[String]) -> Option<usize> {
    let text = std::fs::read_to_string(file).ok()?;
    let (key, sections) = path.split_last()?;
    let want = sections.join(".");
    let mut section = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
            if section == format!("{want}.{key}") || (want.is_empty() && section == *key) {
                return Some(n + 1);
            }
            continue;
        }
        let Some((k, _)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim().trim_matches('"');
        if section == want && k == key {
            return Some(n + 1);
        }
        // A dotted key: `lockout.window = ...` at the top level.
        if section.is_empty() && !want.is_empty() && k == format!("{want}.{key}") {
            return Some(n + 1);
        }
    }
    None
}
