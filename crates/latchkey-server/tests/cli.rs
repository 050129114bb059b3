//! The `latchkey` binary, run as an operator would: first start, account commands, config
//! check, and a scan of everything it logs for secrets.

use serde_json::{Value, json};
use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

#[path = "support/server.rs"]
mod server;
#[path = "api/smtp.rs"]
mod smtp;

use server::{Server, latchkey, run_with};

/// The first admin's password, from the file the first start writes.
fn initial_admin_password(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("initial-admin-password"))
        .unwrap()
        .trim()
        .to_owned()
}

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    run_with(dir, &[], args, stdin)
}

#[tokio::test]
async fn first_start_creates_an_admin_shown_once_and_kept_in_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "info");
    let file = dir.path().join("initial-admin-password");
    let password = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let (stdout, stderr) = server.output();
    assert!(stderr.contains(&password), "shown on the terminal");
    assert!(!stdout.contains(&password), "never in the log stream");
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/api/v1/sessions", server.base))
        .json(&json!({ "userName": "admin", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    drop(server);
    // A second start finds accounts and creates nobody.
    std::fs::remove_file(&file).unwrap();
    let again = Server::start(dir.path(), "info");
    assert!(!file.exists());
    assert!(!again.output().1.contains("Created the first administrator"));
}

#[tokio::test]
async fn no_password_hash_or_token_ever_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "trace");
    let admin_pw = initial_admin_password(dir.path());
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.base);
    let admin: Value = c
        .post(url("/api/v1/sessions"))
        .json(&json!({ "userName": "admin", "password": admin_pw }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin_token = admin["token"].as_str().unwrap().to_owned();
    let jdoe_pw = "Sekr1t-Canary-Password-4711";
    let created: Value = c
        .post(url("/api/v1/accounts"))
        .bearer_auth(&admin_token)
        .json(&json!({ "userName": "jdoe", "password": jdoe_pw }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let ssha = "{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a";
    c.post(url("/api/v1/accounts"))
        .bearer_auth(&admin_token)
        .json(&json!({ "userName": "imported", "passwordHash": ssha }))
        .send()
        .await
        .unwrap();
    c.post(url("/api/v1/sessions"))
        .json(&json!({ "userName": "jdoe", "password": "Wrong-Canary-Guess-0815" }))
        .send()
        .await
        .unwrap();
    let s: Value = c
        .post(url("/api/v1/sessions"))
        .json(&json!({ "userName": "jdoe", "password": jdoe_pw }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jdoe_token = s["token"].as_str().unwrap().to_owned();
    let new_pw = "Second-Canary-Password-1234";
    let r = c
        .post(url("/api/v1/me/password"))
        .bearer_auth(&jdoe_token)
        .json(&json!({ "currentPassword": jdoe_pw, "newPassword": new_pw }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reset: Value = c
        .post(url(&format!("/api/v1/accounts/{id}/password/reset")))
        .bearer_auth(&admin_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let generated = reset["generatedPassword"].as_str().unwrap().to_owned();
    let client: Value = c
        .post(url("/api/v1/clients"))
        .bearer_auth(&admin_token)
        .json(&json!({ "name": "bot", "scopes": ["*"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = client["clientSecret"].as_str().unwrap().to_owned();
    let tok: Value = c
        .post(url("/api/v1/token"))
        .basic_auth(client["clientId"].as_str().unwrap(), Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_token = tok["access_token"].as_str().unwrap().to_owned();
    // Let the last lines arrive.
    std::thread::sleep(Duration::from_millis(300));
    let (stdout, _) = server.output();
    assert!(stdout.lines().count() > 20, "trace logging produced output");
    let secrets = [
        admin_pw.as_str(),
        jdoe_pw,
        "Wrong-Canary-Guess-0815",
        new_pw,
        &generated,
        &secret,
        &admin_token,
        &jdoe_token,
        &client_token,
        ssha,
        "SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a",
        "$argon2id$",
    ];
    for s in secrets {
        assert!(!stdout.contains(s), "a secret reached the logs: {s}");
    }
}

#[test]
fn account_commands_manage_the_local_store() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &[
            "account",
            "add",
            "jdoe",
            "--role",
            "helpdesk",
            "--email",
            "j@example.com",
            "--password-stdin",
        ],
        Some("Mellow-Trout-41\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("created jdoe"));
    let (ok, _, err) = run(
        dir.path(),
        &["account", "add", "jdoe", "--password-stdin"],
        Some("x y z w v u 1\n"),
    );
    assert!(!ok && err.contains("userName already exists"), "{err}");
    let (ok, _, err) = run(
        dir.path(),
        &["account", "add", "shorty", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!ok && err.contains("min-length"), "{err}");
    let (ok, out, _) = run(dir.path(), &["account", "show", "JDOE"], None);
    assert!(ok);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["roles"], json!(["helpdesk"]));
    assert_eq!(shown["email"], "j@example.com");
    assert!(!out.contains("argon2"));
    assert!(run(dir.path(), &["account", "lock", "jdoe"], None).0);
    let (_, out, _) = run(dir.path(), &["account", "list"], None);
    assert!(out.contains("jdoe\thelpdesk\tlocked"), "{out}");
    assert!(run(dir.path(), &["account", "unlock", "jdoe"], None).0);
    assert!(
        run(
            dir.path(),
            &["account", "set-password", "jdoe", "--password-stdin"],
            Some("brand new pass 2\n")
        )
        .0
    );
    let (ok, _, err) = run(dir.path(), &["account", "show", "nobody"], None);
    assert!(!ok && err.contains("not found"), "{err}");
}

#[test]
fn hash_prints_a_phc_string_and_config_check_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = run(dir.path(), &["hash"], Some("correct horse\n"));
    assert!(ok);
    assert!(
        out.trim().starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
        "{out}"
    );
    assert!(!out.contains("correct horse"));
    let mut c = latchkey(dir.path());
    let out = c
        .args(["config", "check"])
        .env("LATCHKEY_DATABASE__URL", "sqlite://user:hunter2@x.db")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("[lockout]") && text.contains("max_failures = 5"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    let out = latchkey(dir.path())
        .args(["config", "check"])
        .env("LATCHKEY_LOCKOUT__MAX_FAILURE", "3")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_failure"));
    std::fs::write(dir.path().join("bad.toml"), "[sesion]\nttl = \"1h\"\n").unwrap();
    let out = latchkey(dir.path())
        .args(["--config", "bad.toml", "serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sesion"));
}

#[test]
fn policy_check_prints_the_report_and_fails_on_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = run(dir.path(), &["policy", "check"], Some("password123\n"));
    assert!(!ok);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["valid"], false);
    assert!(
        report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "dictionary" && r["satisfied"] == false)
    );
    let (ok, out, _) = run(dir.path(), &["policy", "check"], Some("Glacier-Poppy-77\n"));
    assert!(ok, "{out}");
}

#[test]
fn breached_build_writes_a_filter_that_serve_loads() {
    use sha1::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let hex: String = sha1::Sha1::digest(b"Velvet-Canyon-58")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(dir.path().join("pwned.txt"), format!("{hex}:7\n")).unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &["breached", "build", "pwned.txt", "-o", "corpus.lkbf"],
        None,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("1 keys") && out.contains("peak memory"),
        "{out}"
    );
    let mut c = latchkey(dir.path());
    let out = c
        .args(["policy", "check"])
        .env("LATCHKEY_POLICY__BREACHED__FILE", "corpus.lkbf")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = out;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Velvet-Canyon-58\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"breached\""));
}

#[test]
fn bad_policy_settings_stop_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("corrupt.lkbf"), b"LKBF garbage").unwrap();
    for (var, value, key) in [
        (
            "LATCHKEY_POLICY__DENY_PATTERNS",
            "[\"(unclosed\"]",
            "policy.deny_patterns[0]",
        ),
        (
            "LATCHKEY_POLICY__DICTIONARY__FILE",
            "/nonexistent/words.txt",
            "policy.dictionary.file",
        ),
        (
            "LATCHKEY_POLICY__BREACHED__FILE",
            "corrupt.lkbf",
            "policy.breached.file",
        ),
        ("LATCHKEY_POLICY__MIN_LENGHT", "9", "min_lenght"),
        ("LATCHKEY_POLICY__ROLES__ROOT__MIN_LENGTH", "9", "root"),
        (
            "LATCHKEY_POLICY__ROLES__ADMIN__MIN_LENGHT",
            "9",
            "policy.roles.admin",
        ),
        (
            "LATCHKEY_POLICY__DICTIONARY__MODE",
            "sometimes",
            "sometimes",
        ),
    ] {
        for cmd in [&["config", "check"][..], &["serve"][..]] {
            let out = latchkey(dir.path())
                .args(cmd)
                .env(var, value)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{var} {cmd:?}");
            assert!(err.contains(key), "{var} {cmd:?}: {err}");
        }
    }
    let out = latchkey(dir.path())
        .args(["config", "check"])
        .env("LATCHKEY_POLICY__ROLES__ADMIN__MIN_LENGTH", "15")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("# effective policy: admin") && text.contains("min_length = 15"),
        "{text}"
    );
}

#[tokio::test]
async fn a_notification_committed_before_a_crash_is_sent_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = smtp::free_port();
    let env = [
        ("LATCHKEY_SMTP__HOST", "127.0.0.1".to_owned()),
        ("LATCHKEY_SMTP__PORT", port.to_string()),
        ("LATCHKEY_SMTP__TLS", "none".to_owned()),
        ("LATCHKEY_SMTP__RETRY_INITIAL", "100ms".to_owned()),
    ];
    let server = Server::start_with(dir.path(), "info", &env);
    let admin_pw = initial_admin_password(dir.path());
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.base);
    let admin: Value = c
        .post(url("/api/v1/sessions"))
        .json(&json!({ "userName": "admin", "password": admin_pw }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = admin["token"].as_str().unwrap();
    let r = c.post(url("/api/v1/accounts")).bearer_auth(token).json(&json!({ "userName": "jdoe", "password": "Mellow-Trout-41", "email": "jdoe@example.com" })).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let s: Value = c
        .post(url("/api/v1/sessions"))
        .json(&json!({ "userName": "jdoe", "password": "Mellow-Trout-41" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = c
        .post(url("/api/v1/me/password"))
        .bearer_auth(s["token"].as_str().unwrap())
        .json(&json!({ "currentPassword": "Mellow-Trout-41", "newPassword": "Velvet-Canyon-58" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "acknowledged while SMTP is down");
    drop(server); // SIGKILL: no chance to send
    let sink = smtp::SmtpSink::start_on(port);
    let _again = Server::start_with(dir.path(), "info", &env);
    let mail = sink.wait_for("jdoe@example.com", 1).await;
    assert!(mail["subject"].as_str().unwrap().contains("changed"));
}

#[tokio::test]
async fn copy_store_moves_a_sqlite_store_into_an_empty_postgres_database() {
    if latchkey_store::testing::selected_store() != "postgres" {
        eprintln!("skipped: copy-store is tested with LK_TEST_STORE=postgres");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let add = |name: &str| {
        run(
            dir.path(),
            &[
                "account",
                "add",
                name,
                "--email",
                &format!("{name}@example.com"),
                "--password-stdin",
            ],
            Some("Mellow-Trout-41\n"),
        )
    };
    assert!(add("jdoe").0);
    assert!(add("rsmith").0);
    let set = run(
        dir.path(),
        &["account", "set-password", "jdoe", "--password-stdin"],
        Some("Velvet-Canyon-58\n"),
    );
    assert!(set.0, "{}", set.2);
    assert!(run(dir.path(), &["account", "lock", "rsmith"], None).0);

    let pg = latchkey_store::testing::TestDb::new().await;
    let sqlite = format!("sqlite://{}", dir.path().join("latchkey.db").display());
    let (ok, out, err) = run(
        dir.path(),
        &["copy-store", "--from", &sqlite, "--to", pg.url()],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("accounts: 2 rows"), "{out}");
    assert!(out.contains("password_history: 1 rows"), "{out}");

    // The copy is a working store: old data reads back, new rows get fresh ids.
    let on_pg = |args: &[&str], stdin: Option<&str>| {
        let env = [("LATCHKEY_DATABASE__URL", pg.url())];
        let (ok, out, _) = run_with(dir.path(), &env, args, stdin);
        (ok, out)
    };
    let (ok, list) = on_pg(&["account", "list"], None);
    assert!(
        ok && list.contains("rsmith\t") && list.contains("locked"),
        "{list}"
    );
    let (ok, _) = on_pg(
        &["account", "add", "newbie", "--password-stdin"],
        Some("Quartz-Meadow-73\n"),
    );
    assert!(
        ok,
        "a new account after the copy (SIDs and sequences continue)"
    );
    let server = Server::start_with(
        dir.path(),
        "info",
        &[("LATCHKEY_DATABASE__URL", pg.url().to_owned())],
    );
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/sessions", server.base))
        .json(&json!({ "userName": "jdoe", "password": "Velvet-Canyon-58" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "the copied hash verifies");
    drop(server);

    let (ok, _, err) = run(
        dir.path(),
        &["copy-store", "--from", &sqlite, "--to", pg.url()],
        None,
    );
    assert!(!ok && err.contains("not empty"), "{err}");
}

#[test]
fn breached_build_reads_gzip_input_whatever_its_name() {
    use sha1::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let lines: String = ["Velvet-Canyon-58", "Amber-Falcon-17"]
        .iter()
        .map(|p| {
            let hex: String = sha1::Sha1::digest(p.as_bytes())
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            format!("{hex}:3\n")
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(lines.as_bytes()).unwrap();
    std::fs::write(dir.path().join("pwned.txt"), gz.finish().unwrap()).unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &["breached", "build", "pwned.txt", "-o", "corpus.lkbf"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("2 keys from 2 lines"), "{out}");
}

#[test]
fn completions_and_the_manual_come_from_the_command_definitions() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef latchkey"),
        ("fish", "complete -c latchkey"),
    ] {
        let (ok, out, err) = run(dir.path(), &["completions", shell], None);
        assert!(ok, "{err}");
        assert!(
            out.contains(marker) && out.contains("import"),
            "{shell}: {out}"
        );
    }
    let (ok, out, err) = run(dir.path(), &["man"], None);
    assert!(ok, "{err}");
    assert!(
        out.starts_with(".ie") || out.contains(".TH latchkey"),
        "{out}"
    );
    assert!(out.contains("import"), "every command is in the manual");
}

#[tokio::test]
async fn health_says_whether_the_server_on_listen_is_live() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on a port just released.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (ok, _, err) = run_with(
        dir.path(),
        &[("LATCHKEY_LISTEN", &free.to_string())],
        &["health"],
        None,
    );
    assert!(!ok && err.contains("connecting to"), "{err}");
    let server = Server::start(dir.path(), "info");
    let addr = server.base.trim_start_matches("http://").to_owned();
    let (ok, out, err) = run_with(dir.path(), &[("LATCHKEY_LISTEN", &addr)], &["health"], None);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "live");
}

#[test]
fn a_start_that_fails_creates_no_admin_and_the_next_one_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (ok, _, err) = run_with(dir.path(), &[("LATCHKEY_LISTEN", &addr)], &["serve"], None);
    assert!(!ok && err.contains("binding"), "{err}");
    assert!(!err.contains("first administrator"), "{err}");
    assert!(!dir.path().join("initial-admin-password").exists());
    let (ok, out, _) = run(dir.path(), &["account", "list"], None);
    assert!(ok);
    assert!(out.trim().is_empty(), "no account was created: {out}");
    drop(taken);
    // The store is private to its owner, with its WAL files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for f in ["latchkey.db", "latchkey.db-wal", "latchkey.db-shm"] {
            let path = dir.path().join(f);
            if path.exists() {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{f}");
            }
        }
    }
    let server = Server::start(dir.path(), "info");
    let (_, stderr) = server.output();
    assert!(stderr.contains("first administrator"), "{stderr}");
    assert!(
        stderr.contains("latchkey account set-password admin"),
        "{stderr}"
    );
}

#[test]
fn adding_the_first_account_by_hand_says_no_admin_will_be_created() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &["account", "add", "jdoe", "--no-password"],
        None,
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("creates the `admin` account only in an empty store"),
        "{err}"
    );
    let (ok, _, err) = run(
        dir.path(),
        &["account", "add", "asmith", "--no-password"],
        None,
    );
    assert!(
        ok && !err.contains("empty store"),
        "only the first says so: {err}"
    );
}

#[test]
fn client_commands_add_list_show_rotate_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &[
            "client",
            "add",
            "nightly-sync",
            "--scope",
            "accounts:read",
            "--scope",
            "audit:read",
        ],
        None,
    );
    assert!(ok, "{err}");
    let field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap()
            .to_owned()
    };
    let (id, secret) = (field(&out, "client_id"), field(&out, "client_secret"));
    let (ok, out, _) = run(dir.path(), &["client", "list"], None);
    assert!(
        ok && out.contains(&id) && out.contains("accounts:read,audit:read"),
        "{out}"
    );
    assert!(!out.contains(&secret));
    let (ok, out, _) = run(dir.path(), &["client", "show", &id], None);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert!(ok && shown["name"] == "nightly-sync", "{out}");
    let (ok, out, _) = run(dir.path(), &["client", "rotate", &id], None);
    assert!(ok && field(&out, "client_secret") != secret, "{out}");
    let (ok, _, _) = run(dir.path(), &["client", "revoke", &id], None);
    assert!(ok);
    let (ok, _, err) = run(dir.path(), &["client", "show", &id], None);
    assert!(
        !ok && err.contains(&format!("client {id} not found")),
        "{err}"
    );
    let (ok, _, err) = run(dir.path(), &["account", "show", "nobody"], None);
    assert!(!ok && err.contains("account 'nobody' not found"), "{err}");
}

#[tokio::test]
async fn audit_events_reach_the_log_stream_and_the_audit_command() {
    let dir = tempfile::tempdir().unwrap();
    // Everything at WARN but start-up's own "listening" line.
    let server = Server::start(dir.path(), "warn,latchkey_server=info");
    let password = initial_admin_password(dir.path());
    let client = reqwest::Client::new();
    for attempt in ["wrong password 1", password.as_str()] {
        client
            .post(format!("{}/api/v1/sessions", server.base))
            .json(&json!({ "userName": "admin", "password": attempt }))
            .send()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (stdout, _) = server.output();
    // At INFO under RUST_LOG=warn: the audit target is always on.
    let audit: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["target"] == "audit")
        .collect();
    for kind in ["account.create", "login.failure", "login.success"] {
        let e = audit
            .iter()
            .find(|e| e["type"] == kind)
            .unwrap_or_else(|| panic!("{kind} in {audit:?}"));
        assert_eq!(e["level"], "INFO");
        assert!(e["event_id"].is_string() && e["surface"].is_string(), "{e}");
    }
    assert!(!stdout.contains(&password), "never a secret");
    drop(server);

    let (ok, out, err) = run(dir.path(), &["audit", "--type", "login.failure"], None);
    assert!(ok, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["outcome"], "failure");
    let (ok, out, _) = run(dir.path(), &["audit", "--limit", "2"], None);
    assert!(ok);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["type"], "login.success", "newest first: {out}");
    let (ok, _, err) = run(dir.path(), &["audit", "--account", "nobody"], None);
    assert!(!ok && err.contains("account 'nobody' not found"), "{err}");
}

/// A connection from `source` that sends a request line and one header, never the end of
/// the headers.
async fn half_sent(source: &str, server: std::net::SocketAddr) -> Option<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt as _;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(server).await.ok()?;
    stream
        .write_all(b"POST /api/v1/sessions HTTP/1.1\r\nHost: latchkey\r\n")
        .await
        .ok()?;
    Some(stream)
}

