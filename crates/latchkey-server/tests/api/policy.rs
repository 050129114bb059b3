use crate::helpers::{problem, spawn_app, spawn_with};
use serde_json::{Value, json};
use std::io::Write as _;
use std::time::Duration;

fn failed_rules(body: &Value) -> Vec<String> {
    body["report"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["satisfied"] == false)
        .map(|r| r["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_fresh_install_refuses_common_and_personal_passwords() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let body = problem(
        app.change_password(&t, "Mellow-Trout-41", "password123")
            .await,
        422,
    )
    .await;
    assert_eq!(failed_rules(&body), ["dictionary"]);
    let body = problem(
        app.change_password(&t, "Mellow-Trout-41", "I-am-JDOE-2026")
            .await,
        422,
    )
    .await;
    assert_eq!(failed_rules(&body), ["not-personal"]);
    let body = problem(
        app.change_password(&t, "Mellow-Trout-41", ">Crystal-Comet<")
            .await,
        422,
    )
    .await;
    assert_eq!(failed_rules(&body), ["deny-pattern"]);
}

#[tokio::test]
async fn the_check_endpoint_reports_without_changing_anything() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    app.create_user("asmith", "Amber-Meadow-96").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let r = app
        .post(
            "/api/v1/passwords/check",
            Some(&t),
            &json!({ "password": "password123" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["valid"], false);
    let names: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "min-length",
            "max-length",
            "not-personal",
            "dictionary",
            "deny-pattern"
        ],
        "no rule that needs stored hashes"
    );
    let own: Value = app
        .post(
            "/api/v1/passwords/check",
            Some(&t),
            &json!({ "password": "jdoe-rules-ok", "userName": "JDoe" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["valid"], false, "not-personal for itself");
    problem(
        app.post(
            "/api/v1/passwords/check",
            Some(&t),
            &json!({ "password": "x", "userName": "asmith" }),
        )
        .await,
        403,
    )
    .await;
    let admin: Value = app
        .post(
            "/api/v1/passwords/check",
            Some(&app.admin_token),
            &json!({ "password": "asmith-2026-xyz", "userName": "asmith" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admin["valid"], false);
    let unknown: Value = app
        .post(
            "/api/v1/passwords/check",
            Some(&app.admin_token),
            &json!({ "password": "Glacier-Poppy-77", "userName": "nobody" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["valid"], true);
    let empty: Value = app
        .post(
            "/api/v1/passwords/check",
            Some(&t),
            &json!({ "password": "" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["valid"], false);
    problem(
        app.post("/api/v1/passwords/check", None, &json!({ "password": "x" }))
            .await,
        401,
    )
    .await;
    app.sign_in("jdoe", "Mellow-Trout-41").await;
}

#[tokio::test]
async fn an_expired_password_signs_in_only_to_change_it() {
    let app = spawn_with(|c| c.policy.max_age = Some(Duration::from_secs(86_400))).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let fresh: Value = app
        .try_sign_in("jdoe", "Mellow-Trout-41")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fresh["mustChangePassword"], false);
    assert!(fresh["passwordExpiresAt"].is_string());
    app.clock.advance(Duration::from_secs(86_401));
    let expired: Value = app
        .try_sign_in("jdoe", "Mellow-Trout-41")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(expired["mustChangePassword"], true);
    let t = expired["token"].as_str().unwrap();
    let body = problem(app.get("/api/v1/me", Some(t)).await, 403).await;
    assert_eq!(body["type"], "/problems/password-change-required");
    assert_eq!(
        app.change_password(t, "Mellow-Trout-41", "Velvet-Canyon-58")
            .await
            .status(),
        200
    );
    let me: Value = app.get("/api/v1/me", Some(t)).await.json().await.unwrap();
    assert_eq!(
        me["mustChangePassword"], false,
        "the changed session is a full one again"
    );
    assert!(me["passwordExpiresAt"].is_string());
}

#[tokio::test]
async fn a_password_that_expires_during_a_session_makes_it_change_only() {
    let app = spawn_with(|c| c.policy.max_age = Some(Duration::from_secs(600))).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(app.get("/api/v1/me", Some(&t)).await.status(), 200);
    app.clock.advance(Duration::from_secs(601));
    let body = problem(app.get("/api/v1/me", Some(&t)).await, 403).await;
    assert_eq!(body["type"], "/problems/password-change-required");
    assert_eq!(
        app.change_password(&t, "Mellow-Trout-41", "Velvet-Canyon-58")
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/api/v1/me", Some(&t)).await.status(), 200);
}

#[tokio::test]
async fn min_age_holds_for_self_changes_but_not_for_resets() {
    let app = spawn_with(|c| c.policy.min_age = Some(Duration::from_secs(3600))).await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let body = problem(
        app.change_password(&t, "Mellow-Trout-41", "Velvet-Canyon-58")
            .await,
        422,
    )
    .await;
    assert_eq!(failed_rules(&body), ["min-age"]);
    let r = app
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&app.admin_token),
            &json!({ "newPassword": "Velvet-Canyon-58", "mustChangePassword": false }),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.clock.advance(Duration::from_secs(3600));
    let t = app.sign_in("jdoe", "Velvet-Canyon-58").await;
    assert_eq!(
        app.change_password(&t, "Velvet-Canyon-58", "Orbit-Saffron-13")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_role_override_applies_to_that_role_only() {
    let app = spawn_with(|c| {
        c.policy.roles.insert(
            latchkey_core::domain::Role::Admin,
            json!({ "min_length": 24 }),
        );
    })
    .await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let boss = app.create_account(json!({ "userName": "boss", "password": "Brass-Kettle-52-and-more-words", "roles": ["admin"] })).await;
    let t = app.sign_in("boss", "Brass-Kettle-52-and-more-words").await;
    let body = problem(
        app.change_password(&t, "Brass-Kettle-52-and-more-words", "Velvet-Canyon-58")
            .await,
        422,
    )
    .await;
    assert_eq!(failed_rules(&body), ["min-length"]);
    let u = app.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(
        app.change_password(&u, "Mellow-Trout-41", "Velvet-Canyon-58")
            .await
            .status(),
        200
    );
    let id = boss["id"].as_str().unwrap();
    let r: Value = app
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&app.admin_token),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        r["generatedPassword"].as_str().unwrap().chars().count() >= 24,
        "generation follows the target's policy"
    );
}

fn breached_filter(dir: &std::path::Path) -> std::path::PathBuf {
    use sha1::Digest as _;
    let input = dir.join("pwned.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    for p in ["Tr0ub4dour&3", "Velvet-Canyon-58"] {
        let hex: String = sha1::Sha1::digest(p.as_bytes())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        writeln!(f, "{hex}:12").unwrap();
    }
    let out = dir.join("breached.lkbf");
    latchkey_server::breached::build(&input, &out, 1).unwrap();
    out
}

#[tokio::test]
async fn a_breached_password_is_refused_or_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let filter = breached_filter(dir.path());
    let f = filter.clone();
    let app = spawn_with(move |c| c.policy.breached.file = Some(f)).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let body = problem(
        app.change_password(&t, "Mellow-Trout-41", "Velvet-Canyon-58")
            .await,
        422,
    )
    .await;
    assert_eq!(failed_rules(&body), ["breached"]);

    let warn = spawn_with(move |c| {
        c.policy.breached.file = Some(filter);
        c.policy.breached.mode = latchkey_core::policy::Mode::Warn;
    })
    .await;
    warn.create_user("jdoe", "Mellow-Trout-41").await;
    let t = warn.sign_in("jdoe", "Mellow-Trout-41").await;
    let r = warn
        .change_password(&t, "Mellow-Trout-41", "Velvet-Canyon-58")
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["warnings"][0]["rule"], "breached");
    warn.sign_in("jdoe", "Velvet-Canyon-58").await;
}
