//! Rule-by-rule tests: pass, fail, limits, Unicode; report snapshots; generation.

use super::*;
use crate::domain::{Account, Password, Profile, Roles};
use crate::hashing::{Hasher, HashingParams};
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

fn pw(s: &str) -> Password {
    Password::parse(s).unwrap()
}

fn account() -> Account {
    Account {
        profile: Profile {
            email: Some("john.doe@example.com".into()),
            given_name: Some("Jonathan".into()),
            sn: Some("Doe".into()),
            display_name: Some("Jonathan Q. Smithers".into()),
            ..Default::default()
        },
        password_changed_at: Some(NOW - Duration::from_secs(3600)),
        ..Account::example("jdoe", NOW)
    }
}

fn policy(adjust: impl FnOnce(&mut PolicySettings)) -> Policy {
    let mut s = PolicySettings::default();
    adjust(&mut s);
    Policy::build(s, &NoFiles, "policy").unwrap()
}

fn candidate<'a>(p: &'a Password, a: Option<&'a Account>, entry: Entry) -> Candidate<'a> {
    Candidate {
        password: p,
        account: a,
        user_name: None,
        entry,
        now: NOW,
        current_password: None,
        current_hash: None,
        history: &[],
    }
}

/// Rule name → satisfied, for the rules listed.
fn outcome(p: &Policy, c: &Candidate<'_>) -> Vec<(&'static str, bool)> {
    p.evaluate(c)
        .rules
        .iter()
        .map(|r| (r.rule, r.satisfied))
        .collect()
}

fn failed(p: &Policy, c: &Candidate<'_>) -> Vec<&'static str> {
    p.evaluate(c).failed().map(|r| r.rule).collect()
}

#[test]
fn length_counts_code_points_after_nfkc_at_and_around_the_limits() {
    let p = policy(|s| {
        s.min_length = 8;
        s.max_length = 10;
        s.dictionary.mode = Mode::Off;
    });
    for (input, expected) in [
        ("abcdefg", vec!["min-length"]),
        ("abcdefgh", vec![]),
        ("abcdefghij", vec![]),
        ("abcdefghijk", vec!["max-length"]),
        // Seven emoji plus one letter: eight code points, more bytes.
        ("😀😀😀😀😀😀😀a", vec![]),
        // e + combining acute: NFKC composes it to one code point, so seven in all.
        ("cafe\u{301}xyz", vec!["min-length"]),
        // Full-width letters are ordinary letters after NFKC.
        ("ｐａｓｓｗｏｒｄｘ", vec![]),
        // Right-to-left text is counted like any other.
        ("שלוםעולםטוב", vec!["max-length"]),
    ] {
        assert_eq!(
            failed(&p, &candidate(&pw(input), None, Entry::DryRun)),
            expected,
            "{input}"
        );
    }
}

#[test]
fn character_classes_use_unicode_properties() {
    let p = policy(|s| {
        s.min_lowercase = 1;
        s.min_uppercase = 1;
        s.min_digits = 2;
        s.min_special = 1;
        s.dictionary.mode = Mode::Off;
    });
    assert_eq!(
        failed(&p, &candidate(&pw("Ab12!xyzw"), None, Entry::DryRun)),
        Vec::<&str>::new()
    );
    assert_eq!(
        failed(&p, &candidate(&pw("ab12!xyzw"), None, Entry::DryRun)),
        ["min-uppercase"]
    );
    assert_eq!(
        failed(&p, &candidate(&pw("ÉCOLE1é2 "), None, Entry::DryRun)),
        Vec::<&str>::new(),
        "accents and a space count"
    );
    assert_eq!(
        failed(&p, &candidate(&pw("Ab1xyzwvu"), None, Entry::DryRun)),
        ["min-digits", "min-special"]
    );
    let classes = policy(|s| {
        s.min_classes = 3;
        s.dictionary.mode = Mode::Off;
    });
    assert_eq!(
        failed(&classes, &candidate(&pw("abcdefgh12"), None, Entry::DryRun)),
        ["min-classes"]
    );
    assert!(
        classes
            .evaluate(&candidate(&pw("abcdefgh1😀"), None, Entry::DryRun))
            .valid,
        "emoji are special"
    );
}

#[test]
fn nfkc_equal_passwords_are_equal_for_not_current_and_history() {
    let p = policy(|s| s.history_count = 2);
    let hasher = Hasher::new(HashingParams::TESTING).unwrap();
    let old = pw("ｆｕｌｌｗｉｄｔｈ secret");
    let history = [hasher.hash(&old)];
    let new = pw("fullwidth secret");
    let c = Candidate {
        history: &history,
        ..candidate(&new, None, Entry::SelfChange)
    };
    assert_eq!(failed(&p, &c), ["history"]);
    let current = pw("ｆｕｌｌｗｉｄｔｈ secret");
    let c = Candidate {
        current_password: Some(&current),
        ..candidate(&new, None, Entry::SelfChange)
    };
    assert_eq!(failed(&p, &c), ["not-current"]);
    let hash = hasher.hash(&current);
    let c = Candidate {
        current_hash: Some(&hash),
        ..candidate(&new, None, Entry::Reset)
    };
    assert_eq!(failed(&p, &c), ["not-current"]);
    // A dry run proves nothing and compares with nothing stored.
    let names: Vec<_> = outcome(&p, &candidate(&new, None, Entry::DryRun))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        !names.contains(&"history") && !names.contains(&"not-current"),
        "{names:?}"
    );
}