/// Whether the server closed the connection (or answered and closed) within `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt as _;
    let mut buf = vec![0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue, // an error answer (408) before the close
        }
    }
}

#[tokio::test]
async fn slow_clients_cannot_hold_the_server_and_sigterm_drains_within_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(
        dir.path(),
        "info",
        &[
            ("LATCHKEY_HTTP__HEADER_TIMEOUT", "2s".into()),
            ("LATCHKEY_HTTP__MAX_CONNECTIONS_PER_IP", "150".into()),
            ("LATCHKEY_HTTP__SHUTDOWN_GRACE", "2s".into()),
        ],
    );
    let password = initial_admin_password(dir.path());
    let addr: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let mut slow = vec![];
    for _ in 0..200 {
        slow.extend(half_sent("127.0.0.2", addr).await);
    }
    assert!(
        slow.len() >= 150,
        "the connections were made: {}",
        slow.len()
    );

    // A normal sign-in from another address answers at once.
    let started = std::time::Instant::now();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/sessions", server.base))
        .json(&json!({ "userName": "admin", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    // Beyond 150 from one address, connections are closed as they arrive; the others
    // when their headers have not come within 2 s.
    let mut closed_at_once = 0;
    for s in slow.iter_mut().skip(150) {
        if closed_within(s, Duration::from_millis(500)).await {
            closed_at_once += 1;
        }
    }
    assert!(
        closed_at_once >= 45,
        "per-address cap: {closed_at_once} of 50 closed"
    );
    let mut timed_out = 0;
    for s in slow.iter_mut().take(150) {
        if closed_within(s, Duration::from_secs(4)).await {
            timed_out += 1;
        }
    }
    assert_eq!(
        timed_out, 150,
        "every half-sent request is dropped after the header timeout"
    );

    // SIGTERM with a slow client still connected: the process exits within the grace.
    let _lingering = half_sent("127.0.0.3", addr).await.unwrap();
    let started = std::time::Instant::now();
    let status = server.terminate(Duration::from_secs(6));
    assert!(
        status.is_some(),
        "still running {:?} after SIGTERM",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_ends_its_request() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        "info",
        &[("LATCHKEY_HTTP__BODY_TIMEOUT", "1s".into())],
    );
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"POST /api/v1/sessions HTTP/1.1\r\nHost: latchkey\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"userName\":")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("the server answers or closes")
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(n == 0 || text.starts_with("HTTP/1.1 4"), "{text}");
}

#[test]
fn config_check_refuses_what_serve_refuses_in_the_operators_words() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "public_url = \"not a url\"\n\n[database]\nurl = \"ldap://directory.example.com\"\n\n[recovery]\nstages = [\"userQuery\", \"kbaSecurityAnswerVerificationStage\", \"emailValidation\", \"resetStage\"]\n",
    )
    .unwrap();
    let env = [("LATCHKEY_CONFIG", "bad.toml")];
    let (ok, _, check) = run_with(dir.path(), &env, &["config", "check"], None);
    assert!(!ok);
    for key in ["public_url", "database.url", "recovery.stages"] {
        assert!(check.contains(key), "{key}: {check}");
    }
    let (ok, _, serve) = run_with(dir.path(), &env, &["serve"], None);
    assert!(!ok);
    for key in ["public_url", "database.url", "recovery.stages"] {
        assert!(serve.contains(key), "serve refuses it too: {serve}");
    }
    assert!(!dir.path().join("latchkey.db").exists(), "nothing started");

    std::fs::write(
        dir.path().join("typo.toml"),
        "[lockout]\nmax_failures = 3\nwindw = \"10m\"\n",
    )
    .unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &["--config", "typo.toml", "config", "check"],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains(
            "unknown key 'lockout.windw'; did you mean 'lockout.window'? (typo.toml line 3)"
        ),
        "{err}"
    );
    assert!(!err.contains("default.") && !err.contains('`'), "{err}");

    std::fs::write(
        dir.path().join("good.toml"),
        "[lockout]\nmax_failures = 3\n",
    )
    .unwrap();
    let (ok, out, err) = run_with(
        dir.path(),
        &[("LATCHKEY_CONFIG", "good.toml")],
        &["config", "check"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("max_failures = 3"), "{out}");
}

