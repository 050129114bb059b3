//! The `latchkey` command line. Passwords come from a prompt or `--password-stdin`, never
//! from argv (which other users of the machine can read).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI prints

use crate::config::Config;
use crate::policy_files::DiskPolicyFiles;
use crate::startup::Application;
use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use latchkey_core::Latchkey;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;
use latchkey_core::clock::SystemClock;
use latchkey_core::domain::{Password, Profile, Role};
use latchkey_core::hashing::Hasher;
use latchkey_core::ops::{CreateAccount, ResetOptions};
use latchkey_core::policy::Policies;
use latchkey_core::ports::AccountFilter;
use latchkey_core::secret::{ExposeSecret as _, SecretString};
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Latchkey: a self-hostable password-lifecycle server"
)]
pub struct Cli {
    /// TOML configuration file (LATCHKEY_<SECTION>__<KEY> variables override it).
    #[arg(long, global = true, env = "LATCHKEY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (SQLite in the working directory unless configured).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Copy every table of a SQLite store into a new, empty PostgreSQL database
    /// (refuses a target that has any rows). Stop the SQLite node first.
    CopyStore {
        /// The SQLite store, e.g. `sqlite://latchkey.db`.
        #[arg(long)]
        from: String,
        /// The PostgreSQL database, e.g. `postgres://latchkey@db/latchkey`.
        #[arg(long)]
        to: String,
    },
    /// Configuration commands.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Account administration on the local store.
    #[command(subcommand)]
    Account(AccountCommand),
    /// API clients (the `client_credentials` grant of `/api/v1/token`).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Hash a password read from stdin with the configured Argon2id parameters (PHC string).
    Hash,
    /// The breached-password corpus.
    #[command(subcommand)]
    Breached(BreachedCommand),
    /// The password policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Audit events as JSON lines, newest first (the filters of GET /api/v1/audit).
    Audit {
        /// Events about this account (its user name).
        #[arg(long)]
        account: Option<String>,
        /// e.g. password.change
        #[arg(long = "type")]
        kind: Option<String>,
        /// RFC 3339: events at or after.
        #[arg(long)]
        since: Option<String>,
        /// RFC 3339: events at or before.
        #[arg(long)]
        until: Option<String>,
        /// native, idm, ping, adaxes, scim, ibm, cli, ...
        #[arg(long)]
        surface: Option<String>,
        /// success or failure.
        #[arg(long)]
        outcome: Option<String>,
        /// At most this many events (default: all that match).
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Ask the server on `listen` whether it is live (GET /healthz); exit 1 if not. For
    /// container health checks.
    Health,
    /// Print a shell completion script (source it, or install it where your shell looks).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) for `latchkey` and its commands.
    Man,
    /// Import accounts with their existing password hashes from CSV or LDIF (plain or gzip).
    Import {
        file: PathBuf,
        /// The file's format (default: from its name, .csv or .ldif).
        #[arg(long, value_enum)]
        format: Option<crate::import::Format>,
        /// Print what would be created, updated and skipped, and every refused line; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// What to do with a line naming an existing account (fail: write nothing at all).
        #[arg(long, value_enum, default_value = "fail")]
        on_existing: crate::import::Existing,
        /// Accounts per transaction.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..))]
        batch: u16,
    },
}

#[derive(Subcommand)]
pub enum BreachedCommand {
    /// Build a filter from a Have-I-Been-Pwned-format file (`SHA1HEX:count` or `SHA1HEX` lines).
    Build {
        input: PathBuf,
        /// The filter file to write (set it as policy.breached.file).
        #[arg(short, long)]
        output: PathBuf,
        /// Keep only entries seen at least this often (default: policy.breached.min_count).
        #[arg(long)]
        min_count: Option<u32>,
    },
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Create a client; prints its id and secret (the secret only this once).
    Add {
        name: String,
        /// accounts:read, accounts:write, passwords:reset, passwords:check, audit:read, *; repeatable.
        #[arg(long = "scope", required = true)]
        scopes: Vec<latchkey_core::auth::Scope>,
    },
    /// List clients: id, name, scopes, created.
    List,
    /// Show one client as JSON (never its secret).
    Show { id: uuid::Uuid },
    /// Delete a client; its tokens stop at once.
    Revoke { id: uuid::Uuid },
    /// Give a client a new secret (printed once); the old one and its tokens stop at once.
    Rotate { id: uuid::Uuid },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Read a password from stdin and print the validation report (exit 1 if refused).
    Check {
        /// Check it for this account (its role's policy, its personal words).
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (secrets redacted) and exit.
    Check,
}

#[derive(Args)]
pub struct PasswordSource {
    /// Read the password from the first line of standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account.
    Add {
        name: String,
        /// user (default), helpdesk, admin; repeatable.
        #[arg(long = "role")]
        roles: Vec<Role>,
        #[arg(long)]
        email: Option<String>,
        /// Create without a password (federated accounts, or set one later).
        #[arg(long)]
        no_password: bool,
        #[command(flatten)]
        source: PasswordSource,
    },
    /// List accounts.
    List,
    /// Show one account.
    Show { name: String },
    /// Set an account's password (an administrative reset).
    SetPassword {
        name: String,
        /// Require a change at the next sign-in.
        #[arg(long)]
        must_change: bool,
        #[command(flatten)]
        source: PasswordSource,
    },
    /// Lock an account.
    Lock {
        name: String,
        /// How long, e.g. 1h, 30d (default: until unlocked).
        #[arg(long = "for", value_parser = humantime::parse_duration)]
        duration: Option<Duration>,
    },
    /// Unlock an account.
    Unlock { name: String },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    use clap::CommandFactory as _;
    match &cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "latchkey", &mut std::io::stdout());
            return Ok(());
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            return Ok(());
        }
        _ => {}
    }
    let config =
        Config::load(cli.config.as_deref()).map_err(|e| anyhow::anyhow!("configuration: {e:#}"))?;
    match cli.command {
        Command::Config(ConfigCommand::Check) => {
            config
                .validate()
                .map_err(|e| anyhow::anyhow!("configuration: {e:#}"))?;
            let policies = Policies::build(&config.policy, &DiskPolicyFiles::default())?;
            print!("{}", config.to_redacted_toml());
            for (name, settings) in policies.effective() {
                println!(
                    "\n# effective policy: {name}\n{}",
                    toml::to_string_pretty(settings)?
                );
            }
            Ok(())
        }
        Command::Breached(BreachedCommand::Build {
            input,
            output,
            min_count,
        }) => {
            let min_count = min_count.unwrap_or(config.policy.breached.min_count);
            let started = std::time::Instant::now();
            let r = crate::breached::build(&input, &output, min_count).with_context(|| {
                format!("building {} from {}", output.display(), input.display())
            })?;
            println!(
                "{}: {} keys from {} lines ({} below min count {min_count}), {} shards, {} bytes ({:.2} bytes/key), {:.1} s, peak memory {}",
                output.display(),
                r.keys,
                r.lines,
                r.skipped_below_min_count,
                r.shards,
                r.bytes,
                r.bytes as f64 / r.keys.max(1) as f64,
                started.elapsed().as_secs_f64(),
                peak_memory().unwrap_or_else(|| "unknown".into()),
            );
            Ok(())
        }
        Command::Policy(PolicyCommand::Check { user }) => {
            let pw = read_password(true, false)?;
            let core = open_core(&config).await?;
            let report = core
                .check_password(&Principal::System, pw.expose_secret(), user.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if !report.valid {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Serve => serve(config).await,
        Command::Migrate => {
            latchkey_store::open(config.database.url.expose(), &config.database.pool()).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::CopyStore { from, to } => {
            let report = latchkey_store::copy_store(&from, &to).await?;
            for (table, rows) in report {
                println!("{table}: {rows} rows");
            }
            println!("copied; point database.url at the PostgreSQL database");
            Ok(())
        }
        Command::Hash => {
            let pw = read_password(true, false)?;
            let pw = Password::parse(pw.expose_secret()).map_err(|e| anyhow::anyhow!("{e}"))?;
            let hasher =
                Hasher::new(config.core_settings().hashing).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", hasher.hash(&pw).as_str());
            Ok(())
        }
        Command::Account(cmd) => account(config, cmd).await,
        Command::Client(cmd) => client(config, cmd).await,
        Command::Health => health(config.listen),
        Command::Audit {
            account,
            kind,
            since,
            until,
            surface,
            outcome,
            limit,
        } => {
            let core = open_core(&config).await?;
            let time = |name: &str, raw: Option<String>| {
                raw.map(|t| {
                    time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339)
                        .map_err(|_| anyhow::anyhow!("--{name} must be an RFC 3339 time"))
                })
                .transpose()
            };
            let mut query = latchkey_core::audit::AuditQuery {
                account_id: match account {
                    Some(name) => Some(named(&core, &name).await?.id),
                    None => None,
                },
                kind: kind
                    .map(|k| {
                        latchkey_core::audit::AuditType::parse(&k)
                            .ok_or_else(|| anyhow::anyhow!("unknown event type '{k}'"))
                    })
                    .transpose()?,
                since: time("since", since)?,
                until: time("until", until)?,
                surface,
                outcome: outcome
                    .map(|o| {
                        latchkey_core::audit::Outcome::parse(&o)
                            .ok_or_else(|| anyhow::anyhow!("--outcome must be success or failure"))
                    })
                    .transpose()?,
                before: None,
                limit: 500,
            };
            let mut left = limit.unwrap_or(u64::MAX);
            let mut out = std::io::stdout().lock();
            while left > 0 {
                query.limit = u32::try_from(left.min(500)).unwrap_or(500);
                let (events, next) = core
                    .audit_page(&Principal::System, query.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                for e in &events {
                    writeln!(out, "{}", serde_json::to_string(e)?)?;
                }
                left = left.saturating_sub(events.len() as u64);
                match next {
                    Some(cursor) => query.before = Some(cursor),
                    None => break,
                }
            }
            Ok(())
        }
        Command::Completions { .. } | Command::Man => Ok(()),
        Command::Import {
            file,
            format,
            dry_run,
            on_existing,
            batch,
        } => {
            let core = open_core(&config).await?;
            let options = crate::import::Options {
                format,
                dry_run,
                on_existing,
                batch: usize::from(batch),
            };
            crate::import::run(&core, &file, options).await
        }
    }
}

/// One `GET /healthz` over plain HTTP/1.0 to the configured address (an unspecified
/// address such as 0.0.0.0 is asked on loopback).
fn health(listen: std::net::SocketAddr) -> anyhow::Result<()> {
    use std::io::Read as _;
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let timeout = Duration::from_secs(5);
    let mut conn = std::net::TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("connecting to {addr}"))?;
    conn.set_read_timeout(Some(timeout))?;
    conn.write_all(format!("GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())?;
    let mut head = [0u8; 12];
    conn.read_exact(&mut head)?;
    if head.starts_with(b"HTTP/1.0 200") || head.starts_with(b"HTTP/1.1 200") {
        println!("live");
        Ok(())
    } else {
        bail!("{addr} answered {}", String::from_utf8_lossy(&head).trim())
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    crate::telemetry::init(config.log.format);
    let admin_file = config
        .database
        .url
        .sqlite_dir()
        .map(|d| d.join("initial-admin-password"));
    let mut app = Application::build(config).await?;
    if let Some(password) = app.initial_admin_password.take() {
        announce_initial_admin(&password, admin_file.as_deref());
    }
    tracing::info!(address = %app.local_addr(), "listening");
    app.run_until_stopped().await?;
    Ok(())
}

/// Shown once on the terminal (stderr, outside the log stream) and kept in a file that
/// only the owner can read — never logged.
fn announce_initial_admin(password: &SecretString, file: Option<&Path>) {
    let mut msg = format!(
        "\n  Created the first administrator: user name `admin`, password:\n\n      {}\n\n  \
         If it is ever lost: `latchkey account set-password admin` sets a new one.\n\n",
        password.expose_secret()
    );
    if let Some(path) = file {
        match write_private(path, password.expose_secret()) {
            Ok(()) => msg.push_str(&format!(
                "  It is also in {} (mode 0600). Change it and delete that file.\n\n",
                path.display()
            )),
            Err(e) => msg.push_str(&format!("  (could not write {}: {e})\n\n", path.display())),
        }
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(msg.as_bytes());
    let _ = err.flush();
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(content.as_bytes())?;
    f.write_all(b"\n")
}

fn read_password(from_stdin: bool, confirm: bool) -> anyhow::Result<SecretString> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        let pw = line
            .strip_suffix('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .unwrap_or(&line)
            .to_owned();
        if pw.is_empty() {
            bail!("no password on stdin");
        }
        return Ok(SecretString::from(pw));
    }
    let pw = rpassword::prompt_password("Password: ").context("reading the password")?;
    if confirm && rpassword::prompt_password("Repeat: ").context("reading the password")? != pw {
        bail!("the passwords differ");
    }
    Ok(SecretString::from(pw))
}

async fn client(config: Config, cmd: ClientCommand) -> anyhow::Result<()> {
    let core = open_core(&config).await?;
    let (ctx, me) = (RequestContext::cli(), Principal::System);
    let missing = |id: uuid::Uuid| {
        move |e: latchkey_core::CoreError| match e {
            latchkey_core::CoreError::NotFound => anyhow::anyhow!("client {id} not found"),
            other => anyhow::anyhow!("{other}"),
        }
    };
    let show = |c: latchkey_core::ops::ClientInfo| {
        let v = crate::http::native::ClientView::from(c);
        serde_json::to_string_pretty(&v)
    };
    match cmd {
        ClientCommand::Add { name, scopes } => {
            let c = core
                .create_client(&ctx, &me, &name, scopes)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "client_id={}\nclient_secret={}",
                c.client_id,
                c.client_secret.expose_secret()
            );
        }
        ClientCommand::List => {
            for c in core
                .list_clients(&me)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                let scopes: Vec<&str> = c.scopes.iter().map(|s| s.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    c.id,
                    c.name,
                    scopes.join(","),
                    crate::http::native::rfc3339(c.created_at)
                );
            }
        }
        ClientCommand::Show { id } => {
            let c = core.get_client(&me, id).await.map_err(missing(id))?;
            println!("{}", show(c)?);
        }
        ClientCommand::Revoke { id } => {
            core.revoke_client(&ctx, &me, id)
                .await
                .map_err(missing(id))?;
            println!("revoked client {id}");
        }
        ClientCommand::Rotate { id } => {
            let c = core
                .rotate_client_secret(&ctx, &me, id)
                .await
                .map_err(missing(id))?;
            println!(
                "client_id={}\nclient_secret={}",
                c.client_id,
                c.client_secret.expose_secret()
            );
        }
    }
    Ok(())
}

/// The account a command names, or an error that names it.
async fn named(core: &Latchkey, name: &str) -> anyhow::Result<latchkey_core::domain::Account> {
    match core.account_by_user_name(&Principal::System, name).await {
        Ok(a) => Ok(a),
        Err(latchkey_core::CoreError::NotFound) => bail!("account '{name}' not found"),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// The core on the configured store, for commands that work on accounts.
async fn open_core(config: &Config) -> anyhow::Result<Latchkey> {
    let store = latchkey_store::open(config.database.url.expose(), &config.database.pool()).await?;
    let sources =
        crate::directory::Sources::open(&config.directory, store, Arc::new(SystemClock)).await?;
    Latchkey::new(
        sources.ports,
        Arc::new(SystemClock),
        config.core_settings(),
        &DiskPolicyFiles::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The process's peak resident memory (Linux `VmHWM`).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.1} MiB", kib as f64 / 1024.0))
}

async fn account(config: Config, cmd: AccountCommand) -> anyhow::Result<()> {
    let core = open_core(&config).await?;
    let ctx = RequestContext::cli();
    let me = Principal::System;
    let fail = |e: latchkey_core::CoreError| match e {
        latchkey_core::CoreError::Policy(report) => {
            let failed: Vec<String> = report
                .failed()
                .map(|r| format!("{} ({})", r.rule, r.description))
                .collect();
            anyhow::anyhow!("the password policy refuses it: {}", failed.join(", "))
        }
        other => anyhow::anyhow!("{other}"),
    };
    match cmd {
        AccountCommand::Add {
            name,
            roles,
            email,
            no_password,
            source,
        } => {
            let password = if no_password {
                None
            } else {
                Some(read_password(source.password_stdin, true)?)
            };
            let req = CreateAccount {
                user_name: name,
                password,
                roles,
                profile: Profile {
                    email,
                    ..Default::default()
                },
                ..Default::default()
            };
            let first = core
                .list_accounts(
                    &me,
                    AccountFilter {
                        limit: 1,
                        ..Default::default()
                    },
                )
                .await
                .map_err(fail)?
                .total
                == 0;
            let a = core.create_account(&ctx, &me, req).await.map_err(fail)?;
            println!("created {} ({}, {})", a.user_name, a.id, a.dn);
            if first && !a.roles.is_admin() {
                eprintln!(
                    "note: this is the first account, and `latchkey serve` creates the `admin` account only in an empty store, so it will create none. Add an administrator with `latchkey account add NAME --role admin`."
                );
            }
        }
        AccountCommand::List => {
            let mut offset = 0;
            loop {
                let page = core
                    .list_accounts(
                        &me,
                        AccountFilter {
                            offset,
                            limit: 500,
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(fail)?;
                for a in &page.items {
                    println!(
                        "{}\t{}\t{}\t{}",
                        a.id,
                        a.user_name,
                        a.roles.to_csv(),
                        a.status(core.clock().now()).as_str()
                    );
                }
                offset += page.items.len() as u32;
                if page.items.is_empty() || u64::from(offset) >= page.total {
                    break;
                }
            }
        }
        AccountCommand::Show { name } => {
            let a = named(&core, &name).await?;
            let view = crate::http::native::account_view(&a, &core);
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        AccountCommand::SetPassword {
            name,
            must_change,
            source,
        } => {
            let a = named(&core, &name).await?;
            let pw = read_password(source.password_stdin, true)?;
            let options = ResetOptions {
                new_password: Some(pw),
                must_change_password: Some(must_change),
                ..Default::default()
            };
            core.reset_password(&ctx, &me, a.id, options)
                .await
                .map_err(fail)?;
            println!("password set for {}", a.user_name);
        }
        AccountCommand::Lock { name, duration } => {
            let a = named(&core, &name).await?;
            // "Until unlocked": a century is forever for a password.
            let until =
                core.clock().now() + duration.unwrap_or(Duration::from_secs(100 * 365 * 86_400));
            core.set_lock(&ctx, &me, a.id, Some(until))
                .await
                .map_err(fail)?;
            println!("locked {}", a.user_name);
        }
        AccountCommand::Unlock { name } => {
            let a = named(&core, &name).await?;
            core.set_lock(&ctx, &me, a.id, None).await.map_err(fail)?;
            println!("unlocked {}", a.user_name);
        }
    }
    Ok(())
}
