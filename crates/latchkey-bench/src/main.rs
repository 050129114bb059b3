//! Measures, in one run on a release build, how close the server gets to its hashing
//! limit: (a) raw Argon2id hashes/s with production parameters on all cores, (b) sign-ins/s
//! and (c) self-changes/s over loopback on SQLite and on PostgreSQL, each printed as a
//! ratio of that limit (a sign-in costs one hash, a change two).
//! Run: `cargo run --release -p latchkey-bench` (PostgreSQL: a throwaway cluster of its
//! own, or `--postgres-url`; `--no-postgres` measures SQLite alone).
#![allow(clippy::print_stdout)] // a benchmark reports

use anyhow::Context as _;
use clap::Parser;
use latchkey_core::domain::Password;
use latchkey_core::hashing::{Hasher, HashingParams};
use latchkey_core::secret::ExposeSecret as _;
use latchkey_server::config::{Config, DatabaseUrl};
use latchkey_server::startup::Application;
use latchkey_store::testing::{PgCluster, TestDb};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Seconds per measurement slice.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// Rounds of (raw hashing, sign-ins, changes), interleaved so that drifting load on
    /// a shared machine affects all three alike.
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Concurrent HTTP clients (default: 4 per core).
    #[arg(long)]
    concurrency: Option<usize>,
    /// A PostgreSQL server to create the benchmark's database on (default: start a
    /// throwaway cluster).
    #[arg(long)]
    postgres_url: Option<String>,
    /// Measure SQLite only.
    #[arg(long)]
    no_postgres: bool,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Hashes/s with production parameters, one hashing thread per core.
