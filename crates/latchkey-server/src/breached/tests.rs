use super::*;
use latchkey_core::domain::Password;
use latchkey_core::policy::BreachedCorpus as _;
use sha1::{Digest as _, Sha1};
use std::io::Write as _;

fn sha1_hex(s: &str) -> String {
    Sha1::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// A sample in the real HIBP download format, with the variations the format allows.
fn sample(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("pwned.txt");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "{}:52579", sha1_hex("password")).unwrap();
    writeln!(f, "{}:3", sha1_hex("Tr0ub4dour&3").to_lowercase()).unwrap();
    writeln!(f, "{}", sha1_hex("plain line")).unwrap();
    writeln!(f).unwrap();
    writeln!(f, "{}:1\r", sha1_hex("seen once")).unwrap();
    for i in 0..5000 {
        writeln!(f, "{}:{}", sha1_hex(&format!("filler {i}")), i % 7 + 1).unwrap();
    }
    path
}

fn pw(s: &str) -> Password {
    Password::parse(s).unwrap()
}

#[test]
fn a_built_filter_finds_every_entry_and_few_others() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("breached.lkbf");
    let report = build(&sample(dir.path()), &out, 1).unwrap();
    assert_eq!(report.keys, 5004);
    let f = BreachedFilter::load(&out, 1).unwrap();
    for p in [
        "password",
        "Tr0ub4dour&3",
        "plain line",
        "seen once",
        "filler 0",
        "filler 4999",
    ] {
        assert!(f.contains_password(&pw(p)), "{p}");
    }
    assert!(
        f.contains_password(&pw("ｐａｓｓｗｏｒｄ")),
        "NFKC before SHA-1"
    );
    let false_positives = (0..100_000)
        .filter(|i| f.contains_password(&pw(&format!("never seen {i}"))))
        .count();
    assert!(
        false_positives <= 10,
        "{false_positives} false positives in 100,000"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 2,
        "spill files are removed"
    );
}

#[test]
fn min_count_drops_rare_entries_and_must_match_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.lkbf");
    let r = build(&sample(dir.path()), &out, 3).unwrap();
    assert!(r.skipped_below_min_count > 0);
    let f = BreachedFilter::load(&out, 3).unwrap();
    assert!(f.contains_password(&pw("password")));
    assert!(f.contains_password(&pw("Tr0ub4dour&3")));
    assert!(!f.contains_password(&pw("seen once")));
    let e = BreachedFilter::load(&out, 1).unwrap_err().to_string();
    assert!(
        e.contains("--min-count 3") && e.contains("policy.breached.min_count is 1"),
        "{e}"
    );
}

#[test]
fn corrupt_truncated_and_foreign_files_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.lkbf");
    build(&sample(dir.path()), &out, 1).unwrap();
    let good = std::fs::read(&out).unwrap();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    std::fs::write(&out, &flipped).unwrap();
    assert!(matches!(
        BreachedFilter::load(&out, 1),
        Err(FilterError::Corrupt(_))
    ));
    std::fs::write(&out, &good[..good.len() - 100]).unwrap();
    assert!(matches!(
        BreachedFilter::load(&out, 1),
        Err(FilterError::Truncated(_))
    ));
    std::fs::write(&out, b"hello, not a filter").unwrap();
    assert!(matches!(
        BreachedFilter::load(&out, 1),
        Err(FilterError::NotAFilter(_))
    ));
    assert!(matches!(
        BreachedFilter::load(&dir.path().join("missing"), 1),
        Err(FilterError::Io { .. })
    ));
}

#[test]
fn a_malformed_line_stops_the_build_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.txt");
    std::fs::write(&input, format!("{}:1\nnot-a-hash:2\n", sha1_hex("a"))).unwrap();
    let e = build(&input, &dir.path().join("f.lkbf"), 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2"), "{e}");
    assert!(!dir.path().join("f.lkbf").exists());
}
