use crate::helpers::{problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn a_client_gets_tokens_by_json_form_or_basic_and_acts_within_its_scopes() {
    let app = spawn_app().await;
    let victim = app.create_user("jdoe", "Mellow-Trout-41").await;
    let r = app
        .post(
            "/api/v1/clients",
            Some(&app.admin_token),
            &json!({ "name": "helpdesk-bot", "scopes": ["passwords:reset"] }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    let (id, secret) = (
        c["clientId"].as_str().unwrap(),
        c["clientSecret"].as_str().unwrap(),
    );

    let by_json: Value = app.post("/api/v1/token", None, &json!({ "grant_type": "client_credentials", "client_id": id, "client_secret": secret })).await.json().await.unwrap();
    assert_eq!(by_json["token_type"], "Bearer");
    assert_eq!(by_json["expires_in"], 3600);
    let form = app
        .client
        .post(app.url("/api/v1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let basic = app
        .client
        .post(app.url("/api/v1/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    let token = by_json["access_token"].as_str().unwrap();

    let r = app
        .post(
            &format!("/api/v1/accounts/{victim}/password/reset"),
            Some(token),
            &json!({ "newPassword": "set by the bot 1" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.sign_in("jdoe", "set by the bot 1").await;
    problem(app.get("/api/v1/accounts", Some(token)).await, 403).await;
    problem(app.get("/api/v1/audit", Some(token)).await, 403).await;
    let admin_id = app
        .get("/api/v1/me", Some(&app.admin_token))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(
        app.post(
            &format!("/api/v1/accounts/{admin_id}/password/reset"),
            Some(token),
            &json!({}),
        )
        .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn wrong_client_credentials_are_invalid_client() {
    let app = spawn_app().await;
    let c: Value = app
        .post(
            "/api/v1/clients",
            Some(&app.admin_token),
            &json!({ "name": "reader", "scopes": ["accounts:read"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = c["clientId"].as_str().unwrap();
    for body in [
        json!({ "grant_type": "client_credentials", "client_id": id, "client_secret": "wrong" }),
        json!({ "grant_type": "client_credentials", "client_id": "00000000-0000-4000-8000-000000000000", "client_secret": "wrong" }),
        json!({ "grant_type": "client_credentials", "client_id": "junk", "client_secret": "wrong" }),
        json!({ "grant_type": "client_credentials" }),
    ] {
        let b = problem(app.post("/api/v1/token", None, &body).await, 401).await;
        assert_eq!(b["error"], "invalid_client");
    }
    problem(
        app.post(
            "/api/v1/token",
            None,
            &json!({ "grant_type": "password", "client_id": id, "client_secret": "x" }),
        )
        .await,
        400,
    )
    .await;
    problem(
        app.post(
            "/api/v1/clients",
            Some(&app.admin_token),
            &json!({ "name": "x", "scopes": ["root"] }),
        )
        .await,
        400,
    )
    .await;
    let user = app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    problem(
        app.post(
            "/api/v1/clients",
            Some(&t),
            &json!({ "name": "x", "scopes": ["*"] }),
        )
        .await,
        403,
    )
    .await;
    let _ = user;
}

async fn token_of(app: &crate::helpers::TestApp, id: &str, secret: &str) -> reqwest::Response {
    app.post(
        "/api/v1/token",
        None,
        &json!({ "grant_type": "client_credentials", "client_id": id, "client_secret": secret }),
    )
    .await
}

#[tokio::test]
async fn clients_are_listed_shown_rotated_and_revoked_and_their_tokens_stop_at_once() {
    let app = spawn_app().await;
    let c: Value = app
        .post(
            "/api/v1/clients",
            Some(&app.admin_token),
            &json!({ "name": "sync-job", "scopes": ["accounts:read", "audit:read"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = c["clientId"].as_str().unwrap().to_owned();
    let old_secret = c["clientSecret"].as_str().unwrap().to_owned();
    let t: Value = token_of(&app, &id, &old_secret).await.json().await.unwrap();
    let old_token = t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/accounts", Some(&old_token)).await.status(),
        200
    );

    let list: Value = app
        .get("/api/v1/clients", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let listed = &list["items"][0];
    assert_eq!(listed["clientId"], id.as_str());
    assert_eq!(listed["name"], "sync-job");
    assert_eq!(listed["scopes"], json!(["accounts:read", "audit:read"]));
    assert!(!list.to_string().contains(&old_secret), "never the secret");
    let shown: Value = app
        .get(&format!("/api/v1/clients/{id}"), Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(&shown, listed);
    // Only for those who manage clients: a client's own token cannot list them.
    problem(app.get("/api/v1/clients", Some(&old_token)).await, 403).await;

    let rotated: Value = app
        .post(
            &format!("/api/v1/clients/{id}/secret"),
            Some(&app.admin_token),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated["clientSecret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    problem(app.get("/api/v1/accounts", Some(&old_token)).await, 401).await;
    problem(token_of(&app, &id, &old_secret).await, 401).await;
    let t: Value = token_of(&app, &id, &new_secret).await.json().await.unwrap();
    let new_token = t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/accounts", Some(&new_token)).await.status(),
        200
    );

    let r = app
        .client
        .delete(app.url(&format!("/api/v1/clients/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    problem(app.get("/api/v1/accounts", Some(&new_token)).await, 401).await;
    problem(token_of(&app, &id, &new_secret).await, 401).await;
    problem(
        app.get(&format!("/api/v1/clients/{id}"), Some(&app.admin_token))
            .await,
        404,
    )
    .await;
    let audit = app.audit("type=account.delete").await;
    assert!(
        audit
            .iter()
            .any(|e| e["reason"].as_str().is_some_and(|r| r.contains("revoked"))),
        "{audit:?}"
    );
}