#[test]
fn min_age_applies_to_self_changes_only_and_not_after_a_reset() {
    let p = policy(|s| s.min_age = Some(Duration::from_secs(86_400)));
    let a = account();
    let new = pw("a fresh password 9");
    assert_eq!(
        failed(&p, &candidate(&new, Some(&a), Entry::SelfChange)),
        ["min-age"]
    );
    assert!(
        p.evaluate(&candidate(&new, Some(&a), Entry::Reset)).valid,
        "resets are exempt"
    );
    let must = Account {
        must_change_password: true,
        ..account()
    };
    assert!(
        p.evaluate(&candidate(&new, Some(&must), Entry::SelfChange))
            .valid
    );
    let old_enough = Account {
        password_changed_at: Some(NOW - Duration::from_secs(86_400)),
        ..account()
    };
    assert!(
        p.evaluate(&candidate(&new, Some(&old_enough), Entry::SelfChange))
            .valid,
        "exactly at the limit"
    );
}

#[test]
fn personal_words_are_refused_case_insensitively() {
    let p = policy(|_| {});
    let a = account();
    for bad in [
        "xJDOEx-secret",
        "jonathan-rocks!",
        "the john.doe pass",
        "smithers2026!",
        "DOE-doe-123456",
    ] {
        assert_eq!(
            failed(&p, &candidate(&pw(bad), Some(&a), Entry::SelfChange)),
            ["not-personal"],
            "{bad}"
        );
    }
    // "Q." is shorter than three characters: not a token.
    assert!(
        p.evaluate(&candidate(
            &pw("q.q.q.q.q.q.q.q"),
            Some(&a),
            Entry::SelfChange
        ))
        .valid
    );
    // Full-width spelling of the user name is the user name.
    assert_eq!(
        failed(
            &p,
            &candidate(&pw("ＪＤＯＥ-is-me-1"), Some(&a), Entry::SelfChange)
        ),
        ["not-personal"]
    );
    let mine = pw("i-am-asmith-ok");
    let c = Candidate {
        user_name: Some("asmith"),
        ..candidate(&mine, None, Entry::DryRun)
    };
    assert_eq!(failed(&p, &c), ["not-personal"]);
}

#[test]
fn the_dictionary_matches_whole_passwords_and_warn_mode_only_warns() {
    let enforce = policy(|_| {});
    assert_eq!(
        failed(
            &enforce,
            &candidate(&pw("password123"), None, Entry::DryRun)
        ),
        ["dictionary"]
    );
    assert_eq!(
        failed(
            &enforce,
            &candidate(&pw("ＰＡＳＳＷＯＲＤ１２３"), None, Entry::DryRun)
        ),
        ["dictionary"]
    );
    assert!(
        enforce
            .evaluate(&candidate(
                &pw("password123 but longer"),
                None,
                Entry::DryRun
            ))
            .valid
    );
    let warn = policy(|s| s.dictionary.mode = Mode::Warn);
    let r = warn.evaluate(&candidate(&pw("password123"), None, Entry::DryRun));
    assert!(r.valid);
    assert_eq!(
        r.warnings().iter().map(|w| w.rule).collect::<Vec<_>>(),
        ["dictionary"]
    );
    let off = policy(|s| s.dictionary.mode = Mode::Off);
    assert!(
        !outcome(&off, &candidate(&pw("password123"), None, Entry::DryRun))
            .iter()
            .any(|(n, _)| *n == "dictionary")
    );
}

