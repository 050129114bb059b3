//! `UserName`: unique, matched case-insensitively, stored as given.

use std::fmt;

/// Longest accepted user name, in characters.
pub const MAX_USER_NAME_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserNameError {
    #[error("userName must not be empty")]
    Empty,
    #[error("userName must be at most {MAX_USER_NAME_CHARS} characters")]
    TooLong,
    #[error("userName must not contain control characters")]
    ControlCharacter,
    #[error("userName must not begin or end with white space")]
    SurroundingWhitespace,
}

/// A validated user name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    pub fn parse(raw: &str) -> Result<Self, UserNameError> {
        if raw.is_empty() {
            return Err(UserNameError::Empty);
        }
        if raw.chars().count() > MAX_USER_NAME_CHARS {
            return Err(UserNameError::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(UserNameError::ControlCharacter);
        }
        if raw.trim() != raw {
            return Err(UserNameError::SurroundingWhitespace);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form under which the name is unique: names differing only in case are one name.
    pub fn lookup_key(&self) -> String {
        Self::key_of(&self.0)
    }

    /// The lookup key of a raw string, for searches by a name that may not parse.
    pub fn key_of(raw: &str) -> String {
        raw.to_lowercase()
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_that_differ_in_case_share_a_key() {
        let a = UserName::parse("JDoe").unwrap();
        let b = UserName::parse("jdoe").unwrap();
        assert_eq!(a.lookup_key(), b.lookup_key());
        assert_eq!(a.as_str(), "JDoe");
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(UserName::parse(""), Err(UserNameError::Empty));
        assert_eq!(
            UserName::parse(" jdoe"),
            Err(UserNameError::SurroundingWhitespace)
        );
        assert_eq!(
            UserName::parse("j\0doe"),
            Err(UserNameError::ControlCharacter)
        );
        assert_eq!(
            UserName::parse(&"a".repeat(257)),
            Err(UserNameError::TooLong)
        );
    }

    proptest! {
        #[test]
        fn every_parsed_name_round_trips(s in "[a-zA-Z0-9._@-]{1,64}") {
            let n = UserName::parse(&s).unwrap();
            prop_assert_eq!(n.as_str(), s.as_str());
        }
    }
}
