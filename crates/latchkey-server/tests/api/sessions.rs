use crate::helpers::{problem, spawn_app};
use serde_json::json;

#[tokio::test]
async fn every_sign_in_failure_answers_the_same() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    app.create_account(json!({ "userName": "fed", "federated": true }))
        .await;
    let disabled = app.create_user("gone", "Quiet-Harbor-63").await;
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/accounts/{disabled}")))
        .bearer_auth(&app.admin_token)
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cases = [
        ("nobody", "whatever pass"),
        ("jdoe", "wrong password"),
        ("fed", "any password 1"),
        ("gone", "Quiet-Harbor-63"),
        ("jdoe", ""),
        ("", "x"),
    ];
    let mut bodies = vec![];
    for (user, pw) in cases {
        let mut body = problem(app.try_sign_in(user, pw).await, 401).await;
        body.as_object_mut().unwrap().remove("instance");
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    let failures = app
        .audit(&format!("type=login.failure&accountId={id}"))
        .await;
    assert_eq!(
        failures.len(),
        2,
        "the precise reason goes to the audit log only"
    );
    assert_eq!(failures[0]["reason"], "wrong password");
}

#[tokio::test]
async fn a_signed_out_token_no_longer_works() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let token = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status(), 200);
    assert!(me.headers().contains_key("etag"));
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["userName"], "jdoe");
    assert_eq!(me["dn"], "uid=jdoe,ou=People,dc=example,dc=com");
    assert!(me["sid"].as_str().unwrap().starts_with("S-1-5-21-"));
    assert_eq!(me["roles"], json!(["user"]));
    for secret_field in ["password", "passwordHash", "hash"] {
        assert!(me.get(secret_field).is_none());
    }
    let r = app
        .client
        .delete(app.url("/api/v1/sessions/current"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    problem(app.get("/api/v1/me", Some(&token)).await, 401).await;
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let token = app.sign_in("jdoe", "Mellow-Trout-41").await;
    app.clock
        .advance(std::time::Duration::from_secs(8 * 3600 + 1));
    problem(app.get("/api/v1/me", Some(&token)).await, 401).await;
}