#[derive(Debug)]
struct OneBreach;

impl BreachedCorpus for OneBreach {
    fn contains_sha1(&self, digest: &[u8; 20]) -> bool {
        use sha1::Digest as _;
        digest[..] == sha1::Sha1::digest(b"Tr0ub4dour&3")[..]
    }
    fn min_count(&self) -> u32 {
        1
    }
}

struct Files;

impl PolicyFiles for Files {
    fn dictionary(&self, _: &std::path::Path) -> Result<Arc<Dictionary>, String> {
        Ok(Arc::new(Dictionary::parse("tr0ub4dour&3\n")))
    }
    fn breached(&self, _: &std::path::Path, _: u32) -> Result<Arc<dyn BreachedCorpus>, String> {
        Ok(Arc::new(OneBreach))
    }
}

#[test]
fn the_breached_corpus_is_checked_by_the_sha1_of_the_nfkc_password() {
    let mut s = PolicySettings::default();
    s.breached.file = Some("corpus.lkbf".into());
    let p = Policy::build(s.clone(), &Files, "policy").unwrap();
    assert_eq!(
        failed(&p, &candidate(&pw("Tr0ub4dour&3"), None, Entry::DryRun)),
        ["breached"]
    );
    assert_eq!(
        failed(
            &p,
            &candidate(&pw("Ｔｒ０ｕｂ４ｄｏｕｒ＆３"), None, Entry::DryRun)
        ),
        ["breached"]
    );
    assert!(
        p.evaluate(&candidate(&pw("Tr0ub4dour&4"), None, Entry::DryRun))
            .valid
    );
    s.breached.mode = Mode::Warn;
    let warn = Policy::build(s, &Files, "policy").unwrap();
    let r = warn.evaluate(&candidate(&pw("Tr0ub4dour&3"), None, Entry::DryRun));
    assert!(r.valid && r.warnings()[0].rule == "breached");
}

#[test]
fn strength_uses_zxcvbn_with_personal_inputs() {
    let p = policy(|s| {
        s.min_strength = Some(3);
        s.not_personal = false;
        s.dictionary.mode = Mode::Off;
    });
    assert_eq!(
        failed(&p, &candidate(&pw("qwertyuiop"), None, Entry::DryRun)),
        ["min-strength"]
    );
    assert!(
        p.evaluate(&candidate(
            &pw("correct horse battery staple"),
            None,
            Entry::DryRun
        ))
        .valid
    );
    let long = "x".repeat(4000);
    let started = std::time::Instant::now();
    p.evaluate(&candidate(&pw(&long), None, Entry::DryRun));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "long passwords stay cheap to score"
    );
}

#[test]
fn the_default_deny_pattern_is_the_ibm_rule() {
    let p = policy(|_| {});
    assert_eq!(
        failed(&p, &candidate(&pw(">my secret<"), None, Entry::DryRun)),
        ["deny-pattern"]
    );
    assert!(
        p.evaluate(&candidate(&pw(">my secret"), None, Entry::DryRun))
            .valid
    );
}

