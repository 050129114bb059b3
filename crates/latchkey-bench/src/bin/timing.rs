//! The paired timing benchmark: does any proof path tell an existing account from an
//! unknown name by its timing? For each case it sends interleaved pairs of requests — an
//! existing account (with a wrong password, or in the state the case names) and an
//! unknown name — in random order within the pair, and tests the per-pair differences
//! with the sign test and the Wilcoxon signed-rank test, Bonferroni-corrected over every
//! test it runs. Production Argon2id parameters; lockout and throttle lifted so that the
//! pairs measure the proof path itself.
//!
//! Run: `cargo run --release -p latchkey-bench --bin timing` (2,000 pairs on the main
//! cases, 1,000 on the others: at 300 the median of a case is within the noise of a shared
//! 2-core machine). `--smoke` (CI): about 200 pairs on native sign-in, IDM
//! `info/login`, recovery start and sign-in in front of slapd and of AD, failing when a
//! median difference reaches 2 ms. The `directory:` cases run against a second server in
//! front of a throwaway slapd (an entry against a name no entry has), the `AD:` cases
//! against a third in front of a throwaway Active Directory (a Samba DC).
#![allow(clippy::print_stdout)] // a benchmark reports

use anyhow::Context as _;
use clap::Parser;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;
use latchkey_core::clock::{Clock as _, SystemClock};
use latchkey_directory::testing::samba::{self, SambaDc};
use latchkey_directory::testing::{DECOY_DN, PEOPLE, SERVICE_DN, SERVICE_PW, Slapd};
use rand::RngExt as _;
use reqwest::RequestBuilder;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Pairs on native sign-in, IDM `info/login`, Ping `changePassword` and recovery start.
    #[arg(long, default_value_t = 2000)]
    main_pairs: usize,
    /// Pairs on every other case.
    #[arg(long, default_value_t = 1000)]
    other_pairs: usize,
    /// CI's smoke test: ~200 pairs on five cases; exit 1 if |median| ≥ 2 ms.
    #[arg(long)]
    smoke: bool,
    /// Only the cases whose name contains this.
    #[arg(long)]
    only: Option<String>,
}

const PASSWORD: &str = "Timing-Bench-Pass-91";
const WRONG: &str = "Not-The-Password-17";
const DN_BASE: &str = "ou=People,dc=example,dc=com";

/// One measured case: how to send the request for a name.
struct Case {
    name: &'static str,
    main: bool,
    smoke: bool,
    existing: &'static str,
    /// Which server it is sent to: whose `existing` is a local account, a slapd entry or
    /// an AD user.
    front: Front,
    send: fn(&Server, &str) -> RequestBuilder,
}

/// The directory entry the directory cases name (its uid: the prefix and serial 0).
const DIRECTORY_USER: &str = "dirdoe0";
/// The AD user the `AD:` cases name (its sAMAccountName).
const AD_USER: &str = "addoe00";

/// Where the accounts a case names live.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Front {
    Local,
    Slapd,
    Ad,
}

struct Server {
    base: String,
    client: reqwest::Client,
    /// A session of `caller`, for surfaces that authenticate the caller first.
    caller_token: String,
    adaxes_token: String,
    /// The web page's CSRF cookie and the form value that goes with it.
    ui_cookie: String,
    ui_csrf: String,
}

impl Server {
    fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(format!("{}{path}", self.base))
    }
}

fn basic(user: &str, pw: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
    )
}

fn dn(name: &str) -> String {
    format!(
        "uid%3D{name}%2C{}",
        DN_BASE.replace('=', "%3D").replace(',', "%2C")
    )
}

/// A native sign-in with the wrong password.
fn sign_in(s: &Server, who: &str) -> RequestBuilder {
    s.post("/api/v1/sessions")
        .json(&json!({ "userName": who, "password": WRONG }))
}

/// IDM's `info/login` with the wrong password.
fn idm_login(s: &Server, who: &str) -> RequestBuilder {
    s.client
        .get(format!("{}/openidm/info/login", s.base))
        .header("X-OpenIDM-Username", who)
        .header("X-OpenIDM-Password", WRONG)
}

