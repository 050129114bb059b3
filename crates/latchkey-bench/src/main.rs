//! Measures, in one run on a release build, how close the server gets to its hashing
//! limit: (a) the limit itself — Argon2id with production parameters on every core, each
//! thread reusing one memory area (the best this hardware does, not the crate's default
//! path that allocates for every hash); (b) sign-ins/s and (c) self-changes/s over
//! loopback on SQLite and on PostgreSQL, each a ratio of that limit (a sign-in costs one
//! hash, a change two); (d) the server's hashes per CPU-second of its own process against
//! the raw rate per core; (e) the server's peak RSS under a burst of 80 concurrent
//! sign-ins. Each server runs as a child process (this binary, `serve-child`), so that its
//! CPU time and memory are its own.
//! Run: `cargo run --release -p latchkey-bench` (PostgreSQL: a throwaway cluster of its
//! own, or `--postgres-url`; `--no-postgres` measures SQLite alone).
#![allow(clippy::print_stdout)] // a benchmark reports

use anyhow::Context as _;
use clap::Parser;
use latchkey_core::hashing::HashingParams;
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
    /// Internal: run a server on this database and print its address (the child).
    #[arg(long, hide = true)]
    serve_child: Option<String>,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Hashes/s with production parameters, one hashing thread per core, each reusing one
