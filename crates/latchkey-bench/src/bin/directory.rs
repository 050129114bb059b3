//! The directory client against slapd's own rate, on one machine: binds/s of the client
//! Latchkey proves passwords with (`Directory::bind`, pooled connections) beside binds/s
//! of a plain ldap3 client of the same kind (one connection per task, binding in a
//! loop), and self changes/s (`Directory::change_password`: bind as the user, RFC 3062
//! password modify) beside `ldappasswd`'s. Both sides run in the same run, against the same
//! throwaway slapd with ppolicy, with the same concurrency.
//!
//! Then sign-ins/s through Latchkey (the core's `verify_credentials` on a server in front
//! of the same slapd: the account looked up, the lockout slot reserved and released in
//! SQLite, the audit event, one bind) beside what one sign-in asks of the directory done
//! by a plain ldap3 client (a search by uid, then a bind). Hashing at its cheapest here:
//! the Argon2id every proof also runs is measured in the main benchmark, not this one.
//!
//! With `--ad`: the same sign-ins against Active Directory (a throwaway Samba DC, over
//! LDAPS) beside Samba's own bind rate by a plain ldap3 client.
//!
//! Run: `cargo run --release -p latchkey-bench --bin directory` (`--seconds`, `--tasks`,
//! `--ad`).
#![allow(clippy::print_stdout)] // a benchmark reports

use clap::Parser;
use latchkey_core::audit::RequestContext;
use latchkey_core::hashing::HashingParams;
use latchkey_directory::testing::samba::{self, SambaDc};
use latchkey_directory::testing::{DECOY_DN, PEOPLE, SERVICE_DN, SERVICE_PW, Slapd};
use latchkey_directory::{BindOutcome, Directory};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent binders (and pool size).
    #[arg(long, default_value_t = 8)]
    tasks: usize,
    /// Alternating rounds of each side (the machine is shared: compare within a round).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Against Active Directory instead (a throwaway Samba DC, over LDAPS): Samba's bind
    /// rate beside sign-ins/s through Latchkey in front of it.
    #[arg(long)]
    ad: bool,
}

const PW: &str = "Mellow-Trout-41";

