//! The web page's message catalogues: every string a page shows, per language. English
//! and German are built in; `templates.dir/ui/messages/<language>.toml` overrides any of
//! their keys or adds a language. A missing key falls back to English.

use anyhow::Context as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

const BUILT_IN: &[(&str, &str)] = &[
    ("en", include_str!("../../../ui/messages/en.toml")),
    ("de", include_str!("../../../ui/messages/de.toml")),
];

pub struct Catalogues {
    /// Language → its strings, English filled in where it has none.
    by_language: BTreeMap<String, Value>,
}

impl Catalogues {
    pub fn load(dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut raw: BTreeMap<String, Value> = BTreeMap::new();
        for (lang, text) in BUILT_IN {
            raw.insert((*lang).to_owned(), parse(text).expect("built-in catalogue"));
        }
        if let Some(dir) = dir.filter(|d| d.is_dir()) {
            for entry in std::fs::read_dir(&dir)
                .with_context(|| format!("templates.dir: {}", dir.display()))?
            {
                let path = entry?.path();
                let Some(lang) = path
                    .extension()
                    .filter(|e| *e == "toml")
                    .and_then(|_| path.file_stem()?.to_str())
                    .filter(|l| crate::locale::safe_segment(l))
                    .map(str::to_owned)
                else {
                    continue;
                };
                let text = std::fs::read_to_string(&path)?;
                let own =
                    parse(&text).with_context(|| format!("templates.dir: {}", path.display()))?;
                merge(
                    raw.entry(lang).or_insert(Value::Object(Default::default())),
                    own,
                );
            }
        }
        let english = raw["en"].clone();
        let by_language = raw
            .into_iter()
            .map(|(lang, own)| {
                let mut full = english.clone();
                if lang != "en" {
                    // The policy's own descriptions are English: another language shows
                    // them only where its catalogue has no translation.
                    if let Some(o) = full.as_object_mut() {
                        o.remove("rule");
                    }
                }
                merge(&mut full, own);
                (lang, full)
            })
            .collect();
        Ok(Self { by_language })
    }

    /// The first language of `wanted` (most preferred first) there is a catalogue for,
    /// else English.
    pub fn pick(&self, wanted: impl IntoIterator<Item = String>) -> &str {
        wanted
            .into_iter()
            .find_map(|w| {
                self.by_language
                    .get_key_value(&w.to_ascii_lowercase())
                    .or_else(|| self.by_language.get_key_value(&w))
                    .map(|(k, _)| k.as_str())
            })
            .unwrap_or("en")
    }

    pub fn strings(&self, language: &str) -> &Value {
        self.by_language
            .get(language)
            .unwrap_or(&self.by_language["en"])
    }

    /// One string by its dotted key (`change.mismatch`); the key itself when missing.
    pub fn text(&self, language: &str, key: &str) -> String {
        key.split('.')
            .try_fold(self.strings(language), |v, k| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_owned()
    }
}

fn parse(text: &str) -> anyhow::Result<Value> {
    let table: toml::Table = toml::from_str(text)?;
    Ok(serde_json::to_value(table)?)
}

/// Deep merge: `over`'s keys replace `base`'s, tables merge.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_language_has_every_english_key() {
        fn keys(v: &Value, prefix: &str, out: &mut Vec<String>) {
            if let Some(o) = v.as_object() {
                for (k, v) in o {
                    keys(v, &format!("{prefix}{k}."), out);
                }
            } else {
                out.push(prefix.trim_end_matches('.').to_owned());
            }
        }
        let english = parse(BUILT_IN[0].1).unwrap();
        let mut wanted = vec![];
        keys(&english, "", &mut wanted);
        for (lang, text) in &BUILT_IN[1..] {
            let own = parse(text).unwrap();
            let mut have = vec![];
            keys(&own, "", &mut have);
            let missing: Vec<_> = wanted.iter().filter(|k| !have.contains(k)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
    }

    #[test]
    fn an_operator_catalogue_adds_a_language_and_falls_back_to_english() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fr.toml"),
            "[sign_in]\ntitle = \"Connexion\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("de.toml"), "[nav]\nsign_out = \"Raus\"\n").unwrap();
        let c = Catalogues::load(Some(dir.path().to_owned())).unwrap();
        assert_eq!(c.pick(["fr-CA".into(), "fr".into()]), "fr");
        assert_eq!(c.text("fr", "sign_in.title"), "Connexion");
        assert_eq!(c.text("fr", "sign_in.submit"), "Sign in");
        assert_eq!(c.text("de", "nav.sign_out"), "Raus");
        assert_eq!(c.text("de", "sign_in.title"), "Anmelden");
        assert_eq!(c.pick(["it".into()]), "en");
    }
}
