//! Character classes: `min-lowercase`, `min-uppercase`, `min-digits`, `min-special`,
//! `min-classes`. Letters and digits by their Unicode properties; everything else
//! (punctuation, spaces, symbols, emoji) is special.

use super::{Candidate, Rule};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    Lowercase,
    Uppercase,
    Digit,
    Special,
}

impl CharClass {
    pub const ALL: [CharClass; 4] = [
        CharClass::Lowercase,
        CharClass::Uppercase,
        CharClass::Digit,
        CharClass::Special,
    ];

    pub fn of(c: char) -> Self {
        if c.is_lowercase() {
            CharClass::Lowercase
        } else if c.is_uppercase() {
            CharClass::Uppercase
        } else if c.is_numeric() {
            CharClass::Digit
        } else {
            CharClass::Special
        }
    }

    pub fn count(self, s: &str) -> usize {
        s.chars().filter(|c| CharClass::of(*c) == self).count()
    }

    /// (rule name, what one of them is called, the parameter name)
    fn rule(self) -> (&'static str, &'static str, &'static str) {
        match self {
            CharClass::Lowercase => ("min-lowercase", "lowercase letter", "minLowercase"),
            CharClass::Uppercase => ("min-uppercase", "uppercase letter", "minUppercase"),
            CharClass::Digit => ("min-digits", "digit", "minDigits"),
            CharClass::Special => ("min-special", "special character", "minSpecial"),
        }
    }
}

/// At least `min` characters of one class.
#[derive(Debug)]
pub struct ClassCount {
    pub class: CharClass,
    pub min: usize,
}

impl Rule for ClassCount {
    fn name(&self) -> &'static str {
        self.class.rule().0
    }
    fn description(&self) -> String {
        let plural = if self.min == 1 { "" } else { "s" };
        format!("At least {} {}{plural}", self.min, self.class.rule().1)
    }
    fn params(&self) -> Value {
        json!({ self.class.rule().2: self.min })
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        Some(self.class.count(c.password.expose()) >= self.min)
    }
}

/// Characters from at least `0` of the four classes.
#[derive(Debug)]
pub struct MinClasses(pub usize);

impl Rule for MinClasses {
    fn name(&self) -> &'static str {
        "min-classes"
    }
    fn description(&self) -> String {
        format!(
            "Characters from at least {} of: lowercase, uppercase, digits, special",
            self.0
        )
    }
    fn params(&self) -> Value {
        json!({ "minClasses": self.0 })
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        let present = CharClass::ALL
            .iter()
            .filter(|k| k.count(c.password.expose()) > 0)
            .count();
        Some(present >= self.0)
    }
}