/// Binds/s of a plain ldap3 client: `tasks` connections, each binding in a loop.
async fn raw_binds(url: &str, dns: &[String], tasks: usize, for_: Duration) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = vec![];
    for t in 0..tasks {
        let (url, dn, done) = (url.to_owned(), dns[t % dns.len()].clone(), done.clone());
        handles.push(tokio::spawn(async move {
            // Over LDAPS (AD) the certificate is not checked: the same handshake, once.
            let settings = ldap3::LdapConnSettings::new().set_no_tls_verify(true);
            let (conn, mut ldap) = ldap3::LdapConnAsync::with_settings(settings, &url)
                .await
                .expect("connects");
            tokio::spawn(async move { conn.drive().await });
            while start.elapsed() < for_ {
                let r = ldap.simple_bind(&dn, PW).await.expect("binds");
                assert_eq!(r.rc, 0);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Binds/s through Latchkey's directory client (its pool, its ppolicy control).
async fn client_binds(dir: Arc<Directory>, dns: &[String], tasks: usize, for_: Duration) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = vec![];
    for t in 0..tasks {
        let (dir, dn, done) = (dir.clone(), dns[t % dns.len()].clone(), done.clone());
        handles.push(tokio::spawn(async move {
            while start.elapsed() < for_ {
                let r = dir.bind(Some(&dn), PW).await.expect("binds");
                assert_eq!(r, BindOutcome::Bound);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Self changes/s of a plain ldap3 client: on its own connection per task, a bind as the
/// user then a password modify with the old password, in a loop. Returns the rate and
/// each person's password at the end.
async fn raw_changes(
    url: &str,
    people: Vec<(String, String)>,
    tag: &str,
    for_: Duration,
) -> (f64, Vec<String>) {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = vec![];
    for (dn, current) in people {
        let (url, done, tag) = (url.to_owned(), done.clone(), tag.to_owned());
        handles.push(tokio::spawn(async move {
            let (conn, mut ldap) = ldap3::LdapConnAsync::new(&url).await.expect("connects");
            tokio::spawn(async move { conn.drive().await });
            let mut current = current;
            let mut n = 0u64;
            while start.elapsed() < for_ {
                n += 1;
                let next = format!("{tag}-Pass-{n}-Word");
                assert_eq!(ldap.simple_bind(&dn, &current).await.expect("binds").rc, 0);
                let r = ldap
                    .extended(ldap3::exop::PasswordModify {
                        user_id: None,
                        old_pass: Some(&current),
                        new_pass: Some(&next),
                    })
                    .await
                    .expect("answers");
                assert_eq!(r.1.rc, 0, "{}", r.1.text);
                current = next;
                done.fetch_add(1, Ordering::Relaxed);
            }
            current
        }));
    }
    let mut currents = vec![];
    for h in handles {
        currents.push(h.await.expect("task"));
    }
    (
        done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64(),
        currents,
    )
}

/// Self changes/s by `ldappasswd` (bind as the user, password modify with the old one),
/// one process per change, `tasks` at a time; by a plain ldap3 client; and through the
/// client. Returns `(ldappasswd, plain ldap3, client)`.
async fn changes(
    slapd: &Slapd,
    dir: Arc<Directory>,
    tasks: usize,
    for_: Duration,
) -> (f64, f64, f64) {
    let mut people = vec![];
    for t in 0..tasks {
        people.push(slapd.add_person(&format!("chg{t}x"), PW).1);
    }
    let tool = {
        let done = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let mut handles = vec![];
        for dn in people.clone() {
            let (url, done) = (slapd.url.clone(), done.clone());
            handles.push(tokio::spawn(async move {
                let mut current = PW.to_owned();
                let mut n = 0u64;
                while start.elapsed() < for_ {
                    n += 1;
                    let next = format!("Changed-Pass-{n}-Word");
                    let ok = tokio::process::Command::new("ldappasswd")
                        .args([
                            "-x", "-H", &url, "-D", &dn, "-w", &current, "-a", &current, "-s",
                            &next,
                        ])
                        .stdout(std::process::Stdio::null())
                        .status()
                        .await
                        .expect("ldappasswd runs")
                        .success();
                    assert!(ok, "ldappasswd failed");
                    current = next;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                current
            }));
        }
        let mut currents = vec![];
        for h in handles {
            currents.push(h.await.expect("task"));
        }
        let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
        (rate, currents)
    };
    let (tool_rate, currents) = tool;
    let (raw_rate, currents) = raw_changes(
        &slapd.url,
        people.iter().cloned().zip(currents).collect(),
        "Raw",
        for_,
    )
    .await;
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = vec![];
    for (dn, current) in people.into_iter().zip(currents) {
        let (dir, done) = (dir.clone(), done.clone());
        handles.push(tokio::spawn(async move {
            let mut current = current;
            let mut n = 0u64;
            while start.elapsed() < for_ {
                n += 1;
                let next = format!("Client-Pass-{n}-Word");
                dir.change_password(&dn, &current, &next)
                    .await
                    .expect("answers")
                    .expect("accepted");
                current = next;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    let client_rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    (tool_rate, raw_rate, client_rate)
}

/// Search-then-bind pairs/s of a plain ldap3 client — what one sign-in asks of the
/// directory: per task a connection bound as the service account finds the entry by uid,
/// another binds as it.
async fn raw_search_binds(url: &str, uids: &[String], tasks: usize, for_: Duration) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = vec![];
    for t in 0..tasks {
        let (url, uid, done) = (url.to_owned(), uids[t % uids.len()].clone(), done.clone());
        handles.push(tokio::spawn(async move {
            let (conn, mut service) = ldap3::LdapConnAsync::new(&url).await.expect("connects");
            tokio::spawn(async move { conn.drive().await });
            assert_eq!(
                service
                    .simple_bind(SERVICE_DN, SERVICE_PW)
                    .await
                    .expect("binds")
                    .rc,
                0
            );
            let (conn, mut user) = ldap3::LdapConnAsync::new(&url).await.expect("connects");
            tokio::spawn(async move { conn.drive().await });
            let filter = format!("(&(objectClass=inetOrgPerson)(uid={uid}))");
            while start.elapsed() < for_ {
                let (found, _) = service
                    .search(PEOPLE, ldap3::Scope::Subtree, &filter, vec!["*", "+"])
                    .await
                    .expect("searches")
                    .success()
                    .expect("found");
                let dn = ldap3::SearchEntry::construct(found[0].clone()).dn;
                assert_eq!(user.simple_bind(&dn, PW).await.expect("binds").rc, 0);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Sign-ins/s through Latchkey's core in front of the slapd.
async fn latchkey_sign_ins(
    core: Arc<latchkey_core::Latchkey>,
    uids: &[String],
    tasks: usize,
    for_: Duration,
) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = vec![];
    for t in 0..tasks {
        let (core, uid, done) = (core.clone(), uids[t % uids.len()].clone(), done.clone());
        handles.push(tokio::spawn(async move {
            let ctx = RequestContext::cli();
            while start.elapsed() < for_ {
                core.verify_credentials(&ctx, &uid, PW)
                    .await
                    .expect("signs in");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// A server (SQLite records in `dir`, cheapest hashing, lockout lifted, `tasks`
/// connections per pool) in front of the directory `directory` configures; its core.
async fn latchkey_in_front(
    dir: &std::path::Path,
    tasks: usize,
    directory: impl FnOnce(&mut latchkey_server::config::Config),
) -> anyhow::Result<Arc<latchkey_core::Latchkey>> {
    let url = format!("sqlite://{}", dir.join("records.db").display());
    let (app, _) = latchkey_bench::build_server(url, |c| {
        let cheap = HashingParams::TESTING;
        c.hashing.memory_kib = cheap.memory_kib;
        c.hashing.iterations = cheap.iterations;
        c.hashing.parallelism = cheap.parallelism;
        c.lockout.max_failures = u32::MAX / 2;
        c.directory.pool_size = tasks;
        directory(c);
    })
    .await?;
    Ok(app.core())
}

/// Sign-ins/s through Latchkey in front of a throwaway AD beside Samba's own bind rate.
async fn against_ad(args: &Args) -> anyhow::Result<()> {
    let dc = SambaDc::shared().ok_or_else(|| anyhow::anyhow!("samba is not installed"))?;
    let users: Vec<(String, String)> = (0..args.tasks).map(|_| dc.add_user("bench", PW)).collect();
    let dns: Vec<String> = users.iter().map(|(_, dn)| dn.clone()).collect();
    let sams: Vec<String> = users.iter().map(|(sam, _)| sam.clone()).collect();
    let records = tempfile::tempdir()?;
    let core = latchkey_in_front(records.path(), args.tasks, |c| {
        c.directory.url = Some(dc.url.clone());
        c.directory.ca_file = Some(dc.ca_file.clone());
        c.directory.bind_dn = samba::SERVICE_DN.into();
        c.directory.bind_password = Some(samba::SERVICE_PW.into());
        c.directory.user_base = samba::PEOPLE.into();
        c.directory.decoy_dn = Some(samba::DECOY_DN.into());
    })
    .await?;
    let for_ = Duration::from_secs(args.seconds);
    println!(
        "# Sign-ins through Latchkey in front of Active Directory (a Samba 4 DC, LDAPS; {} tasks, {} s per side)",
        args.tasks, args.seconds
    );
    println!();
    println!(
        "| round | Samba binds/s (plain ldap3, LDAPS) | sign-ins/s through Latchkey | ratio |"
    );
    println!("|---|---|---|---|");
    for round in 1..=args.rounds {
        let binds = raw_binds(&dc.url, &dns, args.tasks, for_).await;
        let ours = latchkey_sign_ins(core.clone(), &sams, args.tasks, for_).await;
        println!("| {round} | {binds:.0} | {ours:.0} | {:.3} |", ours / binds);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.ad {
        return against_ad(&args).await;
    }
    let slapd = Slapd::start().ok_or_else(|| anyhow::anyhow!("slapd is not installed"))?;
    let mut config = slapd.config();
    config.pool_size = args.tasks;
    let dir = Arc::new(Directory::connect(config).await?);
    let dns: Vec<String> = (0..args.tasks)
        .map(|t| slapd.add_person(&format!("bench{t}x"), PW).1)
        .collect();
    let for_ = Duration::from_secs(args.seconds);
    println!(
        "# Directory client against slapd ({} tasks, {} s per side, {} rounds)",
        args.tasks, args.seconds, args.rounds
    );
    println!();
    println!("| round | slapd binds/s (plain ldap3) | binds/s through the client | ratio |");
    println!("|---|---|---|---|");
    for round in 1..=args.rounds {
        let raw = raw_binds(&slapd.url, &dns, args.tasks, for_).await;
        let ours = client_binds(dir.clone(), &dns, args.tasks, for_).await;
        println!("| {round} | {raw:.0} | {ours:.0} | {:.3} |", ours / raw);
    }
    println!();
    let records = tempfile::tempdir()?;
    let ldap = slapd.url.clone();
    let core = latchkey_in_front(records.path(), args.tasks, |c| {
        c.directory.url = Some(ldap);
        c.directory.bind_dn = SERVICE_DN.into();
        c.directory.bind_password = Some(SERVICE_PW.into());
        c.directory.user_base = PEOPLE.into();
        c.directory.decoy_dn = Some(DECOY_DN.into());
    })
    .await?;
    let uids: Vec<String> = (0..args.tasks)
        .map(|t| slapd.add_person(&format!("sign{t}x"), PW).0)
        .collect();
    println!(
        "| round | slapd binds/s (plain ldap3) | search + bind/s (plain ldap3) | sign-ins/s through Latchkey | ratio to binds | ratio to search + bind |"
    );
    println!("|---|---|---|---|---|---|");
    for round in 1..=args.rounds {
        let binds = raw_binds(&slapd.url, &dns, args.tasks, for_).await;
        let pairs = raw_search_binds(&slapd.url, &uids, args.tasks, for_).await;
        let ours = latchkey_sign_ins(core.clone(), &uids, args.tasks, for_).await;
        println!(
            "| {round} | {binds:.0} | {pairs:.0} | {ours:.0} | {:.3} | {:.3} |",
            ours / binds,
            ours / pairs
        );
    }
    println!();
    let (tool, raw, ours) = changes(&slapd, dir, args.tasks, for_).await;
    println!(
        "| self changes/s: ldappasswd (a process each) | plain ldap3 (bind + password modify) | through the client | client / ldap3 | client / ldappasswd |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| {tool:.0} | {raw:.0} | {ours:.0} | {:.3} | {:.1} |",
        ours / raw,
        ours / tool
    );
    Ok(())
}