/// The web page's forgot-password form.
fn forgot_page(s: &Server, who: &str) -> RequestBuilder {
    s.post("/ui/recover")
        .header("cookie", &s.ui_cookie)
        .form(&[("csrf", s.ui_csrf.as_str()), ("login", who)])
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "native sign-in",
            main: true,
            smoke: true,
            existing: "jdoe",
            front: Front::Local,
            send: sign_in,
        },
        Case {
            name: "IDM info/login",
            main: true,
            smoke: true,
            existing: "jdoe",
            front: Front::Local,
            send: idm_login,
        },
        Case {
            name: "Ping changePassword with oldPassword",
            main: true,
            smoke: false,
            existing: "jdoe",
            front: Front::Local,
            send: |s, who| {
                s.post(&format!("/directory/v1/{}/changePassword", dn(who)))
                    .bearer_auth(&s.caller_token)
                    .json(&json!({ "oldPassword": WRONG, "newPassword": "Fresh-Pass-Word-55" }))
            },
        },
        Case {
            name: "recovery start",
            main: true,
            smoke: true,
            existing: "jdoe",
            front: Front::Local,
            // The start token is fetched outside the timed request (see `measure`).
            send: |s, who| {
                s.post("/api/v1/recovery")
                    .json(&json!({ "input": { "userName": who } }))
            },
        },
        Case {
            name: "sign-in, imported {SSHA} hash",
            main: false,
            smoke: false,
            existing: "ssha",
            front: Front::Local,
            send: sign_in,
        },
        Case {
            name: "sign-in, imported bcrypt cost 4",
            main: false,
            smoke: false,
            existing: "bcrypt",
            front: Front::Local,
            send: sign_in,
        },
        Case {
            name: "sign-in, disabled account",
            main: false,
            smoke: false,
            existing: "disabled",
            front: Front::Local,
            send: sign_in,
        },
        Case {
            name: "sign-in, federated account",
            main: false,
            smoke: false,
            existing: "federated",
            front: Front::Local,
            send: sign_in,
        },
        Case {
            name: "sign-in, locked account (right password)",
            main: false,
            smoke: false,
            existing: "locked",
            front: Front::Local,
            send: |s, who| {
                s.post("/api/v1/sessions")
                    .json(&json!({ "userName": who, "password": PASSWORD }))
            },
        },
        Case {
            name: "sign-in, must-change account",
            main: false,
            smoke: false,
            existing: "mustchange",
            front: Front::Local,
            send: sign_in,
        },
        Case {
            name: "sign-in, empty password",
            main: false,
            smoke: false,
            existing: "jdoe",
            front: Front::Local,
            send: |s, who| {
                s.post("/api/v1/sessions")
                    .json(&json!({ "userName": who, "password": "" }))
            },
        },
        Case {
            name: "Ping HTTP Basic",
            main: false,
            smoke: false,
            existing: "jdoe",
            front: Front::Local,
            send: |s, who| {
                s.client
                    .get(format!("{}/directory/v1/me", s.base))
                    .header("Authorization", basic(who, WRONG))
            },
        },
        Case {
            name: "Adaxes authSessions/create",
            main: false,
            smoke: false,
            existing: "jdoe",
            front: Front::Local,
            send: |s, who| {
                s.post("/restApi/api/authSessions/create")
                    .json(&json!({ "username": who, "password": WRONG }))
            },
        },
        Case {
            name: "Adaxes changePassword",
            main: false,
            smoke: false,
            existing: "jdoe",
            front: Front::Local,
            send: |s, who| {
                s.post("/restApi/api/directoryObjects/changePassword")
                    .header("Adm-Authorization", &s.adaxes_token)
                    .json(&json!({ "directoryObject": format!("uid={who},{DN_BASE}"),
                        "oldPassword": WRONG, "newPassword": "Fresh-Pass-Word-55" }))
            },
        },
        Case {
            name: "web page sign-in",
            main: false,
            smoke: false,
            existing: "jdoe",
            front: Front::Local,
            send: |s, who| {
                s.post("/ui/sign-in").header("cookie", &s.ui_cookie).form(&[
                    ("csrf", s.ui_csrf.as_str()),
                    ("username", who),
                    ("password", WRONG),
                ])
            },
        },
        Case {
            name: "directory: native sign-in",
            main: true,
            smoke: true,
            existing: DIRECTORY_USER,
            front: Front::Slapd,
            send: sign_in,
        },
        Case {
            name: "directory: IDM info/login",
            main: false,
            smoke: false,
            existing: DIRECTORY_USER,
            front: Front::Slapd,
            send: idm_login,
        },
        Case {
            name: "directory: web page forgot password",
            main: false,
            smoke: false,
            existing: DIRECTORY_USER,
            front: Front::Slapd,
            send: forgot_page,
        },
        Case {
            name: "web page forgot password",
            main: false,
            smoke: false,
            existing: "jdoe",
            front: Front::Local,
            send: forgot_page,
        },
        Case {
            name: "AD: native sign-in",
            main: true,
            smoke: true,
            existing: AD_USER,
            front: Front::Ad,
            send: sign_in,
        },
        Case {
            name: "AD: IDM info/login",
            main: false,
            smoke: false,
            existing: AD_USER,
            front: Front::Ad,
            send: idm_login,
        },
        Case {
            name: "AD: web page forgot password",
            main: false,
            smoke: false,
            existing: AD_USER,
            front: Front::Ad,
            send: forgot_page,
        },
    ]
}

