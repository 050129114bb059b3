//! Stage input: a flat JSON object of strings, refused when a key repeats or a value is
//! not a string (GitLab CVE-2023-7028 put an array of addresses where one was expected).

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrictObject(pub Vec<(String, String)>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

impl StrictObject {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Refuses keys outside `allowed`; `required` must all be present.
    pub fn expect(&self, allowed: &[&str], required: &[&str]) -> Result<(), InputError> {
        if let Some((k, _)) = self.0.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(InputError(format!("unexpected input {k:?}")));
        }
        if let Some(r) = required.iter().find(|r| self.get(r).is_none()) {
            return Err(InputError(format!("missing input {r:?}")));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrictObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object whose values are strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictObject, A::Error> {
                let mut out: Vec<(String, String)> = vec![];
                while let Some(key) = map.next_key::<String>()? {
                    if out.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format!("duplicate input {key:?}")));
                    }
                    let value: String = map.next_value().map_err(|_| {
                        serde::de::Error::custom(format!("input {key:?} must be a string"))
                    })?;
                    out.push((key, value));
                }
                Ok(StrictObject(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_duplicates_and_non_strings_are_refused() {
        assert!(serde_json::from_str::<StrictObject>(r#"{"email":["a@x","b@y"]}"#).is_err());
        assert!(serde_json::from_str::<StrictObject>(r#"{"email":"a@x","email":"b@y"}"#).is_err());
        assert!(serde_json::from_str::<StrictObject>(r#"{"code":12345678}"#).is_err());
        assert!(serde_json::from_str::<StrictObject>(r#"["a"]"#).is_err());
        let ok: StrictObject = serde_json::from_str(r#"{"userName":"jdoe"}"#).unwrap();
        assert_eq!(ok.get("userName"), Some("jdoe"));
        assert!(ok.expect(&["userName", "email"], &[]).is_ok());
        assert!(ok.expect(&["email"], &[]).is_err());
        assert!(ok.expect(&["userName"], &["code"]).is_err());
    }
}
