//! The breached-corpus benchmark: generates N synthetic Have-I-Been-Pwned-format entries
//! (never shipped), builds the filter in a child process (so its peak memory is the
//! build's alone), loads it, and measures lookups, the false-positive rate and the cost of
//! a full policy check. Run: `cargo run --release -p latchkey-bench --bin breached -- --entries 100000000`.
#![allow(clippy::print_stdout)] // a benchmark reports

use anyhow::Context as _;
use clap::Parser;
use latchkey_core::domain::{Account, Password, Profile};
use latchkey_core::policy::{
    BreachedCorpus, Candidate, Entry, Mode, Policies, PolicyFiles, PolicySettings,
};
use latchkey_server::breached::BreachedFilter;
use latchkey_server::policy_files::DiskPolicyFiles;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Synthetic entries to generate.
    #[arg(long, default_value_t = 100_000_000)]
    entries: u64,
    /// Where the (large) corpus and filter go; default: a temporary directory.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Internal: build `input` into `output` and print the peak memory.
    #[arg(long, num_args = 2, hide = true)]
    build_only: Option<Vec<PathBuf>>,
}

/// splitmix64: a fast, well-mixed sequence; the keys need no cryptographic quality.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

const CORPUS_SEED: u64 = 0x5EED_0001;
const PROBE_SEED: u64 = 0x5EED_0002;

fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn generate(path: &Path, entries: u64) -> anyhow::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 22, std::fs::File::create(path)?);
    let mut rng = SplitMix(CORPUS_SEED);
    let mut line = [0u8; 64];
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for _ in 0..entries {
        let words = [rng.next(), rng.next(), rng.next()];
        let bytes: Vec<u8> = words
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .take(20)
            .collect();
        for (i, b) in bytes.iter().enumerate() {
            line[2 * i] = HEX[(b >> 4) as usize];
            line[2 * i + 1] = HEX[(b & 15) as usize];
        }
        let count = 1 + rng.next() % 1000;
        let mut n = 40;
        line[n] = b':';
        n += 1;
        for d in count.to_string().bytes() {
            line[n] = d;
            n += 1;
        }
        line[n] = b'\n';
        w.write_all(&line[..=n])?;
    }
    w.flush()?;
    Ok(())
}

