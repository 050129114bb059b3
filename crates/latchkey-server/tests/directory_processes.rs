//! The `latchkey` binary in front of a real slapd. The CLI's account commands on directory
//! accounts; and no lost effects: `latchkey serve` killed with SIGKILL at each point of a
//! directory password write (after the intent is recorded, after the directory took the
//! password, after the effects were committed), then started again. An acknowledged
//! change never lacks its audit event or notification; a change the directory never took
//! never gets one; nothing is written twice.

use latchkey_directory::testing::{DECOY_DN, PEOPLE, SERVICE_DN, SERVICE_PW, Slapd};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/server.rs"]
mod server;
#[path = "api/smtp.rs"]
mod smtp;

use server::{Server, run_with};

const OLD: &str = "Amber-Lantern-73";
const NEW: &str = "Copper-Meadow-19";

fn env(slapd: &Slapd, smtp_port: u16, pause: Option<&str>) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("LATCHKEY_DIRECTORY__URL", slapd.url.clone()),
        ("LATCHKEY_DIRECTORY__BIND_DN", SERVICE_DN.to_owned()),
        ("LATCHKEY_DIRECTORY__BIND_PASSWORD", SERVICE_PW.to_owned()),
        ("LATCHKEY_DIRECTORY__USER_BASE", PEOPLE.to_owned()),
        ("LATCHKEY_DIRECTORY__DECOY_DN", DECOY_DN.to_owned()),
        ("LATCHKEY_DIRECTORY__TIMEOUT", "1s".to_owned()),
        ("LATCHKEY_SMTP__HOST", "127.0.0.1".to_owned()),
        ("LATCHKEY_SMTP__PORT", smtp_port.to_string()),
        ("LATCHKEY_SMTP__TLS", "none".to_owned()),
        ("LATCHKEY_SMTP__RETRY_INITIAL", "100ms".to_owned()),
    ];
    if let Some(point) = pause {
        env.push(("LK_TEST_PAUSE_AT", point.to_owned()));
    }
    env
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