fn raw_hash_rate(seconds: u64) -> f64 {
    let hasher = Hasher::new(HashingParams::default()).expect("default parameters are valid");
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..cores())
        .map(|i| {
            let (hasher, stop, count) = (hasher.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || {
                let pw = Password::parse(&format!("benchmark password {i}")).expect("valid");
                while !stop.load(Ordering::Relaxed) {
                    std::hint::black_box(hasher.hash(&pw));
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

struct Bench {
    base: String,
    client: reqwest::Client,
    admin: String,
}

impl Bench {
    async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<reqwest::Response> {
        let mut r = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        Ok(r.send().await?)
    }

    async fn sign_in(&self, user: &str, pw: &str) -> anyhow::Result<String> {
        let r = self
            .post(
                "/api/v1/sessions",
                None,
                json!({ "userName": user, "password": pw }),
            )
            .await?;
        anyhow::ensure!(r.status() == 201, "sign-in of {user}: {}", r.status());
        Ok(r.json::<Value>().await?["token"]
            .as_str()
            .context("token")?
            .to_owned())
    }
}

/// Runs `workers` loops of `op` for `seconds`; returns successful operations per second.
async fn throughput<F, Fut>(workers: usize, seconds: u64, op: F) -> anyhow::Result<(f64, u64)>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<bool>> + Send,
{
    let op = Arc::new(op);
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let (op, ok, failed) = (op.clone(), ok.clone(), failed.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while Instant::now() < deadline {
                    match op(w, i).await {
                        Ok(true) => ok.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                    i += 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await?;
    }
    Ok((
        ok.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64(),
        failed.load(Ordering::Relaxed),
    ))
}

/// One server under load: its users, their sessions, and how many changes each made
/// (which of the two passwords it has now).
struct Target {
    bench: Arc<Bench>,
    tokens: Arc<Vec<String>>,
    done: Arc<Vec<AtomicU64>>,
}

impl Target {
    async fn start(database_url: String, workers: usize) -> anyhow::Result<Self> {
        let mut config = Config {
            listen: "127.0.0.1:0".parse()?,
            ..Default::default()
        };
        config.database.url = DatabaseUrl(database_url);
        config.throttle.per_ip_per_minute = 0;
        config.hashing.max_queue = 4 * workers;
        let mut app = Application::build(config).await?;
        let admin_pw = app
            .initial_admin_password
            .take()
            .context("first admin")?
            .expose_secret()
            .to_owned();
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(workers)
            .build()?;
        let mut bench = Bench {
            base,
            client,
            admin: String::new(),
        };
        bench.admin = bench.sign_in("admin", &admin_pw).await?;
        let mut tokens = vec![];
        for w in 0..workers {
            let name = format!("user{w}");
            let r = bench
                .post(
                    "/api/v1/accounts",
                    Some(&bench.admin),
                    json!({ "userName": name, "password": "benchmark pass A" }),
                )
                .await?;
            anyhow::ensure!(r.status() == 201, "create {name}: {}", r.status());
            tokens.push(bench.sign_in(&name, "benchmark pass A").await?);
        }
        Ok(Self {
            bench: Arc::new(bench),
            tokens: Arc::new(tokens),
            done: Arc::new((0..workers).map(|_| AtomicU64::new(0)).collect()),
        })
    }

    fn current_password(done: &AtomicU64) -> (&'static str, &'static str) {
        if done.load(Ordering::Relaxed) % 2 == 0 {
            ("benchmark pass A", "benchmark pass B")
        } else {
            ("benchmark pass B", "benchmark pass A")
        }
    }

    async fn sign_ins(&self, workers: usize, seconds: u64) -> anyhow::Result<(f64, u64)> {
        let (b, d) = (self.bench.clone(), self.done.clone());
        throughput(workers, seconds, move |w, _| {
            let b = b.clone();
            let (current, _) = Self::current_password(&d[w]);
            async move {
                let body = json!({ "userName": format!("user{w}"), "password": current });
                Ok(b.post("/api/v1/sessions", None, body).await?.status() == 201)
            }
        })
        .await
    }

    /// Changes alternate between two passwords so that every one is accepted.
    async fn changes(&self, workers: usize, seconds: u64) -> anyhow::Result<(f64, u64)> {
        let (b, t, d) = (self.bench.clone(), self.tokens.clone(), self.done.clone());
        throughput(workers, seconds, move |w, _| {
            let (b, tokens, done) = (b.clone(), t.clone(), d.clone());
            let (from, to) = Self::current_password(&done[w]);
            async move {
                let body = json!({ "currentPassword": from, "newPassword": to });
                let ok = b
                    .post("/api/v1/me/password", Some(&tokens[w]), body)
                    .await?
                    .status()
                    == 200;
                if ok {
                    done[w].fetch_add(1, Ordering::Relaxed);
                }
                Ok(ok)
            }
        })
        .await
    }
}

#[derive(Default)]
struct Rates {
    sign_ins: f64,
    changes: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let workers = args.concurrency.unwrap_or(4 * cores());
    let params = HashingParams::default();
    println!(
        "# Latchkey benchmark: {} cores, {workers} clients, {} rounds of {}s per measurement",
        cores(),
        args.rounds,
        args.seconds
    );
    println!(
        "Argon2id m={} KiB, t={}, p={}",
        params.memory_kib, params.iterations, params.parallelism
    );

    let dir = tempfile::tempdir()?;
    let sqlite_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut targets = vec![("SQLite", Target::start(sqlite_url, workers).await?)];
    // Kept alive to the end: the cluster and database the PostgreSQL target uses.
    let mut _postgres = None;
    if !args.no_postgres {
        let cluster = match &args.postgres_url {
            Some(_) => None,
            None => Some(PgCluster::start().context("a throwaway PostgreSQL cluster")?),
        };
        let server = args
            .postgres_url
            .clone()
            .or_else(|| cluster.as_ref().map(PgCluster::url))
            .context("a PostgreSQL server")?;
        let db = TestDb::postgres(&server).await;
        targets.push((
            "PostgreSQL",
            Target::start(db.url().to_owned(), workers).await?,
        ));
        _postgres = Some((db, cluster));
    }

    let rounds = f64::from(args.rounds);
    let mut hash_rate = 0.0;
    let mut rates: Vec<Rates> = targets.iter().map(|_| Rates::default()).collect();
    let mut failures = 0;
    for _ in 0..args.rounds {
        hash_rate += raw_hash_rate(args.seconds) / rounds;
        for ((_, target), rate) in targets.iter().zip(rates.iter_mut()) {
            let (r, failed) = target.sign_ins(workers, args.seconds).await?;
            rate.sign_ins += r / rounds;
            failures += failed;
            let (r, failed) = target.changes(workers, args.seconds).await?;
            rate.changes += r / rounds;
            failures += failed;
        }
    }

    println!();
    println!("| measurement | per second | ratio of the hashing limit |");
    println!("|---|---|---|");
    println!("| raw Argon2id hashes, all cores | {hash_rate:.1} | 1.00 |");
    for ((name, _), rate) in targets.iter().zip(&rates) {
        println!(
            "| sign-ins on {name} (1 hash each) | {:.1} | {:.2} |",
            rate.sign_ins,
            rate.sign_ins / hash_rate
        );
        println!(
            "| self-changes on {name} (2 hashes each) | {:.1} | {:.2} |",
            rate.changes,
            rate.changes * 2.0 / hash_rate
        );
    }
    println!();
    println!("failed requests: {failures}");
    Ok(())
}
