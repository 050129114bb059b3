//! Password lists: the local dictionary (whole-password, case-insensitive, NFKC) and the
//! port for the breached-password corpus, whose filter lives with the server.

use crate::domain::Password;
use sha1::{Digest as _, Sha1};
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use unicode_normalization::UnicodeNormalization as _;

/// Banned passwords, normalised (NFKC, lowercase) when loaded.
#[derive(Debug, Default)]
pub struct Dictionary {
    entries: HashSet<String>,
}

fn normalise(s: &str) -> String {
    s.nfkc().collect::<String>().to_lowercase()
}

impl Dictionary {
    /// One entry per line; blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .map(|l| l.trim_end_matches(['\r', '\n']))
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(normalise)
            .collect();
        Self { entries }
    }

    /// The 10,000 most common passwords (zxcvbn's frequency list): the default.
    pub fn builtin() -> Arc<Self> {
        static BUILTIN: OnceLock<Arc<Dictionary>> = OnceLock::new();
        Arc::clone(
            BUILTIN.get_or_init(|| Arc::new(Self::parse(include_str!("common-passwords.txt")))),
        )
    }

    pub fn contains(&self, password: &Password) -> bool {
        self.entries.contains(&password.expose().to_lowercase())
    }

    pub fn contains_text(&self, s: &str) -> bool {
        self.entries.contains(&normalise(s))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A breached-password corpus, queried by the SHA-1 of the NFKC password (the
/// Have-I-Been-Pwned key). Probabilistic: a "yes" may rarely be wrong, a "no" never is.
pub trait BreachedCorpus: Send + Sync + std::fmt::Debug {
    fn contains_sha1(&self, digest: &[u8; 20]) -> bool;
    /// The minimum count an entry needed to be included.
    fn min_count(&self) -> u32;

    fn contains_password(&self, password: &Password) -> bool {
        let digest: [u8; 20] = Sha1::digest(password.as_bytes()).into();
        self.contains_sha1(&digest)
    }
}

/// Where the policy's files come from (the server reads them; the core stays free of I/O).
pub trait PolicyFiles {
    fn dictionary(&self, path: &Path) -> Result<Arc<Dictionary>, String>;
    fn breached(&self, path: &Path, min_count: u32) -> Result<Arc<dyn BreachedCorpus>, String>;
}

/// For policies that name no files (tests, the CLI without a configuration).
pub struct NoFiles;

impl PolicyFiles for NoFiles {
    fn dictionary(&self, path: &Path) -> Result<Arc<Dictionary>, String> {
        Err(format!("cannot read {}", path.display()))
    }
    fn breached(&self, path: &Path, _: u32) -> Result<Arc<dyn BreachedCorpus>, String> {
        Err(format!("cannot read {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_list_refuses_common_passwords_in_any_case() {
        let d = Dictionary::builtin();
        assert!(d.len() > 9000);
        for p in [
            "password123",
            "PASSWORD123",
            "Password123",
            "qwerty",
            "iloveyou",
        ] {
            assert!(d.contains(&Password::parse(p).unwrap()), "{p}");
        }
        assert!(!d.contains(&Password::parse("correct horse battery staple").unwrap()));
    }

    #[test]
    fn entries_and_passwords_are_compared_after_nfkc() {
        let d = Dictionary::parse("# comment\n\nＳｅｃｒｅｔ\nhunter2\r\n");
        assert_eq!(d.len(), 2);
        assert!(d.contains(&Password::parse("secret").unwrap()));
        assert!(d.contains(&Password::parse("ｈｕｎｔｅｒ２").unwrap()));
        assert!(!d.contains(&Password::parse("hunter22").unwrap()));
    }
}