#[test]
fn bad_settings_are_refused_naming_the_key() {
    for (adjust, key) in [
        (
            Box::new(|s: &mut PolicySettings| {
                s.deny_patterns = vec!["ok".into(), "(unclosed".into()]
            }) as Box<dyn Fn(&mut PolicySettings)>,
            "policy.deny_patterns[1]",
        ),
        (
            Box::new(|s: &mut PolicySettings| s.min_length = 0),
            "policy.min_length",
        ),
        (
            Box::new(|s: &mut PolicySettings| s.max_length = 4),
            "policy.max_length",
        ),
        (
            Box::new(|s: &mut PolicySettings| s.dictionary.file = Some("/nonexistent".into())),
            "policy.dictionary.file",
        ),
        (
            Box::new(|s: &mut PolicySettings| s.breached.file = Some("/nonexistent".into())),
            "policy.breached.file",
        ),
        (
            Box::new(|s: &mut PolicySettings| s.deny_patterns = vec![".*".into()]),
            "policy.deny_patterns",
        ),
    ] {
        let mut s = PolicySettings::default();
        adjust(&mut s);
        let e = Policy::build(s, &NoFiles, "policy").unwrap_err().0;
        assert!(e.starts_with(key), "{e}");
    }
}

#[test]
fn a_role_gets_its_own_policy() {
    let mut s = PolicySettings::default();
    s.roles
        .insert(Role::Admin, serde_json::json!({ "min_length": 15 }));
    let ps = Policies::build(&s, &NoFiles).unwrap();
    let admin = Account {
        roles: Roles::new(vec![Role::User, Role::Admin]),
        ..account()
    };
    assert_eq!(ps.for_account(Some(&admin)).settings().min_length, 15);
    assert_eq!(ps.for_account(Some(&account())).settings().min_length, 8);
    assert_eq!(ps.for_account(None).settings().min_length, 8);
    assert_eq!(ps.effective().len(), 2);
}

#[test]
fn report_snapshots_pin_the_json_shape() {
    let p = policy(|s| {
        s.min_uppercase = 1;
        s.min_classes = 2;
        s.history_count = 3;
        s.min_strength = Some(2);
        s.dictionary.mode = Mode::Warn;
    });
    let a = account();
    let current = pw("the current one");
    let new = pw("password");
    let c = Candidate {
        current_password: Some(&current),
        ..candidate(&new, Some(&a), Entry::SelfChange)
    };
    insta::assert_json_snapshot!("self_change_refused", p.evaluate(&c));
    insta::assert_json_snapshot!(
        "unparsable",
        p.report_unparsable("a\u{0}b", &PasswordError::ControlCharacter)
    );
    insta::assert_json_snapshot!(
        "warnings",
        p.evaluate(&candidate(&pw("Password123"), None, Entry::DryRun))
            .warnings()
    );
}

#[test]
fn generated_passwords_pass_a_policy_with_every_rule_ten_thousand_times() {
    let mut s = PolicySettings {
        min_length: 12,
        min_lowercase: 2,
        min_uppercase: 2,
        min_digits: 2,
        min_special: 2,
        min_classes: 4,
        history_count: 5,
        min_age: Some(Duration::from_secs(60)),
        min_strength: Some(4),
        ..Default::default()
    };
    s.breached.file = Some("corpus".into());
    s.deny_patterns = vec!["^>.*<$".into(), "(?i)latchkey".into(), "[<>]".into()];
    let p = Policy::build(s, &Files, "policy").unwrap();
    let a = account();
    for _ in 0..10_000 {
        let g = p.generate(Some(&a), NOW).expect("a password");
        let g = pw(crate::secret::ExposeSecret::expose_secret(&g));
        let r = p.evaluate(&candidate(&g, Some(&a), Entry::SelfChange));
        assert!(
            r.valid && r.failed().next().is_none(),
            "{:?}",
            r.failed().collect::<Vec<_>>()
        );
        assert!(g.char_count() >= 20);
    }
}

#[test]
fn generated_passwords_have_every_kind_of_character_even_when_the_policy_asks_none() {
    // A directory's own complexity rule (AD: three kinds of four) is met whatever ours is.
    let p = policy(|_| {});
    for _ in 0..2_000 {
        let g = p
            .generate(None, datetime!(2026-11-30 12:00 UTC))
            .expect("generated");
        let g = crate::secret::ExposeSecret::expose_secret(&g).to_owned();
        assert!(g.chars().any(|c| c.is_ascii_lowercase()), "{g}");
        assert!(g.chars().any(|c| c.is_ascii_uppercase()), "{g}");
        assert!(g.chars().any(|c| c.is_ascii_digit()), "{g}");
        assert!(g.chars().any(|c| !c.is_ascii_alphanumeric()), "{g}");
    }
}
