use crate::helpers::{problem, spawn_app, spawn_with};
use serde_json::{Value, json};

#[tokio::test]
async fn a_helpdesk_resets_a_user_with_a_generated_password() {
    let app = spawn_app().await;
    app.create_account(
        json!({ "userName": "help", "password": "Silver-Lantern-74", "roles": ["helpdesk"] }),
    )
    .await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let jdoe = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let help = app.sign_in("help", "Silver-Lantern-74").await;
    let r = app
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&help),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let generated = r.json::<Value>().await.unwrap()["generatedPassword"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.chars().count(), 20);
    problem(app.get("/api/v1/me", Some(&jdoe)).await, 401).await;
    let signed: Value = app
        .try_sign_in("jdoe", &generated)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        signed["mustChangePassword"], true,
        "a reset defaults to must-change"
    );
    let token = signed["token"].as_str().unwrap();
    assert_eq!(
        app.change_password(token, &generated, "my own choice 9")
            .await
            .status(),
        200
    );
    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["mustChangePassword"], false, "a self change clears it");
    let outbox = app
        .store()
        .await
        .pending_outbox(id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        outbox.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
        ["password-reset", "password-changed"]
    );
}

#[tokio::test]
async fn a_helpdesk_may_not_reset_an_admin_and_a_user_may_not_reset_anyone() {
    let app = spawn_app().await;
    app.create_account(
        json!({ "userName": "help", "password": "Silver-Lantern-74", "roles": ["helpdesk"] }),
    )
    .await;
    let other = app
        .create_account(
            json!({ "userName": "boss", "password": "Brass-Kettle-52", "roles": ["admin"] }),
        )
        .await;
    let victim = app.create_user("jdoe", "Mellow-Trout-41").await;
    app.create_user("mallory", "Paper-Falcon-85").await;
    let help = app.sign_in("help", "Silver-Lantern-74").await;
    let admin_id = other["id"].as_str().unwrap();
    problem(
        app.post(
            &format!("/api/v1/accounts/{admin_id}/password/reset"),
            Some(&help),
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    let mallory = app.sign_in("mallory", "Paper-Falcon-85").await;
    problem(
        app.post(
            &format!("/api/v1/accounts/{victim}/password/reset"),
            Some(&mallory),
            &json!({ "newPassword": "pwned pwned 1" }),
        )
        .await,
        403,
    )
    .await;
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    app.sign_in("boss", "Brass-Kettle-52").await;
}

#[tokio::test]
async fn a_chosen_password_and_options_apply_and_strict_mode_forbids_choosing() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let body = json!({ "newPassword": "chosen by admin 1", "mustChangePassword": false, "passwordNeverExpires": true });
    let r = app
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&app.admin_token),
            &body,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.json::<Value>()
            .await
            .unwrap()
            .get("generatedPassword")
            .is_none()
    );
    let signed: Value = app
        .try_sign_in("jdoe", "chosen by admin 1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signed["mustChangePassword"], false);
    let a: Value = app
        .get(&format!("/api/v1/accounts/{id}"), Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["passwordNeverExpires"], true);

    let strict = spawn_with(|c| c.reset.strict = true).await;
    let id = strict.create_user("jdoe", "Mellow-Trout-41").await;
    let r = strict
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&strict.admin_token),
            &json!({ "newPassword": "chosen by admin 1" }),
        )
        .await;
    problem(r, 403).await;
    strict.sign_in("jdoe", "Mellow-Trout-41").await;
    let r = strict
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&strict.admin_token),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_reset_can_unlock_a_locked_account() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    for _ in 0..5 {
        problem(app.try_sign_in("jdoe", "wrong guess 1").await, 401).await;
    }
    let body =
        json!({ "newPassword": "fresh password 2", "unlock": true, "mustChangePassword": false });
    assert_eq!(
        app.post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&app.admin_token),
            &body
        )
        .await
        .status(),
        200
    );
    app.sign_in("jdoe", "fresh password 2").await;
    let unlocks = app
        .audit(&format!("accountId={id}&type=account.unlock"))
        .await;
    assert_eq!(unlocks.len(), 1);
}

#[tokio::test]
async fn generation_returns_a_fresh_password_each_time() {
    let app = spawn_app().await;
    let a: Value = app
        .post(
            "/api/v1/passwords/generate",
            Some(&app.admin_token),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/passwords/generate"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_ne!(a["password"], b["password"]);
    assert_eq!(a["password"].as_str().unwrap().chars().count(), 20);
    problem(
        app.client
            .post(app.url("/api/v1/passwords/generate"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
}