/// The value of an unlabelled sample, or of the first sample whose labels contain `labels`.
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']) && l.contains(labels)
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn every_metric_is_described_present_at_zero_and_can_have_its_own_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "info");
    let client = reqwest::Client::new();
    let text = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "latchkey_sign_ins_total",
        "latchkey_password_writes_total",
        "latchkey_policy_refusals_total",
        "latchkey_account_locks_total",
        "latchkey_hash_pool_rejections_total",
        "latchkey_hash_queue_depth",
        "latchkey_recovery_flows_total",
        "latchkey_notifications_sent_total",
        "latchkey_notification_failures_total",
        "latchkey_outbox_backlog",
        "latchkey_outbox_oldest_age_seconds",
        "latchkey_connections_refused_total",
    ] {
        assert!(text.contains(&format!("# HELP {name} ")), "HELP for {name}");
        assert_eq!(sample(&text, name, ""), Some(0.0), "{name} at zero");
    }
    assert_eq!(
        sample(
            &text,
            "latchkey_build_info",
            &format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))
        ),
        Some(1.0)
    );
    assert!(
        sample(&text, "process_resident_memory_bytes", "").is_some_and(|v| v > 0.0),
        "{text}"
    );
    // A request later, the duration histogram has real buckets by surface and class.
    let text = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("# HELP http_request_duration_seconds "),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{surface=\"operations\",status_class=\"2xx\",le=\"0.005\"}"),
        "{text}"
    );
    drop(server);

    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = Server::start_with(
        dir.path(),
        "info",
        &[("LATCHKEY_METRICS__LISTEN", free.to_string())],
    );
    let main = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404, "not on the public address then");
    let own = client
        .get(format!("http://{free}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("latchkey_sign_ins_total")
    );
}