/// Starts the server (production hashing, lockout and throttle lifted) with its accounts.
async fn start() -> anyhow::Result<(Server, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("timing.db").display());
    let (app, admin_pw) = latchkey_bench::build_server(url, |c| {
        c.lockout.max_failures = u32::MAX / 2;
        c.adaxes.allow_change_password = true;
    })
    .await?;
    let core = app.core();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let sign_in = |user: &str, pw: &str| {
        let (client, base) = (client.clone(), base.clone());
        let body = json!({ "userName": user, "password": pw });
        async move {
            let v: Value = client
                .post(format!("{base}/api/v1/sessions"))
                .json(&body)
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(v["token"].as_str().context("a session token")?.to_owned())
        }
    };
    let admin = sign_in("admin", &admin_pw).await?;
    let ssha = "{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a";
    let bcrypt = bcrypt::hash(PASSWORD, 4)?;
    for body in [
        json!({ "userName": "jdoe", "password": PASSWORD, "email": "jdoe@example.com" }),
        json!({ "userName": "caller", "password": PASSWORD }),
        json!({ "userName": "ssha", "passwordHash": ssha }),
        json!({ "userName": "bcrypt", "passwordHash": bcrypt }),
        json!({ "userName": "disabled", "password": PASSWORD }),
        json!({ "userName": "federated", "federated": true }),
        json!({ "userName": "locked", "password": PASSWORD }),
        json!({ "userName": "mustchange", "password": PASSWORD, "mustChangePassword": true }),
    ] {
        let r = client
            .post(format!("{base}/api/v1/accounts"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "create {body}: {}", r.status());
        let a: Value = r.json().await?;
        let id = a["id"].as_str().context("id")?.to_owned();
        match body["userName"].as_str() {
            Some("disabled") => {
                let r = client
                    .patch(format!("{base}/api/v1/accounts/{id}"))
                    .bearer_auth(&admin)
                    .json(&json!({ "status": "disabled" }))
                    .send()
                    .await?;
                anyhow::ensure!(r.status() == 200, "disable: {}", r.status());
            }
            Some("locked") => {
                let until = SystemClock.now() + Duration::from_secs(86_400);
                core.set_lock(
                    &RequestContext::cli(),
                    &Principal::System,
                    id.parse()?,
                    Some(until),
                )
                .await?;
            }
            _ => {}
        }
    }
    let caller_token = sign_in("caller", PASSWORD).await?;
    let s: Value = client
        .post(format!("{base}/restApi/api/authSessions/create"))
        .json(&json!({ "username": "caller", "password": PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    let t: Value = client
        .post(format!("{base}/restApi/api/auth"))
        .json(&json!({ "sessionId": s["sessionId"] }))
        .send()
        .await?
        .json()
        .await?;
    let adaxes_token = t["token"].as_str().context("an Adaxes token")?.to_owned();
    let (ui_cookie, ui_csrf) = page_csrf(&client, &base).await?;
    Ok((
        Server {
            base,
            client,
            caller_token,
            adaxes_token,
            ui_cookie,
            ui_csrf,
        },
        dir,
    ))
}

/// The server in front of a fresh slapd (production hashing, lockout and throttle
/// lifted), with the entry [`DIRECTORY_USER`].
async fn start_slapd() -> anyhow::Result<(Server, tempfile::TempDir, Slapd)> {
    let slapd = Slapd::start().context("slapd is not installed")?;
    let (uid, _) = slapd.add_person("dirdoe", PASSWORD);
    anyhow::ensure!(uid == DIRECTORY_USER, "the entry is {uid}");
    let ldap = slapd.url.clone();
    let (server, dir) = start_in_front(|c| {
        c.directory.url = Some(ldap);
        c.directory.bind_dn = SERVICE_DN.into();
        c.directory.bind_password = Some(SERVICE_PW.into());
        c.directory.user_base = PEOPLE.into();
        c.directory.decoy_dn = Some(DECOY_DN.into());
    })
    .await?;
    Ok((server, dir, slapd))
}

/// The server in front of a throwaway AD (a Samba DC, over LDAPS), with [`AD_USER`].
async fn start_ad() -> anyhow::Result<(Server, tempfile::TempDir)> {
    let dc = SambaDc::shared().context("samba is not installed")?;
    dc.add_user_named(
        &format!("CN={AD_USER},{}", samba::PEOPLE),
        AD_USER,
        PASSWORD,
    );
    start_in_front(|c| {
        c.directory.url = Some(dc.url.clone());
        c.directory.ca_file = Some(dc.ca_file.clone());
        c.directory.bind_dn = samba::SERVICE_DN.into();
        c.directory.bind_password = Some(samba::SERVICE_PW.into());
        c.directory.user_base = samba::PEOPLE.into();
        c.directory.decoy_dn = Some(samba::DECOY_DN.into());
    })
    .await
}

/// A server (production hashing, lockout and throttle lifted) in front of the directory
/// `directory` configures.
async fn start_in_front(
    directory: impl FnOnce(&mut latchkey_server::config::Config),
) -> anyhow::Result<(Server, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("timing.db").display());
    let (app, _) = latchkey_bench::build_server(url, |c| {
        c.lockout.max_failures = u32::MAX / 2;
        directory(c);
    })
    .await?;
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let (ui_cookie, ui_csrf) = page_csrf(&client, &base).await?;
    let server = Server {
        base,
        client,
        caller_token: String::new(),
        adaxes_token: String::new(),
        ui_cookie,
        ui_csrf,
    };
    Ok((server, dir))
}

/// The sign-in page's CSRF cookie and the form value that goes with it.
async fn page_csrf(client: &reqwest::Client, base: &str) -> anyhow::Result<(String, String)> {
    let page = client.get(format!("{base}/ui/sign-in")).send().await?;
    let ui_cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .context("the page's CSRF cookie")?
        .to_owned();
    let html = page.text().await?;
    let ui_csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("the page's CSRF token")?
        .to_owned();
    Ok((ui_cookie, ui_csrf))
}

/// Times one request (the whole exchange, body read).
async fn timed(req: RequestBuilder) -> anyhow::Result<(f64, u16, usize)> {
    let start = Instant::now();
    let r = req.send().await?;
    let status = r.status().as_u16();
    let len = r.bytes().await?.len();
    Ok((start.elapsed().as_secs_f64() * 1000.0, status, len))
}

/// For recovery, the timed request carries a fresh start token; elsewhere it is as sent.
async fn request(s: &Server, case: &Case, who: &str) -> anyhow::Result<RequestBuilder> {
    if case.name != "recovery start" {
        return Ok((case.send)(s, who));
    }
    let v: Value = s
        .post("/api/v1/recovery")
        .json(&json!({ "input": {} }))
        .send()
        .await?
        .json()
        .await?;
    let token = v["token"].as_str().context("a start token")?.to_owned();
    Ok(s.post("/api/v1/recovery")
        .json(&json!({ "token": token, "input": { "userName": who } })))
}

/// Differences existing − unknown, in ms, over `pairs` interleaved pairs.
async fn measure(s: &Server, case: &Case, pairs: usize) -> anyhow::Result<Vec<f64>> {
    let mut diffs = Vec::with_capacity(pairs);
    let mut rng = rand::rng();
    // One unknown name, sent as often as the existing account, so that both sides have
    // the same history (a recovery start supersedes the name's previous flow, real or
    // decoy; an attacker can repeat a name as easily).
    // As long as the existing name: a page that shows the name typed back (the web sign-in
    // form keeps it) is then the same length for both.
    let unknown = format!(
        "z{:0w$}",
        rng.random_range(0..10u64.pow(case.existing.len() as u32 - 1)),
        w = case.existing.len() - 1
    );
    // A few unmeasured pairs first (connections, caches).
    for i in 0..(pairs + 10) {
        let existing_first = rng.random_bool(0.5);
        let (a, b) = if existing_first {
            (case.existing, unknown.as_str())
        } else {
            (unknown.as_str(), case.existing)
        };
        let ra = request(s, case, a).await?;
        let (ta, sa, la) = timed(ra).await?;
        let rb = request(s, case, b).await?;
        let (tb, sb, lb) = timed(rb).await?;
        anyhow::ensure!(
            sa == sb && la == lb,
            "{}: the answers differ ({a}: {sa}, {la} bytes; {b}: {sb}, {lb} bytes)",
            case.name
        );
        if i >= 10 {
            diffs.push(if existing_first { ta - tb } else { tb - ta });
        }
    }
    Ok(diffs)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Two-sided p-value of a standard normal statistic.
fn p_normal(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Sign test (normal approximation with continuity correction), two-sided.
fn sign_test(d: &[f64]) -> f64 {
    let nonzero: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
    let n = nonzero.len() as f64;
    if n == 0.0 {
        return 1.0;
    }
    let pos = nonzero.iter().filter(|x| **x > 0.0).count() as f64;
    let z = ((pos - n / 2.0).abs() - 0.5).max(0.0) / (n.sqrt() / 2.0);
    p_normal(z)
}

/// Wilcoxon signed-rank test (normal approximation, average ranks for ties), two-sided.
fn wilcoxon(d: &[f64]) -> f64 {
    let mut nonzero: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let n = nonzero.len();
    if n == 0 {
        return 1.0;
    }
    let mut w_plus = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && nonzero[j + 1].abs() == nonzero[i].abs() {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for x in &nonzero[i..=j] {
            if *x > 0.0 {
                w_plus += rank;
            }
        }
        i = j + 1;
    }
    let n = n as f64;
    let mean = n * (n + 1.0) / 4.0;
    let sd = (n * (n + 1.0) * (2.0 * n + 1.0) / 24.0).sqrt();
    p_normal((w_plus - mean) / sd)
}

fn median(d: &[f64]) -> f64 {
    let mut v = d.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (server, _dir) = start().await?;
    let selected: Vec<Case> = cases()
        .into_iter()
        .filter(|c| !args.smoke || c.smoke)
        .filter(|c| args.only.as_deref().is_none_or(|o| c.name.contains(o)))
        .collect();
    let uses = |front: Front| selected.iter().any(|c| c.front == front);
    let slapd = if uses(Front::Slapd) {
        Some(start_slapd().await?)
    } else {
        None
    };
    let ad = if uses(Front::Ad) {
        Some(start_ad().await?)
    } else {
        None
    };
    let tests = (selected.len() * 2) as f64;
    println!(
        "# Paired timing: existing − unknown, production Argon2id, {} cases, Bonferroni over {tests} tests",
        selected.len()
    );
    println!();
    println!(
        "| case | pairs | median (ms) | mean (ms) | sign test p (corrected) | Wilcoxon p (corrected) | verdict |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut failed = false;
    for case in &selected {
        let pairs = match (args.smoke, case.main) {
            (true, _) => 200,
            (false, true) => args.main_pairs,
            (false, false) => args.other_pairs,
        };
        let target = match (case.front, &slapd, &ad) {
            (Front::Slapd, Some((s, _, _)), _) | (Front::Ad, _, Some((s, _))) => s,
            _ => &server,
        };
        let d = measure(target, case, pairs).await?;
        let med = median(&d);
        let mean = d.iter().sum::<f64>() / d.len().max(1) as f64;
        let ps = (sign_test(&d) * tests).min(1.0);
        let pw = (wilcoxon(&d) * tests).min(1.0);
        let ok = if args.smoke {
            med.abs() < 2.0
        } else {
            ps >= 0.001 && pw >= 0.001 && med.abs() < 0.2
        };
        failed |= !ok;
        println!(
            "| {} | {} | {med:+.3} | {mean:+.3} | {ps:.3} | {pw:.3} | {} |",
            case.name,
            d.len(),
            if ok { "alike" } else { "TELLS APART" }
        );
    }
    if failed {
        anyhow::bail!("a proof path tells existing accounts from unknown names by timing");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tests_tell_a_shift_from_noise() {
        let noise: Vec<f64> = (0..400).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        assert!(sign_test(&noise) > 0.05 && wilcoxon(&noise) > 0.05);
        let shifted: Vec<f64> = noise.iter().map(|x| x + 3.0).collect();
        assert!(sign_test(&shifted) < 1e-6 && wilcoxon(&shifted) < 1e-6);
        assert!((erfc(0.0) - 1.0).abs() < 1e-6 && (erfc(1.0) - 0.157_299_2).abs() < 1e-6);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }
}