async fn sign_in(base: &str, user: &str, password: &str) -> String {
    let r = post(
        base,
        "/api/v1/sessions",
        None,
        json!({ "userName": user, "password": password }),
    )
    .await;
    assert_eq!(r.status(), 201, "sign-in of {user}");
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits until the server's log has a line containing `text`.
async fn wait_for_log(server: &Server, text: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let (out, err) = server.output();
        if out.contains(text) || err.contains(text) {
            return;
        }
        assert!(Instant::now() < deadline, "no {text:?} in\n{out}\n{err}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Successful password changes of `user` in the audit log, read by the first admin.
async fn changes(base: &str, dir: &Path, user: &str) -> usize {
    let admin_pw = std::fs::read_to_string(dir.join("initial-admin-password")).unwrap();
    let admin = sign_in(base, "admin", admin_pw.trim()).await;
    let c = reqwest::Client::new();
    let list: Value = c
        .get(format!("{base}/api/v1/accounts?userName={user}"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let events: Value = c
        .get(format!(
            "{base}/api/v1/audit?accountId={id}&type=password.change&outcome=success"
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    events["events"]
        .as_array()
        .unwrap_or_else(|| panic!("events in {events}"))
        .len()
}

/// Kills the server at `point` of a self change, starts it again once the intent is old
/// enough to be taken for a dead node's, and waits until it is resolved. Returns the
/// directory, the user, the data folder, the restarted server and the mail sink.
async fn killed_at(
    point: &str,
) -> Option<(
    Slapd,
    String,
    String,
    tempfile::TempDir,
    Server,
    smtp::SmtpSink,
)> {
    let slapd = Slapd::start()?;
    let (uid, dn) = slapd.add_person("crash", OLD);
    // The entry's `pwdChangedTime` (whole seconds) must be older than the intent's second
    // and the clock lag resolution allows for: a write not made is then told apart.
    std::thread::sleep(Duration::from_millis(1_100));
    let dir = tempfile::tempdir().unwrap();
    let sink = smtp::SmtpSink::start();
    let server = Server::start_with(dir.path(), "info", &env(&slapd, sink.port, Some(point)));
    let token = sign_in(&server.base, &uid, OLD).await;
    let base = server.base.clone();
    let change = tokio::spawn(async move {
        post(
            &base,
            "/api/v1/me/password",
            Some(&token),
            json!({ "currentPassword": OLD, "newPassword": NEW }),
        )
        .await
    });
    wait_for_log(
        &server,
        &format!("paused at {point}"),
        Duration::from_secs(20),
    )
    .await;
    drop(server); // SIGKILL, exactly at the point
    change.abort(); // its answer died with the process
    // The intent must be older than 4 × directory.timeout + 5 s to be another node's.
    tokio::time::sleep(Duration::from_millis(9_500)).await;
    let again = Server::start_with(dir.path(), "info", &env(&slapd, sink.port, None));
    wait_for_log(&again, "before its node stopped", Duration::from_secs(20)).await;
    Some((slapd, uid, dn, dir, again, sink))
}

#[tokio::test]
async fn killed_before_the_directory_write_nothing_is_recorded_or_sent() {
    let Some((slapd, uid, dn, dir, server, sink)) = killed_at("after-intent").await else {
        return;
    };
    wait_for_log(
        &server,
        "not made before its node stopped",
        Duration::from_secs(5),
    )
    .await;
    assert!(slapd.whoami(&dn, OLD) && !slapd.whoami(&dn, NEW));
    assert_eq!(changes(&server.base, dir.path(), &uid).await, 0);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let to = format!("{uid}@example.com");
    assert!(
        sink.messages().iter().all(|m| m["to"][0] != to.as_str()),
        "no notification of a change never made"
    );
}

#[tokio::test]
async fn killed_after_the_directory_took_it_the_change_is_recorded_and_sent() {
    let Some((slapd, uid, dn, dir, server, sink)) = killed_at("after-directory").await else {
        return;
    };
    wait_for_log(&server, "its effects committed", Duration::from_secs(5)).await;
    assert!(slapd.whoami(&dn, NEW) && !slapd.whoami(&dn, OLD));
    assert_eq!(changes(&server.base, dir.path(), &uid).await, 1);
    let mail = sink.wait_for(&format!("{uid}@example.com"), 1).await;
    assert!(
        mail["subject"].as_str().unwrap().contains("changed"),
        "{mail}"
    );
}

#[tokio::test]
async fn killed_after_the_effects_nothing_is_written_twice() {
    let Some((slapd, uid, dn, dir, server, sink)) = killed_at("after-effects").await else {
        return;
    };
    wait_for_log(
        &server,
        "both made before its node stopped",
        Duration::from_secs(5),
    )
    .await;
    assert!(slapd.whoami(&dn, NEW));
    assert_eq!(changes(&server.base, dir.path(), &uid).await, 1);
    sink.wait_for(&format!("{uid}@example.com"), 1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let to = format!("{uid}@example.com");
    let sent = sink
        .messages()
        .iter()
        .filter(|m| m["to"][0] == to.as_str())
        .count();
    assert_eq!(sent, 1, "one notification");
}

#[test]
fn account_commands_work_on_directory_accounts() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, dn) = slapd.add_person("cli", OLD);
    let dir = tempfile::tempdir().unwrap();
    let vars = env(&slapd, 25, None);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = |args: &[&str], stdin: Option<&str>| run_with(dir.path(), &vars, args, stdin);
    let (ok, out, err) = run(&["account", "show", &uid], None);
    assert!(ok, "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["dn"], dn.as_str());
    assert_eq!(shown["sid"], Value::Null);
    let (ok, out, err) = run(&["account", "list"], None);
    assert!(ok && out.contains(&uid), "{out}{err}");
    let (ok, _, err) = run(
        &["account", "set-password", &uid, "--password-stdin"],
        Some(&format!("{NEW}\n")),
    );
    assert!(ok, "{err}");
    assert!(slapd.whoami(&dn, NEW) && !slapd.whoami(&dn, OLD));
    slapd.ldap(
        "ldapmodify",
        &format!("dn: {dn}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n"),
    );
    assert!(!slapd.whoami(&dn, NEW), "locked in the directory");
    let (ok, _, err) = run(&["account", "unlock", &uid], None);
    assert!(ok, "{err}");
    assert!(slapd.whoami(&dn, NEW), "unlocked in the directory");
    // A name neither the directory nor Latchkey has is not found.
    let (ok, _, _) = run(&["account", "show", "nobody-at-all"], None);
    assert!(!ok);
}
