use crate::helpers::{problem, spawn_app, spawn_with};
use serde_json::{Value, json};

/// The scripted scenario, over HTTP.
#[tokio::test]
async fn a_user_changes_its_password_and_its_other_sessions_end() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "first secret 1").await;
    let first = app.sign_in("jdoe", "first secret 1").await;
    let second = app.sign_in("jdoe", "first secret 1").await;
    let r = app
        .change_password(&first, "first secret 1", "second secret 2")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "warnings": [] }));
    problem(app.try_sign_in("jdoe", "first secret 1").await, 401).await;
    app.sign_in("jdoe", "second secret 2").await;
    assert_eq!(
        app.get("/api/v1/me", Some(&first)).await.status(),
        200,
        "the caller's session survives"
    );
    problem(app.get("/api/v1/me", Some(&second)).await, 401).await;
    // Newest first: read back in the order they happened.
    let events: Vec<String> = app
        .audit(&format!("accountId={id}"))
        .await
        .iter()
        .rev()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        events,
        [
            "account.create",
            "login.success",
            "login.success",
            "password.change",
            "login.failure",
            "login.success"
        ]
    );
    let change = &app.audit("type=password.change").await[0];
    assert_eq!(change["actorId"], id);
    assert_eq!(change["outcome"], "success");
    assert_eq!(change["surface"], "native");
    assert_eq!(change["clientIp"], "127.0.0.1");
    assert!(change["requestId"].as_str().unwrap().len() >= 32);
    // The notification is queued in the same transaction.
    let outbox = app
        .store()
        .await
        .pending_outbox(id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        outbox.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
        ["password-changed"]
    );
    let me: Value = app
        .get("/api/v1/me", Some(&first))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["_rev"], "2");
    assert!(me["passwordChangedAt"].is_string());
}

#[tokio::test]
async fn a_wrong_current_password_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_user("jdoe", "first secret 1").await;
    let t = app.sign_in("jdoe", "first secret 1").await;
    problem(
        app.change_password(&t, "not it at all", "second secret 2")
            .await,
        401,
    )
    .await;
    app.sign_in("jdoe", "first secret 1").await;
    problem(app.try_sign_in("jdoe", "second secret 2").await, 401).await;
}

#[tokio::test]
async fn a_policy_refusal_carries_the_report() {
    let app = spawn_app().await;
    app.create_user("jdoe", "first secret 1").await;
    let t = app.sign_in("jdoe", "first secret 1").await;
    let body = problem(
        app.change_password(&t, "first secret 1", "short").await,
        422,
    )
    .await;
    assert_eq!(body["report"]["valid"], false);
    let rules = body["report"]["rules"].as_array().unwrap();
    let min = rules.iter().find(|r| r["rule"] == "min-length").unwrap();
    assert_eq!(min["satisfied"], false);
    assert_eq!(min["mode"], "enforce");
    assert_eq!(min["params"]["minLength"], 8);
    assert!(min["description"].is_string());
    let same = problem(
        app.change_password(&t, "first secret 1", "first secret 1")
            .await,
        422,
    )
    .await;
    let not_current = same["report"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "not-current")
        .unwrap()
        .clone();
    assert_eq!(not_current["satisfied"], false);
}

#[tokio::test]
async fn a_reused_password_is_refused_with_the_history_rule() {
    let app = spawn_with(|c| c.policy.history_count = 3).await;
    app.create_user("jdoe", "password one 1").await;
    let t = app.sign_in("jdoe", "password one 1").await;
    assert_eq!(
        app.change_password(&t, "password one 1", "password two 2")
            .await
            .status(),
        200
    );
    let body = problem(
        app.change_password(&t, "password two 2", "password one 1")
            .await,
        422,
    )
    .await;
    let history = body["report"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "history")
        .unwrap()
        .clone();
    assert_eq!(history["satisfied"], false);
    assert_eq!(history["params"]["historyCount"], 3);
}

#[tokio::test]
async fn federated_and_cannot_change_accounts_refuse_a_self_change() {
    let app = spawn_app().await;
    app.create_account(json!({ "userName": "locked-in", "password": "their password 1", "cannotChangePassword": true })).await;
    let t = app.sign_in("locked-in", "their password 1").await;
    let body = problem(
        app.change_password(&t, "their password 1", "a new password 2")
            .await,
        403,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("may not change"));
    let fed = app
        .create_account(json!({ "userName": "fed", "federated": true }))
        .await;
    let id = fed["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    let body = problem(r, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("federated"));
}

#[tokio::test]
async fn concurrent_changes_of_one_account_lose_no_update() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "start password 0").await;
    let token = app.sign_in("jdoe", "start password 0").await;
    // Four, so that the losers' wrong current passwords (the winner changed it) stay
    // below the lockout limit.
    let tasks: Vec<_> = (1..=4)
        .map(|i| {
            let (client, url, token) = (app.client.clone(), app.url("/api/v1/me/password"), token.clone());
            tokio::spawn(async move {
                let body = json!({ "currentPassword": "start password 0", "newPassword": format!("parallel password {i}") });
                let r = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
                (i, r.status().as_u16())
            })
        })
        .collect();
    let mut winners = vec![];
    for t in tasks {
        let (i, status) = t.await.unwrap();
        assert!([200, 401, 409].contains(&status), "{status}");
        if status == 200 {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one change wins: {winners:?}");
    app.sign_in("jdoe", &format!("parallel password {}", winners[0]))
        .await;
    let me: Value = app
        .get(&format!("/api/v1/accounts/{id}"), Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["_rev"], "2", "one write, one revision");
    let history = app
        .store()
        .await
        .password_history(id.parse().unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(history.len(), 1, "one previous hash");
}
