//! `policy.*` configuration (SPEC §10), with per-role overrides of any key.

use crate::domain::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `enforce | warn | off` of the dictionary and breached-corpus rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Enforce,
    Warn,
    Off,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DictionarySettings {
    /// A file of banned passwords, one per line (`#` comments); none: the built-in list
    /// of the 10,000 most common passwords.
    pub file: Option<PathBuf>,
    pub mode: Mode,
}

impl Default for DictionarySettings {
    fn default() -> Self {
        Self {
            file: None,
            mode: Mode::Enforce,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreachedSettings {
    /// A filter built by `latchkey breached build`; none: the rule is off.
    pub file: Option<PathBuf>,
    pub mode: Mode,
    /// Only corpus entries seen at least this often count (fixed when the filter is built).
    pub min_count: u32,
}

impl Default for BreachedSettings {
    fn default() -> Self {
        Self {
            file: None,
            mode: Mode::Enforce,
            min_count: 1,
        }
    }
}

/// One policy's settings; `roles` holds per-role overrides of any of these keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySettings {
    pub min_length: usize,
    pub max_length: usize,
    pub min_lowercase: usize,
    pub min_uppercase: usize,
    pub min_digits: usize,
    pub min_special: usize,
    pub min_classes: usize,
    pub history_count: usize,
    pub history_on_reset: bool,
    /// `off` or a duration: self changes only.
    #[serde(with = "off_or_duration")]
    pub min_age: Option<Duration>,
    /// `off` or a duration: an older password must be changed at sign-in.
    #[serde(with = "off_or_duration")]
    pub max_age: Option<Duration>,
    #[serde(with = "duration")]
    pub expiry_warning: Duration,
    pub not_personal: bool,
    pub dictionary: DictionarySettings,
    pub breached: BreachedSettings,
    /// `off` or a zxcvbn score 0–4.
    #[serde(with = "off_or_score")]
    pub min_strength: Option<u8>,
    pub deny_patterns: Vec<String>,
    pub generate_length: usize,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<Role, serde_json::Value>,
}

impl Default for PolicySettings {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 256,
            min_lowercase: 0,
            min_uppercase: 0,
            min_digits: 0,
            min_special: 0,
            min_classes: 0,
            history_count: 0,
            history_on_reset: false,
            min_age: None,
            max_age: None,
            expiry_warning: Duration::from_secs(14 * 86_400),
            not_personal: true,
            dictionary: DictionarySettings::default(),
            breached: BreachedSettings::default(),
            min_strength: None,
            deny_patterns: vec!["^>.*<$".to_owned()],
            generate_length: 20,
            roles: BTreeMap::new(),
        }
    }
}

impl PolicySettings {
    /// The settings of `role`: these, with the role's overrides laid over them.
    pub fn for_role(&self, role: Role) -> Result<Option<Self>, String> {
        let Some(overrides) = self.roles.get(&role) else {
            return Ok(None);
        };
        let mut base = serde_json::to_value(Self {
            roles: BTreeMap::new(),
            ..self.clone()
        })
        .map_err(|e| e.to_string())?;
        merge(&mut base, overrides);
        serde_json::from_value(base)
            .map(Some)
            .map_err(|e| format!("policy.roles.{role}: {e}"))
    }
}

/// Lays `patch` over `base`, table by table.
fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// `30s`, `15m`, `1h`, `14d`, or a number of seconds.
pub mod duration {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(u64),
        Text(String),
    }

    pub fn parse(t: &str) -> Result<Duration, String> {
        humantime::parse_duration(t)
            .map_err(|e| format!("invalid duration {t:?} ({e}); write e.g. 30s, 15m, 1h, 14d"))
    }

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Secs(s) => Ok(Duration::from_secs(s)),
            Raw::Text(t) => parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// `off` (or absent) or a duration.
mod off_or_duration {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::duration::serialize(d, s),
            None => s.serialize_str("off"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Secs(0) => Ok(None),
            Raw::Secs(s) => Ok(Some(Duration::from_secs(s))),
            Raw::Text(t) if t == "off" => Ok(None),
            Raw::Text(t) => super::duration::parse(&t)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// `off` (or absent) or a zxcvbn score 0–4.
mod off_or_score {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u8>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) => s.serialize_u8(*n),
            None => s.serialize_str("off"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Score(u8),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Score(n) if n <= 4 => Ok(Some(n)),
            Raw::Score(n) => Err(serde::de::Error::custom(format!(
                "min_strength must be 0 to 4 or \"off\", not {n}"
            ))),
            Raw::Text(t) if t == "off" => Ok(None),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "min_strength must be 0 to 4 or \"off\", not {t:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_role_override_changes_only_its_keys() {
        let mut s = PolicySettings::default();
        s.roles.insert(
            Role::Admin,
            json!({ "min_length": 15, "dictionary": { "mode": "warn" } }),
        );
        let admin = s.for_role(Role::Admin).unwrap().unwrap();
        assert_eq!(admin.min_length, 15);
        assert_eq!(admin.dictionary.mode, Mode::Warn);
        assert_eq!(admin.dictionary.file, None);
        assert_eq!(admin.max_length, 256);
        assert!(s.for_role(Role::User).unwrap().is_none());
    }

    #[test]
    fn an_unknown_key_in_an_override_is_named() {
        let mut s = PolicySettings::default();
        s.roles.insert(Role::Helpdesk, json!({ "min_lenght": 15 }));
        let err = s.for_role(Role::Helpdesk).unwrap_err();
        assert!(
            err.contains("policy.roles.helpdesk") && err.contains("min_lenght"),
            "{err}"
        );
    }

    #[test]
    fn off_and_durations_round_trip() {
        let s: PolicySettings =
            serde_json::from_value(json!({ "min_age": "1d", "max_age": "off", "min_strength": 3 }))
                .unwrap();
        assert_eq!(s.min_age, Some(Duration::from_secs(86_400)));
        assert_eq!(s.max_age, None);
        assert_eq!(s.min_strength, Some(3));
        let back: PolicySettings =
            serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        assert!(serde_json::from_value::<PolicySettings>(json!({ "min_strength": 5 })).is_err());
    }
}
