//! Generated passwords: cryptographically random, as long as the policy needs, with the
//! required character classes, and checked against the whole policy before use.

use super::Policy;
use super::rules::{Candidate, CharClass, Entry};
use crate::domain::{Account, Password};
use crate::secret::SecretString;
use rand::RngExt as _;
use time::OffsetDateTime;

/// No look-alikes (0/O, 1/l/I), so a generated password can be read out and typed.
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SPECIAL: &[u8] = b"-_.!@#%+=";

/// Attempts before giving up on a policy no random password satisfies.
const ATTEMPTS: usize = 64;

fn alphabet(class: CharClass) -> &'static [u8] {
    match class {
        CharClass::Lowercase => LOWER,
        CharClass::Uppercase => UPPER,
        CharClass::Digit => DIGITS,
        CharClass::Special => SPECIAL,
    }
}

impl Policy {
    /// A password this policy accepts for `account`, or `None` if the policy cannot be
    /// met by random passwords (e.g. a deny pattern that matches everything).
    pub fn generate(&self, account: Option<&Account>, now: OffsetDateTime) -> Option<SecretString> {
        let s = &self.settings;
        let required: usize = s.min_lowercase + s.min_uppercase + s.min_digits + s.min_special;
        let len = s
            .generate_length
            .max(s.min_length)
            .max(required)
            .max(s.min_classes)
            .min(s.max_length);
        for _ in 0..ATTEMPTS {
            let candidate = SecretString::from(self.random(len));
            let Ok(pw) = Password::parse(crate::secret::ExposeSecret::expose_secret(&candidate))
            else {
                continue;
            };
            let c = Candidate {
                password: &pw,
                account,
                user_name: None,
                entry: Entry::DryRun,
                now,
                current_password: None,
                current_hash: None,
                history: &[],
            };
            if self.evaluate(&c).valid {
                return Some(candidate);
            }
        }
        None
    }

    fn random(&self, len: usize) -> String {
        let s = &self.settings;
        let mut rng = rand::rng();
        let mut chars: Vec<u8> = Vec::with_capacity(len);
        let minimums = [
            (CharClass::Lowercase, s.min_lowercase),
            (CharClass::Uppercase, s.min_uppercase),
            (CharClass::Digit, s.min_digits),
            (CharClass::Special, s.min_special),
        ];
        // Every class contributes at least once where there is room: whatever our own
        // policy asks, a generated password then also meets a directory's complexity rule
        // (Active Directory's: three kinds of characters of four). With 20 characters this
        // costs nothing.
        for (class, min) in minimums {
            let n = min.max(usize::from(len >= minimums.len()));
            let a = alphabet(class);
            chars.extend((0..n).map(|_| a[rng.random_range(0..a.len())]));
        }
        let all: Vec<u8> = [LOWER, UPPER, DIGITS, SPECIAL].concat();
        while chars.len() < len {
            chars.push(all[rng.random_range(0..all.len())]);
        }
        chars.truncate(len.max(1));
        // Fisher–Yates, so the required characters are not all at the front.
        for i in (1..chars.len()).rev() {
            let j = rng.random_range(0..=i);
            chars.swap(i, j);
        }
        chars.into_iter().map(char::from).collect()
    }
}