/// memory area: the hardware's limit.
fn raw_hash_rate(seconds: u64) -> f64 {
    use argon2::{Algorithm, Argon2, Block, Params, Version};
    let p = HashingParams::default();
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32))
        .expect("default parameters are valid");
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..cores())
        .map(|i| {
            let (params, stop, count) = (params.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || {
                let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                let mut memory = vec![Block::new(); params.block_count()];
                let pw = format!("benchmark password {i}");
                let mut out = [0u8; 32];
                while !stop.load(Ordering::Relaxed) {
                    argon
                        .hash_password_into_with_memory(
                            pw.as_bytes(),
                            b"sixteen byte salt",
                            &mut out,
                            &mut memory[..],
                        )
                        .expect("valid inputs");
                    std::hint::black_box(&out);
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

/// What one measurement slice did.
struct Measured {
    /// Successful operations per second.
    rate: f64,
    ok: u64,
    failed: u64,
}

/// Runs `workers` loops of `op` for `seconds`.
async fn throughput<F, Fut>(workers: usize, seconds: u64, op: F) -> anyhow::Result<Measured>
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
    let ok = ok.load(Ordering::Relaxed);
    Ok(Measured {
        rate: ok as f64 / start.elapsed().as_secs_f64(),
        ok,
        failed: failed.load(Ordering::Relaxed),
    })
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(") ").context("/proc/PID/stat")?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).context("utime")?.parse::<f64>()? + f.get(12).context("stime")?.parse::<f64>()?;
    Ok(ticks / clock_ticks())
}

/// `sysconf(_SC_CLK_TCK)`, read once from `getconf` (100 on Linux unless configured).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// A process's peak resident memory (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .context("VmHWM")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib / 1024.0)
}

/// The child: a server on `database_url`, its address and admin password on stdout.
async fn serve_child(database_url: String) -> anyhow::Result<()> {
    let (app, admin_pw) =
        latchkey_bench::build_server(database_url, |c| c.hashing.max_queue = 128).await?;
    println!("{} {admin_pw}", app.local_addr());
    app.run_until_stopped().await?;
    Ok(())
}

/// One server under load, in a child process: its users, their sessions, and how many
/// changes each made (which of the two passwords it has now).
struct Target {
    child: tokio::process::Child,
    bench: Arc<Bench>,
    tokens: Arc<Vec<String>>,
    done: Arc<Vec<AtomicU64>>,
}

impl Target {
    async fn start(database_url: String, workers: usize) -> anyhow::Result<Self> {
        use tokio::io::AsyncBufReadExt as _;
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .arg("--serve-child")
            .arg(&database_url)
            .env("LATCHKEY_LOG__FORMAT", "json")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child.stdout.take().context("the child's stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        // The server's own log lines come first; the child's answer is `ADDR PASSWORD`.
        let (addr, admin_pw) = loop {
            let line = lines.next_line().await?.context("the child server ended")?;
            if let Some((a, p)) = line.split_once(' ')
                && a.parse::<std::net::SocketAddr>().is_ok()
            {
                break (a.to_owned(), p.to_owned());
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let base = format!("http://{addr}");
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
            child,
            bench: Arc::new(bench),
            tokens: Arc::new(tokens),
            done: Arc::new((0..workers).map(|_| AtomicU64::new(0)).collect()),
        })
    }

    fn current_password(done: &AtomicU64) -> (&'static str, &'static str) {
        if done.load(Ordering::Relaxed).is_multiple_of(2) {
            ("benchmark pass A", "benchmark pass B")
        } else {
            ("benchmark pass B", "benchmark pass A")
        }
    }

    fn pid(&self) -> anyhow::Result<u32> {
        self.child.id().context("the child server is running")
    }

    /// `n` sign-ins at once, each of its own account (more than `lockout.max_failures`
    /// proofs of one account never run at once); the answers counted by status.
    async fn burst(&self, n: usize) -> anyhow::Result<(usize, usize)> {
        let b = &self.bench;
        for i in 0..n {
            let body = json!({ "userName": format!("burst{i}"), "password": "benchmark pass A" });
            let r = b.post("/api/v1/accounts", Some(&b.admin), body).await?;
            anyhow::ensure!(r.status() == 201, "create burst{i}: {}", r.status());
        }
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let b = self.bench.clone();
                let body =
                    json!({ "userName": format!("burst{i}"), "password": "benchmark pass A" });
                tokio::spawn(async move { b.post("/api/v1/sessions", None, body).await })
            })
            .collect();
        let (mut ok, mut busy) = (0, 0);
        for t in tasks {
            match t.await??.status().as_u16() {
                201 => ok += 1,
                503 => busy += 1,
                s => anyhow::bail!("burst sign-in: {s}"),
            }
        }
        Ok((ok, busy))
    }

    async fn sign_ins(&self, workers: usize, seconds: u64) -> anyhow::Result<Measured> {
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
    async fn changes(&self, workers: usize, seconds: u64) -> anyhow::Result<Measured> {
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
    /// Hashes the server computed and the CPU seconds its process used meanwhile.
    hashes: f64,
    cpu: f64,
}

impl Rates {
    async fn add(
        &mut self,
        target: &Target,
        slice: impl std::future::Future<Output = anyhow::Result<Measured>>,
        hashes_per_op: f64,
    ) -> anyhow::Result<Measured> {
        let before = cpu_seconds(target.pid()?)?;
        let m = slice.await?;
        self.cpu += cpu_seconds(target.pid()?)? - before;
        self.hashes += m.ok as f64 * hashes_per_op;
        Ok(m)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(url) = args.serve_child {
        return serve_child(url).await;
    }
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
            let m = rate
                .add(target, target.sign_ins(workers, args.seconds), 1.0)
                .await?;
            rate.sign_ins += m.rate / rounds;
            failures += m.failed;
            let m = rate
                .add(target, target.changes(workers, args.seconds), 2.0)
                .await?;
            rate.changes += m.rate / rounds;
            failures += m.failed;
        }
    }
    let burst = 80;
    let (burst_ok, burst_busy) = targets[0].1.burst(burst).await?;
    let peak = peak_rss_mib(targets[0].1.pid()?)?;

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
    let per_core = hash_rate / cores() as f64;
    println!();
    println!("| efficiency | value | ratio |");
    println!("|---|---|---|");
    println!("| raw Argon2id hashes per core-second | {per_core:.1} | 1.00 |");
    for ((name, _), rate) in targets.iter().zip(&rates) {
        let per_cpu = rate.hashes / rate.cpu;
        println!(
            "| server hashes per CPU-second of its process, {name} | {per_cpu:.1} | {:.2} |",
            per_cpu / per_core
        );
    }
    if let [sqlite, pg] = &rates[..] {
        println!(
            "| PostgreSQL as a share of SQLite: sign-ins, self-changes | | {:.2}, {:.2} |",
            pg.sign_ins / sqlite.sign_ins,
            pg.changes / sqlite.changes
        );
    }
    let params_mib = f64::from(params.memory_kib) / 1024.0;
    let threads = latchkey_core::settings::CoreSettings::default().hash_max_concurrent;
    println!();
    println!(
        "peak RSS of the SQLite server after a burst of {burst} concurrent sign-ins \
         ({burst_ok} signed in, {burst_busy} refused with 503): {peak:.1} MiB \
         (bound: {threads} hashing threads × {params_mib:.1} MiB + 60 MiB = {:.1} MiB)",
        threads as f64 * params_mib + 60.0
    );
    println!("failed requests: {failures}");
    Ok(())
}
