//! Soak: many sign-ins at a steady rate against one server on SQLite (cheap hashing),
//! with housekeeping on a short interval, sessions that expire and a short audit
//! retention — the database's size and the sign-in latency per window, to show that
//! neither grows with the age of the installation.
//!
//!     cargo run --release -p latchkey-bench --bin soak -- --sign-ins 1000000 --rate 1500
#![allow(clippy::print_stdout)] // a benchmark prints its table

use clap::Parser;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;
use latchkey_core::ops::CreateAccount;
use latchkey_core::secret::SecretString;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

#[derive(Parser)]
struct Args {
    /// Sign-ins in all.
    #[arg(long, default_value_t = 1_000_000)]
    sign_ins: u64,
    /// Sign-ins per second, held steady.
    #[arg(long, default_value_t = 1500)]
    rate: u64,
    /// Windows the run is measured in.
    #[arg(long, default_value_t = 10)]
    windows: u64,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Accounts signing in, in turn.
    #[arg(long, default_value_t = 200)]
    accounts: usize,
}

const PASSWORD: &str = "Soak-Test-Password-71";

/// The database file and its write-ahead log, in bytes.
fn db_bytes(dir: &std::path::Path) -> (u64, u64) {
    let size = |f: &str| std::fs::metadata(dir.join(f)).map_or(0, |m| m.len());
    (size("latchkey.db"), size("latchkey.db-wal"))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("latchkey.db").display());
    let (app, _admin) = latchkey_bench::build_server(url, |c| {
        c.hashing.memory_kib = 64;
        c.hashing.iterations = 1;
        c.session.ttl = Duration::from_secs(30);
        c.housekeeping.interval = Duration::from_secs(10);
        c.audit.retention = Duration::from_secs(60);
        c.lockout.max_failures = 1_000_000;
    })
    .await?;
    let core = app.core();
    for i in 0..args.accounts {
        core.create_account(
            &RequestContext::cli(),
            &Principal::System,
            CreateAccount {
                user_name: format!("soak{i:04}"),
                password: Some(SecretString::from(PASSWORD)),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let slots = Arc::new(Semaphore::new(args.concurrency));
    let per_window = args.sign_ins / args.windows.max(1);
    let failures = Arc::new(AtomicU64::new(0));
    println!(
        "| window | sign-ins | database (MiB) | WAL (MiB) | p50 (ms) | p99 (ms) | achieved rate (/s) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let tick = Duration::from_millis(10);
    let per_tick = (args.rate / 100).max(1);
    let mut sent = 0u64;
    for window in 1..=args.windows {
        let latencies = Arc::new(Mutex::new(Vec::with_capacity(per_window as usize)));
        let started = Instant::now();
        let mut pacer = tokio::time::interval(tick);
        pacer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut in_window = 0u64;
        while in_window < per_window {
            pacer.tick().await;
            for _ in 0..per_tick.min(per_window - in_window) {
                let permit = Arc::clone(&slots).acquire_owned().await?;
                let (client, base) = (client.clone(), base.clone());
                let (latencies, failures) = (Arc::clone(&latencies), Arc::clone(&failures));
                let name = format!("soak{:04}", sent % args.accounts as u64);
                tokio::spawn(async move {
                    let t = Instant::now();
                    let ok = client
                        .post(format!("{base}/api/v1/sessions"))
                        .json(&serde_json::json!({ "userName": name, "password": PASSWORD }))
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 201);
                    let micros = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
                    if ok {
                        latencies.lock().await.push(micros);
                    } else {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    drop(permit);
                });
                sent += 1;
                in_window += 1;
            }
        }
        // Let the window's requests finish before measuring it.
        let _all = slots.acquire_many(args.concurrency as u32).await?;
        let elapsed = started.elapsed().as_secs_f64();
        drop(_all);
        let mut l = std::mem::take(&mut *latencies.lock().await);
        l.sort_unstable();
        let (db, wal) = db_bytes(dir.path());
        println!(
            "| {window} | {sent} | {:.1} | {:.1} | {:.2} | {:.2} | {:.0} |",
            db as f64 / 1_048_576.0,
            wal as f64 / 1_048_576.0,
            percentile(&l, 0.50),
            percentile(&l, 0.99),
            per_window as f64 / elapsed
        );
    }
    println!("\nfailed sign-ins: {}", failures.load(Ordering::Relaxed));
    Ok(())
}
