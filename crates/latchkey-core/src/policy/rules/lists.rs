//! `dictionary` (a local list of banned passwords) and `breached` (the compact filter of
//! a Have-I-Been-Pwned-format corpus), each `enforce` or `warn`.

use super::{Candidate, Rule};
use crate::policy::dictionary::{BreachedCorpus, Dictionary};
use crate::policy::report::RuleMode;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug)]
pub struct DictionaryRule {
    pub dictionary: Arc<Dictionary>,
    pub mode: RuleMode,
}

impl Rule for DictionaryRule {
    fn name(&self) -> &'static str {
        "dictionary"
    }
    fn description(&self) -> String {
        "Must not be a commonly used or banned password".to_owned()
    }
    fn params(&self) -> Value {
        json!({ "entries": self.dictionary.len() })
    }
    fn mode(&self) -> RuleMode {
        self.mode
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        Some(!self.dictionary.contains(c.password))
    }
}

#[derive(Debug)]
pub struct Breached {
    pub corpus: Arc<dyn BreachedCorpus>,
    pub mode: RuleMode,
}

impl Rule for Breached {
    fn name(&self) -> &'static str {
        "breached"
    }
    fn description(&self) -> String {
        "Must not appear in known data breaches".to_owned()
    }
    fn params(&self) -> Value {
        json!({ "minCount": self.corpus.min_count() })
    }
    fn mode(&self) -> RuleMode {
        self.mode
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        Some(!self.corpus.contains_password(c.password))
    }
}
