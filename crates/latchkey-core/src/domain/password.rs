//! `Password`: a secret, NFKC-normalised (NIST SP 800-63B) and bounded before any hashing.

use secrecy::{ExposeSecret as _, SecretString};
use unicode_normalization::UnicodeNormalization as _;

/// Inputs longer than this (in UTF-8 bytes, before normalisation) are refused unread.
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// The normalisation recorded with every hash, so that it can change later.
pub const NORMALIZATION: &str = "nfkc";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must not be empty")]
    Empty,
    #[error("the password is longer than {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("the password must not contain control characters such as NUL")]
    ControlCharacter,
}

/// A password as the user meant it: NFKC-normalised, never printed, wiped on drop.
pub struct Password(SecretString);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        if raw.is_empty() {
            return Err(PasswordError::Empty);
        }
        if raw.chars().any(|c| c.is_control() && c != '\t') {
            return Err(PasswordError::ControlCharacter);
        }
        let normalized: String = raw.nfkc().collect();
        if normalized.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(SecretString::from(normalized)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.expose().as_bytes()
    }

    /// Length in code points after normalisation, the unit of every length rule.
    pub fn char_count(&self) -> usize {
        self.expose().chars().count()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn compatibility_forms_normalise_to_one_password() {
        // U+FB01 LATIN SMALL LIGATURE FI and fullwidth letters
        let a = Password::parse("\u{FB01}sh\u{FF21}").unwrap();
        assert_eq!(a.expose(), "fishA");
        assert_eq!(a.char_count(), 5);
    }

    #[test]
    fn empty_nul_and_oversized_passwords_are_refused() {
        assert_eq!(Password::parse("").unwrap_err(), PasswordError::Empty);
        assert_eq!(
            Password::parse("ab\0cd").unwrap_err(),
            PasswordError::ControlCharacter
        );
        assert_eq!(
            Password::parse(&"x".repeat(4097)).unwrap_err(),
            PasswordError::TooLong
        );
        assert!(Password::parse(&"x".repeat(4096)).is_ok());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = Password::parse("s3cr3t-horse").unwrap();
        assert!(!format!("{p:?}").contains("s3cr3t"));
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(s in "\\PC{1,64}") {
            if let Ok(p) = Password::parse(&s) {
                let again = Password::parse(p.expose()).unwrap();
                prop_assert_eq!(again.expose(), p.expose());
            }
        }
    }
}