/// The first 64 bits of the i-th generated SHA-1 (what the filter keys on).
fn corpus_keys(n: u64) -> Vec<[u8; 20]> {
    let mut rng = SplitMix(CORPUS_SEED);
    (0..n)
        .map(|_| {
            let words = [rng.next(), rng.next(), rng.next()];
            let mut d = [0u8; 20];
            let bytes: Vec<u8> = words
                .iter()
                .flat_map(|w| w.to_be_bytes())
                .take(20)
                .collect();
            d.copy_from_slice(&bytes);
            let _ = rng.next(); // the count
            d
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(paths) = args.build_only {
        let started = Instant::now();
        let r = latchkey_server::breached::build(&paths[0], &paths[1], 1)?;
        println!(
            "{} {} {} {:.3} {:.1}",
            r.keys,
            r.shards,
            r.bytes,
            started.elapsed().as_secs_f64(),
            peak_memory_mib()
        );
        return Ok(());
    }
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_owned()
        }
    };
    let corpus = dir.join("synthetic-pwned.txt");
    let filter_path = dir.join("synthetic.lkbf");
    let n = args.entries;
    println!("# Breached-corpus benchmark: {n} synthetic entries");

    let started = Instant::now();
    generate(&corpus, n)?;
    let corpus_bytes = std::fs::metadata(&corpus)?.len();
    println!(
        "generated {corpus_bytes} bytes in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("--build-only")
        .arg(&corpus)
        .arg(&filter_path)
        .output()
        .context("running the build")?;
    anyhow::ensure!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fields: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [keys, shards, file_bytes, build_s, build_peak_mib] = fields[..] else {
        anyhow::bail!("unexpected build output")
    };
    std::fs::remove_file(&corpus)?;

    let started = Instant::now();
    let filter = std::sync::Arc::new(BreachedFilter::load(&filter_path, 1)?);
    let load_s = started.elapsed().as_secs_f64();
    let resident = filter.size_bytes() as f64;

    // Lookups: half present, half absent, SHA-1 digests precomputed.
    let probes = 10_000_000u64.min(n);
    let present = corpus_keys(probes / 2);
    let mut rng = SplitMix(PROBE_SEED);
    let absent: Vec<[u8; 20]> = (0..probes)
        .map(|_| {
            let mut d = [0u8; 20];
            d[..8].copy_from_slice(&rng.next().to_be_bytes());
            d[8..16].copy_from_slice(&rng.next().to_be_bytes());
            d
        })
        .collect();
    let started = Instant::now();
    let hits = present.iter().filter(|d| filter.contains_sha1(d)).count();
    let hit_ns = started.elapsed().as_nanos() as f64 / present.len() as f64;
    let started = Instant::now();
    let false_positives = absent.iter().filter(|d| filter.contains_sha1(d)).count();
    let miss_ns = started.elapsed().as_nanos() as f64 / absent.len() as f64;
    anyhow::ensure!(hits == present.len(), "a present key was not found");
    let fpr = false_positives as f64 / absent.len() as f64;

    // A full policy check: every rule on that needs no stored hash, the breached filter
    // included (history and not-current cost one Argon2 verification per stored hash).
    let mut s = PolicySettings {
        min_length: 12,
        min_lowercase: 1,
        min_uppercase: 1,
        min_digits: 1,
        min_special: 1,
        min_classes: 4,
        min_strength: Some(3),
        deny_patterns: vec!["^>.*<$".into(), "(?i)password".into(), "(?i)company".into()],
        ..Default::default()
    };
    s.breached.file = Some(filter_path.clone());
    s.breached.mode = Mode::Enforce;
    s.dictionary.mode = Mode::Enforce;
    let files = Preloaded(std::sync::Arc::clone(&filter));
    let policies = Policies::build(&s, &files)?;
    let policy = policies.default_policy();
    let account = Account {
        profile: Profile {
            email: Some("john.doe@example.com".into()),
            given_name: Some("John".into()),
            sn: Some("Doe".into()),
            ..Default::default()
        },
        ..Account::example("jdoe", time::OffsetDateTime::UNIX_EPOCH)
    };
    let candidates: Vec<Password> = (0..2000)
        .map(|i| Password::parse(&format!("Quartz-Lantern-{i}-Tundra!")))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    let mut valid = 0;
    for pw in &candidates {
        let c = Candidate {
            password: pw,
            account: Some(&account),
            user_name: None,
            entry: Entry::DryRun,
            now: time::OffsetDateTime::UNIX_EPOCH,
            current_password: None,
            current_hash: None,
            history: &[],
        };
        valid += usize::from(policy.evaluate(&c).valid);
    }
    let check_us = started.elapsed().as_secs_f64() * 1e6 / candidates.len() as f64;

    let per_key = file_bytes / keys;
    println!();
    println!("| measurement | {n} entries | projected to 1 billion |");
    println!("|---|---|---|");
    println!("| distinct keys | {keys:.0} | 1,000,000,000 |");
    println!("| shards | {shards:.0} | ~512 |");
    println!(
        "| build time | {build_s:.1} s | ~{:.0} s |",
        build_s * 1e9 / keys
    );
    println!(
        "| build peak memory (VmHWM) | {build_peak_mib:.0} MiB | bounded by one shard: about the same |"
    );
    println!(
        "| filter file | {:.1} MiB, {per_key:.2} bytes/entry | {:.2} GiB |",
        file_bytes / 1048576.0,
        per_key * 1e9 / 1073741824.0
    );
    println!(
        "| loaded in memory | {:.1} MiB ({:.2} bytes/entry), load {load_s:.1} s | {:.2} GiB |",
        resident / 1048576.0,
        resident / keys,
        resident / keys * 1e9 / 1073741824.0
    );
    println!("| lookup, present key | {hit_ns:.0} ns | same (one shard, 3 probes) |");
    println!("| lookup, absent key | {miss_ns:.0} ns | same |");
    println!(
        "| false-positive rate | {:.5} % ({false_positives} of {}) | same |",
        fpr * 100.0,
        absent.len()
    );
    println!(
        "| full policy check (all rules but history) | {check_us:.0} µs per password ({valid} of {} valid) | same |",
        candidates.len()
    );
    Ok(())
}

/// Hands the already-loaded filter to the policy instead of reading the file again.
struct Preloaded(std::sync::Arc<BreachedFilter>);

impl PolicyFiles for Preloaded {
    fn dictionary(
        &self,
        path: &Path,
    ) -> Result<std::sync::Arc<latchkey_core::policy::Dictionary>, String> {
        DiskPolicyFiles::default().dictionary(path)
    }
    fn breached(&self, _: &Path, _: u32) -> Result<std::sync::Arc<dyn BreachedCorpus>, String> {
        Ok(std::sync::Arc::clone(&self.0) as std::sync::Arc<dyn BreachedCorpus>)
    }
}
